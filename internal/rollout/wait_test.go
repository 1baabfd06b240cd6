package rollout

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDrainEndingInSilenceWarns: gw-2 stops answering on every port at the
// end of its quiesce (a crash) instead of answering an error status on the
// quiesce port as a quiesced node does. The tutorial's rule counts that as
// drained, so the rollout goes on, but gw-2's result and its drained event
// say that its metrics may not have been flushed. Clean drains, and
// drain_shutdown (whose normal end is silence), carry no warning.
func TestDrainEndingInSilenceWarns(t *testing.T) {
	for _, strategy := range []Strategy{StrategyQuiesceAll, StrategyDrainShutdown} {
		t.Run(string(strategy), func(t *testing.T) {
			simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
				h.cfg.Strategy = strategy
				h.c.node("gw-2").crashed = true
				rep, _ := h.runOK("gw-1:upgraded gw-2:upgraded gw-3:upgraded")
				warns := strategy == StrategyQuiesceAll
				for _, r := range rep.Results {
					switch {
					case r.Node == "gw-2" && warns:
						if !strings.Contains(r.Warning, "http://gw-2:4444") || !strings.Contains(r.Warning, "connection refused") ||
							!strings.Contains(r.Warning, "metrics") {
							t.Errorf("gw-2 warning %q: want the quiesce URL, the error and the metrics risk", r.Warning)
						}
					case r.Warning != "":
						t.Errorf("%s: unexpected warning %q", r.Node, r.Warning)
					}
				}
				drained := h.ev.last("gw-2", EventDrained).Message
				if got := strings.Contains(drained, "may not have been flushed"); got != warns {
					t.Errorf("gw-2 drained event %q: warning shown %v, want %v", drained, got, warns)
				}
			})
		})
	}
}

func TestDrainTimeoutOnSecondNode(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.c.node("gw-2").neverDrains = true
		h.cfg.DrainTimeout = 5 * time.Minute
		rep, _, err := h.run(t.Context())
		wantStepError(t, err, "gw-2", StepDrain)
		wantError(t, err, `node "gw-2": drain failed`, "drain_timeout 5m", "re-run terraform apply, which finishes this node first")
		wantOutcomes(t, rep, "gw-1:upgraded gw-2:failed")
		h.wantUntouched("gw-3")
		if rep.Versions["gw-1"] != newV || rep.Versions["gw-3"] != oldV {
			t.Errorf("versions: %v", rep.Versions)
		}
		within(t, "gw-2 drain", rep.Results[1].Drain, 5*time.Minute, 5*time.Minute)
	})
}

// TestDrainShutdownWaitsAsLongAsTheGateway: drain_timeout 90s is sent as 2
// minutes, and the gateway may wait all of them for client sessions to end
// before it stops; the engine waits that long plus DrainShutdownGrace, and
// only then gives up on a node that keeps answering.
func TestDrainShutdownWaitsAsLongAsTheGateway(t *testing.T) {
	for _, tc := range []struct {
		name  string
		drain time.Duration // how long the node answers after the request; 0: never stops
	}{
		{"stops after its sessions ended at the gateway's timeout", 2*time.Minute + 30*time.Second},
		{"never stops", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
				h.cfg.Strategy = StrategyDrainShutdown
				h.cfg.DrainTimeout = 90 * time.Second
				n := h.c.node("gw-1")
				n.drainTime, n.neverDrains = tc.drain, tc.drain == 0
				if tc.drain > 0 {
					rep, _ := h.runOK("gw-1:upgraded gw-2:upgraded")
					within(t, "gw-1 drain", rep.Results[0].Drain, tc.drain, tc.drain+pollInt)
					return
				}
				rep, _, err := h.run(t.Context())
				se := wantStepError(t, err, "gw-1", StepDrain)
				wantText(t, "drain failure", se.Err.Error(),
					"after 4m: the 2m the gateway was given to end client sessions (drain_timeout 1m30s in whole minutes) plus 2m for it to stop")
				within(t, "gw-1 drain", rep.Results[0].Drain, 4*time.Minute, 4*time.Minute+pollInt)
			})
		})
	}
}

