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

	"github.com/gwops/terraform-provider-apigw/internal/apigw"
	"github.com/gwops/terraform-provider-apigw/internal/gwsim"
)

func quiescePortConfig(nodeURL string, port int) string {
	return providerConfig("") + fmt.Sprintf(`
resource "apigw_quiesce_port" "q" {
  node_url = %q
  port     = %d
}
`, nodeURL, port)
}

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
