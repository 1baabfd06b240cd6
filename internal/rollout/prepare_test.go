package rollout

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// concurrency wraps a runner and records the most commands of one step
// that ran at once.
type concurrency struct {
	Runner
	step string

	mu          sync.Mutex
	active, max int
}

func (c *concurrency) Run(ctx context.Context, cmd Command) (CommandResult, error) {
	if cmd.Step == c.step {
		c.mu.Lock()
		c.active++
		c.max = max(c.max, c.active)
		c.mu.Unlock()
		defer func() {
			c.mu.Lock()
			c.active--
			c.mu.Unlock()
		}()
	}
	return c.Runner.Run(ctx, cmd)
}

// TestPrepareRunsBeforeAnyNodeIsTouched: prepare_command runs for every node
// still to upgrade, prepare_parallelism at a time (default 4), with the
// node's usual variables, and every run ends before the first node is taken
// out of service. A node already on target is not prepared.
func TestPrepareRunsBeforeAnyNodeIsTouched(t *testing.T) {
	for _, tc := range []struct {
		name        string
		parallelism int
		want        int
	}{{"default 4", 0, 4}, {"2", 2, 2}, {"1", 1, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			simulate(t, []string{oldV, newV, oldV, oldV, oldV, oldV, oldV}, func(t *testing.T, h *harness) {
				h.cfg.MaxUnavailable = 2
				h.cfg.PrepareCommand = []string{"/opt/fetch-fix.sh", "--only-download"}
				h.cfg.PrepareParallelism = tc.parallelism
				h.r.out["prepare/gw-3"] = "fetching fix 7\n100%\nstaged /var/tmp/fix7.zip\n"
				cc := &concurrency{Runner: h.r, step: "prepare"}
				h.eng.Runner = cc
				h.runOK("gw-2:skipped gw-1:upgraded gw-3:upgraded gw-4:upgraded gw-5:upgraded gw-6:upgraded gw-7:upgraded")
				// The fake records every command and gateway write in order.
				firstQuiesce := slices.IndexFunc(h.c.log, func(s string) bool { return strings.HasPrefix(s, "quiesce ") })
				var prepared []string
				for i, s := range h.c.log {
					if node, ok := strings.CutPrefix(s, "prepare "); ok {
						if i > firstQuiesce {
							t.Errorf("prepare of %s after the first quiesce: %v", node, h.c.log)
						}
						prepared = append(prepared, node)
					}
				}
				slices.Sort(prepared)
				if want := []string{"gw-1", "gw-3", "gw-4", "gw-5", "gw-6", "gw-7"}; !slices.Equal(prepared, want) {
					t.Errorf("prepared %v, want %v (gw-2 is on target)", prepared, want)
				}
				if cc.max != tc.want {
					t.Errorf("at most %d prepare commands ran at once, want %d", cc.max, tc.want)
				}
				for _, c := range h.r.commands() {
					if c.Step != "prepare" {
						continue
					}
					if !slices.Equal(c.Argv, h.cfg.PrepareCommand) || envOf(c, "APIGW_TARGET_VERSION") != target ||
						envOf(c, "APIGW_FROM_VERSION") != oldV || envOf(c, "APIGW_NODE_URL") == "" || envOf(c, "APIGW_NODE_COUNT") != "7" {
						t.Errorf("prepare command %v with env %v", c.Argv, c.Env)
					}
				}
				if e := h.ev.last("gw-3", EventPrepared); e.Output != "fetching fix 7\n100%\nstaged /var/tmp/fix7.zip" ||
					e.String() != "gw-3: prepare_command finished in 1s" {
					t.Errorf("gw-3's prepared event: %+v", e)
				}
			})
		})
	}
}

// TestPrepareFailureTouchesNoNode: one node's prepare_command fails. The
// commands still running for other nodes are stopped, no more start, no
// node is quiesced and no upgrade, before_node or rollback command runs;
// the error names the node, the attribute and the command's output.
func TestPrepareFailureTouchesNoNode(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV, oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.PrepareCommand = []string{"/opt/fetch-fix.sh"}
		h.cfg.PrepareParallelism = 3
		h.cfg.BeforeNodeCommand = []string{"/opt/lb.sh", "drain"}
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		h.r.exit["prepare/gw-2"] = CommandResult{ExitCode: 7, Tail: "GET fix-7.zip: 404 Not Found\n"}
		h.r.hang["prepare/gw-1"], h.r.hang["prepare/gw-3"] = true, true
		rep, took, err := h.run(t.Context())
		wantStepError(t, err, "gw-2", StepPrepareCommand)
		wantError(t, err, `node "gw-2": prepare_command failed`, "exited with status 7", "404 Not Found",
			"prepare_command failed for gw-2, was stopped for gw-1, gw-3 and did not start for gw-4, gw-5, gw-6.", "No node was taken out of service")
		for _, s := range h.c.log {
			if step, _, _ := strings.Cut(s, " "); step != "prepare" {
				t.Errorf("%q ran after a failed prepare: %v", s, h.c.log)
			}
		}
		if got := len(h.commandsFor("gw-4")) + len(h.commandsFor("gw-5")) + len(h.commandsFor("gw-6")); got != 0 {
			t.Errorf("prepare started for nodes after the failure (parallelism 3): %v", h.c.log)
		}
		if len(rep.Results) != 0 || h.c.maxOut != 0 {
			t.Errorf("results %v, nodes out %d: want no node touched", rep.Results, h.c.maxOut)
		}
		// gw-3 hangs: stopping it is what ends the run, not its timeout.
		if took > 2*time.Second {
			t.Errorf("the run took %s: the hanging prepare of gw-3 was not stopped", took)
		}
		h.wantEvents("gw-2", EventNodeFailed)
	})
}

