package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/internal/apigw"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// TestAccQuiescePort_lifecycle: create → empty plan → import → drift
// (disabled, deleted, quiesce port pointed elsewhere) each planned and
// repaired → destroy removes the port from the node.
func TestAccQuiescePort_lifecycle(t *testing.T) {
	testAccPreCheck(t)
	cluster := startCluster(t, gwsim.Options{Nodes: 1})
	node := cluster.Nodes()[0]
	port := node.ReservePort()
	key := apigw.ListenerKey("HTTP", port)
	ref := apigw.PortRef{ListenerKey: key, Pkg: "WmRoot"}
	client := testClient(t)
	ctx := context.Background()
	config := quiescePortConfig(node.URL(), port)
	wantQuiesceURL := "http://127.0.0.1:" + strconv.Itoa(port)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		CheckDestroy:             checkPortGone(client, node.URL(), key),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("apigw_quiesce_port.q", "listener_key", key),
					resource.TestCheckResourceAttr("apigw_quiesce_port.q", "quiesce_url", wantQuiesceURL),
					resource.TestCheckResourceAttr("apigw_quiesce_port.q", "alias", "QuiescePort"),
					resource.TestCheckResourceAttr("apigw_quiesce_port.q", "package", "WmRoot"),
					resource.TestCheckResourceAttr("apigw_quiesce_port.q", "enabled", "true"),
					resource.TestCheckResourceAttr("apigw_quiesce_port.q", "id", node.URL()+","+strconv.Itoa(port)),
					checkQuiescePortLive(client, node.URL(), wantQuiesceURL),
				),
			},
			{
				ResourceName:      "apigw_quiesce_port.q",
				ImportState:       true,
				ImportStateId:     node.URL() + "," + strconv.Itoa(port),
				ImportStateVerify: true,
			},
			{
				PreConfig: func() {
					if err := client.DisablePort(ctx, node.URL(), ref); err != nil {
						t.Fatalf("disable behind Terraform's back: %v", err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apigw_quiesce_port.q", plancheck.ResourceActionUpdate),
				}},
				Check: checkQuiescePortLive(client, node.URL(), wantQuiesceURL),
			},
			{
				PreConfig: func() {
					_ = client.DisablePort(ctx, node.URL(), ref)
					if err := client.DeletePort(ctx, node.URL(), ref); err != nil {
						t.Fatalf("delete behind Terraform's back: %v", err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apigw_quiesce_port.q", plancheck.ResourceActionCreate),
				}},
				Check: checkQuiescePortLive(client, node.URL(), wantQuiesceURL),
			},
			{
				PreConfig: func() {
					other := node.ReservePort()
					otherRef := apigw.PortRef{ListenerKey: apigw.ListenerKey("HTTP", other), Pkg: "WmRoot"}
					if _, err := client.CreatePort(ctx, node.URL(), apigw.NewPort{Port: other, Alias: "Elsewhere", Pkg: "WmRoot"}); err != nil {
						t.Fatalf("create other port: %v", err)
					}
					if err := client.EnablePort(ctx, node.URL(), otherRef); err != nil {
						t.Fatalf("enable other port: %v", err)
					}
					if err := client.SetQuiescePort(ctx, node.URL(), "Elsewhere"); err != nil {
						t.Fatalf("point quiesce port elsewhere: %v", err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apigw_quiesce_port.q", plancheck.ResourceActionUpdate),
				}},
				Check: checkQuiescePortLive(client, node.URL(), wantQuiesceURL),
			},
			{
				Config:   config,
				PlanOnly: true, // repaired: nothing left to do
			},
		},
	})
}

// checkPortGone asserts on the node itself that the port was deleted.
func checkPortGone(client *apigw.Client, nodeURL, key string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if _, err := client.GetPort(context.Background(), nodeURL, key); !apigw.IsNotFound(err) {
			return fmt.Errorf("port %s still on the node after destroy (err=%v)", key, err)
		}
		return nil
	}
}

// checkQuiescePortLive asserts on the node itself, not on state: the alias
// is the node's quiesce port and the port answers health.
func checkQuiescePortLive(client *apigw.Client, nodeURL, quiesceURL string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		ctx := context.Background()
		qp, err := client.GetQuiescePort(ctx, nodeURL)
		if err != nil {
			return err
		}
		if qp.PortAlias != defaultPortAlias {
			return fmt.Errorf("node's quiesce port alias = %q, want %q", qp.PortAlias, defaultPortAlias)
		}
		status, err := client.Health(ctx, quiesceURL)
		if err != nil || status != 200 {
			return fmt.Errorf("quiesce port %s health = %d, %v; want 200", quiesceURL, status, err)
		}
		return nil
	}
}

