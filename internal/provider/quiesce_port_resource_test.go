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

const portAddr = "apigw_quiesce_port.q"

// portTest is the opening of the apigw_quiesce_port tests: one simulated
// node, a port number reserved on it, the configuration of
// apigw_quiesce_port.q for that port, and a client that changes the node
// behind Terraform's back.
type portTest struct {
	t          *testing.T
	node       *gwsim.Node
	port       int
	ref        apigw.PortRef // the port, in package WmRoot
	quiesceURL string        // what quiesce_url must be
	config     string
	client     *apigw.Client
}

func newPortTest(t *testing.T, opts gwsim.Options) *portTest {
	t.Helper()
	node := startNode(t, opts)
	port := node.ReservePort()
	return &portTest{
		t: t, node: node, port: port,
		ref:        apigw.PortRef{ListenerKey: apigw.ListenerKey("HTTP", port), Pkg: "WmRoot"},
		quiesceURL: "http://127.0.0.1:" + strconv.Itoa(port),
		config:     quiescePortConfig(node.URL(), port),
		client:     testClient(t),
	}
}

// behind fails the test when a change made behind Terraform's back (what)
// failed.
func (p *portTest) behind(what string, err error) {
	p.t.Helper()
	if err != nil {
		p.t.Fatalf("%s behind Terraform's back: %v", what, err)
	}
}

// create puts the port on the node with alias before Terraform does.
func (p *portTest) create(alias string) {
	p.t.Helper()
	_, err := p.client.CreatePort(p.t.Context(), p.node.URL(), apigw.NewPort{Port: p.port, Alias: alias, Pkg: "WmRoot"})
	p.behind("create the port", err)
}

// repairStep changes the node behind Terraform's back (change); the plan
// must show action on apigw_quiesce_port.q with quiesce_url known, and the
// apply must leave the quiesce port live and pass checks.
func (p *portTest) repairStep(change func(), action plancheck.ResourceActionType, checks ...resource.TestCheckFunc) resource.TestStep {
	return resource.TestStep{
		PreConfig: change,
		Config:    p.config,
		ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			plancheck.ExpectResourceAction(portAddr, action),
			plancheck.ExpectKnownValue(portAddr, tfjsonpath.New("quiesce_url"), knownvalue.StringExact(p.quiesceURL)),
		}},
		Check: resource.ComposeAggregateTestCheckFunc(append(checks, p.live())...),
	}
}

// TestAccQuiescePort_lifecycle: create → empty plan → import → drift
// (disabled, deleted, quiesce port pointed elsewhere) each planned and
// repaired → destroy removes the port from the node.
func TestAccQuiescePort_lifecycle(t *testing.T) {
	p := newPortTest(t, gwsim.Options{})
	ctx, url, id := t.Context(), p.node.URL(), p.node.URL()+","+strconv.Itoa(p.port)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		CheckDestroy:             p.gone(),
		Steps: []resource.TestStep{
			{
				Config: p.config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(portAddr, "listener_key", p.ref.ListenerKey),
					resource.TestCheckResourceAttr(portAddr, "quiesce_url", p.quiesceURL),
					resource.TestCheckResourceAttr(portAddr, "alias", "QuiescePort"),
					resource.TestCheckResourceAttr(portAddr, "package", "WmRoot"),
					resource.TestCheckResourceAttr(portAddr, "enabled", "true"),
					resource.TestCheckResourceAttr(portAddr, "id", id),
					p.live(),
				),
			},
			{ResourceName: portAddr, ImportState: true, ImportStateId: id, ImportStateVerify: true},
			p.repairStep(func() { p.behind("disable", p.client.DisablePort(ctx, url, p.ref)) }, plancheck.ResourceActionUpdate),
			p.repairStep(func() {
				_ = p.client.DisablePort(ctx, url, p.ref)
				p.behind("delete", p.client.DeletePort(ctx, url, p.ref))
			}, plancheck.ResourceActionCreate),
			p.repairStep(func() {
				other := p.node.ReservePort()
				_, err := p.client.CreatePort(ctx, url, apigw.NewPort{Port: other, Alias: "Elsewhere", Pkg: "WmRoot"})
				p.behind("create other port", err)
				p.behind("enable other port", p.client.EnablePort(ctx, url, apigw.PortRef{ListenerKey: apigw.ListenerKey("HTTP", other), Pkg: "WmRoot"}))
				p.behind("point quiesce port elsewhere", p.client.SetQuiescePort(ctx, url, "Elsewhere"))
			}, plancheck.ResourceActionUpdate),
			{Config: p.config, PlanOnly: true}, // repaired: nothing left to do
		},
	})
}

// gone asserts on the node itself that the port was deleted.
func (p *portTest) gone() resource.TestCheckFunc {
	return func(*terraform.State) error {
		if _, err := p.client.GetPort(context.Background(), p.node.URL(), p.ref.ListenerKey); !apigw.IsNotFound(err) {
			return fmt.Errorf("port %s still on the node after destroy (err=%v)", p.ref.ListenerKey, err)
		}
		return nil
	}
}

// live asserts on the node itself, not on state: the alias is the node's
// quiesce port and the port answers health.
func (p *portTest) live() resource.TestCheckFunc {
	return func(*terraform.State) error {
		ctx := context.Background()
		qp, err := p.client.GetQuiescePort(ctx, p.node.URL())
		if err != nil {
			return err
		}
		if qp.PortAlias != defaultPortAlias {
			return fmt.Errorf("node's quiesce port alias = %q, want %q", qp.PortAlias, defaultPortAlias)
		}
		status, err := p.client.Health(ctx, p.quiesceURL)
		if err != nil || status != 200 {
			return fmt.Errorf("quiesce port %s health = %d, %v; want 200", p.quiesceURL, status, err)
		}
		return nil
	}
}

