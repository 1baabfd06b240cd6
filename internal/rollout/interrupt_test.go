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

// Interrupts (a cancelled context) and deadlines with on_interrupt =
// "finish_node", the default; the "rollback" policy keeps stopping the
// nodes in flight (the rollback cases of TestInterruptDuringDrain and
// TestInterruptDuringAHangingCommand).

// cancelDuringUpgrade returns a context that is cancelled 5s into node's
// upgrade command, and reports when through at.
func (h *harness) cancelDuringUpgrade(node string, at *time.Time) context.Context {
	ctx, cancel := context.WithCancel(h.t.Context())
	h.t.Cleanup(cancel)
	h.r.onRun = func(c Command) {
		if c.Step == "upgrade" && envOf(c, "APIGW_NODE_NAME") == node {
			go func() {
				time.Sleep(5 * time.Second)
				if at != nil {
					*at = time.Now()
				}
				cancel()
			}()
		}
	}
	return ctx
}

// cancelOnEvent returns a context that is cancelled when node reaches kind.
func (h *harness) cancelOnEvent(node string, kind EventKind) context.Context {
	ctx, cancel := context.WithCancel(h.t.Context())
	h.t.Cleanup(cancel)
	h.ev.hook = func(e Event) {
		if e.Node == node && e.Kind == kind {
			cancel()
		}
	}
	return ctx
}

func TestFinishNodeInterruptDuringCommandLetsTheNodeFinish(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		var interruptedAt time.Time
		rep, _, err := h.run(h.cancelDuringUpgrade("gw-2", &interruptedAt))
		ie := errorAs[*InterruptError](t, err)
		if !errors.Is(err, context.Canceled) || fmt.Sprint(ie.Finished) != "[gw-2]" || fmt.Sprint(ie.NotStarted) != "[gw-3]" {
			t.Fatalf("error: %#v", ie)
		}
		wantError(t, err, "interrupted", "gw-2, in flight at that moment, finished its upgrade", "gw-3 not started", "Run terraform apply again to resume")
		wantOutcomes(t, rep, "gw-1:upgraded gw-2:upgraded")
		if rep.Versions["gw-2"] != newV {
			t.Errorf("gw-2 reports %q, want %s", rep.Versions["gw-2"], newV)
		}
		// The command ran its full 10s (the fake runner stops on ctx), the
		// node became ready, and nothing was rolled back or started after.
		if r := rep.Results[1]; r.Command != 10*time.Second || r.Ready <= 0 || !r.FinishedAt.After(interruptedAt) {
			t.Errorf("gw-2: command %s, ready %s, finished %s after the interrupt", r.Command, r.Ready, r.FinishedAt.Sub(interruptedAt))
		}
		h.wantCommands("gw-2", "upgrade") // no rollback
		h.wantUntouched("gw-3")
		if !slices.Contains(h.ev.kinds("gw-2"), EventInterrupted) {
			t.Errorf("no %s event for gw-2: %v", EventInterrupted, h.ev.kinds("gw-2"))
		}
		for _, e := range h.ev.all() {
			if e.Node == "gw-2" && e.Kind == EventNodeUpgraded && strings.Contains(e.Next, "gw-3") {
				t.Errorf("gw-2's last milestone announces gw-3, which the interrupt keeps from starting: %+v", e)
			}
		}
	})
}

// TestInterruptDuringDrain: cancelled while gw-2 drains, finish_node lets
// gw-2 drain fully and finish; rollback stops it and says it may be left
// quiescing. Neither starts gw-3.
func TestInterruptDuringDrain(t *testing.T) {
	for _, tc := range []struct {
		policy   InterruptPolicy
		outcomes string
		check    func(t *testing.T, rep *Report, err error)
	}{
		{InterruptFinishNode, "gw-1:upgraded gw-2:upgraded", func(t *testing.T, rep *Report, err error) {
			ie := errorAs[*InterruptError](t, err)
			if fmt.Sprint(ie.Finished) != "[gw-2]" || fmt.Sprint(ie.NotStarted) != "[gw-3]" {
				t.Fatalf("error: %v", err)
			}
			if d := rep.Results[1].Drain; d < 60*time.Second {
				t.Errorf("gw-2 drained in %s, want the fake's full 60s drain", d)
			}
		}},
		{InterruptRollback, "gw-1:upgraded gw-2:failed", func(t *testing.T, _ *Report, err error) {
			wantStepError(t, err, "gw-2", StepDrain)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v is not the cancellation", err)
			}
			wantError(t, err, "may be quiescing", "interrupted") // the node was left quiescing
		}},
	} {
		t.Run(string(tc.policy), func(t *testing.T) {
			simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
				h.cfg.OnInterrupt = tc.policy
				rep, _, err := h.run(h.cancelOnEvent("gw-2", EventQuiesceRequested))
				tc.check(t, rep, err)
				wantOutcomes(t, rep, tc.outcomes)
				h.wantUntouched("gw-3")
			})
		})
	}
}

