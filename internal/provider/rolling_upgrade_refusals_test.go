package provider

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// refusalConfig is a two-node upgrade configuration for one simulated
// cluster: target_version, nodes and upgrade_command have working values
// unless attrs gives others, and attrs adds any other attribute (name →
// HCL value).
func refusalConfig(c *gwsim.Cluster, attrs map[string]string) string {
	n := c.Nodes()
	values := map[string]string{
		"target_version": strconv.Quote(target),
		"nodes": fmt.Sprintf(`[
    { name = "gw-1", url = %q, quiesce_url = "http://127.0.0.1:1" },
    { name = "gw-2", url = %q, quiesce_url = "http://127.0.0.1:2" },
  ]`, n[0].URL(), n[1].URL()),
		"upgrade_command": `["true"]`,
	}
	for k, v := range attrs {
		values[k] = v
	}
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	slices.Sort(names)
	var body strings.Builder
	for _, k := range names {
		fmt.Fprintf(&body, "  %s = %s\n", k, values[k])
	}
	return providerConfig("") + fmt.Sprintf("\nresource \"apigw_rolling_upgrade\" \"u\" {\n%s}\n", body.String())
}

// twoNodes is a nodes value of two nodes with the given fields.
func twoNodes(a, b string) string { return "[" + a + ", " + b + "]" }

