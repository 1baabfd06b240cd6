package rollout

import (
	"slices"
	"testing"
	"time"
)

func TestNeverReadyTimesOut(t *testing.T) {
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		h.c.node("gw-1").startTime = time.Hour
		h.cfg.ReadyTimeout = 3 * time.Minute
		_, took, err := h.run(t.Context())
		wantStepError(t, err, "gw-1", StepReady)
		wantError(t, err, "not ready on target_version 10.15.0.7 within ready_timeout 3m")
		within(t, "run", took, 60*time.Second+10*time.Second+3*time.Minute, 60*time.Second+10*time.Second+3*time.Minute+pollInt)
	})
}

func TestSoakWithFailingHealthFailsTheNode(t *testing.T) {
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		h.c.node("gw-1").unhealthyAfter = 30 * time.Second
		h.cfg.SoakDuration = 2 * time.Minute
		rep, _, err := h.run(t.Context())
		wantStepError(t, err, "gw-1", StepSoak)
		wantError(t, err, "health 500")
		wantOutcomes(t, rep, "gw-1:failed")
		h.wantUntouched("gw-2")
	})
}

func TestSoakPassesAndDelaysNextNode(t *testing.T) {
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.SoakDuration = time.Minute
		rep, _ := h.runOK("gw-1:upgraded gw-2:upgraded")
		if gap := rep.Results[1].StartedAt.Sub(rep.Results[0].FinishedAt); gap != 0 {
			t.Errorf("gap between nodes %s", gap)
		}
		if d := rep.Results[0].FinishedAt.Sub(rep.Results[0].StartedAt); d < cycle+time.Minute {
			t.Errorf("gw-1 took %s, want at least %s with soak", d, cycle+time.Minute)
		}
		if !slices.Contains(h.ev.kinds("gw-1"), EventSoaked) {
			t.Error("no soaked event")
		}
	})
}

// TestPreflightRefusesQuiescePort: a node without a quiesce port, or with
// one that is suspended (it refuses connections) or in access mode deny (it
// answers 403), is refused before it is touched, and the error says which
// when the gateway can read the node's quiesce-port setting.
func TestPreflightRefusesQuiescePort(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(n *fakeNode)
		want  []string // what the failure says
	}{
		{"none", func(n *fakeNode) { n.noQuiescePort = true }, nil},
		{"suspended", func(n *fakeNode) { n.quiescePortUnfit = "suspended" }, []string{
			`its quiesce port 4444 is suspended (quiesce_url http://gw-2:4444: no answer: connection refused)`,
			"not suspended and in access mode allow"}},
		{"deny", func(n *fakeNode) { n.quiescePortUnfit = "deny" }, []string{
			`its quiesce port 4444 is in access mode "deny" (quiesce_url http://gw-2:4444: health 403)`,
			"not suspended and in access mode allow"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
				if tc.want != nil {
					h.eng.Gateway = settingsCluster{h.c}
				}
				tc.setup(h.c.node("gw-2"))
				rep, _, err := h.run(t.Context())
				se := wantStepError(t, err, "gw-2", StepPreflight)
				wantText(t, "failure", se.Err.Error(), tc.want...)
				wantText(t, "hint", se.Hint, "apigw_quiesce_port")
				wantOutcomes(t, rep, "gw-1:upgraded")
				h.wantUntouched("gw-2")
			})
		})
	}
}

func TestPreflightWaitsForPeerToComeBack(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		// gw-3 restarts on its own while gw-1 is being upgraded.
		h.ev.hook = func(e Event) {
			if e.Node == "gw-1" && e.Kind == EventCommandDone {
				n := h.c.node("gw-3")
				h.c.mu.Lock()
				n.ph, n.until, n.startTime = phStarting, time.Now().Add(200*time.Second), 200*time.Second
				h.c.mu.Unlock()
			}
		}
		h.runOK("gw-1:upgraded gw-2:upgraded gw-3:upgraded")
		if !slices.Contains(h.ev.kinds("gw-2"), EventPreflightWait) {
			t.Error("no preflight_wait event for gw-2")
		}
		if h.c.maxOut != 1 {
			t.Errorf("max out %d: gw-2 was taken out while gw-3 was down", h.c.maxOut)
		}
	})
}

func TestReadyStreakIsConfirmedQuickly(t *testing.T) {
	simulate(t, []string{oldV}, func(t *testing.T, h *harness) {
		h.runOK("gw-1:upgraded")
		times := h.c.health["http://gw-1:5555"]
		n := len(times)
		if gap := times[n-1].Sub(times[n-2]); gap != pollInt/10 {
			t.Errorf("second health 200 came %s after the first, want %s", gap, pollInt/10)
		}
	})
}

func TestPreflightGivesUpOnPeerThatStaysDown(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.ReadyTimeout = 3 * time.Minute
		h.ev.hook = func(e Event) {
			if e.Node == "gw-1" && e.Kind == EventCommandDone {
				h.c.mu.Lock()
				h.c.node("gw-3").ph = phDown
				h.c.mu.Unlock()
			}
		}
		rep, _, err := h.run(t.Context())
		se := wantStepError(t, err, "gw-2", StepPreflight)
		wantError(t, err, `"gw-3" (no answer`)
		wantText(t, "hint", se.Hint, "Nothing was changed")
		wantOutcomes(t, rep, "gw-1:upgraded")
		h.wantUntouched("gw-2")
	})
}
