package rollout

import (
	"testing"
	"time"
)

// TestHealthyOnAnotherVersionIsNotRolledBack: on a gateway whose serverinfo
// version does not show the fix level, the first node comes back healthy
// on the same-looking version. The rollout stops at once, without
// rollback_command, puts the node back into the load balancer, touches no
// other node, names both versions and points at version_command; the
// report shows what the node reports.
func TestHealthyOnAnotherVersionIsNotRolledBack(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.c.hideFix = true
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		h.cfg.BeforeNodeCommand = []string{"/opt/lb.sh", "drain"}
		h.cfg.AfterNodeCommand = []string{"/opt/lb.sh", "ready"}
		rep, took, err := h.run(t.Context())
		wantStepError(t, err, "gw-1", StepReady)
		wantError(t, err, "came back healthy", "reports version 10.15.0.0.1234, not target_version 10.15.0.7",
			"not rolled back", "set version_command", "after_node_command ran")
		h.wantCommands("gw-1", "before_node", "upgrade", "after_node") // no rollback
		h.wantUntouched("gw-2", "gw-3")
		wantOutcomes(t, rep, "gw-1:failed")
		if r := rep.Results[0]; r.FromVersion != "10.15.0.0.1100" || r.ToVersion != "10.15.0.0.1234" || rep.Versions["gw-1"] != "10.15.0.0.1234" {
			t.Errorf("gw-1 %+v, versions %v", r, rep.Versions)
		}
		// Stopped after the ready streak, not after ready_timeout (20m).
		within(t, "run", took, cycle+time.Second, cycle+time.Second+3*pollInt)
		if h.c.node("gw-1").ph != phRunning {
			t.Error("gw-1 is not serving")
		}
	})
}

// TestBriefOtherVersionWhileStartingIsWaitedOut: a restarted node that
// reports another version with health 200 for less than poll_interval and
// then the target is ready on target, not taken for a node on another
// version.
func TestBriefOtherVersionWhileStartingIsWaitedOut(t *testing.T) {
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		for _, n := range h.c.nodes {
			n.interim, n.interimFor = oldV, pollInt-time.Millisecond
		}
		h.runOK("gw-1:upgraded gw-2:upgraded")
	})
}

// TestWrongVersionAfterRestart: a node that comes back healthy on another
// version stops the rollout once that has held for the ready streak, long
// before ready_timeout, and is not rolled back.
func TestWrongVersionAfterRestart(t *testing.T) {
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		h.c.node("gw-1").upgradeTo = "10.15.0.6.1101" // the command did not apply the fix
		h.cfg.ReadyTimeout = 5 * time.Minute
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		rep, took, err := h.run(t.Context())
		wantStepError(t, err, "gw-1", StepReady)
		wantError(t, err, "reports version 10.15.0.6.1101, not target_version 10.15.0.7")
		wantOutcomes(t, rep, "gw-1:failed")
		if got := rep.Results[0].ToVersion; got != "10.15.0.6.1101" {
			t.Fatalf("gw-1 on %q", got)
		}
		h.wantCommands("gw-1", "upgrade") // the upgrade alone: no rollback
		within(t, "run", took, cycle, cycle+2*pollInt)
	})
}
