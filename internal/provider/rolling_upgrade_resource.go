package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

var (
	_ resource.Resource                   = (*rollingUpgradeResource)(nil)
	_ resource.ResourceWithConfigure      = (*rollingUpgradeResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*rollingUpgradeResource)(nil)
	_ resource.ResourceWithValidateConfig = (*rollingUpgradeResource)(nil)
)

// Defaults of apigw_rolling_upgrade, from the provider contract, as the
// engine defines them.
var (
	defaultDrainTimeout   = rollout.FormatDuration(rollout.DefaultDrainTimeout)
	defaultCommandTimeout = rollout.FormatDuration(rollout.DefaultCommandTimeout)
	defaultReadyTimeout   = rollout.FormatDuration(rollout.DefaultReadyTimeout)
	defaultSoakDuration   = rollout.FormatDuration(rollout.DefaultSoakDuration)
	defaultPollInterval   = rollout.FormatDuration(rollout.DefaultPollInterval)
	defaultOnInterrupt    = string(rollout.InterruptFinishNode)
)

// rollingUpgradeResource brings every node of one cluster to target_version,
// one node (or max_unavailable nodes) at a time.
type rollingUpgradeResource struct{ resourceBase }

// NewRollingUpgradeResource is the constructor registered with the provider.
func NewRollingUpgradeResource() resource.Resource {
	return &rollingUpgradeResource{resourceBase{name: "rolling_upgrade"}}
}

