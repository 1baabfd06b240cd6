package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// rollingUpgradeModel is the resource's configuration, plan and state.
// Nested and list values stay framework types because they are often unknown
// at plan time (a quiesce_url fed from apigw_quiesce_port, for instance).
type rollingUpgradeModel struct {
	ID                 types.String   `tfsdk:"id"`
	TargetVersion      types.String   `tfsdk:"target_version"`
	Nodes              types.List     `tfsdk:"nodes"`
	UpgradeCommand     types.List     `tfsdk:"upgrade_command"`
	CommandEnv         types.Map      `tfsdk:"command_env"`
	CommandSecretEnv   types.Map      `tfsdk:"command_secret_env"`
	Strategy           types.String   `tfsdk:"strategy"`
	Flush              types.Set      `tfsdk:"flush"`
	MaxUnavailable     types.Int64    `tfsdk:"max_unavailable"`
	DrainTimeout       types.String   `tfsdk:"drain_timeout"`
	CommandTimeout     types.String   `tfsdk:"command_timeout"`
	ReadyTimeout       types.String   `tfsdk:"ready_timeout"`
	SoakDuration       types.String   `tfsdk:"soak_duration"`
	PollInterval       types.String   `tfsdk:"poll_interval"`
	BeforeNodeCommand  types.List     `tfsdk:"before_node_command"`
	AfterNodeCommand   types.List     `tfsdk:"after_node_command"`
	RollbackCommand    types.List     `tfsdk:"rollback_command"`
	VersionCommand     types.List     `tfsdk:"version_command"`
	PrepareCommand     types.List     `tfsdk:"prepare_command"`
	PrepareParallelism types.Int64    `tfsdk:"prepare_parallelism"`
	NotifyCommand      types.List     `tfsdk:"notify_command"`
	AllowDowngrade     types.Bool     `tfsdk:"allow_downgrade"`
	OnInterrupt        types.String   `tfsdk:"on_interrupt"`
	MaxNodesPerApply   types.Int64    `tfsdk:"max_nodes_per_apply"`
	Timeouts           timeouts.Value `tfsdk:"timeouts"`
	NodeVersions       types.Map      `tfsdk:"node_versions"`
	PendingNodes       types.List     `tfsdk:"pending_nodes"`
	LastRollout        types.List     `tfsdk:"last_rollout"`
}

// nodeSpecModel is one element of nodes.
type nodeSpecModel struct {
	Name       types.String `tfsdk:"name"`
	URL        types.String `tfsdk:"url"`
	QuiesceURL types.String `tfsdk:"quiesce_url"`
}

var rolloutEntryAttrTypes = map[string]attr.Type{
	"node":            types.StringType,
	"from_version":    types.StringType,
	"to_version":      types.StringType,
	"outcome":         types.StringType,
	"started_at":      types.StringType,
	"finished_at":     types.StringType,
	"drain_seconds":   types.Float64Type,
	"command_seconds": types.Float64Type,
	"ready_seconds":   types.Float64Type,
}

var rolloutEntryType = types.ObjectType{AttrTypes: rolloutEntryAttrTypes}

// knownNodes returns the node list when every name and URL in it is known
// (quiesce URLs may still be unknown); ok is false otherwise.
func (m *rollingUpgradeModel) knownNodes() (nodes []rollout.Node, ok bool) {
	if m.Nodes.IsNull() || m.Nodes.IsUnknown() {
		return nil, false
	}
	for _, s := range nodeSpecs(m.Nodes) {
		if s.Name.IsUnknown() || s.URL.IsUnknown() {
			return nil, false
		}
		nodes = append(nodes, rollout.Node{Name: s.Name.ValueString(), URL: s.URL.ValueString(), QuiesceURL: s.QuiesceURL.ValueString()})
	}
	return nodes, true
}

// nodeSpecs reads the elements of nodes. An unknown element gives unknown
// fields. It reads the objects directly rather than through ElementsAs,
// whose reflection cost several microseconds per element and field: that
// showed in 200-node plans, which read the list four times (make bench).
func nodeSpecs(nodes types.List) []nodeSpecModel {
	elems := nodes.Elements()
	out := make([]nodeSpecModel, len(elems))
	for i, e := range elems {
		obj, _ := e.(types.Object)
		if obj.IsUnknown() {
			out[i] = nodeSpecModel{Name: types.StringUnknown(), URL: types.StringUnknown(), QuiesceURL: types.StringUnknown()}
			continue
		}
		attrs := obj.Attributes()
		out[i] = nodeSpecModel{Name: stringAttr(attrs["name"]), URL: stringAttr(attrs["url"]), QuiesceURL: stringAttr(attrs["quiesce_url"])}
	}
	return out
}

// stringAttr is v as a string value; a missing one is null.
func stringAttr(v attr.Value) types.String {
	if s, ok := v.(types.String); ok {
		return s
	}
	return types.StringNull()
}

