package provider

import (
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// TestAccRollingUpgrade_happyPath: three nodes reach the target one at a
// time, last_rollout is filled, and the next plan is empty.
func TestAccRollingUpgrade_happyPath(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	accTest(t, []resource.TestStep{
		{
			Config: u.config(target, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				pendingIs("gw-1", "gw-2", "gw-3"),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				allOnTarget(u.cluster, quiescedOnce(u.cluster), func() error {
					if m := u.cluster.MaxOutOfService(); m != 1 {
						return errorf("max nodes out of service = %d, want 1", m)
					}
					return nil
				}),
				resource.TestCheckResourceAttr(upgradeAddr, "node_versions.gw-2", toVersion),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.#", "3"),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.0.node", "gw-1"),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.0.from_version", fromVersion),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.0.to_version", toVersion),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.2.outcome", "upgraded"),
				resource.TestCheckResourceAttrSet(upgradeAddr, "last_rollout.1.started_at"),
				resource.TestCheckResourceAttrSet(upgradeAddr, "last_rollout.1.drain_seconds"),
			),
		},
		{Config: u.config(target, ""), PlanOnly: true}, // nothing left to do
	})
}

// TestAccRollingUpgrade_planShowsChange: a new target shows as
// target_version old → new with the nodes to upgrade in pending_nodes.
func TestAccRollingUpgrade_planShowsChange(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	accTest(t, []resource.TestStep{
		{
			Config: u.config("10.15.0.5", ""),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.0.outcome", "skipped"),
				resource.TestCheckResourceAttr(upgradeAddr, "pending_nodes.#", "0"),
				checkSim(func() error {
					if got := countEvents(u.cluster, gwsim.EventQuiesceRequested); len(got) != 0 {
						return errorf("nodes on target were quiesced: %v", got)
					}
					return nil
				}),
			),
		},
		{
			Config: u.config(target, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(upgradeAddr, plancheck.ResourceActionUpdate),
				expectPrior{upgradeAddr, "target_version", "10.15.0.5"},
				plancheck.ExpectKnownValue(upgradeAddr, tfjsonpath.New("target_version"), knownvalue.StringExact(target)),
				pendingIs("gw-1", "gw-2", "gw-3"),
				plancheck.ExpectUnknownValue(upgradeAddr, tfjsonpath.New("node_versions")),
			}},
			Check: allOnTarget(u.cluster),
		},
	})
}

// TestAccRollingUpgrade_drainTimeout: the second node never drains; the
// first stays upgraded, the third is untouched, the error names node and
// step, state keeps the old target; the next apply resumes without
// quiescing the first node again.
func TestAccRollingUpgrade_drainTimeout(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	gw2 := u.cluster.Node("gw-2")
	accTest(t, []resource.TestStep{
		{Config: u.config("10.15.0.5", `drain_timeout = "1s"`)},
		{
			PreConfig:   func() { gw2.SetFaults(gwsim.Faults{DrainNeverEnds: true}) },
			Config:      u.config(target, `drain_timeout = "1s"`),
			ExpectError: wrapped(regexp.QuoteMeta(`node "gw-2": drain failed: the node still answers`)),
		},
		{
			PreConfig: func() {
				v := nodeVersions(u.cluster)
				if v["gw-1"] != toVersion || v["gw-3"] != fromVersion {
					t.Fatalf("after the failure: versions %v, want gw-1 upgraded and gw-3 untouched", v)
				}
				if q := countEvents(u.cluster, gwsim.EventQuiesceRequested); q["gw-3"] != 0 {
					t.Fatalf("gw-3 was quiesced after gw-2 failed: %v", q)
				}
				// The operator restarts the stuck node, as the tutorial's rollback says.
				gw2.SetFaults(gwsim.Faults{})
				if err := gw2.Restart(gwsim.RestartOptions{Version: fromVersion}); err != nil {
					t.Fatal(err)
				}
			},
			Config: u.config(target, `drain_timeout = "1s"`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				expectPrior{upgradeAddr, "target_version", "10.15.0.5"},
				// The refreshed state lists what is pending towards the
				// target the stopped rollout was rolling to.
				expectPrior{upgradeAddr, "pending_nodes", []any{"gw-2", "gw-3"}},
				expectPriorOutcomes{upgradeAddr, []string{"gw-1=upgraded", "gw-2=failed"}},
				pendingIs("gw-2", "gw-3"),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				allOnTarget(u.cluster),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.0.node", "gw-1"),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.0.outcome", "skipped"),
				checkSim(func() error {
					if q := countEvents(u.cluster, gwsim.EventQuiesceRequested); q["gw-1"] != 1 {
						return errorf("gw-1 quiesced %d times, want once: resume must skip finished nodes", q["gw-1"])
					}
					return nil
				}),
			),
		},
	})
}

