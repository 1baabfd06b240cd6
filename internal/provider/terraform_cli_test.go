package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
)

// The Terraform CLI with the provider as its own process. In-process
// providers (terraform-plugin-testing's factories) outlive the CLI and
// share one process between commands, so the tests that kill or interrupt
// terraform, read its logs, or run the example scripts as a user would,
// drive the CLI themselves through dev/tfharness: the provider binary
// is installed by dev_overrides and runs as the CLI's child process.

// tfWorkdir is a Terraform working directory driven through the real CLI
// with the provider binary installed by dev_overrides.
type tfWorkdir struct {
	*tfharness.Workdir
	t *testing.T
}

// newTFWorkdir prepares a working directory and the CLI configuration.
// extraEnv ("K=V") is added to the environment of every terraform run, and
// so of the provider it starts.
func newTFWorkdir(t *testing.T, extraEnv ...string) *tfWorkdir {
	t.Helper()
	testAccPreCheck(t)
	w, err := tfharness.NewWorkdir(terraformPath(), t.TempDir(), tfharness.MustProviderDir(t), extraEnv...)
	if err != nil {
		t.Fatal(err)
	}
	return &tfWorkdir{Workdir: w, t: t}
}

// terraformPath is the CLI the acceptance tests run.
func terraformPath() string {
	if p := tfharness.FindTerraform(""); p != "" {
		return p
	}
	return "terraform"
}

// setConfig writes main.tf: the required_providers block for the
// dev_overrides address, then config.
func (w *tfWorkdir) setConfig(config string) {
	w.t.Helper()
	if err := w.WriteConfig(config); err != nil {
		w.t.Fatal(err)
	}
}

// tfProc is one running terraform command in its own process group.
type tfProc struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error
}

// lockedBuffer collects a command's output while tests read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs terraform args in its own process group, so that the CLI and
// the provider it starts can be killed together. Every run is bounded.
func (w *tfWorkdir) start(args ...string) *tfProc {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	cmd := w.Command(ctx, args...)
	ownProcessGroup(cmd)
	cmd.Cancel = func() error { return killTree(cmd.Process.Pid) }
	p := &tfProc{cmd: cmd, out: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		cancel()
		w.t.Fatalf("start terraform %v: %v", args, err)
	}
	go func() {
		p.err = cmd.Wait()
		cancel()
		close(p.done)
	}()
	w.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = killTree(cmd.Process.Pid)
			<-p.done
		}
	})
	return p
}

// wait returns the command's output and exit code.
func (p *tfProc) wait() (string, int) {
	<-p.done
	code := 0
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		code = ee.ExitCode()
	} else if p.err != nil {
		code = -1
	}
	return p.out.String(), code
}

// run runs terraform args to the end and returns its output and exit code.
func (w *tfWorkdir) run(args ...string) (string, int) {
	w.t.Helper()
	return w.start(args...).wait()
}

// mustRun runs terraform args and fails the test unless it exits 0.
func (w *tfWorkdir) mustRun(args ...string) string {
	w.t.Helper()
	out, code := w.run(args...)
	if code != 0 {
		w.t.Fatalf("terraform %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

var applyArgs = []string{"apply", "-input=false", "-no-color", "-auto-approve"}

// awaitEvent waits until the simulator records kind on node, or the
// command ends first (a test failure: it was meant to be stopped there).
func awaitEvent(t *testing.T, c *gwsim.Cluster, node, kind string, p *tfProc) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for firstEvent(c, node, kind).IsZero() {
		select {
		case <-p.done:
			out, code := p.wait()
			t.Fatalf("terraform ended (exit %d) before %s's %s:\n%s", code, node, kind, out)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s on %s within 3 minutes", kind, node)
		}
	}
}

// planJSON is the part of `terraform show -json <plan>` these tests read.
type planJSON struct {
	ResourceChanges []struct {
		Address string `json:"address"`
		Change  struct {
			Actions []string       `json:"actions"`
			Before  map[string]any `json:"before"`
			After   map[string]any `json:"after"`
		} `json:"change"`
	} `json:"resource_changes"`
}

func (w *tfWorkdir) showPlan(planFile string) (planJSON, string) {
	w.t.Helper()
	out := w.mustRun("show", "-json", "-no-color", planFile)
	var p planJSON
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		w.t.Fatalf("terraform show -json: %v\n%s", err, out)
	}
	return p, out
}

// upgradeChange returns the planned change of apigw_rolling_upgrade.u.
func upgradeChange(t *testing.T, p planJSON) (actions []string, before, after map[string]any) {
	t.Helper()
	for _, rc := range p.ResourceChanges {
		if rc.Address == upgradeAddr {
			return rc.Change.Actions, rc.Change.Before, rc.Change.After
		}
	}
	t.Fatalf("%s is not in the plan", upgradeAddr)
	return nil, nil, nil
}
