package rollout

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestHappyPathThreeNodes(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		rep, took := h.runOK("gw-1:upgraded gw-2:upgraded gw-3:upgraded")
		for _, r := range rep.Results {
			if r.FromVersion != oldV || r.ToVersion != newV {
				t.Errorf("%s: from %q to %q", r.Node, r.FromVersion, r.ToVersion)
			}
			within(t, r.Node+" drain", r.Drain, 60*time.Second, 60*time.Second+pollInt)
			within(t, r.Node+" command", r.Command, 10*time.Second, 10*time.Second)
			within(t, r.Node+" ready", r.Ready, 80*time.Second, 80*time.Second+pollInt+pollInt/10)
			if !r.FinishedAt.After(r.StartedAt) {
				t.Errorf("%s: finished %v not after started %v", r.Node, r.FinishedAt, r.StartedAt)
			}
			if got := rep.Versions[r.Node]; got != newV {
				t.Errorf("Versions[%s] = %q", r.Node, got)
			}
			if n := h.c.node(r.Node); !slices.Equal(n.flush, AllFlush()) || n.quiesceCalls != 1 {
				t.Errorf("%s: quiesced %d times with flush %v", r.Node, n.quiesceCalls, n.flush)
			}
		}
		if h.c.maxOut != 1 {
			t.Errorf("max nodes out at once = %d, want 1", h.c.maxOut)
		}
		// The measured budget: within 5% of ceil(N/k) * (drain + restart).
		if budget := 3 * cycle * 105 / 100; took > budget {
			t.Errorf("rollout took %s, budget %s", took, budget)
		}
		h.wantEvents("gw-2", EventNodeStarted, EventQuiesceRequested, EventDrained, EventCommandDone, EventReady, EventNodeUpgraded)
		wantLog := []string{"quiesce gw-1", "upgrade gw-1", "quiesce gw-2", "upgrade gw-2", "quiesce gw-3", "upgrade gw-3"}
		if !slices.Equal(h.c.log, wantLog) {
			t.Errorf("calls: %v, want %v", h.c.log, wantLog)
		}
	})
}

func TestSkipsNodesOnTarget(t *testing.T) {
	simulate(t, []string{oldV, "10.15.0.7.999", oldV}, func(t *testing.T, h *harness) {
		rep, _ := h.runOK("gw-2:skipped gw-1:upgraded gw-3:upgraded")
		if s := rep.Results[0]; s.FromVersion != "10.15.0.7.999" || s.ToVersion != "10.15.0.7.999" || s.Drain != 0 {
			t.Errorf("skipped result: %+v", s)
		}
		h.wantUntouched("gw-2")
		h.wantEvents("gw-2", EventNodeSkipped)
	})
}

func TestAllOnTargetTouchesNothing(t *testing.T) {
	simulate(t, []string{newV, newV}, func(t *testing.T, h *harness) {
		h.runOK("gw-1:skipped gw-2:skipped")
		if len(h.c.log) != 0 {
			t.Fatalf("calls %v", h.c.log)
		}
	})
}

// TestRefusalsTouchNothing: a cluster with more nodes unready than
// max_unavailable allows, and a configuration the engine refuses, stop the
// run before any node is touched, with an error that says why.
func TestRefusalsTouchNothing(t *testing.T) {
	for _, tc := range []struct {
		name     string
		setup    func(h *harness)
		want     []string
		surveyed bool // the report has the versions the survey read
	}{
		{"too many nodes unready", func(h *harness) {
			h.c.node("gw-1").ph = phQuiesced
			h.c.node("gw-3").ph = phDown
		}, []string{`"gw-1"`, `"gw-3"`, "max_unavailable is 1"}, true},
		{"invalid configuration", func(h *harness) { h.cfg.MaxUnavailable = 3 }, []string{"max_unavailable"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
				tc.setup(h)
				rep, _, err := h.run(t.Context())
				wantError(t, err, tc.want...)
				if len(h.c.log) != 0 || len(rep.Results) != 0 {
					t.Errorf("touched nodes: %v, results %v", h.c.log, rep.Results)
				}
				if tc.surveyed && rep.Versions["gw-2"] != oldV {
					t.Errorf("versions not reported: %v", rep.Versions)
				}
			})
		})
	}
}

