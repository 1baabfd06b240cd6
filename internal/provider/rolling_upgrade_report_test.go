package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

func testReport() *rollout.Report {
	return &rollout.Report{
		Results: []rollout.NodeResult{
			{Node: "gw-1", Outcome: rollout.OutcomeUpgraded},
			{Node: "gw-2", Outcome: rollout.OutcomeRolledBack, Warning: "its metrics were not flushed"},
		},
		Versions: map[string]string{"gw-1": "10.15.0.7.3", "gw-2": "10.15.0.5.1"},
		Deferred: []string{"gw-3"},
	}
}

var threeNodes = []rollout.Node{{Name: "gw-1"}, {Name: "gw-2"}, {Name: "gw-3"}}

func TestProgressSummary(t *testing.T) {
	want := "Progress towards 10.15.0.7:\n" +
		"  - gw-1: upgraded (reports 10.15.0.7.3)\n" +
		"  - gw-2: rolled_back (reports 10.15.0.5.1)\n" +
		"  - gw-3: not started (reports unknown)\n"
	if got := progressSummary(testReport(), threeNodes, "10.15.0.7"); got != want {
		t.Errorf("progressSummary =\n%s\nwant\n%s", got, want)
	}
	if got, want := progressSummary(nil, threeNodes[:1], "10.15.0.7"), "Progress towards 10.15.0.7:\n  - gw-1: not started (reports unknown)\n"; got != want {
		t.Errorf("progressSummary without a report = %q, want %q", got, want)
	}
}

func TestStagedSummary(t *testing.T) {
	for _, tc := range []struct {
		report *rollout.Report
		want   string
	}{
		{testReport(), "max_nodes_per_apply = 1: this apply upgraded gw-1 and left gw-3 (1 node) for the next one."},
		{&rollout.Report{Deferred: []string{"gw-2", "gw-3"}}, "max_nodes_per_apply = 1: this apply upgraded no node and left gw-2, gw-3 (2 nodes) for the next one."},
	} {
		if got := stagedSummary(tc.report, 1); !strings.HasPrefix(got, tc.want) {
			t.Errorf("stagedSummary = %q, want it to start with %q", got, tc.want)
		}
	}
}

func TestReportWarnings(t *testing.T) {
	report := testReport()
	report.NotifyFailures = []string{"rollout_started: exit status 1"}
	for _, tc := range []struct {
		name      string
		report    *rollout.Report
		succeeded bool
		want      []string // "<path>: <summary>" of each warning
	}{
		{"no report", nil, true, nil},
		{"succeeded, staged", report, true, []string{"nodes: Node gw-2: check its metrics", "notify_command: notify_command failed", "max_nodes_per_apply: Rolling upgrade staged: more nodes to upgrade"}},
		{"failed: nothing said of staging", report, false, []string{"nodes: Node gw-2: check its metrics", "notify_command: notify_command failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, d := range reportWarnings(tc.report, 1, tc.succeeded) {
				p := ""
				if wp, ok := d.(diag.DiagnosticWithPath); ok {
					p = wp.Path().String()
				}
				got = append(got, p+": "+d.Summary())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("reportWarnings = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRolloutFailure(t *testing.T) {
	stepErr := &rollout.StepError{Node: "gw-2", Step: rollout.StepUpgradeCommand, Err: errors.New("exit status 3")}
	prepErr := &rollout.StepError{Node: "gw-3", Step: rollout.StepPrepareCommand, Err: errors.New("no space left")}
	interrupt := &rollout.InterruptError{Cause: context.Canceled, Finished: []string{"gw-1"}}
	for _, tc := range []struct {
		name     string
		err      error
		creating bool
		want     string // "<path>: <summary>: " prefix
		contains []string
	}{
		{"refused", errors.New("node gw-2 is not ready"), false, ": Rolling upgrade refused: no node was touched: node gw-2 is not ready", nil},
		{"step failed on update", fmt.Errorf("wrapped: %w", stepErr), false, ": Rolling upgrade stopped: ",
			[]string{"exit status 3", "  - gw-2: rolled_back (reports 10.15.0.5.1)", "target_version keeps its previous value in state"}},
		{"step failed on create", stepErr, true, ": Rolling upgrade stopped: ", []string{"The resource is tainted"}},
		{"prepare_command failed", prepErr, false, "prepare_command: Rolling upgrade stopped: prepare_command failed, no node was touched: ", []string{"no space left"}},
		{"interrupted", interrupt, false, ": Rolling upgrade stopped: rollout interrupted", []string{"  - gw-3: not started"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := diagLines(rolloutFailure(tc.err, testReport(), threeNodes, "10.15.0.7", tc.creating))
			if len(got) != 1 || !strings.HasPrefix(got[0], tc.want) {
				t.Fatalf("rolloutFailure = %q, want one starting %q", got, tc.want)
			}
			for _, c := range tc.contains {
				if !strings.Contains(got[0], c) {
					t.Errorf("rolloutFailure = %q, want it to contain %q", got[0], c)
				}
			}
		})
	}
}
