package rollout

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// runnerFunc is a Runner made of a function.
type runnerFunc func(ctx context.Context, c Command) (CommandResult, error)

func (f runnerFunc) Run(ctx context.Context, c Command) (CommandResult, error) { return f(ctx, c) }

// TestVersionCommandRollsHiddenFixCluster: serverinfo's version does not
// show the fix level, version_command does. Every version the engine needs
// (survey, ready waits) comes from the command, run per node with the
// node's variables and command_env, bounded, stdout alone; the rollout
// reaches the target and reports the command's versions.
func TestVersionCommandRollsHiddenFixCluster(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.c.hideFix = true
		h.cfg.VersionCommand = []string{"/opt/version.sh", "--installed"}
		h.cfg.CommandEnv = map[string]string{"SSH_USER": "sag"}
		rep, _ := h.runOK("gw-1:upgraded gw-2:upgraded gw-3:upgraded")
		for _, r := range rep.Results {
			if r.FromVersion != oldV || r.ToVersion != newV || rep.Versions[r.Node] != newV {
				t.Errorf("%+v, versions %v", r, rep.Versions)
			}
		}
		perNode := map[string]int{}
		for _, c := range h.r.commands() {
			if c.Step != "version" {
				continue
			}
			name := envOf(c, "APIGW_NODE_NAME")
			perNode[name]++
			if !slices.Equal(c.Argv, h.cfg.VersionCommand) || !c.CaptureStdout || c.Timeout != VersionCommandTimeout ||
				envOf(c, "SSH_USER") != "sag" || envOf(c, "APIGW_TARGET_VERSION") != target || envOf(c, "APIGW_NODE_URL") != h.c.node(name).URL {
				t.Errorf("version command %+v", c)
			}
		}
		// The survey, and at least the ready streak of each node.
		for _, n := range []string{"gw-1", "gw-2", "gw-3"} {
			if perNode[n] < 1+DefaultReadySuccesses {
				t.Errorf("version_command ran %d times for %s: %v", perNode[n], n, perNode)
			}
		}
	})
}

// TestVersionCommandFailures: every way version_command can fail is an
// error naming the node and version_command; secrets are redacted; a
// healthy node whose command fails is refused at apply start, saying to
// fix version_command, before any node is touched.
func TestVersionCommandFailures(t *testing.T) {
	nodes := []Node{{Name: "gw-1", URL: "http://gw-1:5555", QuiesceURL: "http://gw-1:4444"}}
	cfg := Config{Nodes: nodes, Target: target, VersionCommand: []string{"/opt/version.sh"}, CommandSecretEnv: map[string]string{"TOKEN": "s3cret"}}
	cases := []struct {
		name string
		res  CommandResult
		err  error
		want []string
	}{
		{"exit status", CommandResult{ExitCode: 3, Tail: "ssh: connect to gw-1 refused (s3cret)"}, nil,
			[]string{`command "version" (/opt/version.sh) exited with status 3`, "ssh: connect to gw-1 refused (" + Sensitive + ")"}},
		{"runner error", CommandResult{ExitCode: -1}, &CommandError{Step: "version", Program: "/opt/version.sh", ExitCode: -1, Err: errors.New("no such file")}, []string{"could not run: no such file"}},
		{"empty", CommandResult{Stdout: " \n", Tail: "warning: nothing installed\n"}, nil, []string{"printed nothing on stdout", "e.g. 10.15.0.7"}},
		{"not a version", CommandResult{Stdout: "API Gateway 10.15 Fix 7 s3cret\n"}, nil, []string{`printed "API Gateway 10.15 Fix 7 ` + Sensitive + `"`, "not a dotted numeric version"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gw := WithVersionCommand(newCluster(oldV), runnerFunc(func(context.Context, Command) (CommandResult, error) { return tc.res, tc.err }), cfg)
			v, err := gw.Version(t.Context(), nodes[0].URL)
			if vc := errorAs[*VersionCommandError](t, err); v != "" || vc.Node != "gw-1" {
				t.Fatalf("version %q, error %v", v, err)
			}
			wantError(t, err, append(tc.want, `version_command for node "gw-1"`)...)
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("secret in %q", err)
			}
		})
	}
	if _, err := WithVersionCommand(newCluster(oldV), runnerFunc(nil), cfg).Version(t.Context(), "http://elsewhere:5555"); err == nil {
		t.Error("a URL outside nodes was read")
	}
	if gw := newCluster(oldV); WithVersionCommand(gw, nil, Config{Nodes: nodes}) != Gateway(gw) {
		t.Error("without version_command the gateway is wrapped")
	}

	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.VersionCommand = []string{"/opt/version.sh"}
		h.r.exit["version/gw-2"] = CommandResult{ExitCode: 255, Tail: "ssh: Could not resolve hostname gw-2"}
		_, _, err := h.run(t.Context())
		wantError(t, err, `node "gw-2" answers health 200 but its version could not be read: version_command for node "gw-2"`, "fix version_command")
		for _, c := range h.r.commands() {
			if c.Step != "version" {
				t.Errorf("%s ran for %s", c.Step, envOf(c, "APIGW_NODE_NAME"))
			}
		}
	})
}

