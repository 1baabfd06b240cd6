package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// ModifyPlan reads the nodes' versions live, so the plan shows which nodes
// will be upgraded (pending_nodes), turns drift behind Terraform's back into
// a planned update, and refuses targets the rolling procedure can't reach.
// It finds (survey, versions, checks), then sets the computed values
// (setPlannedRollout).
func (r *rollingUpgradeResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or provider not configured yet
	}
	plan, ok := getModel[rollingUpgradeModel](ctx, req.Plan, &resp.Diagnostics)
	if !ok {
		return
	}
	nodes, known := plan.knownNodes()
	if !known || plan.TargetVersion.IsUnknown() {
		resp.Diagnostics.Append(setUnknownRollout(ctx, resp, &plan)...)
		return
	}
	resp.Diagnostics.Append(singleNodeWarning(nodes)...)
	resp.Diagnostics.Append(r.data.plainHTTPCredentials(path.Root("nodes"), plainHTTPNodeURLs(plan.Nodes))...)
	src, ok, diags := r.data.versionSource(ctx, &plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !ok {
		// version_command cannot run before its settings are known.
		resp.Diagnostics.Append(setUnknownRollout(ctx, resp, &plan)...)
		return
	}
	creating := req.State.Raw.IsNull()
	prior := types.MapNull(types.StringType)
	if !creating {
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("node_versions"), &prior)...)
	}
	target := plan.TargetVersion.ValueString()
	found := readSurvey(ctx, r.data.cachedSurvey(ctx, src, nodes), prior, target)
	resp.Diagnostics.Append(surveyDiagnostics(found, src.command, target)...)
	resp.Diagnostics.Append(versionDiagnostics(nodes, found.live, target, plan.AllowDowngrade.ValueBool(), src.command)...)
	if resp.Diagnostics.HasError() {
		return
	}
	pending := pendingNodes(nodes, found.versions, target)
	resp.Diagnostics.Append(deadlineWarning(ctx, &plan, creating, len(pending)+found.finishing)...)
	resp.Diagnostics.Append(setPlannedRollout(ctx, req, resp, &plan, found, pending)...)
}

// plannedSurvey is what ModifyPlan found out about the nodes.
type plannedSurvey struct {
	survey []rollout.NodeStatus
	// live are the versions the nodes report now; versions adds, for a
	// node that did not answer, its last known version (lastKnownVersions).
	live, versions map[string]string
	allReady       bool
	// finishing counts the nodes on target but not ready: left starting
	// by an earlier run, the apply finishes them.
	finishing int
}

// readSurvey sums up a survey for the plan. pending_nodes stays known, and
// Terraform plans again during apply: a known value must come out the same
// then, whether a node that answered at plan time has stopped answering
// (still quiescing after an interrupted apply, say) or one that was down is
// back. So an unreachable node counts with its last known version in prior
// (node_versions), as refresh does (pending when it has none): both plans
// agree as long as no node's version changes between them. The release and
// downgrade checks judge only what the nodes report now (live).
func readSurvey(ctx context.Context, survey []rollout.NodeStatus, prior types.Map, target string) plannedSurvey {
	out := plannedSurvey{survey: survey, live: map[string]string{}, allReady: true}
	nodes := make([]rollout.Node, len(survey))
	for i, s := range survey {
		nodes[i] = s.Node
		out.allReady = out.allReady && s.Ready
		if s.Version == "" {
			continue
		}
		out.live[s.Node.Name] = s.Version
		if !s.Ready && rollout.OnTarget(s.Version, target) {
			out.finishing++
		}
	}
	out.versions = lastKnownVersions(ctx, nodes, out.live, prior)
	return out
}

// surveyDiagnostics says what the survey means for an apply: refused health
// probes and a failing version_command stop it; an unreachable node, or one
// on target but not ready, is a warning that says what the apply will do.
func surveyDiagnostics(found plannedSurvey, command bool, target string) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, s := range found.survey {
		switch {
		case rollout.IsHealthCredentials(s.HealthErr):
			diags.AddError("Health probe refused",
				fmt.Sprintf("Node %q (%s): %s. The provider cannot tell whether a node is ready or has drained while its health probes are refused, "+
					"so an apply would stop before touching any node.", s.Node.Name, s.Node.URL, s.HealthErr))
		case s.Version == "" && s.Ready && command:
			diags.AddAttributeError(path.Root("version_command"), "version_command failed",
				fmt.Sprintf("Node %q (%s) answers health 200, but its version could not be read: %s. Run version_command by hand with the node's APIGW_NODE_* variables, "+
					"make it print the node's version alone (e.g. 10.15.0.7), and plan again; an apply would refuse to start.", s.Node.Name, s.Node.URL, s.Err))
		case s.Version == "" && found.versions[s.Node.Name] != "":
			diags.AddWarning("Node unreachable at plan time",
				fmt.Sprintf("Node %q (%s) could not be read: %s. It counts with its last known version, %s, so it is in pending_nodes only if that is not on target; apply reads it again, finishes it if it is down or left quiescing, and upgrades it if it is not on target.",
					s.Node.Name, s.Node.URL, s.Err, found.versions[s.Node.Name]))
		case s.Version == "":
			diags.AddWarning("Node unreachable at plan time",
				fmt.Sprintf("Node %q (%s) could not be read: %s. Its version is unknown until apply, which finishes or upgrades it first; it is listed in pending_nodes.", s.Node.Name, s.Node.URL, s.Err))
		case !s.Ready && rollout.OnTarget(s.Version, target):
			diags.AddWarning("Node on target but not ready",
				fmt.Sprintf("Node %q (%s) reports %s but does not answer health 200. The apply waits until it is ready and finishes it (soak, after_node_command).", s.Node.Name, s.Node.URL, s.Version))
		}
	}
	return diags
}

