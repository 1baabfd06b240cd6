package e2e

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/dev/portreserve"
)

// backendName is the backend of examples/haproxy/haproxy.cfg that holds the
// gateway servers; haproxy-node-state.sh is told about it through
// HAPROXY_BACKEND.
const backendName = "be_apigw"

// haproxy is one HAProxy process in front of a simulated cluster.
type haproxy struct {
	// URL is the frontend's base URL (loopback, a free port).
	URL string
	// Socket is the runtime API (admin level) socket path.
	Socket  string
	logPath string
	done    chan struct{} // closed when the process has exited
	waitErr error
}

// renderHAProxyConfig turns the example configuration into one that runs
// on loopback under a test. Only what ties the file to a real host changes:
// the global section's process settings (chroot, user, group, daemon: the
// test runs HAProxy in the foreground as whoever runs the tests), the log
// target (stderr, kept in a file for diagnosis), the admin socket path, the
// frontend's bind address and each server's address. Health checks,
// timeouts, retries and balancing stay exactly as shipped. Every server of
// the example must be a node of the cluster and the other way round, so a
// drifting example fails the test instead of being silently patched.
func renderHAProxyConfig(example, bind, socket string, servers map[string]string) (string, error) {
	var out strings.Builder
	section := ""
	seen := map[string]bool{}
	rewrote := map[string]bool{}
	s := bufio.NewScanner(strings.NewReader(example))
	for s.Scan() {
		line := s.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			out.WriteString(line + "\n")
			continue
		}
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if indent == "" {
			section = fields[0]
			out.WriteString(line + "\n")
			continue
		}
		switch {
		case section == "global" && (fields[0] == "chroot" || fields[0] == "user" || fields[0] == "group" || fields[0] == "daemon"):
			continue
		case section == "global" && fields[0] == "log":
			line = indent + "log stderr format raw local0"
			rewrote["log"] = true
		case section == "global" && len(fields) >= 3 && fields[0] == "stats" && fields[1] == "socket":
			line = indent + strings.Join(append([]string{"stats", "socket", socket}, fields[3:]...), " ")
			rewrote["socket"] = true
		case section == "frontend" && fields[0] == "bind":
			if len(fields) > 2 {
				return "", fmt.Errorf("bind line %q has options the test does not know how to keep", line)
			}
			line = indent + "bind " + bind
			rewrote["bind"] = true
		case section == "backend" && fields[0] == "server" && len(fields) >= 3:
			addr, ok := servers[fields[1]]
			if !ok {
				return "", fmt.Errorf("server %s of the example is not a node of the cluster", fields[1])
			}
			seen[fields[1]] = true
			line = indent + strings.Join(append([]string{"server", fields[1], addr}, fields[3:]...), " ")
		}
		out.WriteString(line + "\n")
	}
	for name := range servers {
		if !seen[name] {
			return "", fmt.Errorf("node %s has no server line in the example", name)
		}
	}
	for _, want := range []string{"log", "socket", "bind"} {
		if !rewrote[want] {
			return "", fmt.Errorf("the example has no %s line to point at the test's loopback setup", want)
		}
	}
	return out.String(), nil
}

// startBehindHAProxy starts a simulated cluster with opts and, in front of
// it, count HAProxies with the example configuration
// (examples/haproxy/haproxy.cfg); all of it stops when the test ends.
func startBehindHAProxy(t *testing.T, opts gwsim.Options, count int) (*gwsim.Cluster, []*haproxy) {
	t.Helper()
	cluster, err := gwsim.Start(opts)
	if err != nil {
		t.Fatalf("start simulated cluster: %v", err)
	}
	t.Cleanup(cluster.Close)
	cfg := repoFile(t, "examples/haproxy/haproxy.cfg")
	haps := make([]*haproxy, count)
	for i := range haps {
		haps[i] = startHAProxy(t, cfg, cluster.Nodes())
	}
	return cluster, haps
}

