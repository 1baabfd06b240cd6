package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// providerLogLine is one line the provider wrote to Terraform's log.
type providerLogLine struct {
	level, message, event, node string
	text                        string // the whole line, with its fields
}

// providerLogPrefix starts every line the provider writes into TF_LOG_PATH.
var providerLogPrefix = regexp.MustCompile(`^\S+ \[(\w+)\]\s+provider\.terraform-provider-apigw: (.*)$`)

// readProviderLog returns the provider's log entries from a TF_LOG_PATH
// file, one line each.
func readProviderLog(t *testing.T, path string) []providerLogLine {
	t.Helper()
	// The message ends where hclog's fields begin, in any order.
	message := regexp.MustCompile(`^(.*?): [@\w]+=`)
	field := regexp.MustCompile(`\b(event|node)=(\S+)`)
	var out []providerLogLine
	for _, line := range strings.Split(readFile(t, path), "\n") {
		m := providerLogPrefix.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		l := providerLogLine{level: m[1], text: line, message: m[2]}
		if mm := message.FindStringSubmatch(m[2]); mm != nil {
			l.message = mm[1]
		}
		for _, f := range field.FindAllStringSubmatch(line, -1) {
			if f[1] == "event" {
				l.event = f[2]
			} else {
				l.node = f[2]
			}
		}
		out = append(out, l)
	}
	return out
}

// TestAccRollingUpgrade_progressLog runs a rolling upgrade of three nodes
// with the real CLI and TF_LOG_PROVIDER=INFO, TF_LOG_PATH, as the progress
// guide tells users, and reads the provider's lines from that file: one
// INFO line per milestone per node, in order, each in the documented form,
// the end of every successful command's output at INFO, and no secret.
func TestAccRollingUpgrade_progressLog(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	logPath := filepath.Join(t.TempDir(), "terraform.log")
	w := newTFWorkdir(t, "TF_LOG_PROVIDER=INFO", "TF_LOG_PATH="+logPath)
	const secret = "reg-tok-9f8e7d"
	u.upgrade = []string{"sh", "-c", `echo "downloading fix with token $REGISTRY_TOKEN"; echo "installing $APIGW_TARGET_VERSION on $APIGW_NODE_NAME"; ` +
		u.restartScript(toVersion)}
	cfg := u.config(target, fmt.Sprintf(`
  before_node_command = ["sh", "-c", "echo \"$APIGW_NODE_NAME out of the load balancer\""]
  after_node_command  = ["sh", "-c", "echo \"$APIGW_NODE_NAME back in the load balancer\""]
  command_secret_env  = { REGISTRY_TOKEN = %q }
`, secret))
	w.setConfig(cfg)
	w.mustRun(applyArgs...)

	if keep := os.Getenv("KEEP_LOG"); keep != "" {
		b, _ := os.ReadFile(logPath)
		_ = os.WriteFile(keep, b, 0o644)
	}
	lines := readProviderLog(t, logPath)
	if len(lines) == 0 {
		t.Fatalf("no provider lines in %s", logPath)
	}
	perNode := map[string][]providerLogLine{}
	output := map[string][]string{} // "node command" → its output lines, in order
	var rollout []string
	for _, l := range lines {
		switch {
		case l.level != "INFO" || l.event == "":
		case l.event == commandOutputEvent:
			node, rest, _ := strings.Cut(l.message, ": ")
			command, text, _ := strings.Cut(rest, " output: ")
			output[node+" "+command] = append(output[node+" "+command], text)
			if got := perNode[node]; len(got) == 0 || got[len(got)-1].event == "after_command_done" {
				t.Errorf("%s: output line %q not between the node's start and its command's end", node, l.message)
			}
		case l.node == "":
			rollout = append(rollout, l.event)
		default:
			perNode[l.node] = append(perNode[l.node], l)
		}
	}
	if want := []string{"rollout_started", "rollout_finished"}; !slices.Equal(rollout, want) {
		t.Errorf("rollout milestones %v, want %v", rollout, want)
	}
	d := `[0-9.]+(ms|s)`
	for i, n := range []string{"gw-1", "gw-2", "gw-3"} {
		want := []struct{ event, message string }{
			{"node_started", fmt.Sprintf(`^%s: upgrading from %s to %s \(node %d of 3\); running before_node_command$`, n, regexp.QuoteMeta(fromVersion), regexp.QuoteMeta(target), i+1)},
			{"before_command_done", fmt.Sprintf(`^%s: before_node_command finished in %s; requesting quiesce mode for all$`, n, d)},
			{"quiesce_requested", fmt.Sprintf(`^%s: quiesce mode for all requested \(flush .*\); waiting until it has drained \(drain_timeout 15m\)$`, n)},
			{"drained", fmt.Sprintf(`^%s: drained after %s; running upgrade_command$`, n, d)},
			{"command_done", fmt.Sprintf(`^%s: upgrade_command finished in %s; waiting until it is ready on %s \(ready_timeout 20m\)$`, n, d, regexp.QuoteMeta(target))},
			{"ready", fmt.Sprintf(`^%s: ready on %s after %s; running after_node_command$`, n, regexp.QuoteMeta(toVersion), d)},
			{"after_command_done", fmt.Sprintf(`^%s: after_node_command finished in %s$`, n, d)},
			{"node_upgraded", fmt.Sprintf(`^%s: upgraded from %s to %s in %s`, n, regexp.QuoteMeta(fromVersion), regexp.QuoteMeta(toVersion), d)},
		}
		got := perNode[n]
		var events []string
		for _, l := range got {
			events = append(events, l.event)
		}
		if len(got) != len(want) {
			t.Errorf("%s: INFO milestones %v, want one of each of %d", n, events, len(want))
			continue
		}
		for k, w := range want {
			if got[k].event != w.event || !regexp.MustCompile(w.message).MatchString(got[k].message) {
				t.Errorf("%s: milestone %d is %s %q, want %s matching %s", n, k, got[k].event, got[k].message, w.event, w.message)
			}
		}
		// The end of each command's output, at INFO, secrets redacted.
		for command, want := range map[string][]string{
			"before_node_command": {n + " out of the load balancer"},
			"upgrade_command":     {"downloading fix with token (sensitive)", "installing " + target + " on " + n},
			"after_node_command":  {n + " back in the load balancer"},
		} {
			if got := output[n+" "+command]; len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
				t.Errorf("%s: %s output lines %q, want them to start with %q", n, command, got, want)
			}
		}
	}
	if b, _ := os.ReadFile(logPath); strings.Contains(string(b), secret) {
		t.Errorf("the log holds the secret")
	}
	// The order across nodes: gw-2 starts after gw-1 is upgraded.
	idx := func(node, event string) int {
		return slices.IndexFunc(lines, func(l providerLogLine) bool { return l.node == node && l.event == event })
	}
	if idx("gw-2", "node_started") < idx("gw-1", "node_upgraded") || idx("gw-3", "node_started") < idx("gw-2", "node_upgraded") {
		t.Errorf("nodes overlap in the log")
	}
}

