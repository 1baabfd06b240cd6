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
func (r *rollingUpgradeResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or provider not configured yet
	}
	var plan rollingUpgradeModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	creating := req.State.Raw.IsNull()
	unknownRollout := func() {
		plan.NodeVersions = types.MapUnknown(types.StringType)
		plan.PendingNodes = types.ListUnknown(types.StringType)
		plan.LastRollout = types.ListUnknown(rolloutEntryType)
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	}

	nodes, known := plan.knownNodes()
	if !known || plan.TargetVersion.IsUnknown() {
		unknownRollout()
		return
	}
	if len(nodes) == 1 {
		resp.Diagnostics.AddAttributeWarning(path.Root("nodes"), "Single-node cluster",
			fmt.Sprintf("Node %q is the only node: it will be out of service while it is upgraded. Add nodes to upgrade without downtime.", nodes[0].Name))
	}
	target := plan.TargetVersion.ValueString()
	resp.Diagnostics.Append(r.data.plainHTTPCredentials(path.Root("nodes"), plainHTTPNodeURLs(plan.Nodes))...)

	// pending_nodes stays known, and Terraform plans again during apply: a
	// known value must come out the same then, whether a node that answered
	// at plan time has stopped answering (still quiescing after an
	// interrupted apply, say) or one that was down is back. So an
	// unreachable node counts with its last known version, as refresh does
	// (pending when it has none): both plans agree as long as no node's
	// version changes between them. The release and downgrade checks judge
	// only what the nodes report now.
	prior := types.MapNull(types.StringType)
	if !creating {
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("node_versions"), &prior)...)
	}
	src, ok, diags := r.data.versionSource(ctx, &plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !ok {
		unknownRollout() // version_command cannot run before its settings are known
		return
	}
	survey := r.data.cachedSurvey(ctx, src, nodes)
	live := map[string]string{}
	for _, s := range survey {
		if s.Version != "" {
			live[s.Node.Name] = s.Version
		}
	}
	versions := lastKnownVersions(ctx, nodes, live, prior)
	allReady := true
	for _, s := range survey {
		allReady = allReady && s.Ready
		if rollout.IsHealthCredentials(s.HealthErr) {
			resp.Diagnostics.AddError("Health probe refused",
				fmt.Sprintf("Node %q (%s): %s. The provider cannot tell whether a node is ready or has drained while its health probes are refused, "+
					"so an apply would stop before touching any node.", s.Node.Name, s.Node.URL, s.HealthErr))
			continue
		}
		if s.Version == "" && s.Ready && src.command {
			resp.Diagnostics.AddAttributeError(path.Root("version_command"), "version_command failed",
				fmt.Sprintf("Node %q (%s) answers health 200, but its version could not be read: %s. Run version_command by hand with the node's APIGW_NODE_* variables, "+
					"make it print the node's version alone (e.g. 10.15.0.7), and plan again; an apply would refuse to start.", s.Node.Name, s.Node.URL, s.Err))
			continue
		}
		if s.Version == "" {
			if last := versions[s.Node.Name]; last != "" {
				resp.Diagnostics.AddWarning("Node unreachable at plan time",
					fmt.Sprintf("Node %q (%s) could not be read: %s. It counts with its last known version, %s, so it is in pending_nodes only if that is not on target; apply reads it again, finishes it if it is down or left quiescing, and upgrades it if it is not on target.",
						s.Node.Name, s.Node.URL, s.Err, last))
				continue
			}
			resp.Diagnostics.AddWarning("Node unreachable at plan time",
				fmt.Sprintf("Node %q (%s) could not be read: %s. Its version is unknown until apply, which finishes or upgrades it first; it is listed in pending_nodes.", s.Node.Name, s.Node.URL, s.Err))
			continue
		}
		if !s.Ready && rollout.OnTarget(s.Version, target) {
			resp.Diagnostics.AddWarning("Node on target but not ready",
				fmt.Sprintf("Node %q (%s) reports %s but does not answer health 200. The apply waits until it is ready and finishes it (soak, after_node_command).", s.Node.Name, s.Node.URL, s.Version))
		}
	}
	for _, err := range rollout.CheckVersions(nodes, live, target, plan.AllowDowngrade.ValueBool(), src.command) {
		resp.Diagnostics.AddAttributeError(path.Root("target_version"), "Target not reachable by a rolling upgrade", err.Error())
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if !src.command {
		resp.Diagnostics.Append(fixLevelWarning(nodes, live, target)...)
	}

	pending, diags := pendingValue(ctx, nodes, versions, target)
	resp.Diagnostics.Append(diags...)
	work := len(pending.Elements())
	for _, s := range survey {
		if s.Version != "" && !s.Ready && rollout.OnTarget(s.Version, target) {
			work++ // left starting by an earlier run: the apply finishes it
		}
	}
	resp.Diagnostics.Append(deadlineWarning(ctx, &plan, creating, work)...)
	switch {
	case creating || len(pending.Elements()) > 0 || !allReady:
		// Work to do: an apply rolls the pending nodes and finishes any
		// node on target that is not ready yet (left starting by an
		// earlier run).
		plan.PendingNodes = pending
		plan.NodeVersions = types.MapUnknown(types.StringType)
		plan.LastRollout = types.ListUnknown(rolloutEntryType)
	case plan.NodeVersions.IsUnknown():
		// Every node is on target but settings changed: Update stores
		// this plan as it is and touches no node.
		var state rollingUpgradeModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		plan.PendingNodes = pending
		plan.LastRollout = state.LastRollout
		plan.NodeVersions, diags = versionsValue(ctx, nodes, versions, state.NodeVersions)
		resp.Diagnostics.Append(diags...)
	default:
		// Nothing to do: the computed values stay as in state (a plan
		// without refresh must be empty after a successful apply too).
		return
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
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
