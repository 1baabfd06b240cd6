package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/gwops/terraform-provider-apigw/internal/gwsim"
)

// Ctrl-C while a node's upgrade_command runs, with each on_interrupt
// policy, through the real CLI: the upgrade command marks its start in a
// file, the test sends SIGINT to terraform, and the node's fate shows in
// the simulator.

// upgradeState returns the values of apigw_rolling_upgrade.u in the saved
// state (terraform show -json).
func upgradeState(t *testing.T, w *tfWorkdir) map[string]any {
	t.Helper()
	var state struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Address string         `json:"address"`
					Values  map[string]any `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(w.mustRun("show", "-json", "-no-color")), &state); err != nil {
		t.Fatal(err)
	}
	for _, r := range state.Values.RootModule.Resources {
		if r.Address == upgradeAddr {
			return r.Values
		}
	}
	t.Fatalf("no %s in the state", upgradeAddr)
	return nil
}

// rolloutOutcomes renders last_rollout as "node=outcome,...".
func rolloutOutcomes(values map[string]any) string {
	var out []string
	entries, _ := values["last_rollout"].([]any)
	for _, e := range entries {
		m, _ := e.(map[string]any)
		out = append(out, fmt.Sprintf("%v=%v", m["node"], m["outcome"]))
	}
	return strings.Join(out, ",")
}

// interruptDuringCommand upgrades a 3-node cluster with the given
// on_interrupt and a rollback_command, and sends SIGINT to terraform as
// soon as gw-2's upgrade_command has started; the command takes 2 s before
// it restarts the node. It returns the apply's output and exit code and the
// directory where the commands leave a file per start and per rollback.
func interruptDuringCommand(t *testing.T, onInterrupt string) (*upgradeTest, *tfWorkdir, string, int, string) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	marks := t.TempDir()
	upgrade := []string{"sh", "-c", fmt.Sprintf(`touch %q/"$APIGW_NODE_NAME".upgrade && sleep 2 && exec %q restart -control %q -node "$APIGW_NODE_NAME" -version %q`,
		marks, u.gwsim, u.cluster.ControlURL(), toVersion)}
	rollback := []string{"sh", "-c", fmt.Sprintf(`touch %q/"$APIGW_NODE_NAME".rollback && exec %q restart -control %q -node "$APIGW_NODE_NAME" -version %q`,
		marks, u.gwsim, u.cluster.ControlURL(), fromVersion)}
	u.upgrade = upgrade
	extra := fmt.Sprintf("on_interrupt = %q\n  rollback_command = %s", onInterrupt, hclList(rollback))
	w := newTFWorkdir(t)
	w.setConfig(u.config("10.15.0.5", extra))
	w.mustRun(applyArgs...)
	w.setConfig(u.config(target, extra))
	p := w.start(applyArgs...)
	started := filepath.Join(marks, "gw-2.upgrade")
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if _, err := os.Stat(started); err == nil {
			break
		}
		select {
		case <-p.done:
			out, code := p.wait()
			t.Fatalf("terraform ended (exit %d) before gw-2's upgrade_command started:\n%s", code, out)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("gw-2's upgrade_command did not start within 3 minutes")
		}
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("interrupt terraform: %v", err)
	}
	out, code := p.wait()
	return u, w, out, code, marks
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestAccRollingUpgrade_interruptFinishesNode: with on_interrupt =
// "finish_node" (the default), Ctrl-C while gw-2's upgrade_command runs
// lets the command finish and gw-2 become ready on target; no rollback
// runs, gw-3 is not started, the apply fails saying so, state keeps the old
// target with gw-1 and gw-2 upgraded, and the next apply upgrades gw-3.
func TestAccRollingUpgrade_interruptFinishesNode(t *testing.T) {
	u, w, out, code, marks := interruptDuringCommand(t, "finish_node")
	if code != 1 {
		t.Fatalf("interrupted apply: exit %d, want 1\n%s", code, out)
	}
	for _, re := range []string{
		`Interrupt received`,
		`Error: Rolling upgrade stopped`,
		`rollout interrupted \(Ctrl-C or a cancelled run\); gw-2, in flight at that moment, finished its upgrade \(on_interrupt = "finish_node"\); no further node was started \(gw-3 not started\)`,
		`Run terraform apply again to resume`,
		`gw-1: upgraded`,
		`gw-2: upgraded \(reports 10\.15\.0\.7\.77\)`,
		`gw-3: not started`,
	} {
		if !wrapped(re).MatchString(out) {
			t.Errorf("the interrupted apply's output does not show %q:\n%s", re, out)
		}
	}
	if v := nodeVersions(u.cluster); v["gw-1"] != toVersion || v["gw-2"] != toVersion || v["gw-3"] != fromVersion {
		t.Errorf("after Ctrl-C: versions %v, want gw-1 and gw-2 on target, gw-3 untouched", v)
	}
	if exists(filepath.Join(marks, "gw-2.rollback")) {
		t.Error("rollback_command ran for gw-2, which finished its upgrade")
	}
	if q := countEvents(u.cluster, gwsim.EventQuiesceRequested); q["gw-3"] != 0 || exists(filepath.Join(marks, "gw-3.upgrade")) {
		t.Errorf("gw-3 was started after Ctrl-C (quiesce requests %v)", q)
	}
	values := upgradeState(t, w)
	if values["target_version"] != "10.15.0.5" || rolloutOutcomes(values) != "gw-1=upgraded,gw-2=upgraded" {
		t.Errorf("state after Ctrl-C: target_version %v, last_rollout %s; want 10.15.0.5 and gw-1=upgraded,gw-2=upgraded",
			values["target_version"], rolloutOutcomes(values))
	}
	if out := w.mustRun(applyArgs...); !strings.Contains(out, "Apply complete!") {
		t.Fatalf("resumed apply:\n%s", out)
	}
	values = upgradeState(t, w)
	if values["target_version"] != target || rolloutOutcomes(values) != "gw-1=skipped,gw-2=skipped,gw-3=upgraded" {
		t.Errorf("state after the resumed apply: target_version %v, last_rollout %s", values["target_version"], rolloutOutcomes(values))
	}
	if q := countEvents(u.cluster, gwsim.EventQuiesceRequested); q["gw-1"] != 1 || q["gw-2"] != 1 || q["gw-3"] != 1 {
		t.Errorf("quiesce requests %v, want one per node", q)
	}
}

// TestAccRollingUpgrade_interruptRollsBack: with on_interrupt = "rollback",
// Ctrl-C while gw-2's upgrade_command runs stops the command before it
// restarts the node, and rollback_command brings gw-2 back on its old
// version; gw-3 is not started.
func TestAccRollingUpgrade_interruptRollsBack(t *testing.T) {
	u, w, out, code, marks := interruptDuringCommand(t, "rollback")
	if code != 1 {
		t.Fatalf("interrupted apply: exit %d, want 1\n%s", code, out)
	}
	for _, re := range []string{
		`Error: Rolling upgrade stopped`,
		`node "gw-2": upgrade_command failed: command "upgrade" \(sh\) was interrupted`,
		`rollback_command brought the node back on 10\.15\.0\.5\.120`,
		`gw-2: rolled_back`,
		`gw-3: not started`,
	} {
		if !wrapped(re).MatchString(out) {
			t.Errorf("the interrupted apply's output does not show %q:\n%s", re, out)
		}
	}
	if v := nodeVersions(u.cluster); v["gw-1"] != toVersion || v["gw-2"] != fromVersion || v["gw-3"] != fromVersion {
		t.Errorf("after Ctrl-C: versions %v, want gw-1 on target, gw-2 rolled back, gw-3 untouched", v)
	}
	if !exists(filepath.Join(marks, "gw-2.rollback")) {
		t.Error("rollback_command did not run for gw-2")
	}
	if q := countEvents(u.cluster, gwsim.EventQuiesceRequested); q["gw-3"] != 0 {
		t.Errorf("gw-3 was started after Ctrl-C (quiesce requests %v)", q)
	}
	if values := upgradeState(t, w); rolloutOutcomes(values) != "gw-1=upgraded,gw-2=rolled_back" {
		t.Errorf("last_rollout after Ctrl-C: %s, want gw-1=upgraded,gw-2=rolled_back", rolloutOutcomes(values))
	}
}

// TestAccRollingUpgrade_deadlineTakesInterruptPath: timeouts.update passes
// while gw-1 drains; gw-1 finishes (on_interrupt = "finish_node"), gw-2 is
// not started, and the error says the deadline passed.
func TestAccRollingUpgrade_deadlineTakesInterruptPath(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3, DrainTime: 2 * time.Second})
	timeouts := "timeouts = { update = \"1s\" }"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{
			{Config: u.config("10.15.0.5", timeouts)},
			{
				Config:      u.config(target, timeouts),
				ExpectError: wrapped(regexp.QuoteMeta(`rollout out of time: the apply's deadline (timeouts) passed; gw-1, in flight at that moment, finished its upgrade`)),
			},
			{
				PreConfig: func() {
					if v := nodeVersions(u.cluster); v["gw-1"] != toVersion || v["gw-2"] != fromVersion || v["gw-3"] != fromVersion {
						t.Fatalf("after the deadline: versions %v, want gw-1 upgraded and the others untouched", v)
					}
				},
				Config:             u.config(target, timeouts),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

// TestAccRollingUpgrade_maxNodesPerApply: five nodes, two per apply, take
// three applies. Each succeeds (Terraform finds no inconsistent result:
// target_version and pending_nodes keep their planned values), each plan in
// between shows the nodes still to do in pending_nodes as an update, and
// last_rollout shows what each apply did.
func TestAccRollingUpgrade_maxNodesPerApply(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 5})
	config := u.config(target, "max_nodes_per_apply = 2")
	onTarget := func(want ...string) resource.TestCheckFunc {
		return checkSim(func() error {
			var got []string
			for _, n := range u.cluster.Nodes() {
				if n.Version() == toVersion {
					got = append(got, n.Name())
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				return errorf("nodes on target: %v, want %v", got, want)
			}
			return nil
		})
	}
	rollout := func(entries ...string) resource.TestCheckFunc {
		checks := []resource.TestCheckFunc{
			resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.#", fmt.Sprint(len(entries))),
			resource.TestCheckResourceAttr(upgradeAddr, "target_version", target),
		}
		for i, e := range entries {
			node, outcome, _ := strings.Cut(e, "=")
			checks = append(checks,
				resource.TestCheckResourceAttr(upgradeAddr, fmt.Sprintf("last_rollout.%d.node", i), node),
				resource.TestCheckResourceAttr(upgradeAddr, fmt.Sprintf("last_rollout.%d.outcome", i), outcome))
		}
		return resource.ComposeAggregateTestCheckFunc(checks...)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					pendingIs("gw-1", "gw-2", "gw-3", "gw-4", "gw-5"),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					onTarget("gw-1", "gw-2"),
					rollout("gw-1=upgraded", "gw-2=upgraded"),
					// Terraform requires the planned value after a successful apply.
					resource.TestCheckResourceAttr(upgradeAddr, "pending_nodes.#", "5"),
				),
				ExpectNonEmptyPlan: true, // three nodes are still to do
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(upgradeAddr, plancheck.ResourceActionUpdate),
					pendingIs("gw-3", "gw-4", "gw-5"),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					onTarget("gw-1", "gw-2", "gw-3", "gw-4"),
					rollout("gw-1=skipped", "gw-2=skipped", "gw-3=upgraded", "gw-4=upgraded"),
				),
				ExpectNonEmptyPlan: true,
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(upgradeAddr, plancheck.ResourceActionUpdate),
					pendingIs("gw-5"),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					allOnTarget(u.cluster),
					rollout("gw-1=skipped", "gw-2=skipped", "gw-3=skipped", "gw-4=skipped", "gw-5=upgraded"),
				),
			},
			{Config: config, PlanOnly: true}, // nothing left to do
		},
	})
	if q := countEvents(u.cluster, gwsim.EventQuiesceRequested); len(q) != 5 {
		t.Errorf("quiesce requests %v, want one per node", q)
	}
}

