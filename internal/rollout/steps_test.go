package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestResumesLeftBehindNodeFirstWithoutQuiescing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV, oldV)
		h.c.node("gw-2").ph = phQuiesced // an earlier run stopped after draining it
		rep, _, err := h.run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(rep); got != "gw-2:upgraded gw-1:upgraded gw-3:upgraded" {
			t.Fatalf("outcomes: %s", got)
		}
		if n := h.c.node("gw-2").quiesceCalls; n != 0 {
			t.Errorf("gw-2 quiesced again (%d calls)", n)
		}
		if h.c.log[0] != "upgrade gw-2" {
			t.Errorf("first call %q, want the upgrade of gw-2", h.c.log[0])
		}
		if r := rep.Results[0]; r.FromVersion != "" || r.ToVersion != newV {
			t.Errorf("gw-2 result: from %q to %q", r.FromVersion, r.ToVersion)
		}
		want := []EventKind{EventNodeStarted, EventResume, EventCommandDone, EventReady, EventNodeUpgraded}
		if got := h.ev.kinds("gw-2"); !slices.Equal(got, want) {
			t.Errorf("events for gw-2: %v, want %v", got, want)
		}
		if h.c.maxOut != 1 {
			t.Errorf("max out %d", h.c.maxOut)
		}
	})
}

func TestResumedNodeStillQuiescingIsWaitedFor(t *testing.T) {
	for _, stuck := range []bool{false, true} {
		t.Run(fmt.Sprintf("stuck=%v", stuck), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, oldV, oldV)
				h.cfg.DrainTimeout = time.Minute
				n := h.c.node("gw-2")
				n.ph, n.primaryClosed = phQuiescing, true
				if stuck {
					n.neverDrains = true
				} else {
					n.until = time.Now().Add(30 * time.Second)
				}
				rep, _, err := h.run(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if got := outcomes(rep); got != "gw-2:upgraded gw-1:upgraded" || n.quiesceCalls != 0 {
					t.Fatalf("outcomes %s, gw-2 quiesce calls %d", got, n.quiesceCalls)
				}
				want := 30 * time.Second
				if stuck {
					want = time.Minute // then the command runs anyway
				}
				within(t, "gw-2 drain", rep.Results[0].Drain, want, want+pollInt)
			})
		})
	}
}

func TestWaitsForNodeStartingOnTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, newV, oldV)
		n := h.c.node("gw-1")
		n.ph, n.until = phStarting, time.Now().Add(30*time.Second) // serverinfo up, health 500
		rep, _, err := h.run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(rep); got != "gw-1:upgraded gw-2:upgraded" {
			t.Fatalf("outcomes: %s", got)
		}
		if cmds := h.commandsFor("gw-1"); len(cmds) != 0 {
			t.Errorf("commands ran for gw-1: %v", cmds)
		}
		within(t, "gw-1 ready", rep.Results[0].Ready, 30*time.Second, 30*time.Second+pollInt+pollInt/10)
	})
}

func TestAlreadyQuiescedCountsAsStarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		n := h.c.node("gw-1")
		n.ph, n.until = phQuiescing, time.Now().Add(20*time.Second) // someone quiesced it already
		rep, _, err := h.run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(rep); got != "gw-1:upgraded gw-2:upgraded" {
			t.Fatalf("outcomes: %s", got)
		}
		within(t, "gw-1 drain", rep.Results[0].Drain, 20*time.Second, 20*time.Second+pollInt)
		found := false
		for _, e := range h.ev.all() {
			found = found || (e.Node == "gw-1" && e.Kind == EventQuiesceRequested && strings.Contains(e.Message, "already"))
		}
		if !found {
			t.Error("no quiesce_requested event saying it was already in effect")
		}
	})
}

func TestQuiesceRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.c.node("gw-1").quiesceErr = errors.New("500: no valid quiesce port")
		rep, _, err := h.run(t.Context())
		if se := stepError(t, err); se.Node != "gw-1" || se.Step != StepQuiesce || !strings.Contains(err.Error(), "no valid quiesce port") {
			t.Fatalf("error: %v", err)
		}
		if outcomes(rep) != "gw-1:failed" || len(h.r.commands()) != 0 {
			t.Errorf("outcomes %s, commands %v", outcomes(rep), h.r.commands())
		}
	})
}

