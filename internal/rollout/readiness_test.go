package rollout

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestNeverReadyTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.c.node("gw-1").startTime = time.Hour
		h.cfg.ReadyTimeout = 3 * time.Minute
		_, took, err := h.run(t.Context())
		if se := stepError(t, err); se.Step != StepReady || !strings.Contains(err.Error(), "not ready on target_version 10.15.0.7 within ready_timeout 3m") {
			t.Fatalf("error: %v", err)
		}
		within(t, "run", took, 60*time.Second+10*time.Second+3*time.Minute, 60*time.Second+10*time.Second+3*time.Minute+pollInt)
	})
}

func TestSoakWithFailingHealthFailsTheNode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.c.node("gw-1").unhealthyAfter = 30 * time.Second
		h.cfg.SoakDuration = 2 * time.Minute
		rep, _, err := h.run(t.Context())
		se := stepError(t, err)
		if se.Node != "gw-1" || se.Step != StepSoak || !strings.Contains(err.Error(), "health 500") {
			t.Fatalf("error: %v", err)
		}
		if outcomes(rep) != "gw-1:failed" || len(h.commandsFor("gw-2")) != 0 {
			t.Errorf("outcomes %s, gw-2 commands %v", outcomes(rep), h.commandsFor("gw-2"))
		}
	})
}

func TestSoakPassesAndDelaysNextNode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.cfg.SoakDuration = time.Minute
		rep, _, err := h.run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
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

func TestPreflightRefusesNodeWithoutQuiescePort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.c.node("gw-2").noQuiescePort = true
		rep, _, err := h.run(t.Context())
		se := stepError(t, err)
		if se.Node != "gw-2" || se.Step != StepPreflight || !strings.Contains(se.Hint, "apigw_quiesce_port") {
			t.Fatalf("error: %v", err)
		}
		if outcomes(rep) != "gw-1:upgraded" || h.c.node("gw-2").quiesceCalls != 0 {
			t.Errorf("outcomes %s, gw-2 quiesce calls %d", outcomes(rep), h.c.node("gw-2").quiesceCalls)
		}
	})
}

// TestPreflightRefusesUnfitQuiescePort: a quiesce port that is suspended
// (it refuses connections) or in access mode deny (it answers 403) is
// refused before the node is touched, and the error says which, when the
// gateway can read the node's quiesce-port setting.
func TestPreflightRefusesUnfitQuiescePort(t *testing.T) {
	for unfit, want := range map[string]string{
		"suspended": `its quiesce port 4444 is suspended (quiesce_url http://gw-2:4444: no answer: connection refused)`,
		"deny":      `its quiesce port 4444 is in access mode "deny" (quiesce_url http://gw-2:4444: health 403)`,
	} {
		t.Run(unfit, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, oldV, oldV)
				h.eng.Gateway = settingsCluster{h.c}
				h.c.node("gw-2").quiescePortUnfit = unfit
				rep, _, err := h.run(t.Context())
				se := stepError(t, err)
				if se.Node != "gw-2" || se.Step != StepPreflight || !strings.Contains(se.Err.Error(), want) ||
					!strings.Contains(se.Err.Error(), "not suspended and in access mode allow") || !strings.Contains(se.Hint, "apigw_quiesce_port") {
					t.Fatalf("error: %v\nwant it to contain %q", err, want)
				}
				if outcomes(rep) != "gw-1:upgraded" || h.c.node("gw-2").quiesceCalls != 0 {
					t.Errorf("outcomes %s, gw-2 quiesce calls %d", outcomes(rep), h.c.node("gw-2").quiesceCalls)
				}
			})
		})
	}
}

func TestPreflightWaitsForPeerToComeBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV, oldV)
		// gw-3 restarts on its own while gw-1 is being upgraded.
		h.ev.hook = func(e Event) {
			if e.Node == "gw-1" && e.Kind == EventCommandDone {
				n := h.c.node("gw-3")
				h.c.mu.Lock()
				n.ph, n.until, n.startTime = phStarting, time.Now().Add(200*time.Second), 200*time.Second
				h.c.mu.Unlock()
			}
		}
		rep, _, err := h.run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(h.ev.kinds("gw-2"), EventPreflightWait) {
			t.Error("no preflight_wait event for gw-2")
		}
		if h.c.maxOut != 1 {
			t.Errorf("max out %d: gw-2 was taken out while gw-3 was down", h.c.maxOut)
		}
		if outcomes(rep) != "gw-1:upgraded gw-2:upgraded gw-3:upgraded" {
			t.Errorf("outcomes %s", outcomes(rep))
		}
	})
}

func TestReadyStreakIsConfirmedQuickly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV)
		h.cfg.Nodes = h.cfg.Nodes[:1]
		if _, _, err := h.run(t.Context()); err != nil {
			t.Fatal(err)
		}
		times := h.c.health["http://gw-1:5555"]
		n := len(times)
		if gap := times[n-1].Sub(times[n-2]); gap != pollInt/10 {
			t.Errorf("second health 200 came %s after the first, want %s", gap, pollInt/10)
		}
	})
}

func TestPreflightGivesUpOnPeerThatStaysDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV, oldV)
		h.cfg.ReadyTimeout = 3 * time.Minute
		h.ev.hook = func(e Event) {
			if e.Node == "gw-1" && e.Kind == EventCommandDone {
				h.c.mu.Lock()
				h.c.node("gw-3").ph = phDown
				h.c.mu.Unlock()
			}
		}
		rep, _, err := h.run(t.Context())
		se := stepError(t, err)
		if se.Node != "gw-2" || se.Step != StepPreflight || !strings.Contains(err.Error(), `"gw-3" (no answer`) || !strings.Contains(se.Hint, "Nothing was changed") {
			t.Fatalf("error: %v", err)
		}
		if outcomes(rep) != "gw-1:upgraded" || h.c.node("gw-2").quiesceCalls != 0 {
			t.Errorf("outcomes %s, gw-2 quiesce calls %d", outcomes(rep), h.c.node("gw-2").quiesceCalls)
		}
	})
}
