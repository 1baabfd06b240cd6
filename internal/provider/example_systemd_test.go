//go:build unix

package provider

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/fakeops"
	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// The systemd example: stage-fix-systemd.sh as prepare_command,
// upgrade-systemd.sh, rollback-systemd.sh, and notify-chat.sh posting every
// milestone to a chat webhook. Every node is a systemd service on a host
// of its own, reached with a fake ssh and scp.

var systemdFixFiles = []string{"apigw-" + target + ".zip", "apigw-" + target + ".script", "uninstall-apigw-" + target + ".script"}

func systemdHost(node string) string { return node + ".mgmt.test" }

// chatWebhook collects the texts notify-chat.sh posts.
type chatWebhook struct {
	*httptest.Server
	mu    sync.Mutex
	texts []string
}

func newChatWebhook(t *testing.T) *chatWebhook {
	c := &chatWebhook{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Text string `json:"text"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want a JSON body with text", http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		c.texts = append(c.texts, body.Text)
		c.mu.Unlock()
	}))
	t.Cleanup(c.Close)
	return c
}

// expect wants every one of subs in some text posted since the last
// expect.
func (c *chatWebhook) expect(t *testing.T, subs ...string) {
	t.Helper()
	c.mu.Lock()
	texts := c.texts
	c.texts = nil
	c.mu.Unlock()
	for _, sub := range subs {
		if !slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, sub) }) {
			t.Errorf("no chat message with %q among:\n%s", sub, strings.Join(texts, "\n"))
		}
	}
}

type systemdTest struct {
	*scriptTest
	fixDir string
	chat   *chatWebhook
}

func newSystemdTest(t *testing.T) *systemdTest {
	world := &fakeops.World{SSHHosts: perNode(func(node string) (string, *fakeops.SSHHost) {
		return systemdHost(node), &fakeops.SSHHost{Node: node, Installed: "10.15.0.5"}
	})}
	s := &systemdTest{scriptTest: newScriptTest(t, gwsim.Options{Nodes: 3}, world), fixDir: t.TempDir(), chat: newChatWebhook(t)}
	for _, f := range systemdFixFiles {
		writeFile(t, filepath.Join(s.fixDir, f), "fix content of "+f)
	}
	s.upgrade = []string{exampleScript(t, "resources/apigw_rolling_upgrade/upgrade-systemd.sh")}
	return s
}

// config wires the scripts as the example's resource.tf does.
func (s *systemdTest) config(rollback bool) string {
	extra := fmt.Sprintf(`
  prepare_command = [%q]
  notify_command  = [%q]
  command_env = {
    SSH_USER  = "sag"
    FIX_DIR   = %q
    SSH_HOSTS = "gw-1=%s gw-2=%s gw-3=%s"
  }
  command_secret_env = { CHAT_WEBHOOK_URL = %q }
`, exampleScript(s.t, "resources/apigw_rolling_upgrade/stage-fix-systemd.sh"), exampleScript(s.t, "resources/apigw_rolling_upgrade/notify-chat.sh"),
		s.fixDir, systemdHost("gw-1"), systemdHost("gw-2"), systemdHost("gw-3"), s.chat.URL)
	if rollback {
		extra += fmt.Sprintf("  rollback_command = [%q]\n", exampleScript(s.t, "resources/apigw_rolling_upgrade/rollback-systemd.sh"))
	}
	return s.upgradeTest.config(target, extra)
}

// sshFails makes the next ssh call to node's host that runs command fail.
func (s *systemdTest) sshFails(node, command, stderr string) {
	s.world(func(w *fakeops.World) {
		w.Failures = append(w.Failures, &fakeops.Failure{Tool: "ssh", Match: "sag@" + systemdHost(node) + " " + command, Times: 1, Stderr: stderr, Exit: 1})
	})
}

// TestAccExampleSystemd: the fix is staged on every node before the first
// node leaves service; a failed install is rolled back with the staged
// uninstall script; an apply without rollback_command leaves a node
// stopped with the fix installed, and the next apply resumes it
// (APIGW_FROM_VERSION empty) without staging anything again. Every
// milestone reaches the chat.
func TestAccExampleSystemd(t *testing.T) {
	s := newSystemdTest(t)
	install := "sudo /opt/softwareag/SAGUpdateManager/bin/UpdateManagerCMD.sh -readScript /opt/softwareag/fixes/apigw-"

	s.sshFails("gw-2", install, "Update Manager: installation failed: no space left on device")
	s.w.setConfig(s.config(true))
	start := time.Now()
	s.applyFails("gw-2", "no space left on device", "rollback_command brought the node back on "+fromVersion)
	if got := nodeVersions(s.cluster); got["gw-1"] != toVersion || got["gw-2"] != fromVersion || got["gw-3"] != fromVersion {
		t.Fatalf("after the rollback the nodes run %v; want gw-1 upgraded, gw-2 rolled back, gw-3 untouched", got)
	}
	quiesced := s.firstQuiesce(start)
	for _, c := range s.calls("scp") {
		if !c.At.Before(quiesced) {
			t.Errorf("%s ran at %s, after the first quiesce at %s", c.Line(), c.At.Format(time.StampMicro), quiesced.Format(time.StampMicro))
		}
	}
	for host, h := range s.readWorld().SSHHosts {
		for _, f := range systemdFixFiles {
			if !slices.Contains(h.Files, "/opt/softwareag/fixes/"+f) {
				t.Errorf("%s: %s not staged (files %v)", host, f, h.Files)
			}
		}
	}
	s.chat.expect(t, "[FAILED] gw-2", "rollback_command")

	s.sshFails("gw-2", "sudo systemctl start apigateway", "Job for apigateway.service failed because the control process exited with error code.")
	s.w.setConfig(s.config(false))
	s.applyFails("gw-2", "Job for apigateway.service failed")
	if h := s.readWorld().SSHHosts[systemdHost("gw-2")]; !h.Stopped || h.Installed != target {
		t.Fatalf("gw-2's host after the failed start: %+v; want the service stopped with %s installed", h, target)
	}

	since := time.Now()
	s.w.mustRun(applyArgs...)
	s.checkAllOn(toVersion)
	resumed := callsMatching(callsSince(s.calls("ssh"), since), "sag@"+systemdHost("gw-2")+" "+install)
	if len(resumed) != 1 || resumed[0].Env["APIGW_FROM_VERSION"] != "" {
		t.Errorf("resumed gw-2 with %+v; want one install with APIGW_FROM_VERSION empty", resumed)
	}
	if n := len(s.calls("scp")); n != 3*len(systemdFixFiles) {
		t.Errorf("%d files copied in all; want %d, each file once per node", n, 3*len(systemdFixFiles))
	}
	s.chat.expect(t, "[upgrade] gw-3", "[DONE]")
}