// TestAccRollingUpgrade_refusals: every input of apigw_rolling_upgrade the
// contract refuses is refused at plan time, before any node is touched,
// with an error that names the attribute (or node) and what is allowed.
// The same messages are unit-tested in rolling_upgrade_validate_test.go;
// here they go through the real Terraform CLI.
func TestAccRollingUpgrade_refusals(t *testing.T) {
	testAccPreCheck(t)
	const (
		nodeB  = `{ name = "b", url = "http://gw-2:5555", quiesce_url = "http://gw-2:4444" }`
		nodeA  = `{ name = "a", url = "http://gw-1:5555", quiesce_url = "http://gw-1:4444" }`
		gw1Bad = `{ name = "a", url = "http://gw-1:5555", quiesce_url = `
	)
	cases := []struct {
		name    string
		version string            // the simulated nodes' version; fromVersion when ""
		attrs   map[string]string // attribute → HCL value, see refusalConfig
		want    string            // the error, as wrapped reads it
	}{
		// Versions, read from the nodes at plan time.
		{"node below 10.5 Fix 9", "10.5.0.8.17", map[string]string{"target_version": `"10.5.0.10"`}, `gw-1.*10\.5\.0\.9`},
		{"target in another release", "10.11.0.5.1", map[string]string{"target_version": `"10.15.0.7"`}, `gw-1.*(release|blue/green)`},
		{"downgrade", "10.15.0.7.1", map[string]string{"target_version": `"10.15.0.5"`}, `gw-1.*allow_downgrade`},
		{"invalid target", "", map[string]string{"target_version": `"10.15.x"`}, `target_version.*dotted`},
		{"target without release", "", map[string]string{"target_version": `"10"`}, `target_version.*names no release`},
		{"empty target", "", map[string]string{"target_version": `""`}, `target_version: .*empty version; it must be a dotted numeric version`},

		// nodes.
		{"no nodes", "", map[string]string{"nodes": `[]`}, `nodes list must contain at least 1 elements`},
		{"null node", "", map[string]string{"nodes": twoNodes("null", nodeB)}, `nodes\[0\] is null; every element of nodes needs a name and a url`},
		{"duplicate names", "", map[string]string{"nodes": twoNodes(`{ name = "gw-1", url = "http://127.0.0.1:10001", quiesce_url = "http://127.0.0.1:1" }`,
			`{ name = "gw-1", url = "http://127.0.0.1:10002", quiesce_url = "http://127.0.0.1:2" }`)}, `Duplicate node name.*nodes\[1\]\.name`},
		{"empty node name", "", map[string]string{"nodes": twoNodes(`{ name = "", url = "http://gw-1:5555", quiesce_url = "http://gw-1:4444" }`, nodeB)},
			`nodes\[0\]\.name: the name is empty; every node needs one`},
		{"blank node name", "", map[string]string{"nodes": twoNodes(`{ name = "  ", url = "http://gw-1:5555", quiesce_url = "http://gw-1:4444" }`, nodeB)},
			`nodes\[0\]\.name: the name is empty; every node needs one`},
		{"duplicate URLs", "", map[string]string{"nodes": twoNodes(`{ name = "a", url = "http://127.0.0.1:10001", quiesce_url = "http://127.0.0.1:1" }`,
			`{ name = "b", url = "http://127.0.0.1:10001", quiesce_url = "http://127.0.0.1:2" }`)}, `Duplicate node URL.*nodes\[1\]\.url`},
		{"same URL spelt twice", "", map[string]string{"nodes": twoNodes(`{ name = "a", url = "https://gw-1:5555", quiesce_url = "http://gw-1:4444" }`,
			`{ name = "b", url = "https://GW-1:5555/", quiesce_url = "http://gw-2:4444" }`)}, `nodes\[1\]\.url: "https://GW-1:5555/" is also nodes\[0\]\.url`},
		{"URL without scheme", "", map[string]string{"nodes": `[{ name = "a", url = "gw-1:5555", quiesce_url = "http://gw-1:4444" }]`}, `nodes\[0\]\.url.*http`},
		{"URL without host", "", map[string]string{"nodes": `[{ name = "a", url = "http://:5555", quiesce_url = "http://gw-1:4444" }]`}, `nodes\[0\]\.url.*no host`},
		{"missing quiesce_url", "", map[string]string{"nodes": `[{ name = "a", url = "http://gw-1:5555" }, { name = "b", url = "http://gw-2:5555" }]`},
			`nodes\[0\]\.quiesce_url.*apigw_quiesce_port`},
		{"quiesce URL of another node", "", map[string]string{"nodes": twoNodes(nodeA, `{ name = "b", url = "http://gw-2:5555", quiesce_url = "http://gw-1:4444" }`)},
			`nodes\[1\]\.quiesce_url: "http://gw-1:4444" is also nodes\[0\]\.quiesce_url`},
		{"invalid quiesce_url", "", map[string]string{"nodes": twoNodes(gw1Bad+`"gw-1:4444" }`, nodeB)},
			`nodes\[0\]\.quiesce_url: "gw-1:4444" has no http:// or https:// scheme`},
		{"quiesce_url with credentials", "", map[string]string{"nodes": twoNodes(gw1Bad+`"http://admin:pw-in-url@gw-1:4444" }`, nodeB)},
			`nodes\[0\]\.quiesce_url: "http://admin:xxxxx@gw-1:4444" contains user information`},
		{"quiesce_url is the primary URL", "", map[string]string{"nodes": twoNodes(gw1Bad+`"http://gw-1:5555" }`, nodeB)},
			`nodes\[0\]\.quiesce_url: "http://gw-1:5555" is the node's url; it must point at the quiesce port, not at the primary port`},

		// The procedure's settings.
		{"unknown flush value", "", map[string]string{"flush": `["license_metrics", "everything"]`}, `flush.*performance_metrics`},
		{"empty flush", "", map[string]string{"flush": `[]`}, `flush set must contain at least 1 elements`},
		{"unknown strategy", "", map[string]string{"strategy": `"big_bang"`}, `strategy.*quiesce_all`},
		{"max_unavailable zero", "", map[string]string{"max_unavailable": `0`}, `max_unavailable: must be at least 1, got 0`},
		{"max_unavailable all nodes", "", map[string]string{"max_unavailable": `2`}, `max_unavailable.*less than 2`},
		{"max_unavailable on one node", "", map[string]string{"nodes": "[" + nodeA + "]", "max_unavailable": `2`},
			`max_unavailable: must be 1 for a single-node cluster, got 2`},
		{"negative duration", "", map[string]string{"drain_timeout": `"-5m"`}, `drain_timeout.*negative`},
		{"unparsable duration", "", map[string]string{"ready_timeout": `"ten minutes"`}, `ready_timeout.*not a duration`},
		{"zero command_timeout", "", map[string]string{"command_timeout": `"0s"`}, `command_timeout: "0s" is zero`},
		{"negative soak_duration", "", map[string]string{"soak_duration": `"-1s"`}, `soak_duration: "-1s" is negative`},
		{"zero poll interval", "", map[string]string{"poll_interval": `"0s"`}, `poll_interval.*zero`},
		{"poll interval below 10ms", "", map[string]string{"poll_interval": `"5ms"`}, `poll_interval.*at least 10ms`},
		{"poll interval far below the floor", "", map[string]string{"poll_interval": `"1ms"`}, `poll_interval.*at least 10ms`},
		// The timeouts library's own message; Terraform 1.5 points at the
		// resource block, not at the nested attribute.
		{"unparsable timeouts.create", "", map[string]string{"timeouts": `{ create = "two hours" }`},
			`"two hours" must be a string containing a sequence of decimal numbers, each with optional fraction and a unit suffix`},
		{"negative timeouts.create", "", map[string]string{"timeouts": `{ create = "-1h" }`}, `timeouts.create is -1h0m0s: .*must be a positive Go duration such as "2h"`},
		{"zero timeouts.update", "", map[string]string{"timeouts": `{ update = "0s" }`}, `timeouts.update is 0s: .*must be a positive Go duration such as "2h"`},

		// Commands and their environment.
		{"empty command", "", map[string]string{"upgrade_command": `[]`}, `upgrade_command list must contain at least 1 elements`},
		{"empty program", "", map[string]string{"before_node_command": `[""]`}, `before_node_command.*length`},
		{"empty rollback program", "", map[string]string{"rollback_command": `["", "x"]`}, `rollback_command\[0\] string length must be at least 1`},
		{"empty after_node_command", "", map[string]string{"after_node_command": `[]`}, `after_node_command list must contain at least 1 elements`},
		{"command_env overrides a provider variable", "", map[string]string{"command_env": `{ APIGW_NODE_NAME = "x" }`},
			`command_env: APIGW_NODE_NAME is set by the provider for every command and cannot be overridden`},
		{"command_secret_env overrides a provider variable", "", map[string]string{"command_secret_env": `{ APIGW_TARGET_VERSION = "x" }`},
			`command_secret_env: APIGW_TARGET_VERSION is set by the provider for every command and cannot be overridden`},
		{"variable in both env maps", "", map[string]string{"command_env": `{ TOKEN = "a" }`, "command_secret_env": `{ TOKEN = "b-secret-value" }`},
			`command_secret_env: TOKEN is also in command_env; give each variable in one of the two maps`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			version := tc.version
			if version == "" {
				version = fromVersion
			}
			cluster := startCluster(t, gwsim.Options{Nodes: 2, Version: version})
			accTest(t, []resource.TestStep{{
				Config:      refusalConfig(cluster, tc.attrs),
				PlanOnly:    true,
				ExpectError: wrapped(tc.want),
			}})
			if q := countEvents(cluster, gwsim.EventQuiesceRequested); len(q) != 0 {
				t.Fatalf("a refused plan touched nodes: %v", q)
			}
		})
	}
}
