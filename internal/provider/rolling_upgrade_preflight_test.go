package provider

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
	"github.com/gwops/terraform-provider-apigw/internal/apigw"
)

// TestAccRollingUpgrade_preflightUnfitQuiescePort: gw-2's quiesce port is
// suspended (it refuses connections) and gw-3's is in access mode deny (it
// answers 403); the gateway would refuse quiesce mode for all on both.
// Pre-flight refuses gw-2 before it is touched, saying that its port is
// suspended; fixed, the next apply refuses gw-3, saying its access mode.
func TestAccRollingUpgrade_preflightUnfitQuiescePort(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	cfg := u.setUpQuiescePorts(target)
	client := testClient(t)
	ctx := context.Background()
	ref := func(name string) apigw.PortRef {
		return apigw.PortRef{ListenerKey: apigw.ListenerKey("HTTP", u.ports[name])}
	}
	if err := client.SetPortSuspended(ctx, u.cluster.Node("gw-2").URL(), ref("gw-2"), true); err != nil {
		t.Fatal(err)
	}
	if err := client.SetPortAccessMode(ctx, u.cluster.Node("gw-3").URL(), ref("gw-3").ListenerKey, "deny"); err != nil {
		t.Fatal(err)
	}
	untouched := func(names ...string) {
		q := countEvents(u.cluster, gwsim.EventQuiesceRequested)
		for _, n := range names {
			if q[n] != 0 || u.cluster.Node(n).Version() != fromVersion {
				t.Fatalf("%s was touched: %d quiesce requests, version %s", n, q[n], u.cluster.Node(n).Version())
			}
		}
	}
	accTest(t, []resource.TestStep{{
		Config: cfg,
		ExpectError: wrapped(`node "gw-2": pre-flight failed: its quiesce port ` + strconv.Itoa(u.ports["gw-2"]) + ` is suspended .*` +
			`not suspended and in access mode allow.*Nothing was changed on this node.*apigw_quiesce_port`),
	}, {
		PreConfig: func() {
			untouched("gw-2", "gw-3")
			if err := client.SetPortSuspended(ctx, u.cluster.Node("gw-2").URL(), ref("gw-2"), false); err != nil {
				t.Fatal(err)
			}
		},
		Config: cfg,
		ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			pendingIs("gw-2", "gw-3"),
		}},
		ExpectError: wrapped(`node "gw-3": pre-flight failed: its quiesce port ` + strconv.Itoa(u.ports["gw-3"]) + ` is in access mode "deny" .*health 403`),
	}, {
		PreConfig: func() {
			untouched("gw-3")
			if err := client.SetPortAccessMode(ctx, u.cluster.Node("gw-3").URL(), ref("gw-3").ListenerKey, "allow"); err != nil {
				t.Fatal(err)
			}
		},
		Config: cfg,
		Check:  allOnTarget(u.cluster),
	}})
}

// TestAccRollingUpgrade_quiescePortRepairedFirst: a quiesce port suspended
// behind Terraform's back shows in the plan as an update of its
// apigw_quiesce_port, which apply makes before the upgrade that depends on
// it: the rollout then goes through.
func TestAccRollingUpgrade_quiescePortRepairedFirst(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 2})
	accTest(t, []resource.TestStep{
		{Config: u.config("10.15.0.5", "")}, // the ports; every node is on that version already
		{
			PreConfig: func() {
				gw2 := u.cluster.Node("gw-2")
				ref := apigw.PortRef{ListenerKey: apigw.ListenerKey("HTTP", u.ports["gw-2"])}
				if err := testClient(t).SetPortSuspended(context.Background(), gw2.URL(), ref, true); err != nil {
					t.Fatal(err)
				}
			},
			Config: u.config(target, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("apigw_quiesce_port.gw_2", plancheck.ResourceActionUpdate),
				plancheck.ExpectResourceAction("apigw_quiesce_port.gw_1", plancheck.ResourceActionNoop),
				pendingIs("gw-1", "gw-2"),
			}},
			Check: allOnTarget(u.cluster),
		},
	})
}

