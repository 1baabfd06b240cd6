package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/internal/gwsim"
)

// Hardening matrix, crashes: terraform apply killed (SIGKILL) or
// interrupted (SIGINT) in the middle of a node's upgrade. In-process
// providers outlive the CLI, so these tests build the provider binary and
// drive the Terraform CLI themselves, with the binary installed through a
// dev_overrides CLI configuration: the provider then runs as the CLI's
// child process and dies with it.

var (
	providerBinOnce sync.Once
	providerBinDir  string
	providerBinErr  error
)

// providerBinary builds the provider once per test run and returns the
// directory holding terraform-provider-apigw.
func providerBinary(t *testing.T) string {
	t.Helper()
	providerBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "apigw-provider-bin-")
		if err != nil {
			providerBinErr = err
			return
		}
		providerBinDir = dir
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "terraform-provider-apigw"), "../..").CombinedOutput()
		if err != nil {
			providerBinErr = fmt.Errorf("go build the provider: %v\n%s", err, out)
		}
	})
	if providerBinErr != nil {
		t.Fatal(providerBinErr)
	}
	return providerBinDir
}

// writeDevOverrides writes a CLI configuration that installs the provider
// in dir through dev_overrides.
func writeDevOverrides(t *testing.T, path, dir string) {
	t.Helper()
	writeFile(t, path, fmt.Sprintf(`provider_installation {
  dev_overrides {
    "gwops/apigw" = %q
  }
  direct {}
}
`, dir))
}

// tfWorkdir is a Terraform working directory driven through the real CLI
// with the provider binary installed by dev_overrides.
type tfWorkdir struct {
	t   *testing.T
	dir string
	env []string
}

// newTFWorkdir prepares a working directory and the CLI configuration.
// extraEnv ("K=V") is added to the environment of every terraform run, and
// so of the provider it starts.
func newTFWorkdir(t *testing.T, extraEnv ...string) *tfWorkdir {
	t.Helper()
	testAccPreCheck(t)
	bin := providerBinary(t)
	dir := t.TempDir()
	cliConfig := filepath.Join(dir, "cli.tfrc")
	writeDevOverrides(t, cliConfig, bin)
	var env []string
	for _, kv := range os.Environ() {
		// The test process's own Terraform and provider settings stay out.
		if strings.HasPrefix(kv, "TF_") || strings.HasPrefix(kv, "APIGW_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	env = append(env, extraEnv...)
	return &tfWorkdir{t: t, dir: dir, env: env}
}

// terraformPath is the CLI the acceptance tests run.
func terraformPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if p == "" {
		p = "terraform"
	}
	return p
}

// setConfig writes main.tf: the required_providers block for the
// dev_overrides address, then config.
func (w *tfWorkdir) setConfig(config string) {
	w.t.Helper()
	writeFile(w.t, filepath.Join(w.dir, "main.tf"), `terraform {
  required_providers {
    apigw = { source = "gwops/apigw" }
  }
}
`+config)
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
	cmd := exec.CommandContext(ctx, terraformPath(w.t), args...)
	cmd.Dir = w.dir
	cmd.Env = w.env
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

// processesRunning lists the PIDs whose executable is exe. /proc shows the
// resolved path, so exe is resolved too (TMPDIR may be a symlink).
func processesRunning(exe string) []int {
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if target, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && target == exe {
			pids = append(pids, pid)
		}
	}
	return pids
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

// checkResumed checks the end state after a resumed apply: every node on
// target, gw-2 (the node the stop left behind) quiesced only once and ready
// again before gw-3 was touched.
func checkResumed(t *testing.T, c *gwsim.Cluster) {
	t.Helper()
	for name, v := range nodeVersions(c) {
		if v != toVersion {
			t.Errorf("%s reports %s after the resumed apply, want %s", name, v, toVersion)
		}
	}
	if q := countEvents(c, gwsim.EventQuiesceRequested); q["gw-1"] != 1 || q["gw-2"] != 1 || q["gw-3"] != 1 {
		t.Errorf("quiesce requests %v: want exactly one per node (gw-2's interrupted upgrade finished, not started again)", q)
	}
	ev := c.Events()
	restarted := eventIndex(ev, eventIndex(ev, 0, "gw-2", gwsim.EventQuiesceRequested), "gw-2", gwsim.EventStarted)
	ready := eventIndex(ev, restarted, "gw-2", gwsim.EventReady)
	next := eventIndex(ev, 0, "gw-3", gwsim.EventQuiesceRequested)
	if restarted < 0 || ready < 0 || next < ready {
		t.Errorf("gw-2 restarted at event %d, ready at %d; gw-3 quiesced at %d: gw-2 must be finished first", restarted, ready, next)
	}
	if m := c.MaxOutOfService(); m != 1 {
		t.Errorf("max nodes out of service = %d, want 1", m)
	}
}

// stopTest is the common part of the SIGKILL and SIGINT cases: apply at the
// current version (quiesce ports, state), then start the upgrade and stop
// it as soon as gw-2's quiesce was requested, while gw-2 drains. gw-2's
// drain does not end until resumeAfterStop: the plan after the stop sees it
// still quiescing. The configuration has on_interrupt = "rollback", which
// stops a node in flight (with "finish_node" gw-2 would wait out its
// drain_timeout).
func stopTest(t *testing.T, stop func(*tfProc)) (*upgradeTest, *tfWorkdir, string, int) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3, DrainTime: 300 * time.Millisecond})
	w := newTFWorkdir(t)
	w.setConfig(u.config("10.15.0.5", `on_interrupt = "rollback"`))
	w.mustRun(applyArgs...)
	w.setConfig(u.config(target, `on_interrupt = "rollback"`))
	u.cluster.Node("gw-2").SetFaults(gwsim.Faults{DrainNeverEnds: true})
	p := w.start(applyArgs...)
	awaitEvent(t, u.cluster, "gw-2", gwsim.EventQuiesceRequested, p)
	stop(p)
	out, code := p.wait()
	if v := nodeVersions(u.cluster); v["gw-1"] != toVersion || v["gw-2"] != fromVersion || v["gw-3"] != fromVersion {
		t.Fatalf("after the stop: versions %v, want gw-1 upgraded and gw-2, gw-3 not", v)
	}
	return u, w, out, code
}