// TestQuiesceRefusedByTheGateway: the gateway answered that it did nothing
// (Refused). The node was not touched, so rollback_command must not run,
// and the hint says so and what to check; before_node_command ran and must
// be undone by hand.
func TestQuiesceRefusedByTheGateway(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.cfg.BeforeNodeCommand = []string{"/opt/lb-out.sh"}
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		h.c.node("gw-1").quiesceErr = Refused(errors.New("500: no valid quiesce port"))
		rep, took, err := h.run(t.Context())
		se := stepError(t, err)
		if se.Node != "gw-1" || se.Step != StepQuiesce {
			t.Fatalf("error: %v", err)
		}
		if took >= pollInt {
			t.Errorf("the refusal was reported after %s: a refused quiesce must not wait for a drain", took)
		}
		for _, want := range []string{"refused quiesce mode for all and did nothing", "still serves its old version",
			"before_node_command ran", "apigw_quiesce_port"} {
			if !strings.Contains(se.Hint, want) {
				t.Errorf("hint %q lacks %q", se.Hint, want)
			}
		}
		if got := h.commandsFor("gw-1"); !slices.Equal(got, []string{"before_node"}) {
			t.Errorf("commands for gw-1: %v, want before_node only (no rollback of an untouched node)", got)
		}
		if outcomes(rep) != "gw-1:failed" || rep.Versions["gw-1"] != oldV {
			t.Errorf("outcomes %s, gw-1 version %q; want failed and still %s", outcomes(rep), rep.Versions["gw-1"], oldV)
		}
	})
}

func TestDrainShutdownStrategy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.cfg.Strategy = StrategyDrainShutdown
		h.cfg.DrainTimeout = 90 * time.Second
		for i := range h.cfg.Nodes {
			h.cfg.Nodes[i].QuiesceURL = "" // not needed for this strategy
		}
		rep, _, err := h.run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(rep); got != "gw-1:upgraded gw-2:upgraded" {
			t.Fatalf("outcomes: %s", got)
		}
		for _, n := range h.c.nodes {
			if n.quiesceCalls != 0 || n.shutdownTimeout != 2*time.Minute {
				t.Errorf("%s: %d quiesce calls, shutdown timeout %s (want drain_timeout 90s in whole minutes, 2m)", n.Name, n.quiesceCalls, n.shutdownTimeout)
			}
		}
		// The node answers 503 while draining: only "no answer" means drained.
		within(t, "gw-1 drain", rep.Results[0].Drain, 60*time.Second, 60*time.Second+pollInt)
		want := []string{"drain_shutdown gw-1", "upgrade gw-1", "drain_shutdown gw-2", "upgrade gw-2"}
		if !slices.Equal(h.c.log, want) {
			t.Errorf("calls %v", h.c.log)
		}
	})
}

func TestBeforeAndAfterCommandsWrapEachNode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.cfg.BeforeNodeCommand = []string{"/opt/lb.sh", "out"}
		h.cfg.AfterNodeCommand = []string{"/opt/lb.sh", "in"}
		if _, _, err := h.run(t.Context()); err != nil {
			t.Fatal(err)
		}
		want := []string{"before_node gw-1", "quiesce gw-1", "upgrade gw-1", "after_node gw-1",
			"before_node gw-2", "quiesce gw-2", "upgrade gw-2", "after_node gw-2"}
		if !slices.Equal(h.c.log, want) {
			t.Errorf("calls %v\nwant %v", h.c.log, want)
		}
		wantEv := []EventKind{EventNodeStarted, EventBeforeCommandDone, EventQuiesceRequested, EventDrained, EventCommandDone, EventReady, EventAfterCommandDone, EventNodeUpgraded}
		if got := h.ev.kinds("gw-1"); !slices.Equal(got, wantEv) {
			t.Errorf("events %v", got)
		}
	})
}

func TestAfterCommandFailureLeavesUpgradedNode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.cfg.AfterNodeCommand = []string{"/opt/lb.sh", "in"}
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		h.r.exit["after_node/gw-1"] = CommandResult{ExitCode: 1, Tail: "lb unreachable"}
		rep, _, err := h.run(t.Context())
		if se := stepError(t, err); se.Step != StepAfterCommand || !strings.Contains(se.Hint, "run it by hand") {
			t.Fatalf("error: %v", err)
		}
		if outcomes(rep) != "gw-1:failed" || rep.Results[0].ToVersion != newV {
			t.Errorf("result %+v", rep.Results)
		}
		if got := h.commandsFor("gw-1"); slices.Contains(got, "rollback") {
			t.Errorf("an upgraded node was rolled back: %v", got)
		}
	})
}