func TestPollBackoffNeverFasterThanPollIntervalAtSteadyState(t *testing.T) {
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		h.c.node("gw-1").neverDrains = true
		h.cfg.DrainTimeout = time.Minute
		_, _, err := h.run(t.Context())
		wantStepError(t, err, "gw-1", StepDrain)
		times := h.c.health["http://gw-1:4444"][1:] // [0] is the pre-flight check
		var gaps []time.Duration
		for i := 1; i < len(times); i++ {
			gaps = append(gaps, times[i].Sub(times[i-1]))
		}
		want := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond}
		if !slices.Equal(gaps[:4], want) {
			t.Errorf("first gaps %v, want %v", gaps[:4], want)
		}
		for i, g := range gaps[4 : len(gaps)-1] {
			if g != pollInt {
				t.Errorf("gap %d at steady state = %s, want %s", i+4, g, pollInt)
			}
		}
		if last := gaps[len(gaps)-1]; last > pollInt || last <= 0 {
			t.Errorf("last gap %s", last)
		}
		// 60s: 3s of fast start, then one poll per 2s, and the final poll at the deadline.
		if n := len(times); n < 30 || n > 34 {
			t.Errorf("%d polls in a minute", n)
		}
	})
}

func TestLaterNodesArePolledAroundTheExpectedTime(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.c.node("gw-1").drainTime = 61300 * time.Millisecond // lands between two 2s polls
		h.c.node("gw-2").drainTime = 62 * time.Second         // a bit slower than gw-1
		h.c.node("gw-3").drainTime = 61500 * time.Millisecond // a bit faster than gw-2
		rep, _ := h.runOK("gw-1:upgraded gw-2:upgraded gw-3:upgraded")
		floor := pollInt / 10
		r1, r2, r3 := rep.Results[0], rep.Results[1], rep.Results[2]
		within(t, "gw-1 drain (nothing to go by)", r1.Drain, 61300*time.Millisecond, 61300*time.Millisecond+pollInt)
		within(t, "gw-2 drain", r2.Drain, 62*time.Second, 62*time.Second+floor)
		within(t, "gw-3 drain", r3.Drain, 61500*time.Millisecond, 61500*time.Millisecond+floor)
		within(t, "gw-2 ready", r2.Ready, 80*time.Second, 80*time.Second+2*floor)
		within(t, "gw-3 ready", r3.Ready, 80*time.Second, 80*time.Second+2*floor)
		// The fast polls stay a short burst: far fewer than polling at the
		// fastest rate throughout.
		if n := len(h.c.health["http://gw-3:4444"]); n > 60 {
			t.Errorf("%d drain polls for gw-3", n)
		}
	})
}

// TestSingle500MidDrainDoesNotEndIt: while gw-1 quiesces (60s), its health
// answers 500 once, a data store passing through red, and 200 again: the
// node is still flushing, so upgrade_command must wait for the real end of
// the quiesce.
func TestSingle500MidDrainDoesNotEndIt(t *testing.T) {
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		h.c.node("gw-1").quiescingBlips = 1
		rep, _ := h.runOK("gw-1:upgraded gw-2:upgraded")
		if h.c.node("gw-1").quiescingBlips != 0 {
			t.Fatal("the 500 was never given")
		}
		within(t, "gw-1 drain", rep.Results[0].Drain, 60*time.Second, 60*time.Second+pollInt)
		unconfirmed := h.ev.last("gw-1", EventDrainUnconfirmed)
		if !strings.Contains(unconfirmed.Message, "answered health 500, then health 200 again") || unconfirmed.Next != "waiting until it has drained" {
			t.Errorf("gw-1's %s event: %q, next %q", EventDrainUnconfirmed, unconfirmed.Message, unconfirmed.Next)
		}
	})
}

// TestDrainConfirmation: a quiesced node answers 503 on its quiesce port and
// closes its primary port. A refused primary confirms the drain at once; a
// primary that gives no such proof (behind a proxy that closes connections
// instead) needs the 503 to hold a poll interval later.
func TestDrainConfirmation(t *testing.T) {
	for _, proxied := range []bool{false, true} {
		t.Run(map[bool]string{false: "primary refuses", true: "primary behind a proxy"}[proxied], func(t *testing.T) {
			simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
				h.c.node("gw-1").closesPrimary = proxied
				rep, _ := h.runOK("gw-1:upgraded gw-2:upgraded")
				lo := 60 * time.Second
				if proxied {
					lo += pollInt
				}
				within(t, "gw-1 drain", rep.Results[0].Drain, lo, lo+pollInt)
				if got := h.ev.kinds("gw-1"); slices.Contains(got, EventDrainUnconfirmed) {
					t.Errorf("a drain that held was reported as unconfirmed: %v", got)
				}
			})
		})
	}
}
