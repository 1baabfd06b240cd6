package provider

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// TestAccRollingUpgrade_resumeQuiescedNode: the upgrade command fails and
// leaves gw-2 quiesced (its admin port closed). The next plan must not fail
// refreshing gw-2's quiesce port, and the apply finishes gw-2 first
// without quiescing it again.
func TestAccRollingUpgrade_resumeQuiescedNode(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	marker := u.failOnGw2("fix archive missing")
	accTest(t, []resource.TestStep{
		{Config: u.config("10.15.0.5", "")},
		{
			PreConfig:   func() { writeFile(t, marker, "") },
			Config:      u.config(target, ""),
			ExpectError: regexp.MustCompile(`(?s)node "gw-2".*fix archive missing`),
		},
		{
			PreConfig: func() {
				if s := u.cluster.Node("gw-2").State(); s != gwsim.StateQuiesced {
					t.Fatalf("gw-2 is %s after the failed command, want quiesced", s)
				}
				removeFile(t, marker)
			},
			Config: u.config(target, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(upgradeAddr, plancheck.ResourceActionUpdate),
			}},
			Check: allOnTarget(u.cluster, func() error {
				if q := countEvents(u.cluster, gwsim.EventQuiesceRequested); q["gw-2"] != 1 {
					return errorf("gw-2 quiesced %d times, want once", q["gw-2"])
				}
				return nil
			}),
		},
	})
}

// TestAccRollingUpgrade_finishesNodeLeftStarting: a node that already runs
// the target but is not ready (left starting) is still work: the plan shows
// an update and the apply waits for it and runs after_node_command for it.
// gw-2 stays starting for a number of health probes, not for a time, so
// it is still starting when the apply reads it however busy the machine
// is: the plan and the apply's refresh take a few probes, the rollout's
// ready wait the rest.
func TestAccRollingUpgrade_finishesNodeLeftStarting(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	log := t.TempDir() + "/after.log"
	extra := "after_node_command = " + hclList([]string{"sh", "-c", `echo "$APIGW_NODE_NAME" >> ` + log})
	accTest(t, []resource.TestStep{
		{Config: u.config(target, extra)},
		{
			PreConfig: func() {
				removeFile(t, log)
				gw2 := u.cluster.Node("gw-2")
				gw2.SetFaults(gwsim.Faults{SlowStartProbes: 20})
				if err := gw2.Restart(gwsim.RestartOptions{Version: toVersion}); err != nil {
					t.Fatal(err)
				}
			},
			Config: u.config(target, extra),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(upgradeAddr, plancheck.ResourceActionUpdate),
				pendingIs(),
			}},
			Check: checkSim(func() error {
				if s := u.cluster.Node("gw-2").State(); s != gwsim.StateReady {
					return errorf("gw-2 is %s after apply, want ready", s)
				}
				got := strings.Fields(readFile(t, log))
				if len(got) != 1 || got[0] != "gw-2" {
					return errorf("after_node_command ran for %v, want only gw-2", got)
				}
				return nil
			}),
		},
	})
}

// TestAccRollingUpgrade_nodeBackBetweenPlanAndApply: gw-3 is down when the
// plan is saved and back, on target, when it is applied. Terraform plans
// again during apply and refuses a final plan whose known values differ
// from the saved one, so an unreachable node counts with its last known
// version (as refresh does) rather than as pending: the saved plan applies,
// finishes gw-3 and leaves nothing to do.
func TestAccRollingUpgrade_nodeBackBetweenPlanAndApply(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	w := newTFWorkdir(t)
	w.setConfig(u.config(target, ""))
	w.mustRun(applyArgs...)
	gw3 := u.cluster.Node("gw-3")
	if err := gw3.Stop(); err != nil {
		t.Fatal(err)
	}
	out := w.mustRun("plan", "-input=false", "-no-color", "-out=tfplan")
	if !wrapped(regexp.QuoteMeta("It counts with its last known version, " + toVersion)).MatchString(out) {
		t.Fatalf("plan with gw-3 down: want the unreachable warning naming its last known version %s:\n%s", toVersion, out)
	}
	if err := gw3.Restart(gwsim.RestartOptions{Version: toVersion}); err != nil {
		t.Fatal(err)
	}
	w.mustRun("apply", "-input=false", "-no-color", "tfplan")
	if s := gw3.State(); s != gwsim.StateReady {
		t.Errorf("gw-3 is %s after the apply, want ready", s)
	}
	if out, code := w.run("plan", "-input=false", "-no-color", "-detailed-exitcode"); code != 0 {
		t.Fatalf("plan after the apply: exit %d, want an empty plan:\n%s", code, out)
	}
}

// TestAccRollingUpgrade_commandEnvironment: with the password in
// APIGW_PASSWORD and TF_LOG unset (so the provider turned its own log
// settings off), a command sees neither the password nor those settings,
// but does get its node's variables and command_env.
func TestAccRollingUpgrade_commandEnvironment(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 2})
	w := newTFWorkdir(t, "APIGW_USERNAME="+testUser, "APIGW_PASSWORD="+testPassword)
	seen := filepath.Join(t.TempDir(), "env")
	hook := hclList([]string{"sh", "-c", `echo "[$APIGW_PASSWORD][$TF_LOG_SDK_FRAMEWORK][$APIGW_NODE_NAME][$EXTRA]" >> ` + seen})
	cfg := u.config(target, "after_node_command = "+hook+"\n  command_env = { EXTRA = \"x\" }")
	w.setConfig(strings.Replace(cfg, providerConfig(""), "provider \"apigw\" {}\n", 1))
	w.mustRun(applyArgs...)
	got, err := os.ReadFile(seen)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[][][gw-1][x]\n[][][gw-2][x]\n"; string(got) != want {
		t.Errorf("the after_node_command saw %q, want %q", got, want)
	}
}

// TestAccRollingUpgrade_abandonedTargetIsForgotten: a rollout to target
// stops at gw-2 (its before_node_command fails; gw-2 is not touched). The
// operator then settles for "10.15", which every node already runs: the
// apply touches no node, and the refresh after it lists nothing as
// pending, not what was pending towards the abandoned target.
func TestAccRollingUpgrade_abandonedTargetIsForgotten(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	before := `before_node_command = ["sh", "-c", "[ \"$APIGW_NODE_NAME\" != gw-2 ]"]`
	accTest(t, []resource.TestStep{
		{Config: u.config("10.15.0.5", before)},
		{Config: u.config(target, before), ExpectError: wrapped(regexp.QuoteMeta(`node "gw-2": before_node_command failed`))},
		{
			Config: u.config("10.15", before),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				// Refreshed towards the stopped rollout's target.
				expectPrior{upgradeAddr, "pending_nodes", []any{"gw-2", "gw-3"}},
				pendingIs(),
			}},
		},
		{
			Config: u.config("10.15", before),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				expectPrior{upgradeAddr, "pending_nodes", []any{}},
				plancheck.ExpectEmptyPlan(),
			}},
		},
	})
}