func (r *rollingUpgradeResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	argv := func(desc string, required bool) schema.ListAttribute {
		return schema.ListAttribute{
			Required:            required,
			Optional:            !required,
			ElementType:         types.StringType,
			MarkdownDescription: desc + " An argv list: the first element is the program, run without a shell.",
			Validators: []validator.List{
				listvalidator.SizeAtLeast(1),
				listvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1)),
			},
		}
	}
	duration := func(desc, def string, positive bool) schema.StringAttribute {
		return schema.StringAttribute{
			Optional:            true,
			Computed:            true,
			Default:             stringdefault.StaticString(def),
			MarkdownDescription: fmt.Sprintf("%s Go duration, default `%q`.", desc, def),
			Validators:          []validator.String{durationValidator(positive)},
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Brings every node of one API Gateway cluster to `target_version`, one node (or `max_unavailable` nodes) at a time, " +
			"with no loss of service: quiesce for all (or drain shutdown), wait until the node has drained, run `upgrade_command`, " +
			"wait until the node is ready on the target, then go on. Create and Update roll whatever is not on target yet; Read reports " +
			"what the nodes run; Delete forgets the cluster and touches no node. Import is not supported: a new resource adopts " +
			"the cluster on its first apply and skips nodes already on target. A node that is neither ready nor on target is finished " +
			"without a drain only when it is provably out of service (its primary port refuses connections, its quiesce port shows it " +
			"quiesced, or this resource took it down in an earlier apply); one that times out, is unknown to DNS or answers health 500 " +
			"stops the apply before any node is touched.",
		Attributes: map[string]schema.Attribute{
			"id": keptComputed("Derived from the node URLs."),
			"target_version": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Dotted version every node must reach, e.g. `10.15.0.7`. A node is on target when its reported version " +
					"starts with these segments. Stays at its old value in state until every node is on target.",
				Validators: []validator.String{versionValidator},
			},
			"nodes": schema.ListNestedAttribute{
				Required: true,
				// The nodes' names and URLs are checked in ValidateConfig, in one
				// pass, rather than by per-element validators: with hundreds of
				// nodes the framework's per-element calls dominated plan time.
				MarkdownDescription: "The cluster's nodes, upgraded in this order. Names and URLs must be unique.",
				Validators:          []validator.List{listvalidator.SizeAtLeast(1)},
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"name": schema.StringAttribute{
							Required:            true,
							MarkdownDescription: "Node name, used in state, errors and `APIGW_NODE_NAME`.",
						},
						"url": schema.StringAttribute{
							Required:            true,
							MarkdownDescription: "Primary (admin) URL, e.g. `https://gw-1:5555`.",
						},
						"quiesce_url": schema.StringAttribute{
							Optional: true,
							MarkdownDescription: "The node's quiesce-port URL, e.g. `apigw_quiesce_port.gw1.quiesce_url`. Required with " +
								"`strategy = \"quiesce_all\"`: the node has drained when health stops answering 200 there, confirmed by the " +
								"primary port refusing connections or by the answer still not being 200 one `poll_interval` later.",
						},
					},
				},
			},
			"upgrade_command": argv("Shuts the node down, applies the fix and starts it (a new container in Docker set-ups).", true),
			"command_env": schema.MapAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Added to every command's environment, e.g. `{ SSH_USER = \"sag\" }`. Not sensitive: values are shown in plans " +
					"and in a failed command's output. Put secrets in `command_secret_env` instead. Commands inherit the environment Terraform runs in, " +
					"except `APIGW_PASSWORD`.",
			},
			"command_secret_env": schema.MapAttribute{
				Optional:    true,
				Sensitive:   true,
				ElementType: types.StringType,
				MarkdownDescription: "Secrets added to every command's environment, after `command_env` (a name may be in only one of the two): " +
					"registry tokens, or the gateway password for a command that needs it (`APIGW_PASSWORD` is not inherited). Sensitive: hidden in plans, " +
					"and each value is replaced by `(sensitive)` in errors, command output and logs. Terraform still stores the values in state, " +
					"like every sensitive attribute; SSH keys are better left to an ssh-agent on the machine that runs Terraform.",
			},
			"strategy": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Default:  stringdefault.StaticString(string(rollout.StrategyQuiesceAll)),
				MarkdownDescription: fmt.Sprintf("`%s` (default, the vendor tutorial; flushes metrics to the data store) or `%s` "+
					"(10.11+: shutdown with `option: drain`, then the command applies the fix and starts the node; no documented flush).",
					rollout.StrategyQuiesceAll, rollout.StrategyDrainShutdown),
				Validators: []validator.String{stringvalidator.OneOf(string(rollout.StrategyQuiesceAll), string(rollout.StrategyDrainShutdown))},
			},
			"flush": schema.SetAttribute{
				Optional:    true,
				Computed:    true,
				ElementType: types.StringType,
				Default:     setdefault.StaticValue(stringSet(rollout.AllFlush())),
				MarkdownDescription: "In-memory data flushed to the data store on quiesce: any of `" + strings.Join(rollout.AllFlush(), "`, `") +
					"`; default all of them. An empty set is refused (the API reads it as all).",
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					setvalidator.ValueStringsAre(stringvalidator.OneOf(rollout.AllFlush()...)),
				},
			},
			"max_unavailable": schema.Int64Attribute{
				Optional: true,
				Computed: true,
				Default:  int64default.StaticInt64(rollout.DefaultMaxUnavailable),
				MarkdownDescription: fmt.Sprintf("Nodes upgraded at once (default %d): at least 1 and, with several nodes, fewer than their number. ", rollout.DefaultMaxUnavailable) +
					"Their drains run side by side, but their quiesce requests go out one at a time: the next node is asked once the gateway has answered the previous node's request.",
				// Checked against the number of nodes in ValidateConfig (rollout.ValidateMaxUnavailable).
			},
			"drain_timeout": duration("From the quiesce request until the node stops answering 200 on its quiesce port (confirmed, see `quiesce_url`). "+
				"With `strategy = \"drain_shutdown\"` the gateway is given this rounded up to whole minutes to end client sessions, "+
				"and the provider waits that long plus "+rollout.FormatDuration(rollout.DrainShutdownGrace)+" for the node's primary URL to stop answering.", defaultDrainTimeout, true),
			"command_timeout":     duration("Limit of each command's run.", defaultCommandTimeout, true),
			"ready_timeout":       duration("From the end of the upgrade command until the node answers health 200 and reports the target.", defaultReadyTimeout, true),
			"soak_duration":       duration("Wait after a node is ready, health re-checked, before the next one.", defaultSoakDuration, false),
			"poll_interval":       duration("The slowest poll of a wait; polling starts faster.", defaultPollInterval, true),
			"before_node_command": argv("Run before a node is quiesced, e.g. to take it out of the load balancer.", false),
			"after_node_command":  argv("Run after a node is ready and soaked, e.g. to put it back into the load balancer.", false),
			"rollback_command":    argv("Run for a node whose upgrade failed, to bring it back on its old version.", false),
			"prepare_command": argv("Run for every node still to upgrade, `prepare_parallelism` at a time, before the first node is taken out of service, "+
				"with the node's usual variables: download the fix or pull the image while every node still serves, so that `upgrade_command` "+
				"only installs. A failure stops the apply before any node is touched; the error names the node and shows the end of the command's output. "+
				"It runs again for every node still to upgrade on each apply, so make it idempotent (skip a download already done).", false),
			"prepare_parallelism": schema.Int64Attribute{
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(rollout.DefaultPrepareParallelism),
				MarkdownDescription: fmt.Sprintf("How many `prepare_command` runs at once (default %d, at least 1).", rollout.DefaultPrepareParallelism),
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
			"notify_command": argv(fmt.Sprintf("Run at every milestone, e.g. to post to a chat channel, page or update a ticket. It gets the node's usual variables, "+
				"`APIGW_EVENT` (`%s`) and `APIGW_EVENT_MESSAGE`, the progress line the provider also logs, e.g. `gw-2: drained after 38s; running upgrade_command`; "+
				"for `rollout_finished` only the rollout's variables (`APIGW_TARGET_VERSION`, `APIGW_NODE_COUNT`, `command_env`, `command_secret_env`). "+
				"Runs one at a time and in order, in the background, each bounded by %s: a failure or a time-out gives a warning and never stops or slows the rollout; "+
				"at its end the apply waits at most %s more for notifications still queued.",
				strings.Join(kindNames(rollout.NotifyKinds), "`, `"), formatSeconds(rollout.DefaultNotifyTimeout), formatSeconds(rollout.DefaultNotifyTimeout)), false),
			"version_command": argv("Prints a node's version (e.g. `10.15.0.7`) on stdout; when set, a node's version is what this command prints, "+
				"trimmed, instead of serverinfo's `version`. It runs for every node wherever the provider needs a version: plan, refresh, the start of "+
				"an apply and the wait until a node is ready on the target (and after `rollback_command`), with the node's `APIGW_NODE_*` variables, "+
				"`command_env` and `command_secret_env` (`APIGW_FROM_VERSION` is empty), at most "+fmt.Sprint(rollout.VersionCommandConcurrency)+
				" at once, each run limited to "+formatSeconds(rollout.VersionCommandTimeout)+" (or `command_timeout` when shorter); "+
				"a failure, empty output or anything but a dotted version is an error naming the node. "+
				"Set it for gateways whose serverinfo `version` does not show the fix level: look at data source `apigw_node` before the first apply; "+
				"when `version` reads `X.Y.0.0.<build>` while `fixes` lists a later fix, this gateway needs it.", false),
			"allow_downgrade": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
				MarkdownDescription: "Allow a target lower than a node's version (default `false`).",
			},
			"on_interrupt": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Default:  stringdefault.StaticString(defaultOnInterrupt),
				MarkdownDescription: fmt.Sprintf("What an interrupt (Ctrl-C, a cancelled Terraform Cloud run) or the apply's deadline does to the nodes in flight. "+
					"`%s` (default): start no new node, let every node in flight go through its procedure (drain, `upgrade_command`, ready on target, "+
					"each step within its own timeout), then end the apply with an error that says what was finished; the next apply resumes. "+
					"`%s`: stop the nodes in flight at once (a running command gets SIGTERM, then SIGKILL after %s) and run `rollback_command`.",
					rollout.InterruptFinishNode, rollout.InterruptRollback, rollout.FormatDuration(rollout.DefaultKillGrace)),
				Validators: []validator.String{stringvalidator.OneOf(rollout.InterruptPolicies()...)},
			},
			"max_nodes_per_apply": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "At most this many nodes (at least 1) are upgraded by one apply, which then ends successfully with a warning; " +
					"the next plan shows the rest in `pending_nodes` as an update, and the next apply goes on. For a canary (1, check, then " +
					"raise or remove it), maintenance windows and run-time limits. Unset: every node not on target.",
				Validators: []validator.Int64{int64validator.AtLeast(1)},
			},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true,
				CreateDescription: timeoutsDescription("create"), UpdateDescription: timeoutsDescription("update")}),
			"node_versions": schema.MapAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Node name → version the node reports, refreshed by every read.",
			},
			"pending_nodes": schema.ListAttribute{
				Computed:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Nodes not on target, known at plan time. After a successful apply it keeps the planned value " +
					"(Terraform requires it); the next refresh shows what is still pending, e.g. the nodes left by `max_nodes_per_apply`.",
			},
			"last_rollout": schema.ListAttribute{
				Computed:    true,
				ElementType: rolloutEntryType,
				MarkdownDescription: "One object a node touched by the last apply, in the order they started: `node`; `from_version` and " +
					"`to_version`; `outcome` (`upgraded`, `skipped`, `failed` or `rolled_back`); `started_at` and `finished_at` (RFC 3339); " +
					"`drain_seconds` (quiesce or drain request until drained), `command_seconds` (run time of `upgrade_command`) and " +
					"`ready_seconds` (command end until ready on target).",
			},
		},
	}
}

