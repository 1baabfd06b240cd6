package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
)

// Ctrl-C while a node's upgrade_command runs, with each on_interrupt
// policy, through the real CLI: the upgrade command marks its start in a
// file, the test sends SIGINT to terraform, and the node's fate shows in
// the simulator.

// interruptDuringCommand upgrades a 3-node cluster with the given
// on_interrupt and a rollback_command, and sends SIGINT to terraform as
// soon as gw-2's upgrade_command has started; the command takes 2 s before
// it restarts the node. It returns the apply's output and exit code and the
// directory where the commands leave a file per start and per rollback.
func interruptDuringCommand(t *testing.T, onInterrupt string) (*upgradeTest, *tfWorkdir, string, int, string) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	marks := t.TempDir()
	u.upgrade = []string{"sh", "-c", fmt.Sprintf(`touch %q/"$APIGW_NODE_NAME".upgrade && sleep 2 && %s`, marks, u.restartScript(toVersion))}
	rollback := []string{"sh", "-c", fmt.Sprintf(`touch %q/"$APIGW_NODE_NAME".rollback && %s`, marks, u.restartScript(fromVersion))}
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
	if err := quiescedOnce(u.cluster)(); err != nil {
		t.Error(err)
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
	accTest(t, []resource.TestStep{
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
	accTest(t, []resource.TestStep{
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

// checkResumed checks the end state after a resumed apply: every node on
// target, gw-2 (the node the stop left behind) quiesced only once and ready
// again before gw-3 was touched.
func checkResumed(t *testing.T, c *gwsim.Cluster) {
	t.Helper()
	for name, v := range nodeVersions(c) {
		if v != toVersion {
			t.Errorf("%s reports %s after the resumed apply, want %s", name, v, toVersion)
		}
	}
	if err := quiescedOnce(c)(); err != nil {
		t.Errorf("%v (gw-2's interrupted upgrade must finish, not start again)", err)
	}
	ev := c.Events()
	restarted := eventIndex(ev, eventIndex(ev, 0, "gw-2", gwsim.EventQuiesceRequested), "gw-2", gwsim.EventStarted)
	ready := eventIndex(ev, restarted, "gw-2", gwsim.EventReady)
	next := eventIndex(ev, 0, "gw-3", gwsim.EventQuiesceRequested)
	if restarted < 0 || ready < 0 || next < ready {
		t.Errorf("gw-2 restarted at event %d, ready at %d; gw-3 quiesced at %d: gw-2 must be finished first", restarted, ready, next)
	}
	if m := c.MaxOutOfService(); m != 1 {
		t.Errorf("max nodes out of service = %d, want 1", m)
	}
}

// stopTest is the common part of the SIGKILL and SIGINT cases: apply at the
// current version (quiesce ports, state), then start the upgrade and stop
// it as soon as gw-2's quiesce was requested, while gw-2 drains. gw-2's
// drain does not end until resumeAfterStop: the plan after the stop sees it
// still quiescing. The configuration has on_interrupt = "rollback", which
// stops a node in flight (with "finish_node" gw-2 would wait out its
// drain_timeout).
func stopTest(t *testing.T, stop func(*tfProc)) (*upgradeTest, *tfWorkdir, string, int) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3, DrainTime: 300 * time.Millisecond})
	w := newTFWorkdir(t)
	w.setConfig(u.config("10.15.0.5", `on_interrupt = "rollback"`))
	w.mustRun(applyArgs...)
	w.setConfig(u.config(target, `on_interrupt = "rollback"`))
	u.cluster.Node("gw-2").SetFaults(gwsim.Faults{DrainNeverEnds: true})
	p := w.start(applyArgs...)
	awaitEvent(t, u.cluster, "gw-2", gwsim.EventQuiesceRequested, p)
	stop(p)
	out, code := p.wait()
	if v := nodeVersions(u.cluster); v["gw-1"] != toVersion || v["gw-2"] != fromVersion || v["gw-3"] != fromVersion {
		t.Fatalf("after the stop: versions %v, want gw-1 upgraded and gw-2, gw-3 not", v)
	}
	return u, w, out, code
}

// resumeAfterStop plans while gw-2 is still quiescing (planAfterStop), lets
// gw-2's drain end, and applies the saved plan. Terraform plans again during
// apply and gw-2 now answers nothing on its primary port: the provider's
// second plan must agree with the first.
func resumeAfterStop(t *testing.T, u *upgradeTest, w *tfWorkdir) {
	t.Helper()
	gw2 := u.cluster.Node("gw-2")
	if st := gw2.State(); st != gwsim.StateQuiescing {
		t.Fatalf("gw-2 is %s after the stop, want %s", st, gwsim.StateQuiescing)
	}
	planAfterStop(t, w)
	gw2.SetFaults(gwsim.Faults{})
	deadline := time.Now().Add(time.Minute)
	for gw2.State() != gwsim.StateQuiesced {
		if time.Now().After(deadline) {
			t.Fatalf("gw-2 did not finish quiescing: %s", gw2.State())
		}
		time.Sleep(10 * time.Millisecond)
	}
	out := w.mustRun("apply", "-input=false", "-no-color", "resume.plan")
	if !strings.Contains(out, "Apply complete!") {
		t.Fatalf("resumed apply:\n%s", out)
	}
	checkResumed(t, u.cluster)
	if out, code := w.run("plan", "-input=false", "-no-color", "-detailed-exitcode"); code != 0 {
		t.Fatalf("plan after the resumed apply: exit %d, want 0 (no changes)\n%s", code, out)
	}
}

// planAfterStop checks what the next plan shows: an update of the upgrade
// (exit code 2) from the old target, with gw-2 and gw-3 pending.
func planAfterStop(t *testing.T, w *tfWorkdir) {
	t.Helper()
	out, code := w.run("plan", "-input=false", "-no-color", "-detailed-exitcode", "-out=resume.plan")
	if code != 2 {
		t.Fatalf("terraform plan -detailed-exitcode after the stop: exit %d, want 2 (changes)\n%s", code, out)
	}
	for _, re := range []string{
		`apigw_rolling_upgrade\.u will be updated in-place`,
		`target_version\s+= "10\.15\.0\.5" -> "10\.15\.0\.7"`,
		// pending_nodes is checked in the JSON plan below: after Ctrl-C the
		// refreshed state already lists gw-2 and gw-3, so the text shows no diff.
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("the plan after the stop does not show %s:\n%s", re, out)
		}
	}
	plan, _ := w.showPlan("resume.plan")
	actions, before, after := upgradeChange(t, plan)
	if fmt.Sprint(actions) != "[update]" || before["target_version"] != "10.15.0.5" || fmt.Sprint(after["pending_nodes"]) != "[gw-2 gw-3]" {
		t.Errorf("planned %v from target %v with pending_nodes %v; want an update from 10.15.0.5 with [gw-2 gw-3] pending", actions, before["target_version"], after["pending_nodes"])
	}
}

// TestAccRollingUpgrade_sigkill: terraform apply and its provider are killed
// with SIGKILL while gw-2 drains. Terraform's state is the one from before
// that apply (state is written when an apply ends), and that is enough:
// the next plan reads the nodes live and shows gw-2 and gw-3 pending, and
// the next apply finishes gw-2 first without quiescing it again.
func TestAccRollingUpgrade_sigkill(t *testing.T) {
	exe := filepath.Join(tfharness.MustProviderDir(t), tfharness.ProviderBinary)
	u, w, out, code := stopTest(t, func(p *tfProc) {
		// Without a provider process to outlive terraform, the check below
		// could not fail.
		if len(tfharness.Running(exe)) == 0 {
			t.Fatalf("no %s process is running mid-apply", exe)
		}
		if err := killTree(p.cmd.Process.Pid); err != nil {
			t.Fatalf("kill the process group: %v", err)
		}
	})
	if code == 0 {
		t.Fatalf("terraform exited 0 after SIGKILL:\n%s", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(tfharness.Running(exe)) > 0 {
		if time.Now().After(deadline) {
			for _, pid := range tfharness.Running(exe) {
				if p, err := os.FindProcess(pid); err == nil {
					_ = p.Kill()
				}
			}
			t.Fatalf("the provider outlived the killed terraform (pids %v)", tfharness.Running(exe))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(out, "Apply complete!") {
		t.Fatalf("the killed apply completed:\n%s", out)
	}
	resumeAfterStop(t, u, w)
}

// TestAccRollingUpgrade_sigint: Ctrl-C (SIGINT to the terraform process only)
// while gw-2 drains. Terraform asks the provider to stop; the apply fails
// with an error that names gw-2, the step it stopped in, where gw-2 was
// left and what to do, and saves state that shows it; the next apply
// finishes gw-2 first.
func TestAccRollingUpgrade_sigint(t *testing.T) {
	u, w, out, code := stopTest(t, func(p *tfProc) {
		if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatalf("interrupt terraform: %v", err)
		}
	})
	if code != 1 {
		t.Fatalf("interrupted apply: exit %d, want 1\n%s", code, out)
	}
	for _, re := range []string{
		`Interrupt received`,
		`Error: Rolling upgrade stopped`,
		`node "gw-2": drain failed: interrupted`,
		`The node may be quiescing`,
		`re-run terraform apply, which finishes this node first`,
		`gw-1: upgraded`,
		`gw-2: failed`,
		`gw-3: not started`,
	} {
		if !wrapped(re).MatchString(out) {
			t.Errorf("the interrupted apply's output does not show %q:\n%s", re, out)
		}
	}
	// The interrupted apply saved state: old target, and the outcomes.
	if values := upgradeState(t, w); values["target_version"] != "10.15.0.5" || rolloutOutcomes(values) != "gw-1=upgraded,gw-2=failed" {
		t.Errorf("state after Ctrl-C: target_version %v, last_rollout %s; want 10.15.0.5 and gw-1=upgraded,gw-2=failed", values["target_version"], rolloutOutcomes(values))
	}
	resumeAfterStop(t, u, w)
}

// terraformChildren returns the PIDs of the Terraform (or OpenTofu) CLI
// processes this test process started (terraform-plugin-testing runs the
// CLI as a child).
func terraformChildren() []int {
	var pids []int
	for _, p := range tfharness.Children(os.Getpid(), filepath.Base(terraformPath())) {
		pids = append(pids, p.PID)
	}
	return pids
}

// interruptWhen sends SIGINT (Ctrl-C) to the running terraform CLI as soon as
// the simulator records kind on node. It returns a stop function.
func interruptWhen(c *gwsim.Cluster, node, kind string) (fired *atomic.Bool, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	fired = &atomic.Bool{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if !firstEvent(c, node, kind).IsZero() {
				for _, pid := range terraformChildren() {
					if p, err := os.FindProcess(pid); err == nil {
						_ = p.Signal(os.Interrupt)
					}
					fired.Store(true)
				}
				if fired.Load() {
					return
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return fired, func() { cancel(); wg.Wait() }
}

// TestAccRollingUpgrade_cancel: Ctrl-C while gw-2 drains, with the default
// on_interrupt = "finish_node": gw-2 goes on through its drain, command and
// ready wait and ends on target; gw-3 is not started; the apply fails with
// an error that says so, and the next apply upgrades gw-3 alone.
func TestAccRollingUpgrade_cancel(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3, DrainTime: 2 * time.Second})
	var stop func()
	var fired *atomic.Bool
	accTest(t, []resource.TestStep{
		{Config: u.config("10.15.0.5", "")},
		{
			PreConfig:   func() { fired, stop = interruptWhen(u.cluster, "gw-2", gwsim.EventQuiesceRequested) },
			Config:      u.config(target, ""),
			ExpectError: wrapped(regexp.QuoteMeta(`gw-2, in flight at that moment, finished its upgrade (on_interrupt = "finish_node"); no further node was started (gw-3 not started)`)),
		},
		{
			PreConfig: func() {
				stop()
				if !fired.Load() {
					t.Fatal("the test never interrupted terraform")
				}
				v := nodeVersions(u.cluster)
				if v["gw-1"] != toVersion || v["gw-2"] != toVersion || v["gw-3"] != fromVersion {
					t.Fatalf("after Ctrl-C: versions %v, want gw-1 and gw-2 upgraded, gw-3 untouched", v)
				}
				if q := countEvents(u.cluster, gwsim.EventQuiesceRequested); q["gw-3"] != 0 {
					t.Fatalf("gw-3 was quiesced after Ctrl-C: %v", q)
				}
			},
			Config: u.config(target, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				expectPrior{upgradeAddr, "target_version", "10.15.0.5"},
				pendingIs("gw-3"),
			}},
			Check: allOnTarget(u.cluster, quiescedOnce(u.cluster)),
		},
	})
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
