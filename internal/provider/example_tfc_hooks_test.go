//go:build unix

package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestExampleTerraformCloudSSHAgentHooks runs the agent hooks of
// examples/terraform-cloud as an HCP Terraform agent would: the pre hook
// starts an ssh-agent holding the key and writes SSH_AUTH_SOCK to
// $TFC_AGENT_ENV, a second pre hook replaces an agent left behind, and the
// post hook ends the agent.
func TestExampleTerraformCloudSSHAgentHooks(t *testing.T) {
	for _, tool := range []string{"bash", "ssh-agent", "ssh-add", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH: the hooks need OpenSSH's client tools", tool)
		}
	}
	work := t.TempDir()
	key := filepath.Join(work, "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "apigw-upgrade", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	// A socket path must fit in 108 bytes; t.TempDir() may be longer.
	agentDir, err := os.MkdirTemp("", "tfc-ssh-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(agentDir) })
	envFile := filepath.Join(work, "tfc-agent.env")
	env := append(os.Environ(), "APIGW_SSH_KEY_FILE="+key, "APIGW_SSH_AGENT_DIR="+agentDir, "TFC_AGENT_ENV="+envFile)
	hook := func(name string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), exampleScript(t, "terraform-cloud/"+name))
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		return string(out)
	}
	stop := func() { _ = exec.Command(exampleScript(t, "terraform-cloud/stop-ssh-agent.sh")).Run() }
	t.Cleanup(stop)
	pid := func() int {
		var p int
		b, err := os.ReadFile(filepath.Join(agentDir, "agent.pid"))
		if err == nil {
			_, err = fmt.Sscan(strings.TrimSpace(string(b)), &p)
		}
		if err != nil {
			t.Fatalf("agent.pid: %v", err)
		}
		return p
	}
	listKeys := func(sock string) (string, error) {
		cmd := exec.Command("ssh-add", "-l")
		cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	fingerprint, err := exec.Command("ssh-keygen", "-lf", key+".pub").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(string(fingerprint))[1]

	// start runs the pre hook of one operation and returns the socket it
	// handed to Terraform, which must be in the agent's directory.
	start := func() (sock, out string) {
		t.Helper()
		writeFile(t, envFile, "") // the agent gives every operation a new file
		out = hook("start-ssh-agent.sh")
		got := strings.TrimSpace(readFile(t, envFile))
		sock, ok := strings.CutPrefix(got, "SSH_AUTH_SOCK=")
		if !ok || filepath.Dir(sock) != agentDir || strings.Contains(sock, "\n") {
			t.Fatalf("TFC_AGENT_ENV holds %q, want one SSH_AUTH_SOCK line naming a socket in %s", got, agentDir)
		}
		return sock, out
	}

	sock, out := start()
	if keys, err := listKeys(sock); err != nil || !strings.Contains(keys, want) {
		t.Fatalf("the agent lists %q (%v), want the key %s", keys, err, want)
	}
	if priv := readFile(t, key); strings.Contains(out, strings.Split(priv, "\n")[1]) {
		t.Errorf("the hook printed the private key:\n%s", out)
	}

	first := pid()
	sock, _ = start() // a run after one that left its agent behind
	if !goneWithin(first, 10*time.Second) {
		t.Errorf("the agent of the earlier run (pid %d) still runs", first)
	}
	if keys, err := listKeys(sock); err != nil || !strings.Contains(keys, want) {
		t.Fatalf("after a second start the agent lists %q (%v)", keys, err)
	}

	second := pid()
	hook("stop-ssh-agent.sh")
	if !goneWithin(second, 10*time.Second) {
		t.Errorf("the agent (pid %d) still runs after the post hook", second)
	}
	if keys, err := listKeys(sock); err == nil {
		t.Errorf("the key is still served after the post hook: %s", keys)
	}
}

// goneWithin waits until process pid has ended (ssh-agent -k only signals
// it), at most d.
func goneWithin(pid int, d time.Duration) bool {
	for deadline := time.Now().Add(d); alive(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// alive reports whether process pid runs: a zombie does not (where no
// init reaps it, a killed daemon stays one).
func alive(pid int) bool {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		_, after, _ := strings.Cut(string(b), ") ")
		return !strings.HasPrefix(after, "Z")
	}
	return syscall.Kill(pid, 0) == nil
}
