package provider

import (
	"os"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// A cluster whose serverinfo version does not show the fix level, like the
// vendor's one real sample: 10.5 Fix 9 and Fix 11 both read 10.5.0.0.5015.
const (
	hiddenFrom       = "10.5.0.9.5015"
	hiddenServerInfo = "10.5.0.0.5015"
	hiddenTarget     = "10.5.0.11"
	hiddenTo         = "10.5.0.11.5015"
)

// versionCommand prints a node's installed version through the simulator's
// control API: a real process, as a script reading the installation over
// ssh would be.
func (u *upgradeTest) versionCommand() string {
	return "version_command = " + hclList([]string{u.gwsim, "version", "-control", u.cluster.ControlURL()})
}

// TestAccRollingUpgrade_versionCommand: serverinfo reads 10.5.0.0.5015 on
// every node. Without version_command the plan refuses them as below 10.5
// Fix 9 and names version_command as the way out; with it the cluster rolls
// to Fix 11, and node_versions and last_rollout show what the command
// prints.
func TestAccRollingUpgrade_versionCommand(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3, Version: hiddenFrom, Variants: gwsim.Variants{VersionWithoutFix: true}})
	u.installs = hiddenTo
	accTest(t, []resource.TestStep{
		{
			Config:      u.config(hiddenTarget, ""),
			PlanOnly:    true,
			ExpectError: wrapped(`node "gw-1" reports version "` + regexp.QuoteMeta(hiddenServerInfo) + `": below 10\.5\.0\.9 .*X\.Y\.0\.0\.<build>.*set version_command`),
		},
		{
			Config: u.config(hiddenTarget, u.versionCommand()),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				pendingIs("gw-1", "gw-2", "gw-3"),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(upgradeAddr, "node_versions.gw-1", hiddenTo),
				resource.TestCheckResourceAttr(upgradeAddr, "node_versions.gw-3", hiddenTo),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.#", "3"),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.0.from_version", hiddenFrom),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.2.to_version", hiddenTo),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.2.outcome", "upgraded"),
				checkSim(func() error {
					for _, n := range u.cluster.Nodes() {
						if n.Version() != hiddenTo || n.ServerInfoVersion() != hiddenServerInfo {
							return errorf("%s installed %s, serverinfo %s", n.Name(), n.Version(), n.ServerInfoVersion())
						}
					}
					return nil
				}),
			),
		},
		{Config: u.config(hiddenTarget, u.versionCommand()), PlanOnly: true}, // nothing left to do
	})
}

// TestAccRollingUpgrade_healthyOnAnotherVersion: serverinfo does not show
// the fix level and version_command is not set. gw-1 is upgraded fine but
// comes back reporting 10.15.0.0.77: the apply stops there, long before
// ready_timeout, without rollback_command, naming both versions and
// version_command; gw-2 and gw-3 are untouched and state shows what gw-1
// reports. With version_command added, the next apply skips gw-1 and
// finishes the others.
func TestAccRollingUpgrade_healthyOnAnotherVersion(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3, Variants: gwsim.Variants{VersionWithoutFix: true}})
	rolledBack := t.TempDir() + "/rolled-back"
	extra := `ready_timeout = "2m"
  rollback_command = ` + hclList([]string{"sh", "-c", `echo "$APIGW_NODE_NAME" >> ` + rolledBack})
	accTest(t, []resource.TestStep{
		{
			Config: u.config(target, extra),
			ExpectError: wrapped(`node "gw-1": ready failed: the node came back healthy .* reports version 10\.15\.0\.0\.77, not target_version ` +
				regexp.QuoteMeta(target) + `.*not rolled back.*set version_command`),
		},
		{
			PreConfig: func() {
				if _, err := os.Stat(rolledBack); err == nil {
					t.Fatalf("rollback_command ran for %s", readFile(t, rolledBack))
				}
				gw1 := u.cluster.Node("gw-1")
				if gw1.Version() != toVersion || gw1.State() != gwsim.StateReady {
					t.Fatalf("gw-1 is %s on %s, want ready on %s", gw1.State(), gw1.Version(), toVersion)
				}
				for _, n := range []string{"gw-2", "gw-3"} {
					if q := countEvents(u.cluster, gwsim.EventQuiesceRequested)[n]; q != 0 || u.cluster.Node(n).Version() != fromVersion {
						t.Fatalf("%s was touched: %d quiesce requests, version %s", n, q, u.cluster.Node(n).Version())
					}
				}
			},
			Config: u.config(target, extra+"\n  "+u.versionCommand()),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				expectPrior{upgradeAddr, "node_versions", map[string]any{"gw-1": "10.15.0.0.77", "gw-2": "10.15.0.0.120", "gw-3": "10.15.0.0.120"}},
				expectPriorOutcomes{upgradeAddr, []string{"gw-1=failed"}},
				pendingIs("gw-2", "gw-3"),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				allOnTarget(u.cluster),
				resource.TestCheckResourceAttr(upgradeAddr, "node_versions.gw-1", toVersion),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.0.node", "gw-1"),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.0.outcome", "skipped"),
				checkSim(func() error {
					if err := oncePerNode(u.cluster, gwsim.EventRestartRequested, "restarts"); err != nil {
						return err
					}
					if _, err := os.Stat(rolledBack); err == nil {
						return errorf("rollback_command ran")
					}
					return nil
				}),
			),
		},
	})
}

// TestAccNodeDataSource_versionDetails: apigw_node shows everything
// serverinfo says about the version, so that users can tell before the
// first apply whether version shows the fix level.
func TestAccNodeDataSource_versionDetails(t *testing.T) {
	node := startNode(t, gwsim.Options{Version: hiddenFrom, Variants: gwsim.Variants{VersionWithoutFix: true}})
	const addr = "data.apigw_node.n"
	accTest(t, []resource.TestStep{{
		Config: nodeDataConfig("", node.URL()),
		Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr(addr, "version", hiddenServerInfo),
			resource.TestCheckResourceAttr(addr, "build", "5015"),
			resource.TestCheckResourceAttr(addr, "fixes.#", "2"),
			resource.TestCheckResourceAttr(addr, "fixes.0", "APIGW_10.5_Fix9"),
			resource.TestCheckResourceAttr(addr, "fixes.1", "IS_10.5_Core_Fix9"),
			resource.TestCheckResourceAttr(addr, "product_version", "10.5"),
		),
	}})
}