// TestAccQuiescePort_adoptsExisting: a port with the same number, alias and
// package is adopted, not refused.
func TestAccQuiescePort_adoptsExisting(t *testing.T) {
	testAccPreCheck(t)
	cluster := startCluster(t, gwsim.Options{Nodes: 1})
	node := cluster.Nodes()[0]
	port := node.ReservePort()
	client := testClient(t)
	if _, err := client.CreatePort(context.Background(), node.URL(), apigw.NewPort{Port: port, Alias: "QuiescePort", Pkg: "WmRoot"}); err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{{
			Config: quiescePortConfig(node.URL(), port),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("apigw_quiesce_port.q", "enabled", "true"),
				checkQuiescePortLive(client, node.URL(), "http://127.0.0.1:"+strconv.Itoa(port)),
			),
		}},
	})
}

// TestAccQuiescePort_clash: the same port number with another alias is an
// error that says how to import.
func TestAccQuiescePort_clash(t *testing.T) {
	testAccPreCheck(t)
	cluster := startCluster(t, gwsim.Options{Nodes: 1})
	node := cluster.Nodes()[0]
	port := node.ReservePort()
	if _, err := testClient(t).CreatePort(context.Background(), node.URL(), apigw.NewPort{Port: port, Alias: "SomeoneElses", Pkg: "WmRoot"}); err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{{
			Config:      quiescePortConfig(node.URL(), port),
			ExpectError: regexp.MustCompile(`(?s)already exists.*"SomeoneElses".*terraform import`),
		}},
	})
}

// TestAccQuiescePort_wrongCredentials: a 401 says which settings to check.
func TestAccQuiescePort_wrongCredentials(t *testing.T) {
	testAccPreCheck(t)
	cluster := startCluster(t, gwsim.Options{Nodes: 1, Username: "Administrator", Password: "another"})
	node := cluster.Nodes()[0]
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{{
			Config:      quiescePortConfig(node.URL(), node.ReservePort()),
			ExpectError: regexp.MustCompile(`(?s)401.*(username|password)`),
		}},
	})
}

// TestAccQuiescePort_unreachable: a node that refuses connections is a clear
// error naming the URL.
func TestAccQuiescePort_unreachable(t *testing.T) {
	testAccPreCheck(t)
	cluster := startCluster(t, gwsim.Options{Nodes: 1})
	node := cluster.Nodes()[0]
	url := node.URL()
	if err := node.Stop(); err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{{
			Config:      quiescePortConfig(url, 4444),
			ExpectError: regexp.MustCompile(`(?s)` + regexp.QuoteMeta(url) + `.*refused`),
		}},
	})
}

// TestQuiesceURLOf: the quiesce URL is plain HTTP on node_url's host,
// whatever node_url's scheme and path.
func TestQuiesceURLOf(t *testing.T) {
	for _, tc := range []struct{ node, want string }{
		{"https://gw-1.example.internal:5555", "http://gw-1.example.internal:4444"},
		{"http://gw-1:5555/", "http://gw-1:4444"},
		{"https://gw-1:5555/behind/a/path", "http://gw-1:4444"},
		{"https://[::1]:5555", "http://[::1]:4444"},
		{"HTTPS://GW-1", "http://GW-1:4444"},
	} {
		got, err := quiesceURLOf(tc.node, 4444)
		if err != nil || got != tc.want {
			t.Errorf("quiesceURLOf(%q) = %q, %v; want %q", tc.node, got, err, tc.want)
		}
	}
	if _, err := quiesceURLOf("gw-1:5555", 4444); err == nil {
		t.Error("quiesceURLOf accepted a URL without host")
	}
}