// TestPrepareFailuresOfSeveralNodes: two prepares fail at once; both are
// named, the hint once, and gw-2's (still running) is stopped.
func TestPrepareFailuresOfSeveralNodes(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.PrepareCommand = []string{"/opt/fetch-fix.sh"}
		// Both fail once both have started, whatever the order.
		var arrived sync.WaitGroup
		arrived.Add(2)
		h.r.onRun = func(c Command) {
			if n := envOf(c, "APIGW_NODE_NAME"); c.Step == "prepare" && n != "gw-2" {
				arrived.Done()
				arrived.Wait()
			}
		}
		for _, n := range []string{"gw-1", "gw-3"} {
			h.r.errs["prepare/"+n] = &CommandError{Step: "prepare", Program: "/opt/fetch-fix.sh", ExitCode: 1, Tail: "no space left on device"}
		}
		_, _, err := h.run(t.Context())
		var names []string
		joined, ok := err.(interface{ Unwrap() []error }) //nolint:errorlint // a join is what is tested
		if !ok {
			t.Fatalf("want the failures of two nodes joined, got %T: %v", err, err)
		}
		for _, e := range joined.Unwrap() {
			names = append(names, stepError(t, e).Node)
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"gw-1", "gw-3"}) || strings.Count(err.Error(), "No node was taken out of service") != 1 {
			t.Errorf("failures %v:\n%v", names, err)
		}
		if slices.ContainsFunc(h.c.log, func(s string) bool { return !strings.HasPrefix(s, "prepare ") }) {
			t.Errorf("a node was touched: %v", h.c.log)
		}
	})
}

// TestPrepareInterrupted: the apply is cancelled while prepare_command
// runs: the command is stopped and no node is touched.
func TestPrepareInterrupted(t *testing.T) {
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.PrepareCommand = []string{"/opt/fetch-fix.sh"}
		h.r.hang["prepare/gw-1"] = true
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		h.r.onRun = func(c Command) {
			if c.Step == "prepare" {
				go func() { time.Sleep(3 * time.Second); cancel() }()
			}
		}
		rep, _, err := h.run(ctx)
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "before any node was taken out of service") {
			t.Fatalf("error %v", err)
		}
		if len(rep.Results) != 0 || slices.ContainsFunc(h.c.log, func(s string) bool { return !strings.HasPrefix(s, "prepare ") }) {
			t.Errorf("a node was touched: %v %v", rep.Results, h.c.log)
		}
	})
}

// TestPrepareSkipsNodesWithoutUpgradeCommand: a node an earlier run left
// restarting on target gets no upgrade_command, so no prepare either; a
// node left quiesced does.
func TestPrepareSkipsNodesWithoutUpgradeCommand(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.MaxUnavailable = 2
		h.cfg.PrepareCommand = []string{"/opt/fetch-fix.sh"}
		h.c.node("gw-1").ph = phQuiesced
		h.c.node("gw-2").ph, h.c.node("gw-2").version = phStarting, newV
		h.c.node("gw-2").until = time.Now().Add(30 * time.Second)
		h.runOK("gw-1:upgraded gw-2:upgraded gw-3:upgraded gw-4:upgraded")
		h.wantCommands("gw-2")                       // restarting on target: no prepare
		h.wantCommands("gw-1", "prepare", "upgrade") // left quiesced
	})
}

func TestPrepareParallelismValidated(t *testing.T) {
	cfg := Config{Nodes: []Node{{Name: "a", URL: "http://a:5555", QuiesceURL: "http://a:4444"}}, Target: target,
		UpgradeCommand: []string{"x"}, PrepareCommand: []string{" "}, PrepareParallelism: -1}
	err := cfg.Validate()
	got := map[string]bool{}
	for _, ae := range AttrErrors(err) {
		got[ae.Attribute] = true
	}
	if !got["prepare_parallelism"] || !got["prepare_command"] {
		t.Errorf("Validate = %v, want prepare_parallelism and prepare_command named", err)
	}
}

func TestPrepareOutcomes(t *testing.T) {
	todo := []*job{{node: Node{Name: "a"}}, {node: Node{Name: "b"}}, {node: Node{Name: "c"}}}
	for _, c := range []struct {
		ended map[string]string
		want  string
	}{
		{map[string]string{"a": "failed", "b": "finished", "c": "stopped"}, "prepare_command failed for a, finished for b and was stopped for c."},
		{map[string]string{"b": "failed"}, "prepare_command failed for b and did not start for a, c."},
	} {
		if got := prepareOutcomes(todo, c.ended); got != c.want {
			t.Errorf("prepareOutcomes(%v) = %q, want %q", c.ended, got, c.want)
		}
	}
}
