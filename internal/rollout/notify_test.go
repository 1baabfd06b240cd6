package rollout

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// notified lists the notify commands the fake runner received, as
// "EVENT NODE" in order.
func (h *harness) notified() []string {
	var out []string
	for _, c := range h.r.commands() {
		if c.Step == "notify" {
			out = append(out, strings.TrimSpace(envOf(c, "APIGW_EVENT")+" "+envOf(c, "APIGW_NODE_NAME")))
		}
	}
	return out
}

// TestNotifyEveryMilestone: notify_command runs once per milestone users
// subscribe to, in order, with APIGW_EVENT, APIGW_EVENT_MESSAGE (the
// progress line) and the node's usual variables; the end of the rollout is
// notified with the rollout's variables only.
func TestNotifyEveryMilestone(t *testing.T) {
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.NotifyCommand = []string{"/opt/notify.sh", "#upgrades"}
		h.cfg.CommandEnv = map[string]string{"CHAT_TOKEN": "tok-123"}
		h.runOK("gw-1:upgraded gw-2:upgraded")
		want := []string{"node_started gw-1", "drained gw-1", "node_upgraded gw-1", "node_started gw-2", "drained gw-2", "node_upgraded gw-2", "rollout_finished"}
		if got := h.notified(); !slices.Equal(got, want) {
			t.Fatalf("notified %v, want %v", got, want)
		}
		lines := map[string]string{}
		for _, e := range h.ev.all() {
			lines[strings.TrimSpace(string(e.Kind)+" "+e.Node)] = e.String()
		}
		for _, c := range h.r.commands() {
			if c.Step != "notify" {
				continue
			}
			key := strings.TrimSpace(envOf(c, "APIGW_EVENT") + " " + envOf(c, "APIGW_NODE_NAME"))
			if !slices.Equal(c.Argv, h.cfg.NotifyCommand) || envOf(c, "APIGW_EVENT_MESSAGE") != lines[key] || envOf(c, "APIGW_EVENT_MESSAGE") == "" ||
				envOf(c, "APIGW_TARGET_VERSION") != target || envOf(c, "APIGW_NODE_COUNT") != "2" || envOf(c, "CHAT_TOKEN") != "tok-123" ||
				c.Timeout != DefaultNotifyTimeout {
				t.Errorf("%s: argv %v, timeout %s, env %v; want the message %q", key, c.Argv, c.Timeout, c.Env, lines[key])
			}
			node := envOf(c, "APIGW_NODE_NAME")
			switch {
			case key == "rollout_finished" && (envOf(c, "APIGW_NODE_URL") != "" || envOf(c, "APIGW_NODE_INDEX") != ""):
				t.Errorf("rollout_finished got node variables: %v", c.Env)
			case key != "rollout_finished" && (envOf(c, "APIGW_NODE_URL") != h.c.node(node).URL || envOf(c, "APIGW_FROM_VERSION") != oldV):
				t.Errorf("%s: node variables %v", key, c.Env)
			}
		}
		if msg := lines["rollout_finished"]; !strings.HasPrefix(msg, "rolling upgrade to 10.15.0.7 finished in ") || !strings.Contains(msg, "2 upgraded") {
			t.Errorf("rollout_finished message %q", msg)
		}
	})
}

// TestNotifyFailureAndRollback: the failure and the rollback are notified,
// then the stop of the rollout, whose message says what happened.
func TestNotifyFailureAndRollback(t *testing.T) {
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.NotifyCommand = []string{"/opt/notify.sh"}
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		h.r.exit["upgrade/gw-1"] = CommandResult{ExitCode: 3, Tail: "disk full"}
		if _, _, err := h.run(t.Context()); err == nil {
			t.Fatal("want the upgrade of gw-1 to fail")
		}
		want := []string{"node_started gw-1", "drained gw-1", "node_failed gw-1", "rolled_back gw-1", "rollout_finished"}
		if got := h.notified(); !slices.Equal(got, want) {
			t.Fatalf("notified %v, want %v", got, want)
		}
		for _, c := range h.r.commands() {
			msg := envOf(c, "APIGW_EVENT_MESSAGE")
			switch envOf(c, "APIGW_EVENT") {
			case "node_failed":
				if msg != `gw-1: upgrade_command failed: command "upgrade" (/opt/upgrade.sh) exited with status 3: disk full; running rollback_command` {
					t.Errorf("node_failed message %q", msg)
				}
			case "rollout_finished":
				if !strings.HasPrefix(msg, "rolling upgrade to 10.15.0.7 stopped after ") || !strings.Contains(msg, "0 upgraded, 0 failed, 1 rolled back, 1 not started") || !strings.Contains(msg, `node "gw-1": upgrade_command failed`) {
					t.Errorf("rollout_finished message %q", msg)
				}
			}
		}
	})
}

