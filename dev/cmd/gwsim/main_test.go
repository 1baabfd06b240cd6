package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
)

// binary is the gwsim command built once for the process tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gwsim-cmd-test")
	if err != nil {
		panic(err)
	}
	binary, err = tfharness.BuildGwsim(context.Background(), dir)
	if err != nil {
		os.RemoveAll(dir)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runBinary runs the built command and returns its output and exit code.
func runBinary(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("run %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		env  []string
		want string
	}{
		{nil, nil, "Usage:"},
		{[]string{"explode"}, nil, `unknown command "explode"`},
		{[]string{"restart", "-node", "gw-1"}, []string{"GWSIM_CONTROL_URL="}, "no control URL"},
		{[]string{"restart", "-control", "ftp://x"}, nil, "invalid control URL"},
		{[]string{"restart", "-control", "http://127.0.0.1:1"}, []string{"APIGW_NODE_NAME="}, "-node is required"},
		{[]string{"restart", "-control", "http://127.0.0.1:1", "-node", "gw-1", "-downtime", "-1s"}, nil, "must not be negative"},
		{[]string{"restart", "-bogus"}, nil, "flag provided but not defined"},
		{[]string{"stop", "-control", "http://127.0.0.1:1"}, nil, "-node is required"},
		{[]string{"version", "-control", "http://127.0.0.1:1"}, []string{"APIGW_NODE_NAME="}, "-node is required"},
		{[]string{"fault", "-control", "http://127.0.0.1:1", "-node", "gw-1"}, nil, "exactly one of -json and -clear"},
		{[]string{"fault", "-control", "http://127.0.0.1:1", "-node", "gw-1", "-json", "{"}, nil, "not valid JSON"},
		{[]string{"status", "-control", "http://127.0.0.1:1", "extra"}, nil, `unexpected argument "extra"`},
		{[]string{"traffic"}, nil, "-url is required"},
		{[]string{"traffic", "-url", "http://127.0.0.1:1", "-rate", "0"}, nil, "-rate must be"},
		{[]string{"serve", "-nodes", "0"}, nil, "-nodes must be at least 1"},
	}
	for _, tc := range cases {
		_, stderr, code := runBinary(t, tc.env, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 mentioning %q", tc.args, code, stderr, tc.want)
		}
	}
	if out, _, code := runBinary(t, nil, "help"); code != 0 || !strings.Contains(out, "gwsim serve") {
		t.Errorf("help: exit %d %q", code, out)
	}
	if _, _, code := runBinary(t, nil, "status", "-h"); code != 0 {
		t.Errorf("-h exits %d", code)
	}
	// An unreachable control API is a failure, not a usage error.
	if _, stderr, code := runBinary(t, nil, "status", "-control", "http://127.0.0.1:1"); code != 1 || !strings.Contains(stderr, "unreachable") {
		t.Errorf("unreachable: exit %d %q", code, stderr)
	}
}

func TestServeProcess(t *testing.T) {
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.json")
	serve := exec.Command(binary, "serve", "-nodes", "2", "-version", "10.15.0.5.1", "-drain-time", "100ms",
		"-restart-time", "100ms", "-state-file", statePath)
	var serveOut, serveErr bytes.Buffer
	serve.Stdout, serve.Stderr = &serveOut, &serveErr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	defer func() {
		if serve.ProcessState == nil {
			_ = serve.Process.Kill()
			<-exited
		}
	}()

	var st stateFile
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(statePath)
		if err == nil && json.Unmarshal(b, &st) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no state file; stderr: %s", serveErr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(st.Nodes) != 2 || st.Nodes[0].Name != "gw-1" || !strings.HasPrefix(st.ControlURL, "http://127.0.0.1:") {
		t.Fatalf("state %+v", st)
	}
	env := []string{"GWSIM_CONTROL_URL=" + st.ControlURL}

	out, stderr, code := runBinary(t, env, "status")
	var nodes []gwsim.NodeStatus
	if code != 0 || json.Unmarshal([]byte(out), &nodes) != nil || len(nodes) != 2 || nodes[1].Version != "10.15.0.5.1" {
		t.Fatalf("status: %d %q %q", code, out, stderr)
	}

	// restart as an upgrade command: node and version from the provider's
	// environment; it returns once the node has started.
	out, stderr, code = runBinary(t, append(env, "APIGW_NODE_NAME=gw-2", "APIGW_TARGET_VERSION=10.15.0.7.2"), "restart", "-downtime", "50ms")
	var one gwsim.NodeStatus
	if code != 0 || json.Unmarshal([]byte(out), &one) != nil || one.Version != "10.15.0.7.2" || one.State != gwsim.StateStarting {
		t.Fatalf("restart: %d %q %q", code, out, stderr)
	}
	if _, stderr, code = runBinary(t, env, "restart", "-node", "gw-9"); code != 1 || !strings.Contains(stderr, "unknown node") {
		t.Fatalf("restart unknown node: %d %q", code, stderr)
	}

	out, stderr, code = runBinary(t, env, "fault", "-node", "gw-1", "-json", `{"quiesceRefused":true,"adminDelay":"5ms"}`)
	if code != 0 || !strings.Contains(out, `"quiesceRefused":true`) {
		t.Fatalf("fault: %d %q %q", code, out, stderr)
	}
	if _, stderr, code = runBinary(t, env, "fault", "-node", "gw-1", "-json", `{"typo":1}`); code != 1 || !strings.Contains(stderr, "typo") {
		t.Fatalf("bad fault: %d %q", code, stderr)
	}
	if out, _, code = runBinary(t, env, "fault", "-node", "gw-1", "-clear"); code != 0 || strings.TrimSpace(out) != "{}" {
		t.Fatalf("clear: %d %q", code, out)
	}

	out, _, code = runBinary(t, nil, "traffic", "-url", st.Nodes[0].URL, "-duration", "300ms", "-rate", "50")
	var rep trafficReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.OK == 0 || rep.ByNode["gw-1"] != rep.OK {
		t.Fatalf("traffic: %d %q", code, out)
	}

	if out, _, code = runBinary(t, env, "stop", "-node", "gw-1"); code != 0 || !strings.Contains(out, `"state":"stopped"`) {
		t.Fatalf("stop: %d %q", code, out)
	}
	out, _, code = runBinary(t, env, "store")
	var totals gwsim.StoreTotals
	if code != 0 || json.Unmarshal([]byte(out), &totals) != nil || totals.Lost["gw-1"] != int64(rep.OK) {
		t.Fatalf("store: %d %q (traffic ok %d)", code, out, rep.OK)
	}
	out, _, code = runBinary(t, env, "events")
	var events []gwsim.Event
	if code != 0 || json.Unmarshal([]byte(out), &events) != nil || len(events) == 0 {
		t.Fatalf("events: %d %q", code, out)
	}

	// SIGTERM ends serve cleanly and removes the state file.
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("serve exited with %v; stderr %s", err, serveErr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve ignores SIGTERM")
	}
	if _, err := os.Stat(statePath); !os.IsNotExist(err) {
		t.Fatalf("state file left behind: %v", err)
	}
	if !strings.Contains(serveOut.String(), st.ControlURL) {
		t.Fatalf("serve did not print the state: %q", serveOut.String())
	}
}

