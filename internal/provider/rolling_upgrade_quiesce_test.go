package provider

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/internal/apigw"
)

// The quiesce request: a node already quiescing answers 409, and a node that
// refuses it (500, or status failure in a 200) was not touched.

// TestAccRollingUpgrade_quiesceConflict: gw-1 is already quiescing (an
// operator started it) when the apply reaches it. The gateway answers the
// provider's quiesce request with 409; the provider takes that as started,
// waits for the drain and upgrades gw-1 without quiescing it again.
func TestAccRollingUpgrade_quiesceConflict(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 2})
	gw1 := u.cluster.Node("gw-1")
	proxy := newRecorder(t, gw1.URL())
	urls := map[string]string{"gw-1": proxy.URL()}
	// The operator's quiesce must still be running when the provider asks:
	// it does not end until the gateway has answered the provider's request.
	proxy.onAnswer = func(c adminCall, _ bool) {
		if c.method == http.MethodPut && c.path == "/rest/apigateway/quiescemode" && c.status == http.StatusConflict {
			gw1.SetFaults(gwsim.Faults{})
		}
	}
	accTest(t, []resource.TestStep{
		{Config: u.proxiedConfig("10.15.0.5", "", urls)},
		{
			PreConfig: func() {
				gw1.SetFaults(gwsim.Faults{DrainNeverEnds: true})
				if _, err := testClient(t).SetQuiesceMode(context.Background(), gw1.URL(), apigw.QuiesceMode{Block: "all", Enable: true}); err != nil {
					t.Fatalf("operator's quiesce: %v", err)
				}
			},
			Config: u.proxiedConfig(target, "", urls),
			Check: resource.ComposeAggregateTestCheckFunc(
				allOnTarget(u.cluster),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.0.outcome", "upgraded"),
				checkSim(func() error {
					var puts []string
					for _, c := range proxy.Calls() {
						if c.method == http.MethodPut && c.path == "/rest/apigateway/quiescemode" {
							puts = append(puts, strconv.Itoa(c.status))
						}
					}
					if strings.Join(puts, ",") != "409" {
						return errorf("the provider's quiesce requests to gw-1 were answered %v, want exactly one 409", puts)
					}
					if q := countEvents(u.cluster, gwsim.EventQuiesceRequested); q["gw-1"] != 1 || q["gw-2"] != 1 {
						return errorf("quiesce requests %v: want gw-1 once (the operator's) and gw-2 once", q)
					}
					return nil
				}),
			),
		},
	})
}

// TestAccRollingUpgrade_quiesceRefused: gw-2 refuses the quiesce request,
// with a 500 or with status failure inside a 200 (the quiescemode model
// allows both). The gateway did nothing, so the provider must not treat gw-2
// as taken down nor wait for it to drain: no rollback_command (there is
// nothing to roll back), gw-2 keeps serving its old version, gw-3 is not
// touched, and the error names gw-2, the step, the gateway's reason and what
// to check. drain_timeout is short so that a provider that waits for a drain
// fails with the wrong error instead of hanging.
func TestAccRollingUpgrade_quiesceRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults gwsim.Faults
		want   string
	}{
		{"500", gwsim.Faults{QuiesceRefused: true}, `HTTP 500`},
		{"status failure in a 200", gwsim.Faults{QuiesceFailure: true}, `HTTP 200 with status failure: Failed to enable quiesce mode for all`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
			gw2 := u.cluster.Node("gw-2")
			hooks := t.TempDir() + "/hooks.log"
			extra := "rollback_command = " + hookMarker(hooks, "rollback") + "\n  drain_timeout = \"20s\""
			accTest(t, []resource.TestStep{
				{Config: u.config("10.15.0.5", extra)},
				{
					PreConfig:   func() { gw2.SetFaults(tc.faults) },
					Config:      u.config(target, extra),
					ExpectError: wrapped(`node "gw-2": quiesce failed.*` + tc.want + `.*the node was not touched and still serves its old version.*quiesce port.*re-run terraform apply`),
				},
				{
					PreConfig: func() {
						if lines := readLines(t, hooks); len(lines) != 0 {
							t.Fatalf("rollback_command ran for a node the gateway never quiesced: %v", lines)
						}
						if gw2.State() != gwsim.StateReady || gw2.Version() != fromVersion {
							t.Fatalf("gw-2 is %s on %s, want ready on %s", gw2.State(), gw2.Version(), fromVersion)
						}
						if ev := countEvents(u.cluster, gwsim.EventShutdownRequested); ev["gw-2"] != 0 || ev["gw-3"] != 0 {
							t.Fatalf("restarts %v: gw-2 and gw-3 must not have been restarted", ev)
						}
						gw2.SetFaults(gwsim.Faults{})
					},
					Config: u.config(target, extra),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						expectPrior{upgradeAddr, "target_version", "10.15.0.5"},
						expectPriorOutcomes{upgradeAddr, []string{"gw-1=upgraded", "gw-2=failed"}},
						pendingIs("gw-2", "gw-3"),
					}},
					Check: allOnTarget(u.cluster),
				},
			})
		})
	}
}