// startHAProxy runs HAProxy with the example configuration in front of the
// cluster's primary listeners and waits until every server is UP. The
// process is stopped when the test ends.
func startHAProxy(t *testing.T, exampleConfig string, nodes []*gwsim.Node) *haproxy {
	t.Helper()
	example, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	// Unix socket paths are limited to 108 bytes; t.TempDir() embeds the
	// test's name and can be longer than that.
	dir, err := os.MkdirTemp("", "e2e-haproxy-") //nolint:usetesting // socket path length, removed by t.Cleanup below
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	servers := map[string]string{}
	for _, n := range nodes {
		servers[n.Name()] = strings.TrimPrefix(n.URL(), "http://")
	}
	// The frontend's port is reserved here and its bound socket handed to
	// HAProxy as fd 3 ("bind fd@3"), so no other listener of the test can
	// take the port before HAProxy listens on it.
	frontend, err := portreserve.Reserve("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer frontend.Close()
	const bind = "fd@3"
	h := &haproxy{
		URL:     "http://" + frontend.Addr(),
		Socket:  filepath.Join(dir, "admin.sock"),
		logPath: filepath.Join(dir, "haproxy.log"),
		done:    make(chan struct{}),
	}
	cfg, err := renderHAProxyConfig(string(example), bind, h.Socket, servers)
	if err != nil {
		t.Fatalf("%s: %v", exampleConfig, err)
	}
	cfgPath := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(h.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	// -db: stay in the foreground, so the process is ours to stop.
	cmd := exec.Command("haproxy", "-db", "-f", cfgPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	sock, err := frontend.File()
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close() // HAProxy has its own copy
	cmd.ExtraFiles = []*os.File{sock}
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start haproxy: %v", err)
	}
	go func() {
		h.waitErr = cmd.Wait()
		close(h.done)
	}()
	t.Cleanup(func() { h.stop(t, cmd) })

	if err := h.waitServers(10*time.Second, "UP"); err != nil {
		t.Fatalf("haproxy did not come up: %v\n%s", err, h.logTail(20))
	}
	return h
}

// stop ends HAProxy: SIGTERM (hard stop) and, should it linger, SIGKILL.
func (h *haproxy) stop(t *testing.T, cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
		t.Logf("haproxy ignored SIGTERM for 5s; killing it")
		_ = cmd.Process.Kill()
		<-h.done
	}
}

// runtime sends one command to the runtime API and returns the answer.
func (h *haproxy) runtime(command string) (string, error) {
	conn, err := net.DialTimeout("unix", h.Socket, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, command+"\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(conn)
	return string(b), err
}

// stats reads `show stat` for the gateway backend: one map of column name
// to value per row (the servers and the BACKEND summary row).
func (h *haproxy) stats() ([]map[string]string, error) {
	answer, err := h.runtime("show stat " + backendName + " -1 -1")
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(answer, "# ")))
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("parse show stat: %w", err)
	}
	if len(records) < 2 {
		return nil, fmt.Errorf("show stat answered %q", answer)
	}
	var rows []map[string]string
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, name := range records[0] {
			if i < len(rec) && name != "" {
				row[name] = rec[i]
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// serverStatuses maps each server of the backend to its status column.
func (h *haproxy) serverStatuses() (map[string]string, error) {
	rows, err := h.stats()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, row := range rows {
		if row["svname"] != "BACKEND" && row["svname"] != "FRONTEND" {
			out[row["svname"]] = row["status"]
		}
	}
	return out, nil
}

// waitServers polls until every server has the status, the process exits
// or the timeout passes.
func (h *haproxy) waitServers(timeout time.Duration, status string) error {
	deadline := time.Now().Add(timeout)
	var last string
	for {
		select {
		case <-h.done:
			return fmt.Errorf("haproxy exited: %v", h.waitErr)
		default:
		}
		st, err := h.serverStatuses()
		if err == nil {
			all := len(st) > 0
			for _, s := range st {
				all = all && s == status
			}
			if all {
				return nil
			}
			last = fmt.Sprint(st)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("servers not all %s after %v: %s", status, timeout, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// counters returns the backend's retry and redispatch totals (wretr,
// wredis): how often HAProxy had to send a request again because a server
// dropped or refused it.
func (h *haproxy) counters() (retries, redispatches int64, err error) {
	rows, err := h.stats()
	if err != nil {
		return 0, 0, err
	}
	for _, row := range rows {
		if row["svname"] == "BACKEND" {
			_, err1 := fmt.Sscan(row["wretr"], &retries)
			_, err2 := fmt.Sscan(row["wredis"], &redispatches)
			return retries, redispatches, errors.Join(err1, err2)
		}
	}
	return 0, 0, errors.New("no BACKEND row in show stat")
}

// logTail returns the last n lines HAProxy wrote (its own messages and the
// request log).
func (h *haproxy) logTail(n int) string {
	b, err := os.ReadFile(h.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// logLinesMatching returns up to limit log lines containing any of the
// substrings, for showing what went wrong.
func (h *haproxy) logLinesMatching(limit int, subs ...string) []string {
	return h.logLines(limit, func(l string) bool {
		for _, s := range subs {
			if strings.Contains(l, s) {
				return true
			}
		}
		return false
	})
}

// serverStateChanges returns the log lines in which HAProxy reports a
// gateway server changing state (drain, DOWN, UP), oldest first.
func (h *haproxy) serverStateChanges() []string {
	// HAProxy prints each change twice: as a "[WARNING]" message and as a
	// log line starting with "Server"; the log line is enough.
	return h.logLines(100, func(l string) bool { return strings.HasPrefix(l, "Server "+backendName+"/") })
}

// logLines returns up to limit lines of HAProxy's output that keep
// accepts, oldest first.
func (h *haproxy) logLines(limit int, keep func(string) bool) []string {
	b, err := os.ReadFile(h.logPath)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if keep(l) {
			out = append(out, l)
		}
		if len(out) == limit {
			break
		}
	}
	return out
}
