package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestResumesLeftBehindNodeFirstWithoutQuiescing(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.c.node("gw-2").ph = phQuiesced // an earlier run stopped after draining it
		rep, _ := h.runOK("gw-2:upgraded gw-1:upgraded gw-3:upgraded")
		if n := h.c.node("gw-2").quiesceCalls; n != 0 {
			t.Errorf("gw-2 quiesced again (%d calls)", n)
		}
		if h.c.log[0] != "upgrade gw-2" {
			t.Errorf("first call %q, want the upgrade of gw-2", h.c.log[0])
		}
		if r := rep.Results[0]; r.FromVersion != "" || r.ToVersion != newV {
			t.Errorf("gw-2 result: from %q to %q", r.FromVersion, r.ToVersion)
		}
		h.wantEvents("gw-2", EventNodeStarted, EventResume, EventCommandDone, EventReady, EventNodeUpgraded)
		if h.c.maxOut != 1 {
			t.Errorf("max out %d", h.c.maxOut)
		}
	})
}

func TestResumedNodeStillQuiescingIsWaitedFor(t *testing.T) {
	for _, stuck := range []bool{false, true} {
		t.Run(fmt.Sprintf("stuck=%v", stuck), func(t *testing.T) {
			simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
				h.cfg.DrainTimeout = time.Minute
				n := h.c.node("gw-2")
				n.ph, n.primaryClosed = phQuiescing, true
				if stuck {
					n.neverDrains = true
				} else {
					n.until = time.Now().Add(30 * time.Second)
				}
				rep, _ := h.runOK("gw-2:upgraded gw-1:upgraded")
				if n.quiesceCalls != 0 {
					t.Fatalf("gw-2 quiesce calls %d", n.quiesceCalls)
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

// TestNodeAlreadyOnItsWay: a node someone already quiesced, or that is
// already starting on target, is taken as it is: the engine waits for
// what is under way instead of starting it again.
func TestNodeAlreadyOnItsWay(t *testing.T) {
	t.Run("starting on target", func(t *testing.T) {
		simulate(t, []string{newV, oldV}, func(t *testing.T, h *harness) {
			n := h.c.node("gw-1")
			n.ph, n.until = phStarting, time.Now().Add(30*time.Second) // serverinfo up, health 500
			rep, _ := h.runOK("gw-1:upgraded gw-2:upgraded")
			h.wantCommands("gw-1")
			within(t, "gw-1 ready", rep.Results[0].Ready, 30*time.Second, 30*time.Second+pollInt+pollInt/10)
		})
	})
	t.Run("already quiescing counts as started", func(t *testing.T) {
		simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
			n := h.c.node("gw-1")
			n.ph, n.until = phQuiescing, time.Now().Add(20*time.Second)
			rep, _ := h.runOK("gw-1:upgraded gw-2:upgraded")
			within(t, "gw-1 drain", rep.Results[0].Drain, 20*time.Second, 20*time.Second+pollInt)
			wantText(t, "gw-1's quiesce_requested event", h.ev.last("gw-1", EventQuiesceRequested).Message, "already")
		})
	})
}

// TestQuiesceRefused: a quiesce request that fails fails the node; with
// rollback_command, which then runs, it is rolled back. One the gateway
// answered that it did nothing (Refused) left the node untouched, so
// rollback_command must not run, and the hint says so and what to check;
// before_node_command ran and must be undone by hand.
func TestQuiesceRefused(t *testing.T) {
	for _, tc := range []struct {
		name     string
		hooks    bool // before_node_command and rollback_command set
		refused  bool
		outcomes string
		commands []string
	}{
		{"failed", false, false, "gw-1:failed", nil},
		{"failed, with rollback_command", true, false, "gw-1:rolled_back", []string{"before_node", "rollback"}},
		{"refused by the gateway", true, true, "gw-1:failed", []string{"before_node"}}, // no rollback of an untouched node
	} {
		t.Run(tc.name, func(t *testing.T) {
			simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
				if tc.hooks {
					h.cfg.BeforeNodeCommand = []string{"/opt/lb-out.sh"}
					h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
				}
				h.c.node("gw-1").quiesceErr = errors.New("500: no valid quiesce port")
				if tc.refused {
					h.c.node("gw-1").quiesceErr = Refused(h.c.node("gw-1").quiesceErr)
				}
				rep, took, err := h.run(t.Context())
				se := wantStepError(t, err, "gw-1", StepQuiesce)
				wantError(t, err, "no valid quiesce port")
				wantOutcomes(t, rep, tc.outcomes)
				h.wantCommands("gw-1", tc.commands...)
				h.wantUntouched("gw-2")
				if !tc.refused {
					return
				}
				if took >= pollInt {
					t.Errorf("the refusal was reported after %s: a refused quiesce must not wait for a drain", took)
				}
				wantText(t, "hint", se.Hint, "refused quiesce mode for all and did nothing", "still serves its old version",
					"before_node_command ran", "apigw_quiesce_port")
				if rep.Versions["gw-1"] != oldV {
					t.Errorf("gw-1 version %q; want still %s", rep.Versions["gw-1"], oldV)
				}
			})
		})
	}
}

func TestDrainShutdownStrategy(t *testing.T) {
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.Strategy = StrategyDrainShutdown
		h.cfg.DrainTimeout = 90 * time.Second
		for i := range h.cfg.Nodes {
			h.cfg.Nodes[i].QuiesceURL = "" // not needed for this strategy
		}
		rep, _ := h.runOK("gw-1:upgraded gw-2:upgraded")
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
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.BeforeNodeCommand = []string{"/opt/lb.sh", "out"}
		h.cfg.AfterNodeCommand = []string{"/opt/lb.sh", "in"}
		h.runOK("gw-1:upgraded gw-2:upgraded")
		want := []string{"before_node gw-1", "quiesce gw-1", "upgrade gw-1", "after_node gw-1",
			"before_node gw-2", "quiesce gw-2", "upgrade gw-2", "after_node gw-2"}
		if !slices.Equal(h.c.log, want) {
			t.Errorf("calls %v\nwant %v", h.c.log, want)
		}
		h.wantEvents("gw-1", EventNodeStarted, EventBeforeCommandDone, EventQuiesceRequested, EventDrained,
			EventCommandDone, EventReady, EventAfterCommandDone, EventNodeUpgraded)
	})
}