// rolloutConfig maps a fully known plan onto the engine's configuration.
func (m *rollingUpgradeModel) rolloutConfig(ctx context.Context) (rollout.Config, diag.Diagnostics) {
	var diags diag.Diagnostics
	nodes, _ := m.knownNodes()
	cfg := rollout.Config{
		Nodes:          nodes,
		Target:         m.TargetVersion.ValueString(),
		Strategy:       rollout.Strategy(m.Strategy.ValueString()),
		MaxUnavailable: int(m.MaxUnavailable.ValueInt64()),
		DrainTimeout:   mustDuration(m.DrainTimeout),
		CommandTimeout: mustDuration(m.CommandTimeout),
		ReadyTimeout:   mustDuration(m.ReadyTimeout),
		SoakDuration:   mustDuration(m.SoakDuration),
		PollInterval:   mustDuration(m.PollInterval),
		AllowDowngrade: m.AllowDowngrade.ValueBool(),
		// Null in a state written before the attribute existed: the default.
		PrepareParallelism: int(m.PrepareParallelism.ValueInt64()),
		OnInterrupt:        rollout.InterruptPolicy(m.OnInterrupt.ValueString()),
		// Null (no limit) reads as 0, the engine's "no limit".
		MaxNodesPerApply: int(m.MaxNodesPerApply.ValueInt64()),
	}
	diags.Append(m.Flush.ElementsAs(ctx, &cfg.Flush, false)...)
	diags.Append(m.UpgradeCommand.ElementsAs(ctx, &cfg.UpgradeCommand, false)...)
	for _, l := range []struct {
		from types.List
		to   *[]string
	}{
		{m.BeforeNodeCommand, &cfg.BeforeNodeCommand},
		{m.AfterNodeCommand, &cfg.AfterNodeCommand},
		{m.RollbackCommand, &cfg.RollbackCommand},
		{m.PrepareCommand, &cfg.PrepareCommand},
		{m.NotifyCommand, &cfg.NotifyCommand},
		{m.VersionCommand, &cfg.VersionCommand},
	} {
		if !l.from.IsNull() {
			diags.Append(l.from.ElementsAs(ctx, l.to, false)...)
		}
	}
	if !m.CommandEnv.IsNull() {
		diags.Append(m.CommandEnv.ElementsAs(ctx, &cfg.CommandEnv, false)...)
	}
	if !m.CommandSecretEnv.IsNull() {
		diags.Append(m.CommandSecretEnv.ElementsAs(ctx, &cfg.CommandSecretEnv, false)...)
	}
	return cfg, diags
}

// mustDuration parses a duration the schema validators already checked.
func mustDuration(v types.String) time.Duration {
	d, _ := time.ParseDuration(v.ValueString())
	return d
}

// lastKnownVersions is, for every node, what it reports now or else the
// version prior (node_versions) last recorded for it; nodes never read are
// absent. Refresh, plan and apply all judge an unreachable node this way.
func lastKnownVersions(ctx context.Context, nodes []rollout.Node, now map[string]string, prior types.Map) map[string]string {
	old := map[string]string{}
	if !prior.IsNull() && !prior.IsUnknown() {
		prior.ElementsAs(ctx, &old, false)
	}
	out := make(map[string]string, len(nodes))
	for _, n := range nodes {
		if v := now[n.Name]; v != "" {
			out[n.Name] = v
		} else if v, ok := old[n.Name]; ok && v != "" {
			out[n.Name] = v
		}
	}
	return out
}

// versionsValue turns the engine's versions into node_versions, keeping the
// prior value of a node whose version is unknown now.
func versionsValue(ctx context.Context, nodes []rollout.Node, now map[string]string, prior types.Map) (types.Map, diag.Diagnostics) {
	return types.MapValueFrom(ctx, types.StringType, lastKnownVersions(ctx, nodes, now, prior))
}

// pendingValue lists, in node order, the nodes whose version is not on target
// (an unknown version counts as pending).
func pendingValue(ctx context.Context, nodes []rollout.Node, versions map[string]string, target string) (types.List, diag.Diagnostics) {
	return types.ListValueFrom(ctx, types.StringType, pendingNodes(nodes, versions, target))
}

// pendingNodes names, in node order, the nodes whose version is not on
// target (an unknown version counts as pending); never nil.
func pendingNodes(nodes []rollout.Node, versions map[string]string, target string) []string {
	pending := []string{}
	for _, n := range nodes {
		if !rollout.OnTarget(versions[n.Name], target) {
			pending = append(pending, n.Name)
		}
	}
	return pending
}

// rolloutValue maps the engine's report onto last_rollout. The objects are
// built directly, not through ListValueFrom's reflection (see nodeSpecs).
func rolloutValue(report *rollout.Report) (types.List, diag.Diagnostics) {
	entries := []attr.Value{}
	var diags diag.Diagnostics
	if report != nil {
		for _, r := range report.Results {
			obj, d := types.ObjectValue(rolloutEntryAttrTypes, map[string]attr.Value{
				"node":            types.StringValue(r.Node),
				"from_version":    types.StringValue(r.FromVersion),
				"to_version":      types.StringValue(r.ToVersion),
				"outcome":         types.StringValue(string(r.Outcome)),
				"started_at":      types.StringValue(timestamp(r.StartedAt)),
				"finished_at":     types.StringValue(timestamp(r.FinishedAt)),
				"drain_seconds":   types.Float64Value(seconds(r.Drain)),
				"command_seconds": types.Float64Value(seconds(r.Command)),
				"ready_seconds":   types.Float64Value(seconds(r.Ready)),
			})
			diags.Append(d...)
			entries = append(entries, obj)
		}
	}
	list, d := types.ListValue(rolloutEntryType, entries)
	diags.Append(d...)
	return list, diags
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// seconds rounds to milliseconds so that state stays readable.
func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}
