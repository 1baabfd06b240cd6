package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/internal/gwsim"
	"github.com/gwops/terraform-provider-apigw/internal/tfharness"
)

// Hardening matrix, crashes: terraform apply killed (SIGKILL) or
// interrupted (SIGINT) in the middle of a node's upgrade, through the CLI
// with the provider as its own process (terraform_cli_test.go), which dies
// with it.

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
	if q := countEvents(c, gwsim.EventQuiesceRequested); q["gw-1"] != 1 || q["gw-2"] != 1 || q["gw-3"] != 1 {
		t.Errorf("quiesce requests %v: want exactly one per node (gw-2's interrupted upgrade finished, not started again)", q)
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

// TestAccHardening_sigkill: terraform apply and its provider are killed
// with SIGKILL while gw-2 drains. Terraform's state is the one from before
// that apply (state is written when an apply ends), and that is enough:
// the next plan reads the nodes live and shows gw-2 and gw-3 pending, and
// the next apply finishes gw-2 first without quiescing it again.
func TestAccHardening_sigkill(t *testing.T) {
	exe := filepath.Join(providerDir(t), tfharness.ProviderBinary)
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

// TestAccHardening_sigint: Ctrl-C (SIGINT to the terraform process only)
// while gw-2 drains. Terraform asks the provider to stop; the apply fails
// with an error that names gw-2, the step it stopped in, where gw-2 was
// left and what to do, and saves state that shows it; the next apply
// finishes gw-2 first.
func TestAccHardening_sigint(t *testing.T) {
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
