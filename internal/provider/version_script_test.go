package provider

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// TestVersionFromFixesExample runs the example version_command
// (examples/resources/apigw_rolling_upgrade/version-from-fixes.sh) as the
// provider would, against a node whose serverinfo version does not show
// the fix level: it prints the fix level the node's patch_nums show.
func TestVersionFromFixesExample(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH: the example version_command needs bash, curl and jq", tool)
		}
	}
	script, err := filepath.Abs("../../examples/resources/apigw_rolling_upgrade/version-from-fixes.sh")
	if err != nil {
		t.Fatal(err)
	}
	cluster := startCluster(t, gwsim.Options{Nodes: 1, Version: "10.5.0.9.5015", Variants: gwsim.Variants{VersionWithoutFix: true}})
	node := cluster.Nodes()[0]
	run := func(env ...string) (string, error) {
		cmd := exec.CommandContext(t.Context(), script)
		cmd.Env = append(os.Environ(), append([]string{"APIGW_NODE_URL=" + node.URL(), "GW_USER=" + testUser}, env...)...)
		out, err := cmd.Output()
		return string(out), err
	}
	if out, err := run("GW_PASSWORD=" + testPassword); err != nil || out != "10.5.0.9\n" {
		t.Fatalf("fix 9: %q, %v", out, err)
	}
	if err := node.Restart(gwsim.RestartOptions{Version: "10.5.0.11.5015"}); err != nil {
		t.Fatal(err)
	}
	if out, err := run("GW_PASSWORD=" + testPassword); err != nil || out != "10.5.0.11\n" {
		t.Fatalf("fix 11: %q, %v", out, err)
	}
	if out, err := run("GW_PASSWORD="+testPassword, `FIX_PATTERN=^IS_[0-9.]+_Core_Fix(?<fix>[0-9]+)$`); err != nil || out != "10.5.0.11\n" {
		t.Fatalf("FIX_PATTERN: %q, %v", out, err)
	}
	if out, err := run("GW_PASSWORD=wrong"); err == nil || strings.TrimSpace(out) != "" {
		t.Fatalf("wrong password: %q, %v; want a failure and no output", out, err)
	}
}
