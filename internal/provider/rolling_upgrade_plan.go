package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// ValidateConfig refuses what no single attribute validator can see:
// duplicate nodes, a missing quiesce URL, max_unavailable against the node
// count. It runs without network access.
func (r *rollingUpgradeResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg rollingUpgradeModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || cfg.Nodes.IsNull() || cfg.Nodes.IsUnknown() {
		return
	}
	for i, e := range cfg.Nodes.Elements() {
		if e.IsNull() {
			resp.Diagnostics.AddAttributeError(path.Root("nodes").AtListIndex(i), "Null node",
				fmt.Sprintf("nodes[%d] is null; every element of nodes needs a name and a url.", i))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	specs := nodeSpecs(cfg.Nodes)
	strategy := cfg.Strategy.ValueString()
	quiesce := cfg.Strategy.IsNull() || strategy == string(rollout.StrategyQuiesceAll)
	// The engine's rules (rollout.Config.Validate) apply here to what is
	// known before plan, with messages that name the attribute: names
	// unique and not blank, every URL (primary or quiesce) unique the way
	// the engine compares them, a quiesce URL for quiesce_all.
	names := map[string]int{}
	urls := map[string]string{} // normalised URL → the attribute that holds it
	for i, s := range specs {
		at := path.Root("nodes").AtListIndex(i)
		if !s.Name.IsUnknown() && !s.Name.IsNull() {
			n := s.Name.ValueString()
			if j, dup := names[n]; dup {
				resp.Diagnostics.AddAttributeError(at.AtName("name"), "Duplicate node name",
					fmt.Sprintf("nodes[%d].name %q is also nodes[%d].name; every node needs its own name.", i, n, j))
			} else if strings.TrimSpace(n) == "" {
				resp.Diagnostics.AddAttributeError(at.AtName("name"), "Empty node name",
					fmt.Sprintf("nodes[%d].name is empty; every node needs a name, used in state, errors and APIGW_NODE_NAME.", i))
			}
			names[n] = i
		}
		for _, f := range []struct {
			name string
			v    types.String
		}{{"url", s.URL}, {"quiesce_url", s.QuiesceURL}} {
			if f.v.IsUnknown() || f.v.IsNull() {
				continue
			}
			attr := fmt.Sprintf("nodes[%d].%s", i, f.name)
			if err := checkURL(f.v.ValueString()); err != nil {
				resp.Diagnostics.AddAttributeError(at.AtName(f.name), "Invalid URL",
					fmt.Sprintf("%s: %s; it must be %s.", attr, err, urlValidator{}.Description(ctx)))
				continue
			}
			key, err := rollout.NormaliseURL(f.v.ValueString())
			if err != nil {
				continue // checkURL is the stricter of the two
			}
			switch other, dup := urls[key]; {
			case dup && f.name == "quiesce_url" && other == fmt.Sprintf("nodes[%d].url", i):
				resp.Diagnostics.AddAttributeError(at.AtName(f.name), "Quiesce URL equals the node URL",
					fmt.Sprintf("%s must point at the quiesce port, not at the primary port %q.", attr, s.URL.ValueString()))
			case dup:
				resp.Diagnostics.AddAttributeError(at.AtName(f.name), "Duplicate node URL",
					fmt.Sprintf("%s %q is also %s; list each node once, each with its own quiesce port.", attr, f.v.ValueString(), other))
			default:
				urls[key] = attr
			}
		}
		if quiesce && s.QuiesceURL.IsNull() {
			resp.Diagnostics.AddAttributeError(at.AtName("quiesce_url"), "Missing quiesce URL",
				fmt.Sprintf(`nodes[%d].quiesce_url is required with strategy = "quiesce_all": the node has drained when health stops answering 200 there. `+
					`Create the port with apigw_quiesce_port and use its quiesce_url, or set strategy = "drain_shutdown".`, i))
		}
	}
	if !cfg.MaxUnavailable.IsNull() && !cfg.MaxUnavailable.IsUnknown() && len(specs) > 1 && cfg.MaxUnavailable.ValueInt64() >= int64(len(specs)) {
		resp.Diagnostics.AddAttributeError(path.Root("max_unavailable"), "max_unavailable too high",
			fmt.Sprintf("max_unavailable = %d would take every one of the %d nodes out of service at once; it must be at least 1 and less than %d.",
				cfg.MaxUnavailable.ValueInt64(), len(specs), len(specs)))
	}
	resp.Diagnostics.Append(checkTimeouts(ctx, cfg.Timeouts)...)
}

// checkTimeouts refuses timeouts.create and timeouts.update values that the
// timeouts library accepts but that leave an apply no time at all (zero or
// negative durations). Unparsable values are the library's to report.
func checkTimeouts(ctx context.Context, t timeouts.Value) diag.Diagnostics {
	var diags diag.Diagnostics
	if t.IsNull() || t.IsUnknown() {
		return diags
	}
	for _, c := range []struct {
		name string
		get  func(context.Context, time.Duration) (time.Duration, diag.Diagnostics)
	}{{"create", t.Create}, {"update", t.Update}} {
		d, parse := c.get(ctx, time.Hour) // any positive stand-in for "not set"
		if parse.HasError() || d > 0 {
			continue
		}
		diags.AddAttributeError(path.Root("timeouts").AtName(c.name), "Invalid timeout",
			fmt.Sprintf(`timeouts.%s is %s: the apply would stop before touching a node; it must be a positive Go duration such as "2h".`, c.name, d))
	}
	return diags
}

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
	resp.Diagnostics.Append(r.validateWithEngine(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
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

// validateWithEngine runs the engine's own validation on the plan, so that
// nothing apply would refuse gets past plan. Quiesce URLs still unknown
// (fed from ports created in the same apply) are not judged yet.
func (r *rollingUpgradeResource) validateWithEngine(ctx context.Context, plan *rollingUpgradeModel) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, v := range []attr.Value{plan.UpgradeCommand, plan.BeforeNodeCommand, plan.AfterNodeCommand, plan.RollbackCommand,
		plan.PrepareCommand, plan.PrepareParallelism, plan.NotifyCommand, plan.VersionCommand,
		plan.CommandEnv, plan.CommandSecretEnv, plan.Flush, plan.MaxUnavailable, plan.Strategy, plan.DrainTimeout, plan.CommandTimeout,
		plan.ReadyTimeout, plan.SoakDuration, plan.PollInterval, plan.OnInterrupt, plan.MaxNodesPerApply} {
		if v.IsUnknown() {
			return diags
		}
	}
	cfg, d := plan.rolloutConfig(ctx)
	diags.Append(d...)
	if diags.HasError() {
		return diags
	}
	specs := nodeSpecs(plan.Nodes)
	for _, e := range rollout.AttrErrors(cfg.Validate()) {
		p, index, field := attrPath(e.Attribute)
		if field == "quiesce_url" && index < len(specs) && specs[index].QuiesceURL.IsUnknown() {
			continue
		}
		diags.AddAttributeError(p, "Invalid "+e.Attribute, e.Attribute+": "+e.Message+".")
	}
	return diags
}

// attrPath turns the engine's attribute names ("max_unavailable",
// "nodes[1].url") into schema paths.
func attrPath(name string) (p path.Path, index int, field string) {
	var root string
	index = -1
	if n, err := fmt.Sscanf(strings.Replace(name, "].", "] ", 1), "nodes[%d] %s", &index, &field); err == nil && n == 2 {
		return path.Root("nodes").AtListIndex(index).AtName(field), index, field
	}
	root, _, _ = strings.Cut(name, "[")
	return path.Root(root), -1, ""
}

// versionValidator accepts dotted numeric versions such as "10.15.0.7".
type versionValidator struct{}

var _ validator.String = versionValidator{}

func (versionValidator) Description(context.Context) string {
	return `a dotted numeric version of at least two segments, such as "10.15.0.7"`
}

func (v versionValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v versionValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := rollout.ValidateTarget(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid version",
			fmt.Sprintf("%s: %s; it must be %s.", req.Path, err, v.Description(ctx)))
	}
}
