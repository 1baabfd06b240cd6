package rollout

import (
	"strings"
	"testing"
	"time"
)

// TestHealthCredentialsRefusedBeforeAnyNode: a node that refuses its health
// probe (401) at the start of a run is a configuration problem: the run
// refuses before touching any node, naming the node and
// health_probe_credentials, instead of reading it as a node that is down.
func TestHealthCredentialsRefusedBeforeAnyNode(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.c.node("gw-2").refuseHealth = func(*fakeNode, bool) bool { return true }
		_, _, err := h.run(t.Context())
		wantError(t, err, `node "gw-2"`, "HTTP 401", "health_probe_credentials", "no node was touched")
		if cmds := h.r.commands(); len(cmds) != 0 || len(h.c.log) != 0 {
			t.Errorf("commands %v and gateway calls %v; want none", cmds, h.c.log)
		}
	})
}

// TestHealthCredentialsRefusedMidRun: a health probe refused once the run
// is under way is never "not ready" (no wait until a timeout), never
// "drained" (no upgrade_command), and a node whose state can no longer be
// seen is not rolled back; the error names health_probe_credentials.
func TestHealthCredentialsRefusedMidRun(t *testing.T) {
	for _, tc := range []struct {
		name    string
		node    string // the node refusing
		refuse  func(n *fakeNode, quiescePort bool) bool
		soak    time.Duration
		failed  string // node and step that fail
		step    string
		cmds    []string // commands run for gw-1
		within  time.Duration
		blindly bool // the hint says the node's state could not be seen
	}{
		{name: "quiesce port at pre-flight", node: "gw-1",
			refuse: func(_ *fakeNode, q bool) bool { return q },
			failed: "gw-1", step: StepPreflight, cmds: nil, within: 10 * time.Second},
		{name: "quiesce port once quiescing", node: "gw-1",
			refuse: func(n *fakeNode, q bool) bool { return q && (n.ph == phQuiescing || n.ph == phQuiesced) },
			failed: "gw-1", step: StepDrain, cmds: nil, within: 20 * time.Second, blindly: true},
		{name: "primary once upgraded, in the ready wait", node: "gw-1",
			refuse: func(n *fakeNode, q bool) bool { return !q && n.upgraded },
			failed: "gw-1", step: StepReady, cmds: []string{"upgrade"}, within: cycle, blindly: true},
		{name: "primary during soak", node: "gw-1", soak: 5 * time.Minute,
			refuse: func(n *fakeNode, q bool) bool {
				return !q && n.upgraded && n.ph == phRunning && time.Since(n.runningSince) > 30*time.Second
			},
			failed: "gw-1", step: StepSoak, cmds: []string{"upgrade"}, within: cycle + time.Minute, blindly: true},
		{name: "a peer at the next node's pre-flight", node: "gw-3",
			failed: "gw-2", step: StepPreflight, cmds: []string{"upgrade"}, within: cycle + 10*time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
				h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
				h.cfg.SoakDuration = tc.soak
				n := h.c.node(tc.node)
				if tc.node == "gw-3" {
					// Let the survey through, refuse from gw-1's upgrade on.
					n.refuseHealth = func(*fakeNode, bool) bool { return h.c.node("gw-1").upgraded }
				} else {
					n.refuseHealth = tc.refuse
				}
				_, took, err := h.run(t.Context())
				se := wantStepError(t, err, tc.failed, tc.step)
				wantError(t, err, "health_probe_credentials")
				// No upgrade_command on a drain it could not see, no rollback.
				h.wantCommands("gw-1", tc.cmds...)
				if tc.failed == "gw-2" {
					h.wantCommands("gw-2")
				}
				if took > tc.within {
					t.Errorf("the refusal was reported after %s, want within %s: no wait for a timeout", took, tc.within)
				}
				if blind := strings.Contains(se.Hint, "state could not be seen and rollback_command was not run"); blind != tc.blindly {
					t.Errorf("hint %q: says the state could not be seen: %v, want %v", se.Hint, blind, tc.blindly)
				}
			})
		})
	}
}
