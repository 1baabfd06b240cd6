package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// The unit tests of this file run in `make unit`; the refusal table
// (TestAccRollingUpgrade_refusals) shows the same messages through the real
// Terraform CLI.

func stringMap(kv ...string) types.Map {
	m := map[string]attr.Value{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = types.StringValue(kv[i+1])
	}
	return types.MapValueMust(types.StringType, m)
}

// errorsAt lists the error diagnostics as "<path>: <summary>: <detail>".
func errorsAt(diags diag.Diagnostics) []string { return diagLines(diags.Errors()) }

func TestEngineChecks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*rollingUpgradeModel)
		want   []string // each error, as errorsAt shows it; nil when none
	}{
		{"valid", func(*rollingUpgradeModel) {}, nil},
		{"duplicate name", func(m *rollingUpgradeModel) {
			m.Nodes = nodeList(nodeValue("gw-1", "https://gw-1:5555", "http://gw-1:4444"), nodeValue("gw-1", "https://gw-2:5555", "http://gw-2:4444"))
		}, []string{`nodes[1].name: Duplicate node name: nodes[1].name: "gw-1" is also nodes[0].name; every node needs its own name.`}},
		{"blank name", func(m *rollingUpgradeModel) {
			m.Nodes = nodeList(nodeValue("  ", "https://gw-1:5555", "http://gw-1:4444"))
		}, []string{`nodes[0].name: Empty node name: nodes[0].name: the name is empty; every node needs one, used in state, errors and APIGW_NODE_NAME.`}},
		{"same URL spelt twice", func(m *rollingUpgradeModel) {
			m.Nodes = nodeList(nodeValue("a", "https://gw-1:5555", "http://gw-1:4444"), nodeValue("b", "https://GW-1:5555/", "http://gw-2:4444"))
		}, []string{`nodes[1].url: Duplicate node URL: nodes[1].url: "https://GW-1:5555/" is also nodes[0].url; list each node once, each with its own quiesce port.`}},
		{"quiesce URL is the node's URL", func(m *rollingUpgradeModel) {
			m.Nodes = nodeList(nodeValue("a", "http://gw-1:5555", "http://gw-1:5555"))
		}, []string{`nodes[0].quiesce_url: Quiesce URL equals the node URL: nodes[0].quiesce_url: "http://gw-1:5555" is the node's url; it must point at the quiesce port, not at the primary port.`}},
		{"invalid URL", func(m *rollingUpgradeModel) {
			m.Nodes = nodeList(nodeValue("a", "gw-1:5555", "http://gw-1:4444"))
		}, []string{`nodes[0].url: Invalid URL: nodes[0].url: "gw-1:5555" has no http:// or https:// scheme; it must be ` + rollout.URLForm + "."}},
		{"missing quiesce URL", func(m *rollingUpgradeModel) {
			m.Nodes = nodeList(nodeValue("a", "http://gw-1:5555", ""), nodeValue("b", "http://gw-2:5555", "http://gw-2:4444"))
		}, []string{`nodes[0].quiesce_url: Missing quiesce URL: nodes[0].quiesce_url: required with strategy = "quiesce_all": the node has drained when health stops answering 200 there. ` +
			`Create the port with apigw_quiesce_port and use its quiesce_url, or set strategy = "drain_shutdown".`}},
		{"no quiesce URL with drain_shutdown", func(m *rollingUpgradeModel) {
			m.Nodes = nodeList(nodeValue("a", "http://gw-1:5555", ""), nodeValue("b", "http://gw-2:5555", ""))
			m.Strategy = types.StringValue("drain_shutdown")
		}, nil},
		{"strategy unknown: quiesce URL not required yet", func(m *rollingUpgradeModel) {
			m.Nodes = nodeList(nodeValue("a", "http://gw-1:5555", ""), nodeValue("b", "http://gw-2:5555", ""))
			m.Strategy = types.StringUnknown()
		}, nil},
		{"unknown quiesce URLs and names are not judged", func(m *rollingUpgradeModel) {
			m.Nodes = nodeList(nodeValue(unknownStr, "http://gw-1:5555", unknownStr), nodeValue("b", "http://gw-2:5555", unknownStr))
		}, nil},
		{"unknown element", func(m *rollingUpgradeModel) {
			m.Nodes = nodeList(types.ObjectUnknown(nodeAttrTypes), nodeValue("b", "http://gw-2:5555", "http://gw-2:4444"))
		}, nil},
		{"a known duplicate beside unknowns", func(m *rollingUpgradeModel) {
			m.Nodes = nodeList(nodeValue("a", "http://gw-1:5555", unknownStr), nodeValue("b", "http://gw-1:5555", unknownStr))
		}, []string{`nodes[1].url: Duplicate node URL: nodes[1].url: "http://gw-1:5555" is also nodes[0].url; list each node once, each with its own quiesce port.`}},
		{"null node", func(m *rollingUpgradeModel) {
			m.Nodes = nodeList(types.ObjectNull(nodeAttrTypes), nodeValue("b", "http://gw-2:5555", "http://gw-2:4444"))
		}, []string{`nodes[0]: Null node: nodes[0] is null; every element of nodes needs a name and a url.`}},
		{"max_unavailable zero", func(m *rollingUpgradeModel) { m.MaxUnavailable = types.Int64Value(0) },
			[]string{`max_unavailable: Invalid max_unavailable: max_unavailable: must be at least 1, got 0.`}},
		{"max_unavailable every node", func(m *rollingUpgradeModel) { m.MaxUnavailable = types.Int64Value(2) },
			[]string{`max_unavailable: max_unavailable too high: max_unavailable: 2 would take every one of the 2 nodes out of service at once; it must be at least 1 and less than 2.`}},
		{"max_unavailable on one node", func(m *rollingUpgradeModel) {
			m.Nodes = nodeList(nodeValue("a", "http://gw-1:5555", "http://gw-1:4444"))
			m.MaxUnavailable = types.Int64Value(2)
		}, []string{`max_unavailable: Invalid max_unavailable: max_unavailable: must be 1 for a single-node cluster, got 2.`}},
		{"max_unavailable with unknown nodes", func(m *rollingUpgradeModel) {
			m.Nodes = types.ListUnknown(types.ObjectType{AttrTypes: nodeAttrTypes})
			m.MaxUnavailable = types.Int64Value(5)
		}, nil},
		{"poll_interval below the floor", func(m *rollingUpgradeModel) { m.PollInterval = types.StringValue("5ms") },
			[]string{`poll_interval: Invalid poll_interval: poll_interval: must be at least 10ms, got 5ms.`}},
		{"poll_interval zero is durationValidator's", func(m *rollingUpgradeModel) { m.PollInterval = types.StringValue("0s") }, nil},
		{"poll_interval unparsable is durationValidator's", func(m *rollingUpgradeModel) { m.PollInterval = types.StringValue("soon") }, nil},
		{"reserved command_env name", func(m *rollingUpgradeModel) { m.CommandEnv = stringMap("APIGW_NODE_NAME", "x") },
			[]string{`command_env: Invalid command_env: command_env: APIGW_NODE_NAME is set by the provider for every command and cannot be overridden.`}},
		{"variable in both env maps, value unknown", func(m *rollingUpgradeModel) {
			m.CommandEnv = stringMap("TOKEN", "a")
			m.CommandSecretEnv = types.MapValueMust(types.StringType, map[string]attr.Value{"TOKEN": types.StringUnknown()})
		}, []string{`command_secret_env: Invalid command_secret_env: command_secret_env: TOKEN is also in command_env; give each variable in one of the two maps (secrets in command_secret_env).`}},
		{"env map unknown", func(m *rollingUpgradeModel) {
			m.CommandEnv = types.MapUnknown(types.StringType)
			m.CommandSecretEnv = stringMap("APIGW_NODE_URL", "s3cr3t")
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := validModel()
			tc.mutate(&m)
			got := errorsAt(engineChecks(&m))
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("engineChecks:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestAttrPath(t *testing.T) {
	for _, tc := range []struct {
		e    rollout.AttrError
		want path.Path
	}{
		{rollout.AttrError{Attribute: "max_unavailable"}, path.Root("max_unavailable")},
		{rollout.AttrError{Attribute: "nodes"}, path.Root("nodes")},
		{rollout.AttrError{Attribute: "nodes", Node: 0, Field: "url"}, path.Root("nodes").AtListIndex(0).AtName("url")},
		{rollout.AttrError{Attribute: "nodes", Node: 3, Field: "quiesce_url"}, path.Root("nodes").AtListIndex(3).AtName("quiesce_url")},
	} {
		if got := attrPath(&tc.e); !got.Equal(tc.want) {
			t.Errorf("attrPath(%+v) = %s, want %s", tc.e, got, tc.want)
		}
	}
}

func TestCheckTimeouts(t *testing.T) {
	ctx := context.Background()
	attrTypes := map[string]attr.Type{"create": types.StringType, "update": types.StringType}
	value := func(create, update string) timeouts.Value {
		str := func(s string) attr.Value {
			if s == "" {
				return types.StringNull()
			}
			return types.StringValue(s)
		}
		return timeouts.Value{Object: types.ObjectValueMust(attrTypes, map[string]attr.Value{"create": str(create), "update": str(update)})}
	}
	for _, tc := range []struct {
		name string
		v    timeouts.Value
		want []string
	}{
		{"unset", timeouts.Value{Object: types.ObjectNull(attrTypes)}, nil},
		{"positive", value("2h", "30m"), nil},
		{"unparsable: the library's", value("two hours", ""), nil},
		{"negative create", value("-1h", ""), []string{`timeouts.create: Invalid timeout: timeouts.create is -1h0m0s: the apply would stop before touching a node; it must be a positive Go duration such as "2h".`}},
		{"zero update", value("", "0s"), []string{`timeouts.update: Invalid timeout: timeouts.update is 0s: the apply would stop before touching a node; it must be a positive Go duration such as "2h".`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errorsAt(checkTimeouts(ctx, tc.v)); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("checkTimeouts:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