// TestAccQuiescePort_destroyOnQuiescedNode: a quiesced node refuses
// connections on its primary port; destroying its quiesce port fails with
// an error that says the node is quiesced (its quiesce port still answers)
// and what to do, not "check that the node is running". After a restart
// the destroy succeeds.
func TestAccQuiescePort_destroyOnQuiescedNode(t *testing.T) {
	testAccPreCheck(t)
	cluster := startCluster(t, gwsim.Options{Nodes: 1})
	node := cluster.Nodes()[0]
	port := node.ReservePort()
	key := apigw.ListenerKey("HTTP", port)
	client := testClient(t)
	ctx := context.Background()
	config := quiescePortConfig(node.URL(), port)
	quiesceURL := "http://127.0.0.1:" + strconv.Itoa(port)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		CheckDestroy:             checkPortGone(client, node.URL(), key),
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					if _, err := client.SetQuiesceMode(ctx, node.URL(), apigw.QuiesceMode{Block: "all", Enable: true}); err != nil {
						t.Fatalf("quiesce: %v", err)
					}
					deadline := time.Now().Add(10 * time.Second)
					for node.State() != gwsim.StateQuiesced {
						if time.Now().After(deadline) {
							t.Fatalf("node still %s after 10s", node.State())
						}
						time.Sleep(20 * time.Millisecond)
					}
				},
				Config:  config,
				Destroy: true,
				ExpectError: wrapped(`quiesced node.*` + regexp.QuoteMeta(node.URL()) + ` is in quiesce mode: its primary port refuses connections while its quiesce port ` +
					regexp.QuoteMeta(quiesceURL) + ` still answers .*restart the node, then run terraform destroy again`),
			},
			{
				PreConfig: func() {
					if _, err := client.GetPort(ctx, node.URL(), key); !apigw.IsConnectionRefused(err) {
						t.Fatalf("the quiesced node's primary port answered: %v", err)
					}
					if err := node.Restart(gwsim.RestartOptions{}); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
			},
		},
	})
}

// TestAccQuiescePort_repairsPrerequisites: the gateway accepts a quiesce
// port only when it is enabled, not suspended and in access mode allow.
// Create adopts a port that is suspended and in access mode deny and
// repairs both; a port suspended, or put in access mode deny, behind
// Terraform's back shows as an update, which repairs it.
func TestAccQuiescePort_repairsPrerequisites(t *testing.T) {
	testAccPreCheck(t)
	cluster := startCluster(t, gwsim.Options{Nodes: 1})
	node := cluster.Nodes()[0]
	port := node.ReservePort()
	ref := apigw.PortRef{ListenerKey: apigw.ListenerKey("HTTP", port), Pkg: "WmRoot"}
	client := testClient(t)
	ctx := context.Background()
	suspend := func() {
		if err := client.SetPortSuspended(ctx, node.URL(), ref, true); err != nil {
			t.Fatalf("suspend behind Terraform's back: %v", err)
		}
	}
	deny := func() {
		if err := client.SetPortAccessMode(ctx, node.URL(), ref.ListenerKey, "deny"); err != nil {
			t.Fatalf("access mode deny behind Terraform's back: %v", err)
		}
	}
	if _, err := client.CreatePort(ctx, node.URL(), apigw.NewPort{Port: port, Alias: "QuiescePort", Pkg: "WmRoot"}); err != nil {
		t.Fatal(err)
	}
	suspend()
	deny()
	config := quiescePortConfig(node.URL(), port)
	quiesceURL := "http://127.0.0.1:" + strconv.Itoa(port)
	fit := resource.ComposeAggregateTestCheckFunc(
		resource.TestCheckResourceAttr("apigw_quiesce_port.q", "quiesce_url", quiesceURL),
		checkQuiescePortLive(client, node.URL(), quiesceURL),
		func(*terraform.State) error {
			p, err := client.GetPort(ctx, node.URL(), ref.ListenerKey)
			if err != nil {
				return err
			}
			if p.Suspended || p.AccessMode != "allow" {
				return fmt.Errorf("port suspended=%v access mode %q; want not suspended, allow", p.Suspended, p.AccessMode)
			}
			return nil
		})
	repaired := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction("apigw_quiesce_port.q", plancheck.ResourceActionUpdate),
		plancheck.ExpectKnownValue("apigw_quiesce_port.q", tfjsonpath.New("quiesce_url"), knownvalue.StringExact(quiesceURL)),
	}}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{
			{Config: config, Check: fit},
			{PreConfig: suspend, Config: config, ConfigPlanChecks: repaired, Check: fit},
			{PreConfig: deny, Config: config, ConfigPlanChecks: repaired, Check: fit},
			{Config: config, PlanOnly: true},
		},
	})
}