// TestNotifyFailuresOnlyWarn: a notify command that fails, or hangs past
// its bound at every milestone, neither fails nor slows the rollout: every
// node takes as long as without it, and the run ends at most one bound
// after the last node; what went wrong is in Report.NotifyFailures and in
// notify_failed events.
func TestNotifyFailuresOnlyWarn(t *testing.T) {
	baseline := func(t *testing.T) time.Duration {
		var took time.Duration
		simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
			_, took = h.runOK("gw-1:upgraded gw-2:upgraded gw-3:upgraded")
		})
		return took
	}(t)
	for _, tc := range []struct {
		name     string
		setup    func(h *harness)
		failures int
		unsent   string
	}{
		{"exits 1", func(h *harness) {
			for _, n := range []string{"", "gw-1", "gw-2", "gw-3"} {
				h.r.exit["notify/"+n] = CommandResult{ExitCode: 1, Tail: "chat service unavailable"}
			}
		}, 10, ""},
		// 10 milestones of 100 s each outlast the 450 s rollout: 5 time
		// out during it, the 6th is stopped one bound after its end and
		// the last 4 are never sent (one failure line).
		{"hangs", func(h *harness) {
			h.cfg.NotifyTimeout = 100 * time.Second
			for _, n := range []string{"", "gw-1", "gw-2", "gw-3"} {
				h.r.hang["notify/"+n] = true
			}
		}, 7, "node_started, drained, node_upgraded, rollout_finished: not sent, notify_command was still busy 1m40s after the rollout ended"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
				h.cfg.NotifyCommand = []string{"/opt/notify.sh"}
				tc.setup(h)
				start := time.Now()
				rep, took := h.runOK("gw-1:upgraded gw-2:upgraded gw-3:upgraded") // a failing notify_command fails nothing
				var lastUpgraded time.Time
				warned := 0
				for _, e := range h.ev.all() {
					switch e.Kind {
					case EventNodeUpgraded:
						lastUpgraded = e.At
					case EventNotifyFailed:
						warned++
					}
				}
				if rolled := lastUpgraded.Sub(start); rolled > baseline {
					t.Errorf("the nodes took %s, %s without notify_command", rolled, baseline)
				}
				if limit := baseline + h.cfg.withDefaults().NotifyTimeout + time.Second; took > limit {
					t.Errorf("the run took %s, want at most %s (one notify bound after the rollout)", took, limit)
				}
				if len(rep.NotifyFailures) != tc.failures || warned != tc.failures {
					t.Errorf("%d failures reported, %d notify_failed events, want %d: %v", len(rep.NotifyFailures), warned, tc.failures, rep.NotifyFailures)
				}
				if tc.unsent != "" && !strings.Contains(strings.Join(rep.NotifyFailures, "\n"), tc.unsent) {
					t.Errorf("failures %v lack %q", rep.NotifyFailures, tc.unsent)
				}
				if first := rep.NotifyFailures[0]; !strings.HasPrefix(first, "node_started of gw-1: ") {
					t.Errorf("first failure %q", first)
				}
			})
		})
	}
}

// TestNotifyKeepsGoingAfterInterrupt: an interrupted rollout still
// notifies its end, although the apply's context is cancelled.
func TestNotifyKeepsGoingAfterInterrupt(t *testing.T) {
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.NotifyCommand = []string{"/opt/notify.sh"}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		h.r.onRun = func(c Command) {
			if c.Step == "upgrade" {
				cancel()
			}
		}
		if _, _, err := h.run(ctx); err == nil {
			t.Fatal("want an interrupted rollout")
		}
		got := h.notified()
		if len(got) < 3 || got[0] != "node_started gw-1" || got[len(got)-1] != "rollout_finished" {
			t.Errorf("notified %v: want gw-1's start and the end", got)
		}
		for _, c := range h.r.commands() {
			if envOf(c, "APIGW_EVENT") == "rollout_finished" && !strings.Contains(envOf(c, "APIGW_EVENT_MESSAGE"), " stopped after ") {
				t.Errorf("rollout_finished message %q", envOf(c, "APIGW_EVENT_MESSAGE"))
			}
		}
	})
}

// TestNotifyRefusedRollout: a rollout refused before any node is touched
// (here: a node below the target's release) still notifies its end.
func TestNotifyRefusedRollout(t *testing.T) {
	simulate(t, []string{oldV, "10.11.0.3.100"}, func(t *testing.T, h *harness) {
		h.cfg.NotifyCommand = []string{"/opt/notify.sh"}
		if _, _, err := h.run(t.Context()); err == nil {
			t.Fatal("want a refusal")
		}
		if got := h.notified(); !slices.Equal(got, []string{"rollout_finished"}) {
			t.Fatalf("notified %v", got)
		}
		msg := envOf(h.r.commands()[0], "APIGW_EVENT_MESSAGE")
		if !strings.HasPrefix(msg, "rolling upgrade to 10.15.0.7 refused before any node was touched: ") {
			t.Errorf("message %q", msg)
		}
	})
}
