package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// plannedModel is a plan as the schema's defaults make it, with timeouts
// create and update set as given ("" for unset).
func plannedModel(create, update string) rollingUpgradeModel {
	str := func(s string) attr.Value {
		if s == "" {
			return types.StringNull()
		}
		return types.StringValue(s)
	}
	nullList := types.ListNull(types.StringType)
	return rollingUpgradeModel{
		TargetVersion:      types.StringValue("10.15.0.7"),
		Nodes:              validModel().Nodes,
		UpgradeCommand:     types.ListValueMust(types.StringType, []attr.Value{types.StringValue("upgrade.sh")}),
		CommandEnv:         types.MapNull(types.StringType),
		CommandSecretEnv:   types.MapNull(types.StringType),
		Strategy:           types.StringValue(string(rollout.StrategyQuiesceAll)),
		Flush:              stringSet(rollout.AllFlush()),
		MaxUnavailable:     types.Int64Value(rollout.DefaultMaxUnavailable),
		DrainTimeout:       types.StringValue(defaultDrainTimeout),
		CommandTimeout:     types.StringValue(defaultCommandTimeout),
		ReadyTimeout:       types.StringValue(defaultReadyTimeout),
		SoakDuration:       types.StringValue(defaultSoakDuration),
		PollInterval:       types.StringValue(defaultPollInterval),
		BeforeNodeCommand:  nullList,
		AfterNodeCommand:   nullList,
		RollbackCommand:    nullList,
		VersionCommand:     nullList,
		PrepareCommand:     nullList,
		PrepareParallelism: types.Int64Value(rollout.DefaultPrepareParallelism),
		NotifyCommand:      nullList,
		AllowDowngrade:     types.BoolValue(false),
		OnInterrupt:        types.StringValue(defaultOnInterrupt),
		MaxNodesPerApply:   types.Int64Null(),
		Timeouts: timeouts.Value{Object: types.ObjectValueMust(
			map[string]attr.Type{"create": types.StringType, "update": types.StringType},
			map[string]attr.Value{"create": str(create), "update": str(update)})},
	}
}

func TestDeadlineWarning(t *testing.T) {
	ctx := context.Background()
	// With the defaults, one node needs ready_timeout + 1m of pre-flight
	// and 15m + 30m + 20m of steps: 86m; three nodes 258m.
	for _, tc := range []struct {
		name     string
		plan     rollingUpgradeModel
		creating bool
		n        int
		want     string // "" for no warning
	}{
		{"timeouts unset", plannedModel("", ""), true, 3, ""},
		{"long enough", plannedModel("4h18m", ""), true, 3, ""},
		{"create too short", plannedModel("4h", "10h"), true, 3,
			"timeouts.create: timeouts.create shorter than the per-step timeouts allow: timeouts.create is 4h, but upgrading 3 nodes can take up to 4h18m"},
		{"update too short", plannedModel("10h", "1h"), false, 1,
			"timeouts.update: timeouts.update shorter than the per-step timeouts allow: timeouts.update is 1h, but upgrading 1 node can take up to 1h26m"},
		{"update unset: the steps bound it", plannedModel("1m", ""), false, 3, ""},
		{"no work", plannedModel("1m", "1m"), true, 0, ""},
		{"max_nodes_per_apply counts", func() rollingUpgradeModel {
			m := plannedModel("1h30m", "")
			m.MaxNodesPerApply = types.Int64Value(1)
			return m
		}(), true, 3, ""},
		{"a step's timeout unknown", func() rollingUpgradeModel {
			m := plannedModel("1m", "")
			m.CommandTimeout = types.StringUnknown()
			return m
		}(), true, 3, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			diags := deadlineWarning(ctx, &tc.plan, tc.creating, tc.n)
			got := diagLines(diags)
			switch {
			case tc.want == "" && len(got) != 0:
				t.Errorf("got %q, want none", got)
			case tc.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tc.want) || diags.HasError()):
				t.Errorf("got %q, want one warning starting %q", got, tc.want)
			}
		})
	}
}

func TestRoundUp(t *testing.T) {
	for _, tc := range []struct{ in, want string }{{"4h18m", "4h18m"}, {"4h18m0.5s", "4h19m"}, {"1s", "1m"}} {
		d, err := time.ParseDuration(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := rollout.FormatDuration(roundUp(d)); got != tc.want {
			t.Errorf("roundUp(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