func TestBeforeCommandFailureDoesNotQuiesce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.cfg.BeforeNodeCommand = []string{"/opt/lb.sh", "out"}
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		h.r.exit["before_node/gw-1"] = CommandResult{ExitCode: 2}
		rep, _, err := h.run(t.Context())
		if se := stepError(t, err); se.Step != StepBeforeCommand || !strings.Contains(err.Error(), "not quiesced") {
			t.Fatalf("error: %v", err)
		}
		if h.c.node("gw-1").quiesceCalls != 0 || slices.Contains(h.commandsFor("gw-1"), "rollback") {
			t.Errorf("node touched after the before command failed: %v", h.c.log)
		}
		if outcomes(rep) != "gw-1:failed" || rep.Results[0].ToVersion != oldV {
			t.Errorf("results %+v", rep.Results)
		}
	})
}

// TestQuiesceRequestsGoOutOneAtATime: with two nodes in flight, the second
// node's quiesce request waits until the first one's is answered (the
// gateway takes 3s to answer, and fails a request that overlaps another),
// but the two drains overlap: the rollout still takes two waves.
func TestQuiesceRequestsGoOutOneAtATime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const latency = 3 * time.Second
		h := newHarness(t, oldV, oldV, oldV, oldV)
		h.c.quiesceLatency = latency
		h.cfg.MaxUnavailable = 2
		rep, took, err := h.run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if h.c.overlaps != 0 {
			t.Fatalf("%d quiesce requests overlapped another: %v", h.c.overlaps, h.c.log)
		}
		if got := outcomes(rep); got != "gw-1:upgraded gw-2:upgraded gw-3:upgraded gw-4:upgraded" {
			t.Fatalf("outcomes: %s", got)
		}
		if h.c.maxOut != 2 {
			t.Errorf("max nodes out at once = %d, want 2: the drains must overlap", h.c.maxOut)
		}
		// gw-2 waited for gw-1's answer, then drained alongside gw-1.
		within(t, "gw-2 drain (from the start of its turn's wait)", rep.Results[1].Drain, 60*time.Second+latency, 60*time.Second+2*latency+pollInt)
		if budget := 2*(cycle+2*latency) + 2*pollInt; took > budget {
			t.Errorf("rollout took %s, budget %s: the drains must not be serialised", took, budget)
		}
	})
}

// TestCancelledWhileWaitingForTheQuiesceTurn: two nodes are in flight, the
// first quiesce request hangs and the apply is cancelled. The node still
// waiting for its turn never got a request, and its error says nothing was
// changed on it; the other's says it may be quiescing.
func TestCancelledWhileWaitingForTheQuiesceTurn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV, oldV, oldV)
		h.c.quiesceLatency = time.Hour
		h.cfg.MaxUnavailable = 2
		// Stop the nodes in flight at the deadline ("finish_node" would let
		// them wait for their turn and go on).
		h.cfg.OnInterrupt = InterruptRollback
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		_, _, err := h.run(ctx)
		joined, ok := err.(interface{ Unwrap() []error })
		if !ok || len(joined.Unwrap()) != 2 {
			t.Fatalf("want the errors of both nodes in flight, got %v", err)
		}
		hints := map[string]int{}
		for _, e := range joined.Unwrap() {
			se := stepError(t, e)
			switch {
			case se.Step != StepQuiesce:
				t.Errorf("%s failed in %s, want quiesce", se.Node, se.Step)
			case strings.Contains(se.Hint, "Nothing was changed on this node"):
				hints["untouched"]++
			case strings.Contains(se.Hint, "may be quiescing"):
				hints["quiescing"]++
			}
		}
		if hints["untouched"] != 1 || hints["quiescing"] != 1 || h.c.overlaps != 0 {
			t.Fatalf("hints %v, %d overlapping requests; want one node untouched, one that may be quiescing, no overlap: %v", hints, h.c.overlaps, err)
		}
	})
}