// TestReadFailure: read's error is the one source of its diagnostic, and
// the transport error inside still decides whether a refresh keeps the
// last known state (nodeOutOfService).
func TestReadFailure(t *testing.T) {
	transport := &apigw.TransportError{Err: errors.New("connection refused")}
	for _, tc := range []struct {
		name       string
		err        error
		want       []string
		outOfNodes bool
	}{
		{"none", nil, nil, false},
		{"port", &portReadError{summary: "Cannot read the quiesce port", err: transport}, []string{": Cannot read the quiesce port: " + transport.Error()}, true},
		{"node_url", &portReadError{summary: "Invalid node_url", attribute: "node_url", err: errors.New("no host")}, []string{"node_url: Invalid node_url: no host"}, false},
		{"other", errors.New("boom"), []string{": Cannot read the quiesce port: boom"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := diagLines(readFailure(tc.err)); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("readFailure = %q, want %q", got, tc.want)
			}
			if tc.err != nil && nodeOutOfService(tc.err) != tc.outOfNodes {
				t.Errorf("nodeOutOfService = %t, want %t", !tc.outOfNodes, tc.outOfNodes)
			}
		})
	}
}

// TestAccQuiescePort_freshContainer: gw-2 is restarted on a new container
// behind Terraform's back, so its quiesce port and quiesce-port setting are
// gone. The next plan shows apigw_quiesce_port.gw_2 to be created again (and
// the upgrade's quiesce_url known only after that), and the apply recreates
// it and upgrades every node.
func TestAccQuiescePort_freshContainer(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	gw2 := u.cluster.Node("gw-2")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{
			{Config: u.config("10.15.0.5", "")},
			{
				PreConfig: func() {
					if err := gw2.Restart(gwsim.RestartOptions{Fresh: true}); err != nil {
						t.Fatal(err)
					}
					waitReady(t, gw2)
					if gw2.QuiescePort() != 0 {
						t.Fatalf("gw-2 still has quiesce port %d after a fresh restart", gw2.QuiescePort())
					}
				},
				Config: u.config(target, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apigw_quiesce_port.gw_2", plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction("apigw_quiesce_port.gw_1", plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction(upgradeAddr, plancheck.ResourceActionUpdate),
					pendingIs("gw-1", "gw-2", "gw-3"),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					allOnTarget(u.cluster),
					checkSim(func() error {
						if c := countEvents(u.cluster, gwsim.EventPortCreated); c["gw-2"] != 2 || c["gw-1"] != 1 {
							return errorf("ports created %v: want gw-2's twice (the new container lost it) and gw-1's once", c)
						}
						if err := oncePerNode(u.cluster, gwsim.EventQuiesceRequested, "quiesce requests"); err != nil {
							return err
						}
						return nil
					}),
				),
			},
			{Config: u.config(target, ""), PlanOnly: true},
		},
	})
}

// TestAccQuiescePort_refusals: apigw_quiesce_port's attributes.
func TestAccQuiescePort_refusals(t *testing.T) {
	testAccPreCheck(t)
	cases := []struct {
		name, attrs, want string
	}{
		{"port 0", `node_url = "http://127.0.0.1:5555"
  port = 0`, `port value must be between 1 and 65535, got: 0`},
		{"port 65536", `node_url = "http://127.0.0.1:5555"
  port = 65536`, `port value must be between 1 and 65535, got: 65536`},
		{"node_url without scheme", `node_url = "gw-1:5555"
  port = 4444`, `node_url: "gw-1:5555" has no http:// or https:// scheme; it must be an absolute http or https URL with a host`},
		{"node_url without host", `node_url = "http://:5555"
  port = 4444`, `node_url: "http://:5555" has no host; it must be an absolute http or https URL with a host`},
		{"node_url with a query", `node_url = "http://gw-1:5555/?x=1"
  port = 4444`, `node_url: .* has a query or fragment`},
		{"node_url with credentials", `node_url = "https://admin:pw-in-url@gw-1:5555"
  port = 4444`, `node_url: "https://admin:xxxxx@gw-1:5555" contains user information; give credentials with the provider's username and password`},
		{"package not WmRoot or WmPublic", `node_url = "http://127.0.0.1:5555"
  port = 4444
  package = "WmART"`, `package value must be one of: \["WmRoot" "WmPublic"\], got: "WmART"`},
		{"empty alias", `node_url = "http://127.0.0.1:5555"
  port = 4444
  alias = ""`, `alias string length must be at least 1, got: 0`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			refusedAtPlan(t, providerConfig("")+"resource \"apigw_quiesce_port\" \"q\" {\n  "+tc.attrs+"\n}\n", wrapped(tc.want))
		})
	}
}