// TestInterruptDuringAHangingCommand: cancelled while gw-2's upgrade
// command hangs, finish_node lets the command run into its own
// command_timeout; rollback stops it at once and runs rollback_command on a
// fresh context. Either way gw-2 is rolled back and gw-3 not started.
func TestInterruptDuringAHangingCommand(t *testing.T) {
	for _, tc := range []struct {
		policy  InterruptPolicy
		command time.Duration // how long the hanging command ran
		check   func(t *testing.T, err error)
	}{
		{InterruptFinishNode, 3 * time.Minute, func(t *testing.T, err error) { wantError(t, err, "timed out after 3m") }},
		{InterruptRollback, 5 * time.Second, func(t *testing.T, err error) {
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v is not the cancellation", err)
			}
		}},
	} {
		t.Run(string(tc.policy), func(t *testing.T) {
			simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
				h.cfg.OnInterrupt = tc.policy
				h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
				h.cfg.CommandTimeout = 3 * time.Minute
				h.r.hang["upgrade/gw-2"] = true
				rep, _, err := h.run(h.cancelDuringUpgrade("gw-2", nil))
				wantStepError(t, err, "gw-2", StepUpgradeCommand)
				tc.check(t, err)
				if r := rep.Results[1]; r.Command != tc.command {
					t.Errorf("the hanging command ran %s, want %s", r.Command, tc.command)
				}
				wantOutcomes(t, rep, "gw-1:upgraded gw-2:rolled_back")
				if rep.Versions["gw-2"] != oldV {
					t.Errorf("gw-2 version %q", rep.Versions["gw-2"])
				}
				h.wantUntouched("gw-3")
			})
		})
	}
}

func TestDeadlineTakesTheInterruptPath(t *testing.T) {
	for _, policy := range []InterruptPolicy{InterruptFinishNode, InterruptRollback} {
		t.Run(string(policy), func(t *testing.T) {
			simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
				h.cfg.OnInterrupt = policy
				h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
				// gw-1 takes one cycle; the deadline passes while gw-2 drains.
				ctx, cancel := context.WithTimeout(t.Context(), cycle+30*time.Second)
				defer cancel()
				rep, _, err := h.run(ctx)
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("error %v is not the deadline", err)
				}
				wantError(t, err, "out of time")
				if policy == InterruptFinishNode {
					ie := errorAs[*InterruptError](t, err)
					if fmt.Sprint(ie.Finished) != "[gw-2]" {
						t.Errorf("finished %v, want [gw-2]", ie.Finished)
					}
					wantError(t, err, "(timeouts)")
					wantOutcomes(t, rep, "gw-1:upgraded gw-2:upgraded")
				} else {
					wantStepError(t, err, "gw-2", StepDrain)
					wantOutcomes(t, rep, "gw-1:upgraded gw-2:rolled_back")
				}
				h.wantUntouched("gw-3")
			})
		})
	}
}

// hangingGateway never answers gw-2's quiesce port until the caller gives
// up: a request with no bound of its own, which only a deadline stops.
type hangingGateway struct{ *fakeCluster }

func (g hangingGateway) Health(ctx context.Context, url string) (int, error) {
	if url == g.node("gw-2").QuiesceURL {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return g.fakeCluster.Health(ctx, url)
}

func TestDeadlineFromStepsBoundsTheRun(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.eng.Gateway = hangingGateway{h.c}
		h.cfg.DeadlineFromSteps = true
		rep, took, err := h.run(t.Context())
		ie := errorAs[*InterruptError](t, err)
		budget := h.cfg.Budget(3)
		if !errors.Is(err, context.DeadlineExceeded) || ie.Budget != budget || len(ie.Finished) != 0 || fmt.Sprint(ie.NotStarted) != "[gw-2 gw-3]" {
			t.Fatalf("error: %#v", ie)
		}
		wantError(t, err, "deadline of "+formatDuration(budget)+", derived from the per-step timeouts")
		if took != budget {
			t.Errorf("the run took %s, want the derived deadline %s", took, budget)
		}
		wantOutcomes(t, rep, "gw-1:upgraded")
	})
}

func TestMaxNodesPerApplyStagesTheRollout(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.MaxNodesPerApply = 2
		for i, want := range []struct{ outcomes, deferred string }{
			{"gw-1:upgraded gw-2:upgraded", "[gw-3 gw-4 gw-5]"},
			{"gw-1:skipped gw-2:skipped gw-3:upgraded gw-4:upgraded", "[gw-5]"},
			{"gw-1:skipped gw-2:skipped gw-3:skipped gw-4:skipped gw-5:upgraded", "[]"},
		} {
			h.ev.mu.Lock()
			h.ev.events = nil
			h.ev.mu.Unlock()
			rep, _, err := h.run(t.Context())
			if err != nil {
				t.Fatalf("apply %d: %v", i+1, err)
			}
			for _, e := range h.ev.all() {
				for _, d := range rep.Deferred {
					if strings.Contains(e.Next, d) {
						t.Errorf("apply %d announces %s, left for the next apply: %+v", i+1, d, e)
					}
				}
			}
			if got := outcomes(rep); got != want.outcomes {
				t.Errorf("apply %d: outcomes %s, want %s", i+1, got, want.outcomes)
			}
			if got := fmt.Sprint(rep.Deferred); got != want.deferred {
				t.Errorf("apply %d: deferred %s, want %s", i+1, got, want.deferred)
			}
		}
		for _, n := range h.c.nodes {
			if n.quiesceCalls != 1 {
				t.Errorf("%s quiesced %d times, want once", n.Name, n.quiesceCalls)
			}
		}
	})
}

