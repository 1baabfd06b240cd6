package rollout

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestHappyPathThreeNodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV, oldV)
		rep, took, err := h.run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(rep); got != "gw-1:upgraded gw-2:upgraded gw-3:upgraded" {
			t.Fatalf("outcomes: %s", got)
		}
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
		want := []EventKind{EventNodeStarted, EventQuiesceRequested, EventDrained, EventCommandDone, EventReady, EventNodeUpgraded}
		if got := h.ev.kinds("gw-2"); !slices.Equal(got, want) {
			t.Errorf("events for gw-2: %v, want %v", got, want)
		}
		wantLog := []string{"quiesce gw-1", "upgrade gw-1", "quiesce gw-2", "upgrade gw-2", "quiesce gw-3", "upgrade gw-3"}
		if !slices.Equal(h.c.log, wantLog) {
			t.Errorf("calls: %v, want %v", h.c.log, wantLog)
		}
	})
}

func TestSkipsNodesOnTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, "10.15.0.7.999", oldV)
		rep, _, err := h.run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(rep); got != "gw-2:skipped gw-1:upgraded gw-3:upgraded" {
			t.Fatalf("outcomes: %s", got)
		}
		if s := rep.Results[0]; s.FromVersion != "10.15.0.7.999" || s.ToVersion != "10.15.0.7.999" || s.Drain != 0 {
			t.Errorf("skipped result: %+v", s)
		}
		if cmds := h.commandsFor("gw-2"); len(cmds) != 0 || h.c.node("gw-2").quiesceCalls != 0 {
			t.Errorf("gw-2 was touched: commands %v, quiesce calls %d", cmds, h.c.node("gw-2").quiesceCalls)
		}
		if got := h.ev.kinds("gw-2"); !slices.Equal(got, []EventKind{EventNodeSkipped}) {
			t.Errorf("events for gw-2: %v", got)
		}
	})
}

func TestAllOnTargetTouchesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, newV, newV)
		rep, _, err := h.run(t.Context())
		if err != nil || outcomes(rep) != "gw-1:skipped gw-2:skipped" || len(h.c.log) != 0 {
			t.Fatalf("err %v, outcomes %s, calls %v", err, outcomes(rep), h.c.log)
		}
	})
}

func TestRefusesWhenTooManyNodesAreUnready(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV, oldV)
		h.c.node("gw-1").ph = phQuiesced
		h.c.node("gw-3").ph = phDown
		rep, _, err := h.run(t.Context())
		if err == nil {
			t.Fatal("want a refusal")
		}
		for _, want := range []string{`"gw-1"`, `"gw-3"`, "max_unavailable is 1"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %s", err, want)
			}
		}
		if len(h.c.log) != 0 || len(rep.Results) != 0 {
			t.Errorf("touched nodes: %v, results %v", h.c.log, rep.Results)
		}
		if rep.Versions["gw-2"] != oldV {
			t.Errorf("versions not reported: %v", rep.Versions)
		}
	})
}

func TestRefusesVersionProblemsBeforeTouchingAnything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, "10.11.0.3", "10.15.0.8")
		_, _, err := h.run(t.Context())
		var ve *VersionError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), `"gw-2"`) || !strings.Contains(err.Error(), `"gw-3"`) {
			t.Fatalf("want version refusals for gw-2 and gw-3, got %v", err)
		}
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

func TestMaxUnavailableTwoOfFour(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV, oldV, oldV)
		h.cfg.MaxUnavailable = 2
		rep, took, err := h.run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(rep); got != "gw-1:upgraded gw-2:upgraded gw-3:upgraded gw-4:upgraded" {
			t.Fatalf("outcomes: %s", got)
		}
		if h.c.maxOut != 2 {
			t.Errorf("max nodes out at once = %d, want 2", h.c.maxOut)
		}
		if budget := 2 * cycle * 105 / 100; took > budget {
			t.Errorf("rollout took %s, budget %s", took, budget)
		}
	})
}

func TestMaxUnavailableSlidingWindowWithUnevenNodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV, oldV, oldV, oldV)
		h.c.node("gw-1").startTime = 300 * time.Second // slow node: the window slides past it
		h.cfg.MaxUnavailable = 2
		rep, _, err := h.run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if h.c.maxOut != 2 {
			t.Errorf("max out %d", h.c.maxOut)
		}
		if !rep.Results[2].StartedAt.Before(rep.Results[0].FinishedAt) {
			t.Error("gw-3 waited for the slow gw-1 instead of taking gw-2's slot")
		}
	})
}

func TestSingleNodeCluster(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV)
		rep, _, err := h.run(t.Context())
		if err != nil || outcomes(rep) != "gw-1:upgraded" {
			t.Fatalf("err %v, outcomes %s", err, outcomes(rep))
		}
	})
}

func TestInvalidConfigTouchesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.cfg.MaxUnavailable = 2
		rep, _, err := h.run(t.Context())
		if err == nil || !strings.Contains(err.Error(), "max_unavailable") || len(h.c.log) != 0 || len(rep.Results) != 0 {
			t.Fatalf("err %v, calls %v", err, h.c.log)
		}
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
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		clock := &recordingClock{}
		h.eng.Clock, h.eng.OnEvent = clock, nil // no OnEvent is fine too
		start := time.Now()
		if _, _, err := h.run(t.Context()); err != nil {
			t.Fatal(err)
		}
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