// TestAccQuiescePort_importRefusals: import IDs of apigw_quiesce_port.
func TestAccQuiescePort_importRefusals(t *testing.T) {
	testAccPreCheck(t)
	const want = `the import ID must be "<node_url>,<port>", e.g. "https://gw-1:5555,4444"`
	cases := []struct{ name, id, want string }{
		{"missing comma", "https://gw-1:5555", `"https://gw-1:5555" has no comma: ` + want},
		{"port not a number", "https://gw-1:5555,quiesce", `port "quiesce" is not a number from 1 to 65535: ` + want},
		{"port 0", "https://gw-1:5555,0", `port "0" is not a number from 1 to 65535`},
		{"port too high", "https://gw-1:5555,70000", `port "70000" is not a number from 1 to 65535`},
		{"empty port", "https://gw-1:5555,", `port "" is not a number from 1 to 65535`},
		{"URL without scheme", "gw-1:5555,4444", `node_url "gw-1:5555" has no http:// or https:// scheme: ` + want},
		{"URL without host", "https://:5555,4444", `node_url "https://:5555" has no host`},
		{"empty URL", ",4444", `node_url "" has no http:// or https:// scheme`},
		{"URL with credentials", "https://admin:pw-in-url@gw-1:5555,4444", `node_url "https://admin:xxxxx@gw-1:5555" contains user information`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6Providers,
				Steps: []resource.TestStep{{
					Config: providerConfig("") + `
resource "apigw_quiesce_port" "q" {
  node_url = "https://gw-1:5555"
  port     = 4444
}
`,
					ResourceName:  "apigw_quiesce_port.q",
					ImportState:   true,
					ImportStateId: tc.id,
					ExpectError:   wrapped(`Invalid import ID.*` + regexp.QuoteMeta(tc.want)),
				}},
			})
		})
	}
}

// FuzzParsePortID: parsePortID never panics; what it accepts is a valid
// node URL and port that portID turns back into an ID parsing to the same;
// what it refuses gets an error that shows the expected form.
func FuzzParsePortID(f *testing.F) {
	for _, seed := range []string{
		"https://gw-1:5555,4444", "http://127.0.0.1:5555,1", "https://gw-1:5555,65535",
		"https://gw-1:5555", "https://gw-1:5555,", ",4444", "https://gw-1:5555,0", "https://gw-1:5555,65536",
		"https://gw-1:5555,-1", "https://gw-1:5555,+4444", "https://gw-1:5555, 4444 ", " https://gw-1:5555 ,4444",
		"gw-1:5555,4444", "https://:5555,4444", "https://gw-1:5555/?q=1,4444", "https://a,b:5555,4444",
		"https://[::1]:5555,4444", "https://gw-1:5555,4444,5555", "https://gw-1:5555,0x1F", "https://gw-1:5555,99999999999999999999",
		"\x00,\xff", "https://gw-1:5555/path/,4444", "HTTPS://GW-1:5555,4444", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		node, port, err := parsePortID(id)
		if err != nil {
			if !strings.Contains(err.Error(), `the import ID must be "<node_url>,<port>"`) {
				t.Fatalf("parsePortID(%q) error %q does not show the expected form", id, err)
			}
			if node != "" || port != 0 {
				t.Fatalf("parsePortID(%q) failed but returned %q, %d", id, node, port)
			}
			return
		}
		if port < 1 || port > 65535 {
			t.Fatalf("parsePortID(%q) accepted port %d", id, port)
		}
		if err := rollout.CheckURL(node); err != nil {
			t.Fatalf("parsePortID(%q) accepted node_url %q: %v", id, node, err)
		}
		if _, err := quiesceURLOf(node, port); err != nil {
			t.Fatalf("parsePortID(%q) accepted node_url %q that has no quiesce URL: %v", id, node, err)
		}
		node2, port2, err := parsePortID(portID(node, port))
		if err != nil || node2 != node || port2 != port {
			t.Fatalf("round trip of %q: portID(%q, %d) parses to %q, %d, %v", id, node, port, node2, port2, err)
		}
	})
}
