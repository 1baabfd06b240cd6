package rollout

import (
	"strings"
	"testing"
	"time"
)

func TestCommandFailureRollsBack(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		h.r.exit["upgrade/gw-2"] = CommandResult{ExitCode: 3, Tail: "unpacking fix\ndisk full\n"}
		rep, _, err := h.run(t.Context())
		wantStepError(t, err, "gw-2", StepUpgradeCommand)
		wantError(t, err, `command "upgrade" (/opt/upgrade.sh) exited with status 3: unpacking fix`, "disk full", "rollback_command brought the node back on "+oldV)
		wantOutcomes(t, rep, "gw-1:upgraded gw-2:rolled_back")
		if r := rep.Results[1]; r.ToVersion != oldV || rep.Versions["gw-2"] != oldV {
			t.Errorf("gw-2 to %q, versions %v", r.ToVersion, rep.Versions)
		}
		h.wantCommands("gw-2", "upgrade", "rollback")
		h.wantUntouched("gw-3")
		h.wantEvents("gw-2", EventNodeStarted, EventQuiesceRequested, EventDrained, EventNodeFailed, EventRollbackStarted, EventRolledBack)
	})
}

// TestRollbackThatFailsIsReported: rollback_command fails after the upgrade
// command did, or after the node failed its soak on the target. The node is
// down: the report must not claim a version, and the error must not say
// the node runs the target.
func TestRollbackThatFailsIsReported(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(h *harness)
		step  string
		want  []string // what the error says
		hint  string   // what its hint says
	}{
		{"after the upgrade command", func(h *harness) {
			h.r.exit["upgrade/gw-1"] = CommandResult{ExitCode: 1, Tail: "boom"}
		}, StepUpgradeCommand, []string{"rollback_command failed", "status 4: no backup"}, "half-upgraded"},
		{"after the soak", func(h *harness) {
			h.cfg.SoakDuration = 30 * time.Second
			h.c.node("gw-1").unhealthyAfter = 10 * time.Second
		}, StepSoak, []string{"rollback_command failed", "status 4: no backup"}, "half rolled back"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
				h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
				h.r.exit["rollback/gw-1"] = CommandResult{ExitCode: 4, Tail: "no backup"}
				tc.setup(h)
				rep, _, err := h.run(t.Context())
				wantOutcomes(t, rep, "gw-1:failed")
				se := wantStepError(t, err, "gw-1", tc.step)
				wantError(t, err, tc.want...)
				wantText(t, "hint", se.Hint, tc.hint)
				if strings.Contains(se.Hint, "runs target_version") {
					t.Errorf("hint %q: want the node described as down or half rolled back", se.Hint)
				}
				if r := rep.Results[0]; r.ToVersion != "" || rep.Versions["gw-1"] != "" {
					t.Errorf("gw-1 reported on %q (versions %q) after a failed rollback; want unknown", r.ToVersion, rep.Versions["gw-1"])
				}
			})
		})
	}
}

func TestConcurrentFailuresAreAllReported(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.MaxUnavailable = 2
		h.r.exit["upgrade/gw-1"] = CommandResult{ExitCode: 1}
		h.r.exit["upgrade/gw-2"] = CommandResult{ExitCode: 2}
		rep, _, err := h.run(t.Context())
		wantError(t, err, `node "gw-1"`, `node "gw-2"`)
		stepError(t, err)
		if outcomes(rep) != "gw-1:failed gw-2:failed" {
			t.Errorf("outcomes %s", outcomes(rep))
		}
	})
}