func (r *rollingUpgradeResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	plan, ok := getModel[rollingUpgradeModel](ctx, req.Plan, &resp.Diagnostics)
	if !ok {
		return
	}
	// 0: not set, so the deadline follows from the per-step timeouts.
	limit, diags := plan.Timeouts.Create(ctx, 0)
	resp.Diagnostics.Append(diags...)

	plan.ID = types.StringValue(clusterID(&plan))
	// A failed Create has no previous target: target_version is left null
	// and Terraform taints the resource; its replacement resumes. (Terraform
	// does not hand a tainted object's private state to its replacement, so
	// the record of nodes taken down is lost with it; the replacement then
	// finishes only the nodes its probes show out of service.)
	out := r.roll(ctx, &plan, types.StringNull(), types.MapNull(types.StringType), nil, limit)
	resp.Diagnostics.Append(out.diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &out.rollingUpgradeModel)...)
	resp.Diagnostics.Append(setTakenDown(ctx, resp.Private, out.takenDown)...)
}

func (r *rollingUpgradeResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	plan, state, ok := planAndState[rollingUpgradeModel](ctx, req, &resp.Diagnostics)
	if !ok {
		return
	}
	// A target an earlier stopped rollout was rolling to is forgotten here
	// and set again below if this rollout stops too.
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, attemptedTargetKey, nil)...)
	// Nothing was pending at plan time: only settings changed. Keep what
	// the plan promised; no node is touched.
	if !plan.LastRollout.IsUnknown() {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	limit, diags := plan.Timeouts.Update(ctx, 0)
	resp.Diagnostics.Append(diags...)

	takenDown, diags := getTakenDown(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	out := r.roll(ctx, &plan, state.TargetVersion, state.NodeVersions, takenDown, limit)
	resp.Diagnostics.Append(out.diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &out.rollingUpgradeModel)...)
	resp.Diagnostics.Append(setTakenDown(ctx, resp.Private, out.takenDown)...)
	// A stopped rollout keeps the old target_version; remember the target
	// it was rolling to, so that refreshes list what is still pending
	// towards it rather than towards the old one.
	if out.diags.HasError() {
		attempted, _ := json.Marshal(plan.TargetVersion.ValueString())
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, attemptedTargetKey, attempted)...)
	}
}

