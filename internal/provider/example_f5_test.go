//go:build unix

package provider

import (
	"fmt"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/fakeops"
	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// The F5 example: examples/f5/f5-pool-member.sh as before_node_command and
// after_node_command, with the real curl, against a fake BIG-IP whose
// health monitor probes the simulated nodes.

const f5Password = `f5-p"a\ss`

func newF5Test(t *testing.T, password string) (*scriptTest, *fakeops.BigIP) {
	for _, tool := range []string{"curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH: f5-pool-member.sh needs curl and jq", tool)
		}
	}
	s := newScriptTest(t, gwsim.Options{Nodes: 3}, &fakeops.World{})
	health := map[string]string{}
	for _, n := range s.cluster.Nodes() {
		health[n.Name()+":5555"] = n.URL() + "/rest/apigateway/health"
	}
	bigip := fakeops.NewBigIP("apigw-upgrade", f5Password, "Common", "pool_apigw", health)
	srv := httptest.NewServer(bigip)
	t.Cleanup(srv.Close)
	script := exampleScript(t, "f5/f5-pool-member.sh")
	s.w.setConfig(s.config(target, fmt.Sprintf(`
  before_node_command = [%q, "drain"]
  after_node_command  = [%q, "ready"]
  command_env = {
    F5_URL         = %q
    F5_USER        = "apigw-upgrade"
    F5_POOL        = "pool_apigw"
    F5_MEMBER_PORT = "5555"
    F5_TIMEOUT     = "60"
    F5_POLL        = "0.05"
  }
  command_secret_env = { F5_PASSWORD = %q }
`, script, script, srv.URL, password)))
	return s, bigip
}

// TestAccExampleF5: every node's pool member is disabled and has no
// connection left before the node is quiesced, and is enabled and up again
// (the monitor sees the node healthy) before the next node is disabled.
func TestAccExampleF5(t *testing.T) {
	s, bigip := newF5Test(t, f5Password)
	s.w.mustRun(applyArgs...)
	s.checkAllOn(toVersion)

	reqs := bigip.Requests()
	var prevUp time.Time
	for _, n := range s.cluster.Nodes() {
		member := n.Name() + ":5555"
		disabled, drained, enabled, up := -1, -1, -1, -1
		for i, r := range reqs {
			switch {
			case r.Member != member || r.Status != 200:
			case r.Method == "PATCH" && strings.Contains(r.Body, `"user-disabled"`) && disabled < 0:
				disabled = i
			case r.Method == "GET" && r.Stats && r.Session == "user-disabled" && r.Conns == 0 && disabled >= 0 && drained < 0:
				drained = i
			case r.Method == "PATCH" && strings.Contains(r.Body, `"user-enabled"`) && enabled < 0:
				enabled = i
			case r.Method == "GET" && !r.Stats && r.State == "up" && enabled >= 0 && up < 0:
				up = i
			}
		}
		if disabled < 0 || drained < 0 || enabled < 0 || up < 0 {
			t.Fatalf("%s: disabled %d, drained %d, enabled %d, up %d (request indexes); want all of them in:\n%+v", member, disabled, drained, enabled, up, reqs)
		}
		quiesced := firstEvent(s.cluster, n.Name(), gwsim.EventQuiesceRequested)
		ready := lastEvent(s.cluster, n.Name(), gwsim.EventReady, time.Now())
		switch {
		case !reqs[disabled].At.After(prevUp):
			t.Errorf("%s was disabled before the previous node was up again", member)
		case !reqs[drained].At.Before(quiesced):
			t.Errorf("%s: quiesced at %s, before its member had no connection left (%s)", n.Name(), quiesced.Format(time.StampMicro), reqs[drained].At.Format(time.StampMicro))
		case !reqs[enabled].At.After(ready):
			t.Errorf("%s: member enabled at %s, before the node was ready on target (%s)", n.Name(), reqs[enabled].At.Format(time.StampMicro), ready.Format(time.StampMicro))
		}
		prevUp = reqs[up].At
		if session, conns := bigip.Member(member); session != "user-enabled" || conns == 0 {
			t.Errorf("%s ends %s with %d connections, want enabled and taking traffic", member, session, conns)
		}
	}
}

// TestAccExampleF5_wrongPassword: the BIG-IP refuses the credentials; the
// apply stops at the first node's before_node_command, with the BIG-IP's
// message, before any node is quiesced.
func TestAccExampleF5_wrongPassword(t *testing.T) {
	s, _ := newF5Test(t, "not-the-password")
	s.applyFails("before_node_command", "answered HTTP 401: Authorization failed")
	if n := countEvents(s.cluster, gwsim.EventQuiesceRequested); len(n) != 0 {
		t.Errorf("nodes were quiesced: %v", n)
	}
}
