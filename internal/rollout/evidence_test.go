package rollout

import (
	"errors"
	"slices"
	"testing"
)

// TestRefusesNodeNotProvablyOutOfService: gw-2 is not ready and not on
// target, and nothing shows it is out of service: it may be serving traffic
// that the machine running Terraform cannot see. The run is refused before
// any node is touched (no command, no quiesce, on gw-2 or any other node),
// with an error that names gw-2, what was seen and what to check.
func TestRefusesNodeNotProvablyOutOfService(t *testing.T) {
	cases := []struct {
		name  string
		setup func(n *fakeNode)
		want  []string
	}{
		{"timeout", func(n *fakeNode) { n.unreachable = true }, []string{"timeout", "can reach the node's primary port", "request_timeout"}},
		{"unknown to DNS", func(n *fakeNode) { n.unknownHost = true }, []string{"does not resolve (DNS", "host name in the node's url"}},
		{"health 500", func(n *fakeNode) { n.red = true }, []string{"answers health 500", "is up, not down", "/rest/apigateway/health/engine"}},
		{"closed without an answer, not quiesced", func(n *fakeNode) { n.ph, n.closesPrimary = phDown, true },
			[]string{"closes them without an answer", "does not show it quiesced", "proxy"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
				h.cfg.BeforeNodeCommand = []string{"/opt/lb.sh", "drain"}
				h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
				tc.setup(h.c.node("gw-2"))
				rep, _, err := h.run(t.Context())
				var se *StepError
				if errors.As(err, &se) {
					t.Fatalf("want a refusal before any node is touched, got %v", err)
				}
				wantError(t, err, append([]string{`node "gw-2"`, "nothing shows that it is out of service", "re-run terraform apply"}, tc.want...)...)
				if cmds := h.r.commands(); len(cmds) != 0 || len(h.c.log) != 0 || len(rep.Results) != 0 {
					t.Errorf("nodes were touched: commands %d, calls %v, results %v", len(cmds), h.c.log, rep.Results)
				}
				if rep.Versions["gw-1"] != oldV || len(rep.TakenDown) != 0 {
					t.Errorf("report: versions %v, taken down %v", rep.Versions, rep.TakenDown)
				}
			})
		})
	}
}

// TestFinishesNodeProvablyOutOfService: with evidence that gw-2 is out of
// service, it is finished first and without a drain, whatever its probes
// show when the evidence is this caller's own record.
func TestFinishesNodeProvablyOutOfService(t *testing.T) {
	cases := []struct {
		name      string
		setup     func(h *harness, n *fakeNode)
		evidence  string
		takenDown []string
	}{
		{"primary refuses connections", func(_ *harness, n *fakeNode) { n.ph = phDown }, "its primary port refuses connections", nil},
		{"quiesced behind a proxy", func(_ *harness, n *fakeNode) { n.ph, n.closesPrimary = phQuiesced, true },
			"its quiesce port http://gw-2:4444 answers health 503", nil},
		{"taken down earlier, now answering 500", func(h *harness, n *fakeNode) {
			n.red = true
			h.cfg.TakenDown = []string{"gw-2", "gw-9"}
		}, "taken out of service by an earlier run", []string{}},
		{"taken down earlier, now unreachable", func(h *harness, n *fakeNode) {
			n.unreachable = true
			h.cfg.TakenDown = []string{"gw-2"}
		}, "taken out of service by an earlier run", []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
				h.cfg.BeforeNodeCommand = []string{"/opt/lb.sh", "drain"}
				tc.setup(h, h.c.node("gw-2"))
				rep, _ := h.runOK("gw-2:upgraded gw-1:upgraded gw-3:upgraded")
				h.wantCommands("gw-2", "upgrade")
				if n := h.c.node("gw-2").quiesceCalls; n != 0 {
					t.Errorf("gw-2 quiesced %d times", n)
				}
				wantText(t, "gw-2's resume event", h.ev.last("gw-2", EventResume).Message, tc.evidence)
				if len(rep.TakenDown) != 0 {
					t.Errorf("taken down after a complete rollout: %v", rep.TakenDown)
				}
			})
		})
	}
}

// TestReportsNodesTakenDown: a run reports the nodes it leaves out of
// service, and the next run, given that record, finishes such a node even
// when it then answers 500, which without the record stops the run.
func TestReportsNodesTakenDown(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.r.exit["upgrade/gw-2"] = CommandResult{ExitCode: 3}
		rep, _, err := h.run(t.Context())
		wantStepError(t, err, "gw-2", StepUpgradeCommand)
		if !slices.Equal(rep.TakenDown, []string{"gw-2"}) {
			t.Fatalf("taken down %v, want [gw-2]", rep.TakenDown)
		}
		// Someone starts gw-2 again on its old version, with a red data store.
		delete(h.r.exit, "upgrade/gw-2")
		n := h.c.node("gw-2")
		n.ph, n.red = phRunning, true
		h.r.cmds = nil
		_, _, err = h.run(t.Context())
		wantError(t, err, "answers health 500")
		if len(h.r.commands()) != 0 {
			t.Fatalf("without the record: want a refusal touching nothing, got %d commands", len(h.r.commands()))
		}
		h.cfg.TakenDown = rep.TakenDown
		if rep, _ = h.runOK("gw-1:skipped gw-2:upgraded gw-3:upgraded"); len(rep.TakenDown) != 0 {
			t.Fatalf("with the record: taken down %v", rep.TakenDown)
		}
		if n.quiesceCalls != 1 {
			t.Errorf("gw-2 quiesced %d times, want once (by the first run)", n.quiesceCalls)
		}
	})
}

// TestTakenDownRecordFollowsTheNodes: a recorded node that is ready again
// leaves the record; one a refused run did not reach stays in it; a
// rollback that brings the node back clears it; a node never taken out of
// service is never recorded.
func TestTakenDownRecordFollowsTheNodes(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.c.node("gw-1").red = true
		h.c.node("gw-3").ph = phDown
		h.cfg.TakenDown = []string{"gw-2", "gw-3"}
		rep, _, err := h.run(t.Context())
		if err == nil || !slices.Equal(rep.TakenDown, []string{"gw-3"}) {
			t.Fatalf("refused run: err %v, taken down %v, want [gw-3]", err, rep.TakenDown)
		}

		h = newHarness(t, oldV, oldV, oldV)
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		h.r.exit["upgrade/gw-1"] = CommandResult{ExitCode: 3}
		if rep, _, err = h.run(t.Context()); err == nil || len(rep.TakenDown) != 0 || outcomes(rep) != "gw-1:rolled_back" {
			t.Fatalf("rolled back: err %v, outcomes %s, taken down %v", err, outcomes(rep), rep.TakenDown)
		}

		h = newHarness(t, oldV, oldV, oldV)
		h.cfg.BeforeNodeCommand = []string{"/opt/lb.sh"}
		h.r.exit["before_node/gw-1"] = CommandResult{ExitCode: 3}
		if rep, _, err = h.run(t.Context()); err == nil || len(rep.TakenDown) != 0 {
			t.Fatalf("before_node_command failed: err %v, taken down %v", err, rep.TakenDown)
		}
	})
}
