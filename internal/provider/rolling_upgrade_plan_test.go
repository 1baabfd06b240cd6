package provider

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// Unit tests of ModifyPlan's parts; the acceptance tests run them through
// the real Terraform CLI against simulated clusters.

func statusOf(name, version string, ready bool) rollout.NodeStatus {
	s := rollout.NodeStatus{Node: rollout.Node{Name: name, URL: "https://" + name + ":5555"}, Version: version, Ready: ready}
	if version == "" {
		s.Err = errors.New("connection refused")
	}
	return s
}

func TestReadSurvey(t *testing.T) {
	ctx := context.Background()
	prior := types.MapValueMust(types.StringType, map[string]attr.Value{"gw-2": types.StringValue("10.15.0.5")})
	for _, tc := range []struct {
		name      string
		survey    []rollout.NodeStatus
		prior     types.Map
		live      map[string]string
		versions  map[string]string
		allReady  bool
		finishing int
	}{
		{"all answer", []rollout.NodeStatus{statusOf("gw-1", "10.15.0.5", true), statusOf("gw-2", "10.15.0.7", true)}, prior,
			map[string]string{"gw-1": "10.15.0.5", "gw-2": "10.15.0.7"}, map[string]string{"gw-1": "10.15.0.5", "gw-2": "10.15.0.7"}, true, 0},
		{"unreachable node counts with its last known version", []rollout.NodeStatus{statusOf("gw-1", "10.15.0.5", true), statusOf("gw-2", "", false)}, prior,
			map[string]string{"gw-1": "10.15.0.5"}, map[string]string{"gw-1": "10.15.0.5", "gw-2": "10.15.0.5"}, false, 0},
		{"unreachable node never read", []rollout.NodeStatus{statusOf("gw-1", "", false)}, types.MapNull(types.StringType),
			map[string]string{}, map[string]string{}, false, 0},
		{"on target but not ready is finishing", []rollout.NodeStatus{statusOf("gw-1", "10.15.0.7.12", false), statusOf("gw-2", "10.15.0.5", false)}, prior,
			map[string]string{"gw-1": "10.15.0.7.12", "gw-2": "10.15.0.5"}, map[string]string{"gw-1": "10.15.0.7.12", "gw-2": "10.15.0.5"}, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := readSurvey(ctx, tc.survey, tc.prior, "10.15.0.7")
			if !maps.Equal(got.live, tc.live) || !maps.Equal(got.versions, tc.versions) || got.allReady != tc.allReady || got.finishing != tc.finishing {
				t.Errorf("readSurvey = live %v, versions %v, allReady %t, finishing %d; want %v, %v, %t, %d",
					got.live, got.versions, got.allReady, got.finishing, tc.live, tc.versions, tc.allReady, tc.finishing)
			}
		})
	}
}

// summaries lists diagnostics as "<severity>: <summary>: <detail>".
func summaries(diags diag.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, d.Severity().String()+": "+d.Summary()+": "+d.Detail())
	}
	return out
}

