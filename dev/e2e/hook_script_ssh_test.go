//go:build unix

package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/gwops/terraform-provider-apigw/dev/fakeops"
	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// TestE2E_HookScriptOverSSHDrainsBothBalancers runs the example hook script
// against an active/standby pair of real HAProxies that it reaches over
// SSH (HAPROXY_SOCKET=ssh://...): drain takes the node out of both, ready
// puts it back into both, and each HAProxy is reached on its own host. A
// fake ssh stands for the two load balancer hosts: it records the call and
// runs the remote command (socat on the admin socket) locally.
func TestE2E_HookScriptOverSSHDrainsBothBalancers(t *testing.T) {
	requireHAProxy(t)
	_, haps := startBehindHAProxy(t, gwsim.Options{Nodes: 3}, 2)
	lbs := map[string]*haproxy{"lb-1": haps[0], "lb-2": haps[1]}
	fake := t.TempDir()
	bin, err := fakeops.Setup(fake, &fakeops.World{SSHHosts: map[string]*fakeops.SSHHost{"lb-1": {}, "lb-2": {}}})
	if err != nil {
		t.Fatal(err)
	}
	sockets := "ssh://haproxy@lb-1" + lbs["lb-1"].Socket + " ssh://haproxy@lb-2" + lbs["lb-2"].Socket
	run := func(action string) {
		t.Helper()
		out, err := runHookScript(t, sockets, action, "gw-2",
			"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
			fakeops.EnvDir+"="+fake)
		if err != nil {
			t.Fatalf("%s failed: %v\n%s", action, err, out)
		}
	}
	status := func(lb string) string {
		st, err := lbs[lb].serverStatuses()
		if err != nil {
			t.Fatalf("%s: %v", lb, err)
		}
		return st["gw-2"]
	}

	run("drain")
	for lb := range lbs {
		if st := status(lb); st != "DRAIN" {
			t.Errorf("after drain gw-2 is %q on %s, want DRAIN", st, lb)
		}
	}
	run("ready")
	for lb := range lbs {
		if st := status(lb); st != "UP" {
			t.Errorf("after ready gw-2 is %q on %s, want UP", st, lb)
		}
	}

	calls, err := fakeops.Calls(fake)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range calls {
		line := c.Line()
		for lb := range lbs {
			if strings.Contains(line, " haproxy@"+lb+" socat ") && strings.HasSuffix(line, "UNIX-CONNECT:"+lbs[lb].Socket) {
				seen[lb] = true
			}
		}
		if !strings.Contains(line, "-o BatchMode=yes") {
			t.Errorf("ssh without batch mode would wait for a password prompt: %s", line)
		}
	}
	if !seen["lb-1"] || !seen["lb-2"] {
		t.Errorf("the script reached %v over ssh, want lb-1 and lb-2 each with its own socket:\n%v", seen, calls)
	}
}
