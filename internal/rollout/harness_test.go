// Shared by the engine's tests: the harness that wires an Engine to the
// fakes of fakes_test.go, a valid configuration, and small assertions.

package rollout

import (
	"context"
	"errors"
	"strings"
	"testing"
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
