package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// requireHAProxy skips when HAProxy or socat (the hook script's way to the
// runtime API) is missing.
func requireHAProxy(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: runs a real HAProxy (skipped with -short, as by make unit)")
	}
	for _, tool := range []string{"haproxy", "socat"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH: the HAProxy end-to-end tests need HAProxy and socat (Debian: apt-get install haproxy socat; .ci/run installs them)", tool)
		}
	}
}

// runHookScript runs examples/haproxy/haproxy-node-state.sh as the provider
// would, with the node's name in APIGW_NODE_NAME, on the HAProxy admin
// sockets (HAPROXY_SOCKET) and with env added to the environment.
func runHookScript(t *testing.T, sockets, action, node string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), repoFile(t, "examples/haproxy/haproxy-node-state.sh"), action)
	cmd.Env = append(append(os.Environ(), env...),
		"APIGW_NODE_NAME="+node,
		"HAPROXY_SOCKET="+sockets,
		"HAPROXY_BACKEND="+backendName,
		"HAPROXY_TIMEOUT=20",
		"HAPROXY_POLL=0.05",
	)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestE2E_HookScriptDrainsAndRestores checks the example hook script on its
// own against a real HAProxy: drain returns only once the requests running
// on the node have finished, no new request reaches the node meanwhile,
// ready returns once HAProxy has the node UP again, and a wrong server name
// fails with HAProxy's reason.
func TestE2E_HookScriptDrainsAndRestores(t *testing.T) {
	requireHAProxy(t)
	_, haps := startBehindHAProxy(t, gwsim.Options{Nodes: 3}, 1)
	hap := haps[0]
	client := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)

	// answeredBy sends one request through HAProxy and returns the node that
	// served it and when the answer arrived.
	answeredBy := func(delay string) (string, time.Time, error) {
		resp, err := client.Get(hap.URL + "/gateway/orders?delay=" + delay)
		if err != nil {
			return "", time.Time{}, err
		}
		defer resp.Body.Close()
		var body struct {
			Node string `json:"node"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		return body.Node, time.Now(), err
	}

	// Six slow requests: round robin puts two on every node.
	type answer struct {
		node string
		at   time.Time
		err  error
	}
	var wg sync.WaitGroup
	answers := make(chan answer, 6)
	for range 6 {
		wg.Go(func() {
			n, at, err := answeredBy("1500ms")
			answers <- answer{n, at, err}
		})
	}
	t.Cleanup(wg.Wait)
	if err := waitFor(5*time.Second, func() bool { return sessions(hap, "gw-1") > 0 }); err != nil {
		t.Fatalf("no request in flight on gw-1: %v", err)
	}

	out, err := runHookScript(t, hap.Socket, "drain", "gw-1")
	drained := time.Now()
	if err != nil {
		t.Fatalf("drain failed: %v\n%s", err, out)
	}
	t.Logf("drain:\n%s", out)
	if s := sessions(hap, "gw-1"); s != 0 {
		t.Errorf("drain returned with %d sessions still on gw-1", s)
	}
	for range 9 {
		if n, _, err := answeredBy("0s"); err != nil || n == "gw-1" {
			t.Errorf("request while gw-1 is drained: answered by %q, error %v", n, err)
		}
	}
	wg.Wait()
	close(answers)
	onDrained := 0
	for a := range answers {
		switch {
		case a.err != nil:
			t.Errorf("slow request failed: %v", a.err)
		case a.node == "gw-1":
			onDrained++
			if a.at.After(drained) {
				t.Errorf("a request on gw-1 ended at %v, after drain returned at %v", a.at.Format(time.StampMicro), drained.Format(time.StampMicro))
			}
		}
	}
	if onDrained == 0 {
		t.Error("no slow request ran on gw-1, so the drain waited for nothing")
	}

	if out, err := runHookScript(t, hap.Socket, "ready", "gw-1"); err != nil {
		t.Fatalf("ready failed: %v\n%s", err, out)
	}
	if st, err := hap.serverStatuses(); err != nil || st["gw-1"] != "UP" {
		t.Errorf("after ready gw-1 is %q (%v), want UP", st["gw-1"], err)
	}

	out, err = runHookScript(t, hap.Socket, "drain", "gw-9")
	if err == nil || !strings.Contains(out, "No such server") {
		t.Errorf("drain of an unknown server: error %v, output %q; want a failure quoting HAProxy", err, out)
	}
}

// sessions is the server's current session count (scur), -1 when unknown.
func sessions(hap *haproxy, server string) int {
	rows, err := hap.stats()
	if err != nil {
		return -1
	}
	for _, row := range rows {
		if row["svname"] == server {
			var n int
			if _, err := fmt.Sscan(row["scur"], &n); err == nil {
				return n
			}
		}
	}
	return -1
}

// waitFor polls cond every 20ms until it holds or the timeout passes.
func waitFor(timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("condition not met within %v", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}
