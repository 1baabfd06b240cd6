package provider

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// reportWarnings are the warnings of a rollout's report: a node whose
// metrics need a look, failed notifications and, for a run that succeeded,
// the nodes max_nodes_per_apply left for the next apply.
func reportWarnings(report *rollout.Report, maxNodesPerApply int, succeeded bool) diag.Diagnostics {
	var diags diag.Diagnostics
	if report == nil {
		return diags
	}
	for _, res := range report.Results {
		if res.Warning != "" {
			diags.AddAttributeWarning(path.Root("nodes"), fmt.Sprintf("Node %s: check its metrics", res.Node), fmt.Sprintf("Node %s: %s", res.Node, res.Warning))
		}
	}
	if f := report.NotifyFailures; len(f) > 0 {
		diags.AddAttributeWarning(path.Root("notify_command"), "notify_command failed", notifyFailures(f))
	}
	if succeeded && len(report.Deferred) > 0 {
		diags.AddAttributeWarning(path.Root("max_nodes_per_apply"), "Rolling upgrade staged: more nodes to upgrade",
			stagedSummary(report, maxNodesPerApply))
	}
	return diags
}

// rolloutFailure is the error of a rollout that failed: refused before any
// node was touched, or stopped, with the progress node by node and how to
// resume (creating: a failed create, whose resource is tainted).
func rolloutFailure(err error, report *rollout.Report, nodes []rollout.Node, target string, creating bool) diag.Diagnostics {
	var diags diag.Diagnostics
	var (
		step      *rollout.StepError
		interrupt *rollout.InterruptError
	)
	if !errors.As(err, &step) && !errors.As(err, &interrupt) {
		// Refused before anything was touched (validation, versions,
		// too many unready nodes): no progress to report, nothing to resume.
		diags.AddError("Rolling upgrade refused: no node was touched", err.Error())
		return diags
	}
	resume := "target_version keeps its previous value in state; run terraform apply again to resume: nodes on target are skipped."
	if creating {
		resume = "The resource is tainted, as after any failed create; the next terraform apply replaces it, which touches no node, and resumes: nodes on target are skipped."
	}
	detail := err.Error() + "\n\n" + progressSummary(report, nodes, target) + resume
	if step != nil && step.Step == rollout.StepPrepareCommand {
		diags.AddAttributeError(path.Root("prepare_command"), "Rolling upgrade stopped: prepare_command failed, no node was touched", detail)
		return diags
	}
	diags.AddError("Rolling upgrade stopped", detail)
	return diags
}

// progressSummary says, node by node, where the rollout stands, for the
// error shown to the user.
func progressSummary(report *rollout.Report, nodes []rollout.Node, target string) string {
	outcome := map[string]string{}
	versions := map[string]string{}
	if report != nil {
		for _, r := range report.Results {
			outcome[r.Node] = string(r.Outcome)
		}
		versions = report.Versions
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Progress towards %s:\n", target)
	for _, n := range nodes {
		state := outcome[n.Name]
		if state == "" {
			state = "not started"
		}
		v := versions[n.Name]
		if v == "" {
			v = "unknown"
		}
		fmt.Fprintf(&b, "  - %s: %s (reports %s)\n", n.Name, state, v)
	}
	return b.String()
}

// stagedSummary says what a rollout cut short by max_nodes_per_apply did
// and what is left, for the warning of a successful staged apply.
func stagedSummary(report *rollout.Report, limit int) string {
	var upgraded []string
	for _, r := range report.Results {
		if r.Outcome == rollout.OutcomeUpgraded {
			upgraded = append(upgraded, r.Node)
		}
	}
	done := "no node"
	if len(upgraded) > 0 {
		done = strings.Join(upgraded, ", ")
	}
	return fmt.Sprintf("max_nodes_per_apply = %d: this apply upgraded %s and left %s (%d %s) for the next one. "+
		"Check the upgraded nodes, then run terraform apply again to go on: the next plan lists the remaining nodes in pending_nodes "+
		"and shows an update, and nodes on target are skipped.",
		limit, done, strings.Join(report.Deferred, ", "), len(report.Deferred), plural(len(report.Deferred), "node", "nodes"))
}
