package provider

import (
	"context"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/gwops/terraform-provider-apigw/internal/apigw"
	"github.com/gwops/terraform-provider-apigw/internal/gwsim"
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
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{{
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
		}},
	})
}

// TestAccRollingUpgrade_quiescePortRepairedFirst: a quiesce port suspended
// behind Terraform's back shows in the plan as an update of its
// apigw_quiesce_port, which apply makes before the upgrade that depends on
// it: the rollout then goes through.
func TestAccRollingUpgrade_quiescePortRepairedFirst(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 2})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{
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
		},
	})
}