func TestServeTLSStateHasCertificate(t *testing.T) {
	st := startServe(t, "-nodes", "1", "-tls")
	if !strings.HasPrefix(st.Nodes[0].URL, "https://") || !strings.Contains(st.CACertPEM, "BEGIN CERTIFICATE") {
		t.Fatalf("state %+v", st)
	}
}

// startServe runs gwsim serve with args until the test ends and returns
// the state file it writes.
func startServe(t *testing.T, args ...string) stateFile {
	t.Helper()
	statePath := filepath.Join(t.TempDir(), "state.json")
	serve := exec.Command(binary, append([]string{"serve", "-state-file", statePath}, args...)...)
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = serve.Process.Kill(); _ = serve.Wait() })
	var st stateFile
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(statePath)
		if err == nil && json.Unmarshal(b, &st) == nil {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatal("no state file")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeVersionWithoutFix: serve -version-without-fix reports
// serverinfo's version without the fix level, and gwsim version prints the
// installed version, fix level included, as a version_command would.
func TestServeVersionWithoutFix(t *testing.T) {
	st := startServe(t, "-nodes", "1", "-version", "10.5.0.9.5015", "-restart-time", "50ms", "-version-without-fix")
	serverInfo := func() string {
		req, err := http.NewRequest("GET", st.Nodes[0].URL+"/rest/apigateway/is/serverinfo", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(gwsim.DefaultUsername, gwsim.DefaultPassword)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m struct {
			Version string `json:"version"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m.Version
	}
	env := []string{"GWSIM_CONTROL_URL=" + st.ControlURL, "APIGW_NODE_NAME=gw-1"}
	if v := serverInfo(); v != "10.5.0.0.5015" {
		t.Fatalf("serverinfo version %q, want 10.5.0.0.5015", v)
	}
	if out, stderr, code := runBinary(t, env, "version"); code != 0 || out != "10.5.0.9.5015\n" {
		t.Fatalf("version: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if _, stderr, code := runBinary(t, env, "restart", "-version", "10.5.0.11.5015"); code != 0 {
		t.Fatalf("restart: %d %s", code, stderr)
	}
	if out, _, code := runBinary(t, env, "version", "-node", "gw-1"); code != 0 || out != "10.5.0.11.5015\n" {
		t.Fatalf("version after the fix: exit %d, stdout %q", code, out)
	}
	if v := serverInfo(); v != "10.5.0.0.5015" {
		t.Fatalf("serverinfo version after the fix %q, want 10.5.0.0.5015", v)
	}
	if _, stderr, code := runBinary(t, env, "version", "-node", "gw-7"); code != 1 || !strings.Contains(stderr, "unknown node") {
		t.Fatalf("unknown node: exit %d %q", code, stderr)
	}
}