// TestMaxNodesPerApplyTakesOnlyThisApplysNodes: prepare_command runs
// only for the nodes of this apply, and a node an earlier run left behind
// counts as one of them (it is finished first).
func TestMaxNodesPerApplyTakesOnlyThisApplysNodes(t *testing.T) {
	t.Run("prepare_command", func(t *testing.T) {
		simulate(t, []string{oldV, oldV, oldV, oldV}, func(t *testing.T, h *harness) {
			h.cfg.MaxNodesPerApply = 2
			h.cfg.PrepareCommand = []string{"/opt/fetch.sh"}
			h.runOK("gw-1:upgraded gw-2:upgraded")
			for _, n := range []string{"gw-3", "gw-4"} {
				h.wantCommands(n) // prepare_command ran only for gw-1 and gw-2, the nodes of this apply
			}
			h.wantCommands("gw-1", "prepare", "upgrade")
			h.wantCommands("gw-2", "prepare", "upgrade")
		})
	})
	t.Run("a node left behind", func(t *testing.T) {
		simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
			h.c.node("gw-3").ph = phQuiesced // an earlier run stopped after draining it
			h.cfg.MaxNodesPerApply = 1
			rep, _ := h.runOK("gw-3:upgraded")
			if fmt.Sprint(rep.Deferred) != "[gw-1 gw-2]" {
				t.Errorf("deferred %v: want gw-3 finished first and the two others left", rep.Deferred)
			}
		})
	})
}

func TestBudget(t *testing.T) {
	base := Config{}
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		nodes  int
		want   time.Duration
	}{
		// Defaults: pre-flight 20m + 1m per node, then drain 15m + command
		// 30m + ready 20m per node.
		{"defaults, 3 nodes", nil, 3, 3*21*time.Minute + 3*65*time.Minute},
		{"nothing to do", nil, 0, 0},
		{"one node", nil, 1, 21*time.Minute + 65*time.Minute},
		{"max_unavailable 2 of 5: 3 waves", func(c *Config) { c.MaxUnavailable = 2 }, 5, 5*21*time.Minute + 3*65*time.Minute},
		{"max_nodes_per_apply caps the nodes", func(c *Config) { c.MaxNodesPerApply = 2 }, 5, 2*21*time.Minute + 2*65*time.Minute},
		{"max_nodes_per_apply above the nodes", func(c *Config) { c.MaxNodesPerApply = 9 }, 2, 2*21*time.Minute + 2*65*time.Minute},
		{"soak and both hooks", func(c *Config) {
			c.SoakDuration = 2 * time.Minute
			c.BeforeNodeCommand, c.AfterNodeCommand = []string{"lb", "drain"}, []string{"lb", "ready"}
		}, 2, 2*21*time.Minute + 2*(65+2+60)*time.Minute},
		{"prepare_command, 4 at a time by default", func(c *Config) { c.PrepareCommand = []string{"fetch"} }, 5, 2*30*time.Minute + 5*21*time.Minute + 5*65*time.Minute},
		{"prepare_command for this apply's nodes only", func(c *Config) {
			c.PrepareCommand, c.PrepareParallelism, c.MaxNodesPerApply = []string{"fetch"}, 1, 2
		}, 5, 2*30*time.Minute + 2*21*time.Minute + 2*65*time.Minute},
		{"short steps", func(c *Config) {
			c.DrainTimeout, c.CommandTimeout, c.ReadyTimeout = time.Minute, 5*time.Minute, 2*time.Minute
		}, 4, 4*3*time.Minute + 4*8*time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			if tc.mutate != nil {
				tc.mutate(&c)
			}
			if got := c.Budget(tc.nodes); got != tc.want {
				t.Errorf("Budget(%d) = %s, want %s", tc.nodes, got, tc.want)
			}
		})
	}
}

func TestCancellationBetweenNodesNamesNoLeftNode(t *testing.T) {
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		rep, _, err := h.run(h.cancelOnEvent("gw-1", EventNodeUpgraded))
		ie := errorAs[*InterruptError](t, err)
		if !errors.Is(err, context.Canceled) || len(ie.Finished) != 0 || fmt.Sprint(ie.NotStarted) != "[gw-2]" {
			t.Fatalf("error: %#v", err)
		}
		wantError(t, err, "none was left quiesced or down", "gw-2 not started")
		wantOutcomes(t, rep, "gw-1:upgraded")
	})
}
