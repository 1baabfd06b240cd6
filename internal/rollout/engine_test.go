package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

const (
	oldV    = "10.15.0.6.1100"
	target  = "10.15.0.7"
	newV    = target + ".1234"
	cycle   = 150 * time.Second // fake drain 60s + command 10s + start 80s
	pollInt = 2 * time.Second
)

// harness wires an Engine to a fake cluster, runner and event log. Tests
// run inside synctest bubbles, so minutes of rollout take no real time.
type harness struct {
	t   *testing.T
	c   *fakeCluster
	r   *fakeRunner
	ev  *eventLog
	cfg Config
	eng *Engine
}

func newHarness(t *testing.T, versions ...string) *harness {
	c := newCluster(versions...)
	r := newRunner(c)
	ev := &eventLog{}
	return &harness{t: t, c: c, r: r, ev: ev,
		cfg: Config{Nodes: c.Nodes(), Target: target, UpgradeCommand: []string{"/opt/upgrade.sh"}, PollInterval: pollInt},
		eng: &Engine{Gateway: c, Runner: r, OnEvent: ev.on},
	}
}

func (h *harness) run(ctx context.Context) (*Report, time.Duration, error) {
	start := time.Now()
	rep, err := h.eng.Run(ctx, h.cfg)
	if rep == nil {
		h.t.Fatal("Run returned a nil report")
	}
	return rep, time.Since(start), err
}

// outcomes renders the report as "gw-1:upgraded gw-2:failed".
func outcomes(rep *Report) string {
	var parts []string
	for _, r := range rep.Results {
		parts = append(parts, r.Node+":"+string(r.Outcome))
	}
	return strings.Join(parts, " ")
}

func (h *harness) commandsFor(node string) []string {
	var out []string
	for _, c := range h.r.commands() {
		if envOf(c, "APIGW_NODE_NAME") == node {
			out = append(out, c.Step)
		}
	}
	return out
}

func stepError(t *testing.T, err error) *StepError {
	t.Helper()
	var se *StepError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *StepError", err, err)
	}
	return se
}

func within(t *testing.T, what string, got, lo, hi time.Duration) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s = %s, want between %s and %s", what, got, lo, hi)
	}
}

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

// TestDrainEndingInSilenceWarns: gw-2 stops answering on every port at the
// end of its quiesce (a crash) instead of answering an error status on the
// quiesce port as a quiesced node does. The tutorial's rule counts that as
// drained, so the rollout goes on, but gw-2's result and its drained event
// say that its metrics may not have been flushed. Clean drains, and
// drain_shutdown (whose normal end is silence), carry no warning.
func TestDrainEndingInSilenceWarns(t *testing.T) {
	for _, strategy := range []Strategy{StrategyQuiesceAll, StrategyDrainShutdown} {
		t.Run(string(strategy), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, oldV, oldV, oldV)
				h.cfg.Strategy = strategy
				h.c.node("gw-2").crashed = true
				rep, _, err := h.run(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if got := outcomes(rep); got != "gw-1:upgraded gw-2:upgraded gw-3:upgraded" {
					t.Fatalf("outcomes: %s", got)
				}
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
				var drained string
				for _, e := range h.ev.all() {
					if e.Node == "gw-2" && e.Kind == EventDrained {
						drained = e.Message
					}
				}
				if got := strings.Contains(drained, "may not have been flushed"); got != warns {
					t.Errorf("gw-2 drained event %q: warning shown %v, want %v", drained, got, warns)
				}
			})
		})
	}
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

func TestDrainTimeoutOnSecondNode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV, oldV)
		h.c.node("gw-2").neverDrains = true
		h.cfg.DrainTimeout = 5 * time.Minute
		rep, _, err := h.run(t.Context())
		se := stepError(t, err)
		if se.Node != "gw-2" || se.Step != StepDrain {
			t.Fatalf("failed %s/%s, want gw-2/drain: %v", se.Node, se.Step, err)
		}
		msg := err.Error()
		for _, want := range []string{`node "gw-2": drain failed`, "drain_timeout 5m", "re-run terraform apply, which finishes this node first"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q lacks %q", msg, want)
			}
		}
		if got := outcomes(rep); got != "gw-1:upgraded gw-2:failed" {
			t.Fatalf("outcomes: %s", got)
		}
		if n := h.c.node("gw-3"); n.quiesceCalls != 0 || len(h.commandsFor("gw-3")) != 0 {
			t.Error("gw-3 was touched")
		}
		if rep.Versions["gw-1"] != newV || rep.Versions["gw-3"] != oldV {
			t.Errorf("versions: %v", rep.Versions)
		}
		within(t, "gw-2 drain", rep.Results[1].Drain, 5*time.Minute, 5*time.Minute)
	})
}

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