// TestAccRollingUpgrade_quiesceURLNotQuiescePort: gw-2's quiesce_url points
// at a live port that is not the node's quiesce port (a copy-paste slip).
// Its health answers 200, so only the node's quiesce-port setting shows the
// mistake. Pre-flight refuses before gw-2 is touched (no
// before_node_command, no quiesce), with the fix in the message; gw-1 stays
// upgraded and gw-3 untouched.
func TestAccRollingUpgrade_quiesceURLNotQuiescePort(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	gw2 := u.cluster.Node("gw-2")
	client := testClient(t)
	ctx := context.Background()
	other := gw2.ReservePort()
	if _, err := client.CreatePort(ctx, gw2.URL(), apigw.NewPort{Port: other, Alias: "Diagnostics", Pkg: "WmRoot", Protocol: "HTTP"}); err != nil {
		t.Fatal(err)
	}
	if err := client.EnablePort(ctx, gw2.URL(), apigw.PortRef{ListenerKey: apigw.ListenerKey("HTTP", other), Pkg: "WmRoot"}); err != nil {
		t.Fatal(err)
	}
	otherURL := fmt.Sprintf("http://127.0.0.1:%d", other)
	hooks := t.TempDir() + "/hooks.log"
	cfg := regexp.MustCompile(`quiesce_url = apigw_quiesce_port\.gw_2\.quiesce_url`).
		ReplaceAllLiteralString(u.config(target, "before_node_command = "+hookMarker(hooks, "before")), "quiesce_url = "+strconv.Quote(otherURL))
	accTest(t, []resource.TestStep{{
		Config:      cfg,
		ExpectError: wrapped(`node "gw-2".*pre-flight.*` + regexp.QuoteMeta(otherURL) + `.*the node's quiesce port is \d+.*Nothing was changed on this node.*apigw_quiesce_port's quiesce_url`),
	}, {
		PreConfig: func() {
			if got := strings.Join(readLines(t, hooks), ","); got != "before_gw-1" {
				t.Fatalf("before_node_command ran for %q, want gw-1 only", got)
			}
			q := countEvents(u.cluster, gwsim.EventQuiesceRequested)
			if q["gw-1"] != 1 || q["gw-2"] != 0 || q["gw-3"] != 0 {
				t.Fatalf("quiesce requests %v: want gw-1 only", q)
			}
			if v := nodeVersions(u.cluster); v["gw-2"] != fromVersion || gw2.State() != gwsim.StateReady {
				t.Fatalf("gw-2 is %s on %s, want untouched", gw2.State(), v["gw-2"])
			}
		},
		Config: cfg,
		ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			expectPrior{upgradeAddr, "target_version", nil},
			pendingIs("gw-2", "gw-3"),
		}},
		ExpectError: regexp.MustCompile(`(?s)node "gw-2".*pre-flight`),
	}})
}

// setUpQuiescePorts does behind Terraform's back what apigw_quiesce_port
// does (create, enable, set as quiesce port) on every node, and returns
// the configuration of an upgrade resource that names the quiesce URLs
// literally, so that no Terraform resource repairs the ports.
func (u *upgradeTest) setUpQuiescePorts(targetVersion string) string {
	u.t.Helper()
	client := testClient(u.t)
	ctx := context.Background()
	for _, n := range u.cluster.Nodes() {
		port := u.ports[n.Name()]
		if _, err := client.CreatePort(ctx, n.URL(), apigw.NewPort{Port: port, Alias: "QuiescePort"}); err != nil {
			u.t.Fatal(err)
		}
		if err := client.EnablePort(ctx, n.URL(), apigw.PortRef{ListenerKey: apigw.ListenerKey("HTTP", port)}); err != nil {
			u.t.Fatal(err)
		}
		if err := client.SetQuiescePort(ctx, n.URL(), "QuiescePort"); err != nil {
			u.t.Fatal(err)
		}
	}
	nodes := u.nodes(func(n *gwsim.Node) tfharness.Node { return tfharness.Node{URL: n.URL(), QuiesceURL: n.QuiesceURL()} })
	return providerConfig(u.provider) + u.upgradeResource(targetVersion, nodes, "")
}
