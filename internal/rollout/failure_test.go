package rollout

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestCommandFailureRollsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV, oldV)
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		h.r.exit["upgrade/gw-2"] = CommandResult{ExitCode: 3, Tail: "unpacking fix\ndisk full\n"}
		rep, _, err := h.run(t.Context())
		se := stepError(t, err)
		if se.Node != "gw-2" || se.Step != StepUpgradeCommand {
			t.Fatalf("failed %s/%s: %v", se.Node, se.Step, err)
		}
		for _, want := range []string{`command "upgrade" (/opt/upgrade.sh) exited with status 3: unpacking fix`, "disk full", "rollback_command brought the node back on " + oldV} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if got := outcomes(rep); got != "gw-1:upgraded gw-2:rolled_back" {
			t.Fatalf("outcomes: %s", got)
		}
		if r := rep.Results[1]; r.ToVersion != oldV || rep.Versions["gw-2"] != oldV {
			t.Errorf("gw-2 to %q, versions %v", r.ToVersion, rep.Versions)
		}
		if got := h.commandsFor("gw-2"); !slices.Equal(got, []string{"upgrade", "rollback"}) {
			t.Errorf("gw-2 commands: %v", got)
		}
		if len(h.commandsFor("gw-3")) != 0 {
			t.Error("gw-3 was touched")
		}
		want := []EventKind{EventNodeStarted, EventQuiesceRequested, EventDrained, EventNodeFailed, EventRollbackStarted, EventRolledBack}
		if got := h.ev.kinds("gw-2"); !slices.Equal(got, want) {
			t.Errorf("events: %v, want %v", got, want)
		}
	})
}

func TestRollbackThatFailsIsReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		h.r.exit["upgrade/gw-1"] = CommandResult{ExitCode: 1, Tail: "boom"}
		h.r.exit["rollback/gw-1"] = CommandResult{ExitCode: 4, Tail: "no backup"}
		rep, _, err := h.run(t.Context())
		if got := outcomes(rep); got != "gw-1:failed" {
			t.Fatalf("outcomes: %s", got)
		}
		for _, want := range []string{"rollback_command failed", "status 4: no backup", "half-upgraded"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if rep.Versions["gw-1"] != "" {
			t.Errorf("gw-1 is down, version should be unknown: %q", rep.Versions["gw-1"])
		}
	})
}

// TestFailedRollbackAfterSoakIsNotReportedOnTarget: gw-1 was ready on the
// target, failed its soak, and rollback_command failed after stopping it.
// The node is down: the report must not claim the target version and the
// hint must not say the node runs it.
func TestFailedRollbackAfterSoakIsNotReportedOnTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.cfg.SoakDuration = 30 * time.Second
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		h.c.node("gw-1").unhealthyAfter = 10 * time.Second
		h.r.exit["rollback/gw-1"] = CommandResult{ExitCode: 4, Tail: "no backup"}
		rep, _, err := h.run(t.Context())
		if got := outcomes(rep); got != "gw-1:failed" {
			t.Fatalf("outcomes: %s (err %v)", got, err)
		}
		se := stepError(t, err)
		if se.Step != StepSoak {
			t.Errorf("failed step %s, want %s", se.Step, StepSoak)
		}
		if strings.Contains(se.Hint, "runs target_version") || !strings.Contains(se.Hint, "half rolled back") {
			t.Errorf("hint %q: want the node described as down or half rolled back", se.Hint)
		}
		if r := rep.Results[0]; r.ToVersion != "" || rep.Versions["gw-1"] != "" {
			t.Errorf("gw-1 reported on %q (versions %q) after a failed rollback; want unknown", r.ToVersion, rep.Versions["gw-1"])
		}
	})
}

func TestConcurrentFailuresAreAllReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV, oldV)
		h.cfg.MaxUnavailable = 2
		h.r.exit["upgrade/gw-1"] = CommandResult{ExitCode: 1}
		h.r.exit["upgrade/gw-2"] = CommandResult{ExitCode: 2}
		rep, _, err := h.run(t.Context())
		if err == nil || !strings.Contains(err.Error(), `node "gw-1"`) || !strings.Contains(err.Error(), `node "gw-2"`) {
			t.Fatalf("error: %v", err)
		}
		stepError(t, err)
		if outcomes(rep) != "gw-1:failed gw-2:failed" {
			t.Errorf("outcomes %s", outcomes(rep))
		}
	})
}
