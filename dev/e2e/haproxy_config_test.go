package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestRenderHAProxyConfig runs the shipped example through the rewrite the
// end-to-end test uses: only addresses, the socket path and process
// settings change, every tuning line survives, and an example that no
// longer matches the cluster is refused rather than patched.
func TestRenderHAProxyConfig(t *testing.T) {
	example, err := os.ReadFile(repoFile(t, "examples/haproxy/haproxy.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	servers := map[string]string{"gw-1": "127.0.0.1:1001", "gw-2": "127.0.0.1:1002", "gw-3": "127.0.0.1:1003"}
	got, err := renderHAProxyConfig(string(example), "127.0.0.1:9000", "/tmp/x/admin.sock", servers)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"bind 127.0.0.1:9000\n",
		"stats socket /tmp/x/admin.sock mode 600 level admin",
		"server gw-1 127.0.0.1:1001\n",
		"server gw-3 127.0.0.1:1003\n",
		"log stderr format raw local0\n",
		"http-check send meth GET uri /rest/apigateway/health\n",
		"retry-on conn-failure empty-response response-timeout\n",
		"option redispatch",
		"retries 3\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered config lacks %q:\n%s", want, got)
		}
	}
	for _, gone := range []string{"chroot", "\n    user ", "\n    daemon", "example.internal", "/run/haproxy"} {
		if strings.Contains(got, gone) {
			t.Errorf("rendered config still has %q", gone)
		}
	}
	if strings.Count(got, "\n") != strings.Count(string(example), "\n")-4 {
		t.Errorf("rendered config has %d lines, want the example's %d less the 4 process settings",
			strings.Count(got, "\n"), strings.Count(string(example), "\n"))
	}

	two := map[string]string{"gw-1": "127.0.0.1:1001", "gw-2": "127.0.0.1:1002"}
	if _, err := renderHAProxyConfig(string(example), "127.0.0.1:9000", "/tmp/s", two); err == nil || !strings.Contains(err.Error(), "gw-3") {
		t.Errorf("example with a server the cluster lacks: err %v, want one naming gw-3", err)
	}
	four := map[string]string{"gw-1": "a:1", "gw-2": "a:2", "gw-3": "a:3", "gw-4": "a:4"}
	if _, err := renderHAProxyConfig(string(example), "127.0.0.1:9000", "/tmp/s", four); err == nil || !strings.Contains(err.Error(), "gw-4") {
		t.Errorf("cluster node missing from the example: err %v, want one naming gw-4", err)
	}
}
