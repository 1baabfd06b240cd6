package provider

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

func TestNodeSpecsAndKnownNodes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nodes types.List
		specs []nodeSpecModel
		known []rollout.Node // nil when knownNodes says not ok
	}{
		{"known", nodeList(nodeValue("gw-1", "https://gw-1:5555", "http://gw-1:4444"), nodeValue("gw-2", "https://gw-2:5555", "")),
			[]nodeSpecModel{
				{types.StringValue("gw-1"), types.StringValue("https://gw-1:5555"), types.StringValue("http://gw-1:4444")},
				{types.StringValue("gw-2"), types.StringValue("https://gw-2:5555"), types.StringNull()},
			},
			[]rollout.Node{{Name: "gw-1", URL: "https://gw-1:5555", QuiesceURL: "http://gw-1:4444"}, {Name: "gw-2", URL: "https://gw-2:5555"}}},
		{"quiesce URL unknown: still known nodes", nodeList(nodeValue("gw-1", "https://gw-1:5555", unknownStr)),
			[]nodeSpecModel{{types.StringValue("gw-1"), types.StringValue("https://gw-1:5555"), types.StringUnknown()}},
			[]rollout.Node{{Name: "gw-1", URL: "https://gw-1:5555"}}},
		{"name unknown", nodeList(nodeValue(unknownStr, "https://gw-1:5555", "")),
			[]nodeSpecModel{{types.StringUnknown(), types.StringValue("https://gw-1:5555"), types.StringNull()}}, nil},
		{"element unknown", nodeList(types.ObjectUnknown(nodeAttrTypes)),
			[]nodeSpecModel{{types.StringUnknown(), types.StringUnknown(), types.StringUnknown()}}, nil},
		{"list unknown", types.ListUnknown(types.ObjectType{AttrTypes: nodeAttrTypes}), []nodeSpecModel{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := nodeSpecs(tc.nodes); !slices.Equal(got, tc.specs) {
				t.Errorf("nodeSpecs = %v, want %v", got, tc.specs)
			}
			m := rollingUpgradeModel{Nodes: tc.nodes}
			got, ok := m.knownNodes()
			if ok != (tc.known != nil) || !slices.Equal(got, tc.known) {
				t.Errorf("knownNodes = %v, %t; want %v", got, ok, tc.known)
			}
		})
	}
}

func TestLastKnownVersions(t *testing.T) {
	ctx := context.Background()
	nodes := []rollout.Node{{Name: "gw-1"}, {Name: "gw-2"}, {Name: "gw-3"}}
	prior := types.MapValueMust(types.StringType, map[string]attr.Value{
		"gw-1": types.StringValue("10.15.0.5"), "gw-2": types.StringValue("10.15.0.5"), "gone": types.StringValue("10.11.0.1"),
	})
	for _, tc := range []struct {
		name  string
		now   map[string]string
		prior types.Map
		want  map[string]string
	}{
		{"what nodes report now wins", map[string]string{"gw-1": "10.15.0.7", "gw-2": "10.15.0.7", "gw-3": "10.15.0.7"}, prior,
			map[string]string{"gw-1": "10.15.0.7", "gw-2": "10.15.0.7", "gw-3": "10.15.0.7"}},
		{"a silent node keeps its prior version; one never read is absent", map[string]string{"gw-1": "10.15.0.7"}, prior,
			map[string]string{"gw-1": "10.15.0.7", "gw-2": "10.15.0.5"}},
		{"no prior state", map[string]string{"gw-3": "10.15.0.5"}, types.MapNull(types.StringType), map[string]string{"gw-3": "10.15.0.5"}},
		{"prior unknown", map[string]string{}, types.MapUnknown(types.StringType), map[string]string{}},
		{"nodes no longer listed are dropped", nil, prior, map[string]string{"gw-1": "10.15.0.5", "gw-2": "10.15.0.5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := lastKnownVersions(ctx, nodes, tc.now, tc.prior); !maps.Equal(got, tc.want) {
				t.Errorf("lastKnownVersions = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPendingNodes(t *testing.T) {
	nodes := []rollout.Node{{Name: "gw-1"}, {Name: "gw-2"}, {Name: "gw-3"}}
	for _, tc := range []struct {
		versions map[string]string
		want     []string
	}{
		{map[string]string{"gw-1": "10.15.0.7.12", "gw-2": "10.15.0.7", "gw-3": "10.15.0.7.1"}, []string{}},
		{map[string]string{"gw-1": "10.15.0.5", "gw-2": "10.15.0.7", "gw-3": "10.15.0.70"}, []string{"gw-1", "gw-3"}},
		{map[string]string{"gw-2": "10.15.0.7"}, []string{"gw-1", "gw-3"}}, // unknown versions are pending
	} {
		got := pendingNodes(nodes, tc.versions, "10.15.0.7")
		if got == nil || !slices.Equal(got, tc.want) {
			t.Errorf("pendingNodes(%v) = %#v, want %#v", tc.versions, got, tc.want)
		}
	}
}