// TestWrongVersionAfterRestart: a node that comes back healthy on another
// version stops the rollout once that has held for the ready streak, long
// before ready_timeout, and is not rolled back.
func TestWrongVersionAfterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.c.node("gw-1").upgradeTo = "10.15.0.6.1101" // the command did not apply the fix
		h.cfg.ReadyTimeout = 5 * time.Minute
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		rep, took, err := h.run(t.Context())
		se := stepError(t, err)
		if se.Node != "gw-1" || se.Step != StepReady {
			t.Fatalf("failed %s/%s: %v", se.Node, se.Step, err)
		}
		if !strings.Contains(err.Error(), "reports version 10.15.0.6.1101, not target_version 10.15.0.7") {
			t.Errorf("error: %v", err)
		}
		if got := outcomes(rep); got != "gw-1:failed" || rep.Results[0].ToVersion != "10.15.0.6.1101" {
			t.Fatalf("outcomes %s, %+v", got, rep.Results[0])
		}
		if got := h.commandsFor("gw-1"); !slices.Equal(got, []string{"upgrade"}) {
			t.Errorf("gw-1 commands %v, want the upgrade alone (no rollback)", got)
		}
		within(t, "run", took, cycle, cycle+2*pollInt)
	})
}

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
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, oldV, oldV)
				h.cfg.Strategy = StrategyDrainShutdown
				h.cfg.DrainTimeout = 90 * time.Second
				n := h.c.node("gw-1")
				n.drainTime, n.neverDrains = tc.drain, tc.drain == 0
				rep, _, err := h.run(t.Context())
				if tc.drain > 0 {
					if err != nil {
						t.Fatal(err)
					}
					within(t, "gw-1 drain", rep.Results[0].Drain, tc.drain, tc.drain+pollInt)
					return
				}
				se := stepError(t, err)
				const want = "after 4m: the 2m the gateway was given to end client sessions (drain_timeout 1m30s in whole minutes) plus 2m for it to stop"
				if se.Step != StepDrain || !strings.Contains(se.Err.Error(), want) {
					t.Fatalf("error %v; want a drain failure saying %q", err, want)
				}
				within(t, "gw-1 drain", rep.Results[0].Drain, 4*time.Minute, 4*time.Minute+pollInt)
			})
		})
	}
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

func TestRollbackPolicyCancellationDuringDrainSaysNodeIsQuiescing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV, oldV)
		h.cfg.OnInterrupt = InterruptRollback
		rep, _, err := h.run(h.cancelOnEvent("gw-2", EventQuiesceRequested))
		se := stepError(t, err)
		if se.Node != "gw-2" || se.Step != StepDrain || !errors.Is(err, context.Canceled) {
			t.Fatalf("error: %v", err)
		}
		if !strings.Contains(err.Error(), "may be quiescing") || !strings.Contains(err.Error(), "interrupted") {
			t.Errorf("error does not say the node was left quiescing: %v", err)
		}
		if got := outcomes(rep); got != "gw-1:upgraded gw-2:failed" {
			t.Fatalf("outcomes: %s", got)
		}
		if h.c.node("gw-3").quiesceCalls != 0 {
			t.Error("gw-3 touched")
		}
	})
}

func TestRollbackPolicyCancellationDuringCommandRollsBackOnFreshContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV, oldV)
		h.cfg.OnInterrupt = InterruptRollback
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		h.r.hang["upgrade/gw-2"] = true
		rep, _, err := h.run(h.cancelDuringUpgrade("gw-2", nil))
		se := stepError(t, err)
		if se.Node != "gw-2" || se.Step != StepUpgradeCommand || !errors.Is(err, context.Canceled) {
			t.Fatalf("error: %v", err)
		}
		if got := outcomes(rep); got != "gw-1:upgraded gw-2:rolled_back" {
			t.Fatalf("outcomes: %s", got)
		}
		if rep.Versions["gw-2"] != oldV {
			t.Errorf("gw-2 version %q", rep.Versions["gw-2"])
		}
	})
}

