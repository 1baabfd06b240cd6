package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// timeoutsDescription documents timeouts.create or timeouts.update: unset,
// the deadline of the apply follows from the per-step timeouts.
func timeoutsDescription(op string) string {
	return fmt.Sprintf("Deadline of one %s apply, a Go duration such as \"6h\". Unset (recommended), it follows from the per-step timeouts "+
		"and the n nodes the apply upgrades (at most `max_nodes_per_apply`): ceil(n / `prepare_parallelism`) × `command_timeout` when "+
		"`prepare_command` is set, + n × (`ready_timeout` + %s) + ceil(n / `max_unavailable`) × "+
		"(`drain_timeout` + `command_timeout` + `ready_timeout` + `soak_duration`, plus `command_timeout` for each of `before_node_command` "+
		"and `after_node_command` that is set), so the per-step timeouts are what bounds a run. A shorter value gives a plan-time warning "+
		"with the figure it would need. When the deadline passes, the apply stops as on an interrupt (see `on_interrupt`).",
		op, rollout.FormatDuration(rollout.RequestAllowance))
}

// deadlineWarning warns at plan time when timeouts.<op> is set shorter than
// what the per-step timeouts allow for the n nodes the apply will work on:
// the deadline, not a step's own timeout, would then stop a slow apply.
func deadlineWarning(ctx context.Context, plan *rollingUpgradeModel, creating bool, n int) diag.Diagnostics {
	var diags diag.Diagnostics
	if n == 0 || plan.Timeouts.IsNull() || plan.Timeouts.IsUnknown() {
		return diags
	}
	for _, v := range []attr.Value{plan.DrainTimeout, plan.CommandTimeout, plan.ReadyTimeout, plan.SoakDuration,
		plan.MaxUnavailable, plan.MaxNodesPerApply, plan.BeforeNodeCommand, plan.AfterNodeCommand,
		plan.PrepareCommand, plan.PrepareParallelism} {
		if v.IsUnknown() {
			return diags
		}
	}
	op, get := "update", plan.Timeouts.Update
	if creating {
		op, get = "create", plan.Timeouts.Create
	}
	limit, d := get(ctx, 0)
	if d.HasError() || limit <= 0 {
		return diags // unset, or refused by ValidateConfig
	}
	cfg, d := plan.rolloutConfig(ctx)
	if d.HasError() {
		return diags
	}
	need := cfg.Budget(n)
	if limit >= need {
		return diags
	}
	nodes := cfg.NodesThisApply(n)
	diags.AddAttributeWarning(path.Root("timeouts").AtName(op), "timeouts."+op+" shorter than the per-step timeouts allow",
		fmt.Sprintf("timeouts.%s is %s, but upgrading %d %s can take up to %s with these per-step timeouts "+
			"(prepare_command if set, pre-flight up to ready_timeout + %s per node, then drain_timeout + command_timeout + ready_timeout + soak_duration "+
			"and the before/after commands per wave of max_unavailable nodes). If the deadline passes first, the apply stops as on "+
			"an interrupt (on_interrupt) and the next apply resumes. Set timeouts.%s to at least %s, or remove it so that the "+
			"deadline follows from the per-step timeouts; or lower the per-step timeouts, or set max_nodes_per_apply.",
			op, rollout.FormatDuration(limit), nodes, plural(nodes, "node", "nodes"), rollout.FormatDuration(need),
			rollout.FormatDuration(rollout.RequestAllowance), op, rollout.FormatDuration(roundUp(need))))
	return diags
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// roundUp rounds a duration up to whole minutes, for a figure to type in.
func roundUp(d time.Duration) time.Duration {
	return (d + time.Minute - 1).Truncate(time.Minute)
}