// versionDiagnostics refuses targets a rolling upgrade cannot reach from
// what the nodes report now, and warns when versions may hide the fix level.
func versionDiagnostics(nodes []rollout.Node, live map[string]string, target string, allowDowngrade, command bool) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, err := range rollout.CheckVersions(nodes, live, target, allowDowngrade, command) {
		diags.AddAttributeError(path.Root("target_version"), "Target not reachable by a rolling upgrade", err.Error())
	}
	if !diags.HasError() && !command {
		diags.Append(fixLevelWarning(nodes, live, target)...)
	}
	return diags
}

// singleNodeWarning warns that a one-node cluster has downtime.
func singleNodeWarning(nodes []rollout.Node) diag.Diagnostics {
	var diags diag.Diagnostics
	if len(nodes) == 1 {
		diags.AddAttributeWarning(path.Root("nodes"), "Single-node cluster",
			fmt.Sprintf("Node %q is the only node: it will be out of service while it is upgraded. Add nodes to upgrade without downtime.", nodes[0].Name))
	}
	return diags
}

// planOutcome is what a plan holds for the computed values.
type planOutcome int

const (
	// planRollout: an apply rolls the pending nodes and finishes any node
	// on target that is not ready yet; node_versions and last_rollout are
	// known after apply.
	planRollout planOutcome = iota
	// planSettingsOnly: every node is on target but settings changed;
	// Update stores the plan as it is and touches no node.
	planSettingsOnly
	// planNothing: the computed values stay as in state (a plan without
	// refresh must be empty after a successful apply too).
	planNothing
)

// decidePlan chooses the computed values' outcome.
func decidePlan(creating bool, pending int, allReady, nodeVersionsUnknown bool) planOutcome {
	switch {
	case creating || pending > 0 || !allReady:
		return planRollout
	case nodeVersionsUnknown:
		return planSettingsOnly
	default:
		return planNothing
	}
}

// setPlannedRollout sets pending_nodes, node_versions and last_rollout in
// the plan as decidePlan says.
func setPlannedRollout(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse, plan *rollingUpgradeModel, found plannedSurvey, pending []string) diag.Diagnostics {
	var diags diag.Diagnostics
	pendingList, d := types.ListValueFrom(ctx, types.StringType, pending)
	diags.Append(d...)
	switch decidePlan(req.State.Raw.IsNull(), len(pending), found.allReady, plan.NodeVersions.IsUnknown()) {
	case planRollout:
		plan.PendingNodes = pendingList
		plan.NodeVersions = types.MapUnknown(types.StringType)
		plan.LastRollout = types.ListUnknown(rolloutEntryType)
	case planSettingsOnly:
		var state rollingUpgradeModel
		diags.Append(req.State.Get(ctx, &state)...)
		plan.PendingNodes = pendingList
		plan.LastRollout = state.LastRollout
		nodes, _ := plan.knownNodes()
		plan.NodeVersions, d = versionsValue(ctx, nodes, found.versions, state.NodeVersions)
		diags.Append(d...)
	case planNothing:
		return diags
	}
	diags.Append(resp.Plan.Set(ctx, plan)...)
	return diags
}

// setUnknownRollout plans the computed values as known after apply, for a
// plan that cannot survey the nodes yet.
func setUnknownRollout(ctx context.Context, resp *resource.ModifyPlanResponse, plan *rollingUpgradeModel) diag.Diagnostics {
	plan.NodeVersions = types.MapUnknown(types.StringType)
	plan.PendingNodes = types.ListUnknown(types.StringType)
	plan.LastRollout = types.ListUnknown(rolloutEntryType)
	return resp.Plan.Set(ctx, plan)
}

// fixLevelWarning warns, before the first node is touched, when nodes still
// to upgrade report versions of the shape X.Y.0.0.<build>: on a gateway
// whose serverinfo version does not show the fix level, the first node
// would come back on the same version and the apply would stop there.
func fixLevelWarning(nodes []rollout.Node, live map[string]string, target string) diag.Diagnostics {
	var diags diag.Diagnostics
	var which []string
	example := ""
	for _, n := range nodes {
		if v := live[n.Name]; v != "" && !rollout.OnTarget(v, target) && rollout.MayHideFixLevel(v) {
			which = append(which, n.Name)
			if example == "" {
				example = v
			}
		}
	}
	if len(which) == 0 {
		return diags
	}
	diags.AddAttributeWarning(path.Root("version_command"), "Node versions may not show the fix level",
		fmt.Sprintf("%s report versions such as %s: a fourth segment 0 followed by a build number, as on gateways whose serverinfo version "+
			"does not change when a fix is applied. On such a gateway the apply upgrades the first node and then stops, without rolling it back, "+
			"because the node still reports a version other than %s. Compare a node's version, build and fixes in data source apigw_node; "+
			"if version does not show the fix level, set version_command to a command that prints the node's real version.",
			strings.Join(which, ", "), example, target))
	return diags
}