// TestAccRollingUpgrade_stagedApplyWarns: a staged apply ends successfully
// with a warning that names what it did and what is left, and the next
// plan (through the CLI) shows the rest as an update.
func TestAccRollingUpgrade_stagedApplyWarns(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	w := newTFWorkdir(t)
	w.setConfig(u.config(target, "max_nodes_per_apply = 1"))
	out := w.mustRun(applyArgs...)
	for _, re := range []string{
		`Apply complete!`,
		`Warning: Rolling upgrade staged: more nodes to upgrade`,
		`max_nodes_per_apply = 1: this apply upgraded gw-1 and left gw-2, gw-3 \(2 nodes\) for the next one`,
	} {
		if !wrapped(re).MatchString(out) {
			t.Errorf("the staged apply's output does not show %q:\n%s", re, out)
		}
	}
	out, code := w.run("plan", "-input=false", "-no-color", "-detailed-exitcode")
	if code != 2 || !regexp.MustCompile(`apigw_rolling_upgrade\.u will be updated in-place`).MatchString(out) {
		t.Fatalf("plan after the staged apply: exit %d, want 2 with an update\n%s", code, out)
	}
}

// TestAccRollingUpgrade_deadlineWarning: a timeouts value shorter than what
// the per-step timeouts allow for the nodes to upgrade gives a plan-time
// warning with the figure it would need; none when it is long enough, when
// it is unset, or when no node is pending.
func TestAccRollingUpgrade_deadlineWarning(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	w := newTFWorkdir(t)
	const warning = `Warning: timeouts.update shorter than the per-step timeouts allow`
	w.setConfig(u.config("10.15.0.5", `timeouts = { create = "1m", update = "1m" }`))
	if out := w.mustRun(applyArgs...); strings.Contains(out, "Warning: timeouts.") {
		t.Errorf("warning with no node to upgrade:\n%s", out)
	}
	for _, tc := range []struct {
		extra string
		want  []string // nil: no warning
	}{
		// Defaults, 3 nodes: 3 × (20m + 1m) + 3 × (15m + 30m + 20m) = 4h18m.
		{`timeouts = { update = "2h" }`, []string{warning, `timeouts.update is 2h, but upgrading 3 nodes can take up to 4h18m`, `Set timeouts.update to at least 4h18m`}},
		// Two per apply: 2 × 21m + 2 × 65m = 2h52m.
		{"max_nodes_per_apply = 2\n  timeouts = { update = \"2h\" }", []string{warning, `upgrading 2 nodes can take up to 2h52m`}},
		// prepare_command one node at a time: 3 × 30m more = 5h48m.
		{"prepare_command = [\"true\"]\n  prepare_parallelism = 1\n  timeouts = { update = \"5h\" }", []string{warning, `upgrading 3 nodes can take up to 5h48m`}},
		// Short steps: 3 × (2m + 1m) + 3 × (1m + 5m + 2m) = 33m.
		{"drain_timeout = \"1m\"\n  command_timeout = \"5m\"\n  ready_timeout = \"2m\"\n  timeouts = { update = \"30m\" }", []string{warning, `up to 33m`}},
		{"drain_timeout = \"1m\"\n  command_timeout = \"5m\"\n  ready_timeout = \"2m\"\n  timeouts = { update = \"33m\" }", nil},
		{"", nil},
	} {
		w.setConfig(u.config(target, tc.extra))
		out, code := w.run("plan", "-input=false", "-no-color", "-detailed-exitcode")
		if code != 2 {
			t.Fatalf("plan with %q: exit %d, want 2\n%s", tc.extra, code, out)
		}
		if tc.want == nil && strings.Contains(out, "Warning: timeouts.") {
			t.Errorf("plan with %q warns:\n%s", tc.extra, out)
		}
		for _, re := range tc.want {
			if !wrapped(regexp.QuoteMeta(re)).MatchString(out) {
				t.Errorf("plan with %q does not show %q:\n%s", tc.extra, re, out)
			}
		}
	}
}
