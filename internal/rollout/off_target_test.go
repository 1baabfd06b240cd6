package rollout

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestHealthyOnAnotherVersionIsNotRolledBack: on a gateway whose serverinfo
// version does not show the fix level, the first node comes back healthy
// on the same-looking version. The rollout stops at once, without
// rollback_command, puts the node back into the load balancer, touches no
// other node, names both versions and points at version_command; the
// report shows what the node reports.
func TestHealthyOnAnotherVersionIsNotRolledBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV, oldV)
		h.c.hideFix = true
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		h.cfg.BeforeNodeCommand = []string{"/opt/lb.sh", "drain"}
		h.cfg.AfterNodeCommand = []string{"/opt/lb.sh", "ready"}
		rep, took, err := h.run(t.Context())
		se := stepError(t, err)
		if se.Node != "gw-1" || se.Step != StepReady {
			t.Fatalf("failed %s/%s: %v", se.Node, se.Step, err)
		}
		for _, want := range []string{
			"came back healthy", "reports version 10.15.0.0.1234, not target_version 10.15.0.7",
			"not rolled back", "set version_command", "after_node_command ran",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
		if got := h.commandsFor("gw-1"); !slices.Equal(got, []string{"before_node", "upgrade", "after_node"}) {
			t.Errorf("gw-1 commands %v, want before_node, upgrade, after_node (no rollback)", got)
		}
		for _, n := range []string{"gw-2", "gw-3"} {
			if got := h.commandsFor(n); len(got) != 0 || h.c.node(n).quiesceCalls != 0 {
				t.Errorf("%s was touched: commands %v, quiesce calls %d", n, got, h.c.node(n).quiesceCalls)
			}
		}
		if got := outcomes(rep); got != "gw-1:failed" {
			t.Errorf("outcomes %s", got)
		}
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
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		for _, n := range h.c.nodes {
			n.interim, n.interimFor = oldV, pollInt-time.Millisecond
		}
		rep, _, err := h.run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(rep); got != "gw-1:upgraded gw-2:upgraded" {
			t.Fatalf("outcomes %s", got)
		}
	})
}

// TestWrongVersionAfterRestart: a node that comes back healthy on another
// version stops the rollout once that has held for the ready streak, long
// before ready_timeout, and is not rolled back.
func TestWrongVersionAfterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.c.node("gw-1").upgradeTo = "10.15.0.6.1101" // the command did not apply the fix
		h.cfg.ReadyTimeout = 5 * time.Minute
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		rep, took, err := h.run(t.Context())
		se := stepError(t, err)
		if se.Node != "gw-1" || se.Step != StepReady {
			t.Fatalf("failed %s/%s: %v", se.Node, se.Step, err)
		}
		if !strings.Contains(err.Error(), "reports version 10.15.0.6.1101, not target_version 10.15.0.7") {
			t.Errorf("error: %v", err)
		}
		if got := outcomes(rep); got != "gw-1:failed" || rep.Results[0].ToVersion != "10.15.0.6.1101" {
			t.Fatalf("outcomes %s, %+v", got, rep.Results[0])
		}
		if got := h.commandsFor("gw-1"); !slices.Equal(got, []string{"upgrade"}) {
			t.Errorf("gw-1 commands %v, want the upgrade alone (no rollback)", got)
		}
		within(t, "run", took, cycle, cycle+2*pollInt)
	})
}