func TestSurveyDiagnostics(t *testing.T) {
	refused := statusOf("gw-1", "", false)
	refused.HealthErr = rollout.HealthCredentials(errors.New("HTTP 401 Unauthorized"))
	for _, tc := range []struct {
		name     string
		status   rollout.NodeStatus
		last     string // gw-1's last known version
		command  bool
		want     string // the one diagnostic, prefix; "" for none
		contains string
	}{
		{"ready on an old version", statusOf("gw-1", "10.15.0.5", true), "", false, "", ""},
		{"ready on target", statusOf("gw-1", "10.15.0.7", true), "", false, "", ""},
		{"health refused", refused, "", false, "Error: Health probe refused: ", "HTTP 401 Unauthorized"},
		{"version_command failed", statusOf("gw-1", "", true), "", true, "Error: version_command failed: ", "Run version_command by hand"},
		{"unreachable with a last known version", statusOf("gw-1", "", false), "10.15.0.5", false, "Warning: Node unreachable at plan time: ", "last known version, 10.15.0.5"},
		{"unreachable, never read", statusOf("gw-1", "", false), "", false, "Warning: Node unreachable at plan time: ", "listed in pending_nodes"},
		{"on target, not ready", statusOf("gw-1", "10.15.0.7.3", false), "", false, "Warning: Node on target but not ready: ", "waits until it is ready"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			found := plannedSurvey{survey: []rollout.NodeStatus{tc.status}, versions: map[string]string{}}
			if tc.last != "" {
				found.versions["gw-1"] = tc.last
			}
			got := summaries(surveyDiagnostics(found, tc.command, "10.15.0.7"))
			switch {
			case tc.want == "" && len(got) != 0:
				t.Errorf("got %q, want none", got)
			case tc.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tc.want) || !strings.Contains(got[0], tc.contains) || !strings.Contains(got[0], `"gw-1"`)):
				t.Errorf("got %q, want one %q...%q naming gw-1", got, tc.want, tc.contains)
			}
		})
	}
}

func TestVersionDiagnostics(t *testing.T) {
	nodes := []rollout.Node{{Name: "gw-1"}, {Name: "gw-2"}}
	for _, tc := range []struct {
		name           string
		live           map[string]string
		allowDowngrade bool
		command        bool
		want           []string // prefixes
	}{
		{"fix level shown", map[string]string{"gw-1": "10.15.0.5.12", "gw-2": "10.15.0.5.12"}, false, false, nil},
		{"fix level may be hidden", map[string]string{"gw-1": "10.15.0.0.77", "gw-2": "10.15.0.7"}, false, false,
			[]string{"Warning: Node versions may not show the fix level: gw-1 report versions such as 10.15.0.0.77"}},
		{"version_command set: no fix-level warning", map[string]string{"gw-1": "10.15.0.0.77"}, false, true, nil},
		{"downgrade refused, no warning beside it", map[string]string{"gw-1": "10.15.0.0.77", "gw-2": "10.15.0.9"}, false, false,
			[]string{"Error: Target not reachable by a rolling upgrade: "}},
		{"downgrade allowed", map[string]string{"gw-2": "10.15.0.9.1"}, true, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := summaries(versionDiagnostics(nodes, tc.live, "10.15.0.7", tc.allowDowngrade, tc.command))
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %d starting %q", got, len(tc.want), tc.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("got %q, want it to start with %q", got[i], tc.want[i])
				}
			}
		})
	}
}

func TestDecidePlan(t *testing.T) {
	for _, tc := range []struct {
		creating            bool
		pending             int
		allReady            bool
		nodeVersionsUnknown bool
		want                planOutcome
	}{
		{true, 0, true, false, planRollout},      // a new resource adopts the cluster
		{false, 2, true, false, planRollout},     // nodes to upgrade
		{false, 0, false, false, planRollout},    // a node on target left starting
		{false, 0, true, true, planSettingsOnly}, // settings changed, every node on target
		{false, 0, true, false, planNothing},     // nothing to do
		{false, 1, true, true, planRollout},      // settings changed and a node to upgrade
		{true, 0, true, true, planRollout},       // created with everything on target
	} {
		if got := decidePlan(tc.creating, tc.pending, tc.allReady, tc.nodeVersionsUnknown); got != tc.want {
			t.Errorf("decidePlan(%t, %d, %t, %t) = %d, want %d", tc.creating, tc.pending, tc.allReady, tc.nodeVersionsUnknown, got, tc.want)
		}
	}
}

func TestSingleNodeWarning(t *testing.T) {
	if got := summaries(singleNodeWarning([]rollout.Node{{Name: "gw-1"}})); len(got) != 1 || !strings.Contains(got[0], `Node "gw-1" is the only node`) {
		t.Errorf("one node: %q", got)
	}
	if got := singleNodeWarning([]rollout.Node{{Name: "gw-1"}, {Name: "gw-2"}}); len(got) != 0 {
		t.Errorf("two nodes: %v", got)
	}
}