func TestCancellationBetweenNodesNamesNoLeftNode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		h.ev.hook = func(e Event) {
			if e.Node == "gw-1" && e.Kind == EventNodeUpgraded {
				cancel()
			}
		}
		rep, _, err := h.run(ctx)
		var ie *InterruptError
		if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) || len(ie.Finished) != 0 || fmt.Sprint(ie.NotStarted) != "[gw-2]" ||
			!strings.Contains(err.Error(), "none was left quiesced or down") || !strings.Contains(err.Error(), "gw-2 not started") {
			t.Fatalf("error: %#v", err)
		}
		if outcomes(rep) != "gw-1:upgraded" {
			t.Errorf("outcomes %s", outcomes(rep))
		}
	})
}

func TestCommandEnvironment(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV, oldV)
		h.cfg.CommandEnv = map[string]string{"SSH_USER": "sag", "IMAGE": "gw:10.15.0.7"}
		h.cfg.CommandSecretEnv = map[string]string{"REGISTRY_TOKEN": "abc"}
		h.cfg.CommandTimeout = 7 * time.Minute
		if _, _, err := h.run(t.Context()); err != nil {
			t.Fatal(err)
		}
		var c Command
		for _, x := range h.r.commands() {
			if envOf(x, "APIGW_NODE_NAME") == "gw-2" {
				c = x
			}
		}
		want := map[string]string{
			"APIGW_NODE_NAME": "gw-2", "APIGW_NODE_URL": "http://gw-2:5555", "APIGW_QUIESCE_URL": "http://gw-2:4444",
			"APIGW_FROM_VERSION": oldV, "APIGW_TARGET_VERSION": target, "APIGW_NODE_INDEX": "1", "APIGW_NODE_COUNT": "3",
			"SSH_USER": "sag", "IMAGE": "gw:10.15.0.7", "REGISTRY_TOKEN": "abc",
		}
		for k, v := range want {
			if got := envOf(c, k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if c.Step != "upgrade" || c.Timeout != 7*time.Minute || !slices.Equal(c.Argv, []string{"/opt/upgrade.sh"}) {
			t.Errorf("command %+v", c)
		}
	})
}

func TestSecretsNeverShown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const secret = "s3cr3t-t0ken"
		h := newHarness(t, oldV, oldV)
		// command_env is plain: its values stay readable in errors.
		h.cfg.CommandEnv = map[string]string{"REGISTRY_USER": "deployer"}
		h.cfg.CommandSecretEnv = map[string]string{"TOKEN": secret}
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		h.r.exit["upgrade/gw-1"] = CommandResult{ExitCode: 1, Tail: "docker login -u deployer -p " + secret + ": denied"}
		h.r.errs["rollback/gw-1"] = fmt.Errorf("rollback saw %s: %w", secret, context.DeadlineExceeded)
		_, _, err := h.run(t.Context())
		if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "docker login -u deployer -p (sensitive): denied") {
			t.Fatalf("error: %v", err)
		}
		if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "rollback saw (sensitive)") {
			t.Errorf("rollback error lost: %v", err)
		}
		for _, e := range h.ev.all() {
			if strings.Contains(e.Message, secret) {
				t.Errorf("event shows the secret: %+v", e)
			}
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

func TestPollBackoffNeverFasterThanPollIntervalAtSteadyState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.c.node("gw-1").neverDrains = true
		h.cfg.DrainTimeout = time.Minute
		_, _, err := h.run(t.Context())
		if se := stepError(t, err); se.Step != StepDrain {
			t.Fatalf("error: %v", err)
		}
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

func TestLaterNodesArePolledAroundTheExpectedTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV, oldV)
		h.c.node("gw-1").drainTime = 61300 * time.Millisecond // lands between two 2s polls
		h.c.node("gw-2").drainTime = 62 * time.Second         // a bit slower than gw-1
		h.c.node("gw-3").drainTime = 61500 * time.Millisecond // a bit faster than gw-2
		rep, _, err := h.run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
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