// attemptedTargetKey names the private state entry holding the target of a
// rollout that stopped before every node reached it.
const attemptedTargetKey = "attempted_target"

// takenDownKey names the private state entry listing the nodes an apply
// took out of service and did not bring back (rollout.Report.TakenDown):
// the next apply finishes them without a drain whatever they answer, where
// any other node that is not ready needs evidence that it is out of
// service.
const takenDownKey = "taken_down"

// privateReader and privateWriter are the parts of the framework's private
// state API used here.
type (
	privateReader interface {
		GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	}
	privateWriter interface {
		SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
	}
)

// getTakenDown reads the record of nodes taken down by earlier applies.
func getTakenDown(ctx context.Context, p privateReader) ([]string, diag.Diagnostics) {
	b, diags := p.GetKey(ctx, takenDownKey)
	if diags.HasError() || len(b) == 0 {
		return nil, diags
	}
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		// A record this provider cannot read only loses evidence: those
		// nodes then need what their probes show.
		tflog.Warn(ctx, "ignoring an unreadable record of nodes taken down by an earlier apply", map[string]any{"error": err.Error()})
		return nil, diags
	}
	return names, diags
}

// setTakenDown stores the record; an empty one removes the entry.
func setTakenDown(ctx context.Context, p privateWriter, names []string) diag.Diagnostics {
	if len(names) == 0 {
		return p.SetKey(ctx, takenDownKey, nil)
	}
	b, _ := json.Marshal(names)
	return p.SetKey(ctx, takenDownKey, b)
}

// rolledModel is a model on its way to state, with the diagnostics of the
// rollout that produced it and the nodes it leaves taken down.
type rolledModel struct {
	rollingUpgradeModel
	diags     diag.Diagnostics
	takenDown []string
}

// roll runs the engine and turns its report into state: on success the
// plan; on failure the plan with target_version kept at oldTarget, so the
// next plan shows the remaining work. takenDown is the record of nodes
// earlier applies took out of service; out.takenDown is the new one. limit
// is the timeouts value of the operation; 0 lets the engine derive the
// deadline from the per-step timeouts.
func (r *rollingUpgradeResource) roll(ctx context.Context, plan *rollingUpgradeModel, oldTarget types.String, oldVersions types.Map, takenDown []string, limit time.Duration) *rolledModel {
	out := &rolledModel{rollingUpgradeModel: *plan, takenDown: takenDown}
	cfg, diags := plan.rolloutConfig(ctx)
	out.diags.Append(diags...)
	if out.diags.HasError() {
		return out
	}
	cfg.TakenDown = takenDown
	if limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	} else {
		cfg.DeadlineFromSteps = true
	}
	engine := rollout.Engine{
		Gateway: r.data.gw,
		Runner:  r.data.runner(cfg),
		OnEvent: func(ev rollout.Event) { logMilestone(ctx, ev) },
	}
	report, err := engine.Run(ctx, cfg)
	r.data.forget(cfg.Nodes)
	out.record(ctx, cfg, report, err, oldTarget, oldVersions)
	return out
}

