package rollout

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestProgressLines: every milestone reads as one line that says the node,
// what happened, how long it took and what comes next, and a command's
// milestone carries the end of its output.
func TestProgressLines(t *testing.T) {
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.BeforeNodeCommand = []string{"/opt/lb.sh", "drain"}
		h.cfg.AfterNodeCommand = []string{"/opt/lb.sh", "ready"}
		h.cfg.SoakDuration = 30 * time.Second
		var out []string
		for i := range 15 {
			out = append(out, "unpacking part "+string(rune('a'+i)))
		}
		h.r.out["upgrade/gw-1"] = strings.Join(out, "\n") + "\n"
		h.runOK("gw-1:upgraded gw-2:upgraded")
		// Step times depend on the poll schedule: "after 1m1s" reads "after D".
		elapsed := regexp.MustCompile(`\b(after|in) [0-9.hms]+\b`)
		var lines []string
		for _, e := range h.ev.all() {
			if e.Node == "gw-1" || e.Node == "" {
				lines = append(lines, elapsed.ReplaceAllString(e.String(), "$1 D"))
			}
		}
		want := []string{
			"rolling upgrade to 10.15.0.7: 2 of 2 nodes to upgrade, 1 at a time; next: gw-1",
			"gw-1: upgrading from 10.15.0.6.1100 to 10.15.0.7 (node 1 of 2); running before_node_command",
			"gw-1: before_node_command finished in D; requesting quiesce mode for all",
			"gw-1: quiesce mode for all requested (flush license_metrics, performance_metrics, subscription_quota); waiting until it has drained (drain_timeout 15m)",
			"gw-1: drained after D; running upgrade_command",
			"gw-1: upgrade_command finished in D; waiting until it is ready on 10.15.0.7 (ready_timeout 20m)",
			"gw-1: ready on 10.15.0.7.1234 after D; watching its health for soak_duration 30s",
			"gw-1: healthy for soak_duration 30s; running after_node_command",
			"gw-1: after_node_command finished in D",
			"gw-1: upgraded from 10.15.0.6.1100 to 10.15.0.7.1234 in D; next: gw-2",
			"rolling upgrade to 10.15.0.7 finished in D: 2 upgraded, 0 already on target",
		}
		if !slices.Equal(lines, want) {
			t.Errorf("progress lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
		if done, want := h.ev.last("gw-1", EventCommandDone), strings.Join(out[5:], "\n"); done.Output != want || done.Command != "upgrade_command" {
			t.Errorf("command_done of %s, output %q, want the last %d lines %q", done.Command, done.Output, OutputLines, want)
		}
	})
}

// TestProgressOfAStagedApply: with max_nodes_per_apply the first and last
// lines say how much of the work this apply does.
func TestProgressOfAStagedApply(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.MaxNodesPerApply = 1
		h.runOK("gw-1:upgraded")
		var lines []string
		for _, e := range h.ev.all() {
			if e.Node == "" {
				lines = append(lines, e.String())
			}
		}
		if len(lines) != 2 || lines[0] != "rolling upgrade to 10.15.0.7: 3 of 3 nodes to upgrade, 1 in this apply (max_nodes_per_apply), 1 at a time; next: gw-1" ||
			!strings.HasSuffix(lines[1], "1 upgraded, 0 already on target; 2 left for the next apply by max_nodes_per_apply (gw-2, gw-3)") {
			t.Errorf("rollout lines:\n%s", strings.Join(lines, "\n"))
		}
	})
}

func TestReadable(t *testing.T) {
	for d, want := range map[time.Duration]string{
		850123 * time.Microsecond:                  "850ms",
		38240 * time.Millisecond:                   "38.2s",
		3*time.Minute + 12400*time.Millisecond:     "3m12s",
		time.Hour + 4*time.Minute + 10*time.Second: "1h4m",
		2 * time.Hour:                              "2h",
	} {
		if got := readable(d); got != want {
			t.Errorf("readable(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestLastLines(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"", 2, ""},
		{"\n \n", 2, ""},
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb\nc\n", 1, "c"},
		{"a\nb\nc\n", 3, "a\nb\nc"},
		{"only\n", 2, "only"},
	} {
		if got := lastLines(c.in, c.n); got != c.want {
			t.Errorf("lastLines(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