// TestAccRollingUpgrade_notifyCommand: notify_command gets every milestone
// with its variables, in order. It fails at one milestone and hangs past
// its 30-second bound at another: the apply still succeeds, ends with a
// warning naming both, and the next node started without waiting for the
// hanging notification.
func TestAccRollingUpgrade_notifyCommand(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	w := newTFWorkdir(t)
	record := filepath.Join(t.TempDir(), "notified")
	notify := fmt.Sprintf(`echo "$APIGW_EVENT|$APIGW_NODE_NAME|$APIGW_NODE_URL|$APIGW_TARGET_VERSION|$APIGW_NODE_COUNT|$CHANNEL|$APIGW_EVENT_MESSAGE" >> %q; `+
		`if [ "$APIGW_EVENT" = drained ] && [ "$APIGW_NODE_NAME" = gw-1 ]; then echo "chat service unavailable" >&2; exit 3; fi; `+
		`if [ "$APIGW_EVENT" = node_upgraded ] && [ "$APIGW_NODE_NAME" = gw-2 ]; then exec sleep 300; fi`, record)
	w.setConfig(u.config(target, fmt.Sprintf(`
  notify_command = %s
  command_env    = { CHANNEL = "#upgrades" }
`, hclList([]string{"sh", "-c", notify}))))
	start := time.Now()
	out := w.mustRun(applyArgs...)
	took := time.Since(start)

	for _, want := range []string{"Warning: notify_command failed", "drained of gw-1: command \"notify\" (sh) exited with status 3: chat service unavailable",
		"node_upgraded of gw-2: command \"notify\" (sh) timed out after 30s"} {
		if !wrapped(regexp.QuoteMeta(want)).MatchString(out) {
			t.Errorf("the apply's output lacks %q:\n%s", want, out)
		}
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, record)), "\n") {
		f := strings.SplitN(line, "|", 7)
		if len(f) != 7 {
			t.Fatalf("notify record %q", line)
		}
		event, node, url, tv, count, channel, msg := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
		got = append(got, strings.TrimSpace(event+" "+node))
		if tv != target || count != "3" || channel != "#upgrades" {
			t.Errorf("%s %s: target %q, count %q, command_env %q", event, node, tv, count, channel)
		}
		switch {
		case event == "rollout_finished":
			if node != "" || url != "" || !strings.HasPrefix(msg, "rolling upgrade to "+target+" finished in ") {
				t.Errorf("rollout_finished: node %q, url %q, message %q", node, url, msg)
			}
		case url != u.cluster.Node(node).URL() || !strings.HasPrefix(msg, node+": "):
			t.Errorf("%s %s: url %q, message %q", event, node, url, msg)
		}
	}
	var want []string
	for _, n := range []string{"gw-1", "gw-2", "gw-3"} {
		want = append(want, "node_started "+n, "drained "+n, "node_upgraded "+n)
	}
	want = append(want, "rollout_finished")
	if !slices.Equal(got, want) {
		t.Errorf("notified %v, want %v", got, want)
	}

	// gw-3 started while gw-2's notification hung, not 30 s later.
	if gap := startGap(t, w, "gw-2", "gw-3"); gap > 10*time.Second {
		t.Errorf("gw-3 started %s after gw-2 finished: the hanging notify_command held up the rollout", gap)
	}
	// The apply waited for the hanging notification at most its bound
	// (plus the kill grace) after the rollout.
	if took > 2*time.Minute {
		t.Errorf("the apply took %s", took)
	}
}

// startGap reads last_rollout from the state: the time from a's finish to
// b's start (RFC 3339 timestamps, to the second).
func startGap(t *testing.T, w *tfWorkdir, a, b string) time.Duration {
	t.Helper()
	var finished, started time.Time
	entries, _ := upgradeState(t, w)["last_rollout"].([]any)
	for _, e := range entries {
		m, _ := e.(map[string]any)
		at := func(key string) time.Time {
			s, _ := m[key].(string)
			ts, _ := time.Parse(time.RFC3339, s)
			return ts
		}
		switch m["node"] {
		case a:
			finished = at("finished_at")
		case b:
			started = at("started_at")
		}
	}
	if finished.IsZero() || started.IsZero() {
		t.Fatalf("last_rollout lacks %s's finish or %s's start", a, b)
	}
	return started.Sub(finished)
}