// TestVersionCommandKeepsQuiescePortCheck: the wrapper forwards the
// optional QuiescePortReader, so pre-flight still compares quiesce_url
// with the node's setting.
func TestVersionCommandKeepsQuiescePortCheck(t *testing.T) {
	cfg := Config{Nodes: []Node{{Name: "gw-1", URL: "http://gw-1:5555"}}, VersionCommand: []string{"v"}}
	gw := WithVersionCommand(quiescePortGateway{port: 4444}, runnerFunc(nil), cfg)
	qr, ok := gw.(QuiescePortReader)
	if !ok {
		t.Fatal("the wrapper hides QuiescePortReader")
	}
	if st, err := qr.QuiescePort(t.Context(), "http://gw-1:5555"); st != (QuiescePortSetting{Set: true, Port: 4444}) || err != nil {
		t.Errorf("QuiescePort = %+v, %v", st, err)
	}
	reader, ok := WithVersionCommand(newCluster(oldV), runnerFunc(nil), cfg).(QuiescePortReader)
	if !ok {
		t.Fatal("WithVersionCommand hides the QuiescePortReader of the gateway it wraps")
	}
	if _, err := reader.QuiescePort(t.Context(), "x"); err == nil {
		t.Error("a gateway without the setting answered one")
	}
}

type quiescePortGateway struct {
	Gateway
	port int
}

func (g quiescePortGateway) QuiescePort(context.Context, string) (QuiescePortSetting, error) {
	return QuiescePortSetting{Set: true, Port: g.port}, nil
}

// TestVersionCommandConcurrencyIsBounded: however many nodes a survey
// reads at once, at most VersionCommandConcurrency commands run together.
func TestVersionCommandConcurrencyIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		versions := make([]string, 40)
		for i := range versions {
			versions[i] = oldV
		}
		c := newCluster(versions...)
		nodes := c.Nodes()
		var (
			mu            sync.Mutex
			running, peak int
		)
		gw := WithVersionCommand(c, runnerFunc(func(ctx context.Context, _ Command) (CommandResult, error) {
			mu.Lock()
			running++
			peak = max(peak, running)
			mu.Unlock()
			time.Sleep(time.Second)
			mu.Lock()
			running--
			mu.Unlock()
			return CommandResult{Stdout: oldV}, nil
		}), Config{Nodes: nodes, Target: target, VersionCommand: []string{"v"}})
		for _, st := range Survey(t.Context(), gw, nodes) {
			if st.Version != oldV {
				t.Fatalf("%+v", st)
			}
		}
		if peak != VersionCommandConcurrency {
			t.Errorf("peak %d commands at once, want %d", peak, VersionCommandConcurrency)
		}
	})
}