// TestAccRollingUpgrade_commandFailureRollsBack: the upgrade command fails on
// gw-2; the error carries its output, rollback_command brings gw-2 back
// ready on its old version, and a later apply finishes.
func TestAccRollingUpgrade_commandFailureRollsBack(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	marker := u.failOnGw2("no space left on device while unpacking the fix")
	writeFile(t, marker, "")
	cfg := u.config(target, "rollback_command = "+hclList(u.restartCommand(fromVersion)))
	accTest(t, []resource.TestStep{
		{
			Config:      cfg,
			ExpectError: regexp.MustCompile(`(?s)node "gw-2".*no space left on device`),
		},
		{
			PreConfig: func() {
				gw2 := u.cluster.Node("gw-2")
				if gw2.Version() != fromVersion || gw2.State() != gwsim.StateReady {
					t.Fatalf("after rollback gw-2 is %s on %s, want ready on %s", gw2.State(), gw2.Version(), fromVersion)
				}
				removeFile(t, marker)
			},
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				expectPriorOutcomes{upgradeAddr, []string{"gw-1=upgraded", "gw-2=rolled_back"}},
			}},
			Check: allOnTarget(u.cluster),
		},
	})
}

// TestAccRollingUpgrade_wrongVersion: a node that comes back on another
// version fails the rollout with the version it reports.
func TestAccRollingUpgrade_wrongVersion(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	u.cluster.Node("gw-2").SetFaults(gwsim.Faults{WrongVersion: "10.15.0.6.999"})
	accTest(t, []resource.TestStep{{
		Config:      u.config(target, `ready_timeout = "2s"`),
		ExpectError: regexp.MustCompile(`(?s)node "gw-2".*10\.15\.0\.6\.999`),
	}})
}

// TestAccRollingUpgrade_drift: a node set back behind Terraform's back shows
// in the next plan and the apply upgrades just that node.
func TestAccRollingUpgrade_drift(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	accTest(t, []resource.TestStep{
		{Config: u.config(target, "")},
		{
			PreConfig: func() {
				if err := u.cluster.Node("gw-2").Restart(gwsim.RestartOptions{Version: fromVersion}); err != nil {
					t.Fatal(err)
				}
				waitReady(t, u.cluster.Node("gw-2"))
			},
			Config: u.config(target, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(upgradeAddr, plancheck.ResourceActionUpdate),
				pendingIs("gw-2"),
				plancheck.ExpectUnknownValue(upgradeAddr, tfjsonpath.New("node_versions")),
			}},
			Check: allOnTarget(u.cluster, func() error {
				q := countEvents(u.cluster, gwsim.EventQuiesceRequested)
				if q["gw-1"] != 1 || q["gw-2"] != 2 || q["gw-3"] != 1 {
					return errorf("quiesce requests %v, want gw-2 twice and the others once", q)
				}
				return nil
			}),
		},
	})
}

// TestAccRollingUpgrade_maxUnavailable: with max_unavailable = 2 on four
// nodes the simulator never sees more than two out of service, and does see
// two at once; yet the quiesce requests go out one at a time (gw-1 answers
// admin calls slowly, so a second node's request sent before gw-1's answer
// would overlap it, and the simulator refuses and counts overlaps).
func TestAccRollingUpgrade_maxUnavailable(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 4, DrainTime: 400 * time.Millisecond, RestartTime: 400 * time.Millisecond, SerialQuiesce: true})
	u.cluster.Node("gw-1").SetFaults(gwsim.Faults{AdminDelay: 700 * time.Millisecond})
	accTest(t, []resource.TestStep{{
		Config: u.config(target, "max_unavailable = 2"),
		Check: allOnTarget(u.cluster, func() error {
			if m := u.cluster.MaxOutOfService(); m != 2 {
				return errorf("max nodes out of service = %d, want 2", m)
			}
			if o := u.cluster.QuiesceOverlaps(); o != 0 {
				return errorf("%d quiesce requests arrived while another node's was being answered, want none", o)
			}
			return nil
		}),
	}})
}
