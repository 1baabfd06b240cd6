// Shared by the engine's tests: the harness that wires an Engine to the
// fakes of fakes_test.go, a valid configuration, and small assertions.

package rollout

import (
	"context"
	"errors"
	"slices"
	"strings"
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

// simulate runs body in a synctest bubble with a harness of one fake node
// per version (gw-1 on versions[0], ...): the opening every engine test
// shares. The t body gets is the bubble's.
func simulate(t *testing.T, versions []string, body func(t *testing.T, h *harness)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) { body(t, newHarness(t, versions...)) })
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

// runOK runs the rollout, which must succeed with the outcomes want (as
// outcomes renders them), and returns its report and how long it took.
func (h *harness) runOK(want string) (*Report, time.Duration) {
	h.t.Helper()
	rep, took, err := h.run(h.t.Context())
	if err != nil {
		h.t.Fatal(err)
	}
	wantOutcomes(h.t, rep, want)
	return rep, took
}

// wantOutcomes stops the test unless the report's outcomes read want.
func wantOutcomes(t *testing.T, rep *Report, want string) {
	t.Helper()
	if got := outcomes(rep); got != want {
		t.Fatalf("outcomes: %s, want %s", got, want)
	}
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

// wantCommands checks that the commands run for node were the steps want,
// in order.
func (h *harness) wantCommands(node string, want ...string) {
	h.t.Helper()
	if got := h.commandsFor(node); !slices.Equal(got, want) {
		h.t.Errorf("commands for %s: %v, want %v", node, got, want)
	}
}

// wantUntouched checks that nodes were neither quiesced nor given a command.
func (h *harness) wantUntouched(nodes ...string) {
	h.t.Helper()
	for _, n := range nodes {
		if cmds, calls := h.commandsFor(n), h.c.node(n).quiesceCalls; len(cmds) != 0 || calls != 0 {
			h.t.Errorf("%s was touched: commands %v, quiesce calls %d", n, cmds, calls)
		}
	}
}

// wantEvents checks the kinds of node's events, in order.
func (h *harness) wantEvents(node string, want ...EventKind) {
	h.t.Helper()
	if got := h.ev.kinds(node); !slices.Equal(got, want) {
		h.t.Errorf("events for %s: %v, want %v", node, got, want)
	}
}

// errorAs stops the test unless err wraps an E, and returns that E.
func errorAs[E error](t *testing.T, err error) E {
	t.Helper()
	var e E
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a %T", err, err, e)
	}
	return e
}

// stepError stops the test unless err is a *StepError, and returns it.
func stepError(t *testing.T, err error) *StepError {
	t.Helper()
	return errorAs[*StepError](t, err)
}

// wantStepError stops the test unless err is node's failure in step, and
// returns it.
func wantStepError(t *testing.T, err error, node, step string) *StepError {
	t.Helper()
	se := stepError(t, err)
	if se.Node != node || se.Step != step {
		t.Fatalf("failed %s/%s, want %s/%s: %v", se.Node, se.Step, node, step, err)
	}
	return se
}

// wantError stops the test if err is nil, and checks that its text holds
// every one of parts.
func wantError(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one saying %q", parts)
	}
	wantText(t, "error", err.Error(), parts...)
}

// wantText checks that text, which is what, holds every one of parts. An
// empty part would match any text, so it is a mistake in the test.
func wantText(t *testing.T, what, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if p == "" {
			t.Fatalf("%s: an empty part to look for checks nothing", what)
		}
		if !strings.Contains(text, p) {
			t.Errorf("%s %q lacks %q", what, text, p)
		}
	}
}

func within(t *testing.T, what string, got, lo, hi time.Duration) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s = %s, want between %s and %s", what, got, lo, hi)
	}
}

func validConfig() Config {
	return Config{
		Nodes: []Node{
			{Name: "gw-1", URL: "https://gw-1:5555", QuiesceURL: "http://gw-1:4444"},
			{Name: "gw-2", URL: "https://gw-2:5555", QuiesceURL: "http://gw-2:4444"},
		},
		Target:         "10.15.0.7",
		UpgradeCommand: []string{"/opt/upgrade.sh"},
	}
}