// resumeAfterStop plans while gw-2 is still quiescing (planAfterStop), lets
// gw-2's drain end, and applies the saved plan. Terraform plans again during
// apply and gw-2 now answers nothing on its primary port: the provider's
// second plan must agree with the first.
func resumeAfterStop(t *testing.T, u *upgradeTest, w *tfWorkdir) {
	t.Helper()
	gw2 := u.cluster.Node("gw-2")
	if st := gw2.State(); st != gwsim.StateQuiescing {
		t.Fatalf("gw-2 is %s after the stop, want %s", st, gwsim.StateQuiescing)
	}
	planAfterStop(t, w)
	gw2.SetFaults(gwsim.Faults{})
	deadline := time.Now().Add(time.Minute)
	for gw2.State() != gwsim.StateQuiesced {
		if time.Now().After(deadline) {
			t.Fatalf("gw-2 did not finish quiescing: %s", gw2.State())
		}
		time.Sleep(10 * time.Millisecond)
	}
	out := w.mustRun("apply", "-input=false", "-no-color", "resume.plan")
	if !strings.Contains(out, "Apply complete!") {
		t.Fatalf("resumed apply:\n%s", out)
	}
	checkResumed(t, u.cluster)
	if out, code := w.run("plan", "-input=false", "-no-color", "-detailed-exitcode"); code != 0 {
		t.Fatalf("plan after the resumed apply: exit %d, want 0 (no changes)\n%s", code, out)
	}
}