func TestRefusesVersionProblemsBeforeTouchingAnything(t *testing.T) {
	simulate(t, []string{oldV, "10.11.0.3", "10.15.0.8"}, func(t *testing.T, h *harness) {
		_, _, err := h.run(t.Context())
		errorAs[*VersionError](t, err)
		wantError(t, err, `"gw-2"`, `"gw-3"`)
		if len(h.c.log) != 0 {
			t.Errorf("touched nodes: %v", h.c.log)
		}
		h.cfg.AllowDowngrade = true
		h.c.nodes = h.c.nodes[2:] // leave the other release out
		h.cfg.Nodes = h.c.Nodes()
		if _, _, err := h.run(t.Context()); err != nil {
			t.Fatalf("downgrade allowed: %v", err)
		}
	})
}

// TestMaxUnavailableTwo: with max_unavailable 2, two nodes are out at
// once, four nodes take two waves, and a slow node does not hold up the
// others: the window slides past it.
func TestMaxUnavailableTwo(t *testing.T) {
	t.Run("four nodes in two waves", func(t *testing.T) {
		simulate(t, []string{oldV, oldV, oldV, oldV}, func(t *testing.T, h *harness) {
			h.cfg.MaxUnavailable = 2
			_, took := h.runOK("gw-1:upgraded gw-2:upgraded gw-3:upgraded gw-4:upgraded")
			if h.c.maxOut != 2 {
				t.Errorf("max nodes out at once = %d, want 2", h.c.maxOut)
			}
			if budget := 2 * cycle * 105 / 100; took > budget {
				t.Errorf("rollout took %s, budget %s", took, budget)
			}
		})
	})
	t.Run("the window slides past a slow node", func(t *testing.T) {
		simulate(t, []string{oldV, oldV, oldV, oldV, oldV}, func(t *testing.T, h *harness) {
			h.c.node("gw-1").startTime = 300 * time.Second
			h.cfg.MaxUnavailable = 2
			rep, _ := h.runOK("gw-1:upgraded gw-2:upgraded gw-3:upgraded gw-4:upgraded gw-5:upgraded")
			if h.c.maxOut != 2 {
				t.Errorf("max out %d", h.c.maxOut)
			}
			if !rep.Results[2].StartedAt.Before(rep.Results[0].FinishedAt) {
				t.Error("gw-3 waited for the slow gw-1 instead of taking gw-2's slot")
			}
		})
	})
}

func TestSingleNodeCluster(t *testing.T) {
	simulate(t, []string{oldV}, func(t *testing.T, h *harness) {
		h.runOK("gw-1:upgraded")
	})
}

// recordingClock is the wall clock (the bubble's fake one) that records
// every pause the engine takes.
type recordingClock struct {
	systemClock
	mu     sync.Mutex
	sleeps []time.Duration
}

func (c *recordingClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	return c.systemClock.Sleep(ctx, d)
}

func TestEngineWaitsOnlyThroughItsClock(t *testing.T) {
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		clock := &recordingClock{}
		h.eng.Clock, h.eng.OnEvent = clock, nil // no OnEvent is fine too
		start := time.Now()
		h.runOK("gw-1:upgraded gw-2:upgraded")
		var slept time.Duration
		for _, d := range clock.sleeps {
			if d <= 0 || d > pollInt {
				t.Errorf("pause of %s (poll interval %s)", d, pollInt)
			}
			slept += d
		}
		// Everything but the fake commands' own time is the engine's pauses.
		if commands := 2 * 10 * time.Second; slept+commands != time.Since(start) {
			t.Errorf("paused %s + commands %s, but the run took %s", slept, commands, time.Since(start))
		}
	})
}

func TestEngineNeedsAGateway(t *testing.T) {
	rep, err := (&Engine{}).Run(t.Context(), validConfig())
	if err == nil || rep == nil {
		t.Fatalf("report %v, error %v", rep, err)
	}
}