// TestAccQuiescePort_adoptsExisting: a port with the same number, alias and
// package is adopted, not refused.
func TestAccQuiescePort_adoptsExisting(t *testing.T) {
	p := newPortTest(t, gwsim.Options{})
	p.create("QuiescePort")
	accTest(t, []resource.TestStep{{
		Config: p.config,
		Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr(portAddr, "enabled", "true"),
			p.live(),
		),
	}})
}

// TestAccQuiescePort_clash: the same port number with another alias is an
// error that says how to import.
func TestAccQuiescePort_clash(t *testing.T) {
	p := newPortTest(t, gwsim.Options{})
	p.create("SomeoneElses")
	accTest(t, []resource.TestStep{{
		Config:      p.config,
		ExpectError: regexp.MustCompile(`(?s)already exists.*"SomeoneElses".*terraform import`),
	}})
}

// TestAccQuiescePort_wrongCredentials: a 401 says which settings to check.
func TestAccQuiescePort_wrongCredentials(t *testing.T) {
	p := newPortTest(t, gwsim.Options{Username: "Administrator", Password: "another"})
	accTest(t, []resource.TestStep{{
		Config:      p.config,
		ExpectError: regexp.MustCompile(`(?s)401.*(username|password)`),
	}})
}

// TestAccQuiescePort_unreachable: a node that refuses connections is a clear
// error naming the URL.
func TestAccQuiescePort_unreachable(t *testing.T) {
	node := startNode(t, gwsim.Options{})
	url := node.URL()
	if err := node.Stop(); err != nil {
		t.Fatal(err)
	}
	accTest(t, []resource.TestStep{{
		Config:      quiescePortConfig(url, 4444),
		ExpectError: regexp.MustCompile(`(?s)` + regexp.QuoteMeta(url) + `.*refused`),
	}})
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
	p := newPortTest(t, gwsim.Options{})
	ctx, node := t.Context(), p.node
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		CheckDestroy:             p.gone(),
		Steps: []resource.TestStep{
			{Config: p.config},
			{
				PreConfig: func() {
					_, err := p.client.SetQuiesceMode(ctx, node.URL(), apigw.QuiesceMode{Block: "all", Enable: true})
					p.behind("quiesce", err)
					deadline := time.Now().Add(10 * time.Second)
					for node.State() != gwsim.StateQuiesced {
						if time.Now().After(deadline) {
							t.Fatalf("node still %s after 10s", node.State())
						}
						time.Sleep(20 * time.Millisecond)
					}
				},
				Config:  p.config,
				Destroy: true,
				ExpectError: wrapped(`quiesced node.*` + regexp.QuoteMeta(node.URL()) + ` is in quiesce mode: its primary port refuses connections while its quiesce port ` +
					regexp.QuoteMeta(p.quiesceURL) + ` still answers .*restart the node, then run terraform destroy again`),
			},
			{
				PreConfig: func() {
					if _, err := p.client.GetPort(ctx, node.URL(), p.ref.ListenerKey); !apigw.IsConnectionRefused(err) {
						t.Fatalf("the quiesced node's primary port answered: %v", err)
					}
					if err := node.Restart(gwsim.RestartOptions{}); err != nil {
						t.Fatal(err)
					}
				},
				Config: p.config,
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
	p := newPortTest(t, gwsim.Options{})
	ctx, url := t.Context(), p.node.URL()
	suspend := func() { p.behind("suspend", p.client.SetPortSuspended(ctx, url, p.ref, true)) }
	deny := func() { p.behind("access mode deny", p.client.SetPortAccessMode(ctx, url, p.ref.ListenerKey, "deny")) }
	p.create("QuiescePort")
	suspend()
	deny()
	fit := resource.ComposeAggregateTestCheckFunc(
		resource.TestCheckResourceAttr(portAddr, "quiesce_url", p.quiesceURL),
		func(*terraform.State) error {
			port, err := p.client.GetPort(ctx, url, p.ref.ListenerKey)
			if err != nil {
				return err
			}
			if port.Suspended || port.AccessMode != "allow" {
				return fmt.Errorf("port suspended=%v access mode %q; want not suspended, allow", port.Suspended, port.AccessMode)
			}
			return nil
		})
	accTest(t, []resource.TestStep{
		{Config: p.config, Check: resource.ComposeAggregateTestCheckFunc(fit, p.live())},
		p.repairStep(suspend, plancheck.ResourceActionUpdate, fit),
		p.repairStep(deny, plancheck.ResourceActionUpdate, fit),
		{Config: p.config, PlanOnly: true},
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
	accTest(t, []resource.TestStep{
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
			Check: allOnTarget(u.cluster, func() error {
				if c := countEvents(u.cluster, gwsim.EventPortCreated); c["gw-2"] != 2 || c["gw-1"] != 1 {
					return errorf("ports created %v: want gw-2's twice (the new container lost it) and gw-1's once", c)
				}
				return nil
			}, quiescedOnce(u.cluster)),
		},
		{Config: u.config(target, ""), PlanOnly: true},
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
			accTest(t, []resource.TestStep{{
				Config: providerConfig("") + `
resource "apigw_quiesce_port" "q" {
  node_url = "https://gw-1:5555"
  port     = 4444
}
`,
				ResourceName:  portAddr,
				ImportState:   true,
				ImportStateId: tc.id,
				ExpectError:   wrapped(`Invalid import ID.*` + regexp.QuoteMeta(tc.want)),
			}})
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
