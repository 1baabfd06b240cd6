package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/gwops/terraform-provider-apigw/internal/gwsim"
)

// refusalConfig is a two-node upgrade configuration for one simulated
// cluster; override replaces whole attribute lines by name.
func refusalConfig(c *gwsim.Cluster, targetVersion string, override map[string]string) string {
	n := c.Nodes()
	attrs := map[string]string{
		"nodes": fmt.Sprintf(`[
    { name = "gw-1", url = %q, quiesce_url = "http://127.0.0.1:1" },
    { name = "gw-2", url = %q, quiesce_url = "http://127.0.0.1:2" },
  ]`, n[0].URL(), n[1].URL()),
		"upgrade_command": `["true"]`,
	}
	for k, v := range override {
		attrs[k] = v
	}
	body := ""
	for _, k := range []string{"nodes", "upgrade_command", "strategy", "flush", "max_unavailable", "drain_timeout",
		"command_timeout", "ready_timeout", "soak_duration", "poll_interval", "before_node_command", "command_env", "allow_downgrade"} {
		if v, ok := attrs[k]; ok {
			body += fmt.Sprintf("  %s = %s\n", k, v)
		}
	}
	return providerConfig("") + fmt.Sprintf(`
resource "apigw_rolling_upgrade" "u" {
  target_version = %q
%s}
`, targetVersion, body)
}

// TestAccRollingUpgrade_planRefusals: every input the contract refuses is
// refused at plan time, before any node is touched, with an error that names
// the attribute (or node) and what is allowed.
func TestAccRollingUpgrade_planRefusals(t *testing.T) {
	testAccPreCheck(t)
	cases := []struct {
		name     string
		version  string // the simulated nodes' version
		target   string
		override map[string]string
		want     string
	}{
		{"node below 10.5 Fix 9", "10.5.0.8.17", "10.5.0.10", nil, `(?s)gw-1.*10\.5\.0\.9`},
		{"target in another release", "10.11.0.5.1", "10.15.0.7", nil, `(?s)gw-1.*(release|blue/green)`},
		{"downgrade", "10.15.0.7.1", "10.15.0.5", nil, `(?s)gw-1.*allow_downgrade`},
		{"invalid target", fromVersion, "10.15.x", nil, `(?s)target_version.*dotted`},
		{"target without release", fromVersion, "10", nil, `(?s)target_version.*names no release`},
		{"duplicate names", fromVersion, target, map[string]string{"nodes": `[
    { name = "gw-1", url = "http://127.0.0.1:10001", quiesce_url = "http://127.0.0.1:1" },
    { name = "gw-1", url = "http://127.0.0.1:10002", quiesce_url = "http://127.0.0.1:2" },
  ]`}, `(?s)Duplicate node name.*nodes\[1\]\.name`},
		{"duplicate URLs", fromVersion, target, map[string]string{"nodes": `[
    { name = "a", url = "http://127.0.0.1:10001", quiesce_url = "http://127.0.0.1:1" },
    { name = "b", url = "http://127.0.0.1:10001", quiesce_url = "http://127.0.0.1:2" },
  ]`}, `(?s)Duplicate node URL.*nodes\[1\]\.url`},
		{"URL without scheme", fromVersion, target, map[string]string{"nodes": `[{ name = "a", url = "gw-1:5555", quiesce_url = "http://gw-1:4444" }]`}, `(?s)nodes\[0\]\.url.*http`},
		{"URL without host", fromVersion, target, map[string]string{"nodes": `[{ name = "a", url = "http://:5555", quiesce_url = "http://gw-1:4444" }]`}, `(?s)nodes\[0\]\.url.*no host`},
		{"no nodes", fromVersion, target, map[string]string{"nodes": `[]`}, `(?s)nodes list must contain at least 1 elements`},
		{"missing quiesce_url", fromVersion, target, map[string]string{"nodes": `[{ name = "a", url = "http://gw-1:5555" }, { name = "b", url = "http://gw-2:5555" }]`}, `(?s)nodes\[0\]\.quiesce_url.*apigw_quiesce_port`},
		{"unknown flush value", fromVersion, target, map[string]string{"flush": `["license_metrics", "everything"]`}, `(?s)flush.*performance_metrics`},
		{"empty flush", fromVersion, target, map[string]string{"flush": `[]`}, `(?s)flush set must contain at least 1 elements`},
		{"unknown strategy", fromVersion, target, map[string]string{"strategy": `"big_bang"`}, `(?s)strategy.*quiesce_all`},
		{"max_unavailable zero", fromVersion, target, map[string]string{"max_unavailable": `0`}, `(?s)max_unavailable: must be at least 1, got 0`},
		{"max_unavailable all nodes", fromVersion, target, map[string]string{"max_unavailable": `2`}, `(?s)max_unavailable.*less than 2`},
		{"negative duration", fromVersion, target, map[string]string{"drain_timeout": `"-5m"`}, `(?s)drain_timeout.*negative`},
		{"unparsable duration", fromVersion, target, map[string]string{"ready_timeout": `"ten minutes"`}, `(?s)ready_timeout.*not a duration`},
		{"zero poll interval", fromVersion, target, map[string]string{"poll_interval": `"0s"`}, `(?s)poll_interval.*zero`},
		{"empty command", fromVersion, target, map[string]string{"upgrade_command": `[]`}, `(?s)upgrade_command list must contain at least 1 elements`},
		{"poll interval below 10ms", fromVersion, target, map[string]string{"poll_interval": `"5ms"`}, `(?s)poll_interval.*at least 10ms`},
		{"command_env overrides a provider variable", fromVersion, target, map[string]string{"command_env": `{ APIGW_NODE_NAME = "x" }`}, `(?s)command_env.*APIGW_NODE_NAME.*cannot be overridden`},
		{"empty program", fromVersion, target, map[string]string{"before_node_command": `[""]`}, `(?s)before_node_command.*length`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cluster := startCluster(t, gwsim.Options{Nodes: 2, Version: tc.version})
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6Providers,
				Steps: []resource.TestStep{{
					Config:      refusalConfig(cluster, tc.target, tc.override),
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
			if q := countEvents(cluster, gwsim.EventQuiesceRequested); len(q) != 0 {
				t.Fatalf("a refused plan touched nodes: %v", q)
			}
		})
	}
}