// record turns the engine's report and error into state and diagnostics:
// on success the plan; on failure the plan with target_version kept at
// oldTarget, so the next plan shows the remaining work.
func (out *rolledModel) record(ctx context.Context, cfg rollout.Config, report *rollout.Report, err error, oldTarget types.String, oldVersions types.Map) {
	versions := map[string]string{}
	if report != nil {
		out.takenDown = report.TakenDown
		versions = report.Versions
	}
	out.diags.Append(reportWarnings(report, cfg.MaxNodesPerApply, err == nil)...)
	var d diag.Diagnostics
	out.NodeVersions, d = versionsValue(ctx, cfg.Nodes, versions, oldVersions)
	out.diags.Append(d...)
	out.LastRollout, d = rolloutValue(report)
	out.diags.Append(d...)
	if err == nil && !out.PendingNodes.IsUnknown() {
		return
	}
	out.PendingNodes, d = pendingValue(ctx, cfg.Nodes, versions, cfg.Target)
	out.diags.Append(d...)
	if err != nil {
		out.TargetVersion = oldTarget
		out.diags.Append(rolloutFailure(err, report, cfg.Nodes, cfg.Target, oldTarget.IsNull())...)
	}
}

func (r *rollingUpgradeResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	state, ok := getModel[rollingUpgradeModel](ctx, req.State, &resp.Diagnostics)
	if !ok || r.data == nil {
		return
	}
	nodes, ok := state.knownNodes()
	if !ok {
		return
	}
	src, ok, diags := r.data.versionSource(ctx, &state)
	resp.Diagnostics.Append(diags...)
	if !ok || diags.HasError() {
		return
	}
	versions := map[string]string{}
	for _, s := range r.data.survey(ctx, src, nodes) {
		if vc := (*rollout.VersionCommandError)(nil); errors.As(s.Err, &vc) {
			resp.Diagnostics.AddAttributeWarning(path.Root("version_command"), "version_command failed during refresh",
				fmt.Sprintf("Node %q (%s): %s. node_versions keeps its last known value for it. Run version_command by hand with the node's APIGW_NODE_* variables and fix it.",
					s.Node.Name, s.Node.URL, s.Err))
			continue
		}
		if s.Version == "" {
			resp.Diagnostics.AddWarning("Node unreachable during refresh",
				fmt.Sprintf("Node %q (%s) could not be read: %s. node_versions keeps its last known value for it. "+
					"Check that the node is up and reachable from here. The next apply finishes a node left quiesced or down by an earlier one, "+
					"but only with evidence that it is out of service: a node it cannot reach stops that apply before any node is touched.", s.Node.Name, s.Node.URL, s.Err))
			continue
		}
		versions[s.Node.Name] = s.Version
	}
	known := lastKnownVersions(ctx, nodes, versions, state.NodeVersions)
	state.NodeVersions, diags = types.MapValueFrom(ctx, types.StringType, known)
	resp.Diagnostics.Append(diags...)
	pendingTowards := state.TargetVersion.ValueString()
	if b, d := req.Private.GetKey(ctx, attemptedTargetKey); !d.HasError() && len(b) > 0 {
		_ = json.Unmarshal(b, &pendingTowards)
	}
	if pendingTowards != "" {
		state.PendingNodes, diags = pendingValue(ctx, nodes, known, pendingTowards)
		resp.Diagnostics.Append(diags...)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Delete forgets the cluster; it touches no node.
func (r *rollingUpgradeResource) Delete(ctx context.Context, _ resource.DeleteRequest, _ *resource.DeleteResponse) {
	tflog.Info(ctx, "apigw_rolling_upgrade removed from state; no node was touched")
}

// clusterID derives a stable ID from the node URLs.
func clusterID(m *rollingUpgradeModel) string {
	nodes, _ := m.knownNodes()
	h := sha256.New()
	for _, n := range nodes {
		h.Write([]byte(n.URL + "\n"))
	}
	return "cluster-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// stringSet builds a known set of strings for schema defaults.
func stringSet(values []string) types.Set {
	elems := make([]attr.Value, len(values))
	for i, v := range values {
		elems[i] = types.StringValue(v)
	}
	return types.SetValueMust(types.StringType, elems)
}