// TestBeforeOrAfterCommandFailureIsNotRolledBack: a failed
// before_node_command leaves the node as it was (not quiesced), a failed
// after_node_command leaves it upgraded; neither is rolled back.
func TestBeforeOrAfterCommandFailureIsNotRolledBack(t *testing.T) {
	for _, tc := range []struct {
		step     string
		hint     string // what the error's hint says
		commands []string
		quiesced int
		version  string
	}{
		{StepBeforeCommand, "not quiesced", []string{"before_node"}, 0, oldV},
		{StepAfterCommand, "run it by hand", []string{"before_node", "upgrade", "after_node"}, 1, newV},
	} {
		t.Run(tc.step, func(t *testing.T) {
			simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
				h.cfg.BeforeNodeCommand = []string{"/opt/lb.sh", "out"}
				h.cfg.AfterNodeCommand = []string{"/opt/lb.sh", "in"}
				h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
				h.r.exit[tc.commands[len(tc.commands)-1]+"/gw-1"] = CommandResult{ExitCode: 2, Tail: "lb unreachable"}
				rep, _, err := h.run(t.Context())
				se := wantStepError(t, err, "gw-1", tc.step)
				wantText(t, "hint", se.Hint, tc.hint)
				h.wantCommands("gw-1", tc.commands...)
				if n := h.c.node("gw-1").quiesceCalls; n != tc.quiesced {
					t.Errorf("gw-1 quiesced %d times, want %d", n, tc.quiesced)
				}
				wantOutcomes(t, rep, "gw-1:failed")
				if got := rep.Results[0].ToVersion; got != tc.version {
					t.Errorf("gw-1 on %q, want %q", got, tc.version)
				}
			})
		})
	}
}

// TestQuiesceRequestsGoOutOneAtATime: with two nodes in flight, the second
// node's quiesce request waits until the first one's is answered (the
// gateway takes 3s to answer, and fails a request that overlaps another),
// but the two drains overlap: the rollout still takes two waves.
func TestQuiesceRequestsGoOutOneAtATime(t *testing.T) {
	const latency = 3 * time.Second
	simulate(t, []string{oldV, oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.c.quiesceLatency = latency
		h.cfg.MaxUnavailable = 2
		rep, took, err := h.run(t.Context())
		if err != nil || h.c.overlaps != 0 {
			t.Fatalf("error %v, %d quiesce requests overlapped another: %v", err, h.c.overlaps, h.c.log)
		}
		wantOutcomes(t, rep, "gw-1:upgraded gw-2:upgraded gw-3:upgraded gw-4:upgraded")
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
	simulate(t, []string{oldV, oldV, oldV, oldV}, func(t *testing.T, h *harness) {
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