// planAfterStop checks what the next plan shows: an update of the upgrade
// (exit code 2) from the old target, with gw-2 and gw-3 pending.
func planAfterStop(t *testing.T, w *tfWorkdir) {
	t.Helper()
	out, code := w.run("plan", "-input=false", "-no-color", "-detailed-exitcode", "-out=resume.plan")
	if code != 2 {
		t.Fatalf("terraform plan -detailed-exitcode after the stop: exit %d, want 2 (changes)\n%s", code, out)
	}
	for _, re := range []string{
		`apigw_rolling_upgrade\.u will be updated in-place`,
		`target_version\s+= "10\.15\.0\.5" -> "10\.15\.0\.7"`,
		// pending_nodes is checked in the JSON plan below: after Ctrl-C the
		// refreshed state already lists gw-2 and gw-3, so the text shows no diff.
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("the plan after the stop does not show %s:\n%s", re, out)
		}
	}
	plan, _ := w.showPlan("resume.plan")
	actions, before, after := upgradeChange(t, plan)
	if fmt.Sprint(actions) != "[update]" || before["target_version"] != "10.15.0.5" || fmt.Sprint(after["pending_nodes"]) != "[gw-2 gw-3]" {
		t.Errorf("planned %v from target %v with pending_nodes %v; want an update from 10.15.0.5 with [gw-2 gw-3] pending", actions, before["target_version"], after["pending_nodes"])
	}
}

// TestAccHardening_sigkill: terraform apply and its provider are killed
// with SIGKILL while gw-2 drains. Terraform's state is the one from before
// that apply (state is written when an apply ends), and that is enough:
// the next plan reads the nodes live and shows gw-2 and gw-3 pending, and
// the next apply finishes gw-2 first without quiescing it again.
func TestAccHardening_sigkill(t *testing.T) {
	exe := filepath.Join(providerBinary(t), "terraform-provider-apigw")
	u, w, out, code := stopTest(t, func(p *tfProc) {
		// Without a provider process to outlive terraform, the check below
		// could not fail.
		if len(processesRunning(exe)) == 0 {
			t.Fatalf("no %s process is running mid-apply", exe)
		}
		if err := killTree(p.cmd.Process.Pid); err != nil {
			t.Fatalf("kill the process group: %v", err)
		}
	})
	if code == 0 {
		t.Fatalf("terraform exited 0 after SIGKILL:\n%s", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(processesRunning(exe)) > 0 {
		if time.Now().After(deadline) {
			for _, pid := range processesRunning(exe) {
				if p, err := os.FindProcess(pid); err == nil {
					_ = p.Kill()
				}
			}
			t.Fatalf("the provider outlived the killed terraform (pids %v)", processesRunning(exe))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(out, "Apply complete!") {
		t.Fatalf("the killed apply completed:\n%s", out)
	}
	resumeAfterStop(t, u, w)
}

// TestAccHardening_sigint: Ctrl-C (SIGINT to the terraform process only)
// while gw-2 drains. Terraform asks the provider to stop; the apply fails
// with an error that names gw-2, the step it stopped in, where gw-2 was
// left and what to do, and saves state that shows it; the next apply
// finishes gw-2 first.
func TestAccHardening_sigint(t *testing.T) {
	u, w, out, code := stopTest(t, func(p *tfProc) {
		if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatalf("interrupt terraform: %v", err)
		}
	})
	if code != 1 {
		t.Fatalf("interrupted apply: exit %d, want 1\n%s", code, out)
	}
	for _, re := range []string{
		`Interrupt received`,
		`Error: Rolling upgrade stopped`,
		`node "gw-2": drain failed: interrupted`,
		`The node may be quiescing`,
		`re-run terraform apply, which finishes this node first`,
		`gw-1: upgraded`,
		`gw-2: failed`,
		`gw-3: not started`,
	} {
		if !wrapped(re).MatchString(out) {
			t.Errorf("the interrupted apply's output does not show %q:\n%s", re, out)
		}
	}
	// The interrupted apply saved state: old target, and the outcomes.
	if values := upgradeState(t, w); values["target_version"] != "10.15.0.5" || rolloutOutcomes(values) != "gw-1=upgraded,gw-2=failed" {
		t.Errorf("state after Ctrl-C: target_version %v, last_rollout %s; want 10.15.0.5 and gw-1=upgraded,gw-2=failed", values["target_version"], rolloutOutcomes(values))
	}
	resumeAfterStop(t, u, w)
}
