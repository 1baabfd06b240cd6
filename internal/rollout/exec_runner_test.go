package rollout

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func sh(step, script string) Command {
	return Command{Step: step, Argv: []string{"sh", "-c", script}, Timeout: 10 * time.Second}
}

func TestExecRunnerSuccess(t *testing.T) {
	res, err := ExecRunner{}.Run(t.Context(), sh("upgrade", "echo out; echo err >&2"))
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || res.Tail != "out\nerr\n" || res.Duration <= 0 {
		t.Errorf("result %+v", res)
	}
}

// TestExecRunnerCapturesStdout: with CaptureStdout, stdout comes back on
// its own (stderr noise such as an ssh banner stays out of it), redacted,
// and the tail still holds both.
func TestExecRunnerCapturesStdout(t *testing.T) {
	c := sh("version", `echo "Welcome to gw-1, s3cret" >&2; echo " 10.15.0.7.1234 "`)
	c.CaptureStdout = true
	res, err := ExecRunner{Redact: []string{"s3cret"}}.Run(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stdout != " 10.15.0.7.1234 \n" {
		t.Errorf("stdout %q", res.Stdout)
	}
	if !strings.Contains(res.Tail, "Welcome to gw-1, "+Sensitive) || !strings.Contains(res.Tail, "10.15.0.7.1234") {
		t.Errorf("tail %q", res.Tail)
	}
	if res, _ := (ExecRunner{}).Run(t.Context(), sh("upgrade", "echo out")); res.Stdout != "" {
		t.Errorf("stdout captured without CaptureStdout: %q", res.Stdout)
	}
}

func TestExecRunnerExitCodeAndTail(t *testing.T) {
	res, err := ExecRunner{}.Run(t.Context(), sh("upgrade", "echo applying fix; echo disk full >&2; exit 3"))
	if res.ExitCode != 3 {
		t.Errorf("exit code %d", res.ExitCode)
	}
	want := `command "upgrade" (sh) exited with status 3: applying fix` + "\ndisk full"
	if err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 3 {
		t.Errorf("not a *CommandError with the exit code: %#v", err)
	}
}

func TestExecRunnerKeepsOnlyTheTail(t *testing.T) {
	res, err := ExecRunner{TailBytes: 100}.Run(t.Context(), sh("upgrade", `i=0; while [ $i -lt 500 ]; do echo "line $i"; i=$((i+1)); done; exit 1`))
	if err == nil {
		t.Fatal("want an error")
	}
	if len(res.Tail) > 100 || !strings.HasSuffix(res.Tail, "line 499\n") {
		t.Errorf("tail (%d bytes) %q", len(res.Tail), res.Tail)
	}
	if strings.Contains(err.Error(), "line 0\n") {
		t.Error("error holds the head of the output")
	}
}

func TestExecRunnerEnvironment(t *testing.T) {
	t.Setenv("ROLLOUT_TEST_INHERITED", "from-provider")
	c := sh("upgrade", `echo "$APIGW_NODE_NAME $ROLLOUT_TEST_INHERITED $EXTRA"`)
	c.Env = []string{"APIGW_NODE_NAME=gw-2", "EXTRA=x=y"}
	res, err := ExecRunner{}.Run(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Tail != "gw-2 from-provider x=y\n" {
		t.Errorf("tail %q", res.Tail)
	}
}

func TestExecRunnerUnsetsInheritedVariables(t *testing.T) {
	t.Setenv("ROLLOUT_TEST_SECRET", "provider-only")
	t.Setenv("ROLLOUT_TEST_KEPT", "kept")
	c := sh("upgrade", `echo "[$ROLLOUT_TEST_SECRET] [$ROLLOUT_TEST_KEPT]"`)
	runner := ExecRunner{Unset: []string{"ROLLOUT_TEST_SECRET"}}
	res, err := runner.Run(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Tail != "[] [kept]\n" {
		t.Errorf("tail %q: want the unset variable gone and the others inherited", res.Tail)
	}
	// Given explicitly (command_env), the command sees it.
	c.Env = []string{"ROLLOUT_TEST_SECRET=given"}
	if res, err = runner.Run(t.Context(), c); err != nil || res.Tail != "[given] [kept]\n" {
		t.Errorf("with Env: tail %q, err %v", res.Tail, err)
	}
}

func TestExecRunnerRedactsSecrets(t *testing.T) {
	const secret = "hunter2-very-secret"
	c := sh("upgrade", `echo "logging in with $TOKEN"; exit 1`)
	c.Env = []string{"TOKEN=" + secret}
	res, err := ExecRunner{Redact: []string{secret}}.Run(t.Context(), c)
	if strings.Contains(res.Tail, secret) || strings.Contains(err.Error(), secret) {
		t.Fatalf("secret shown: tail %q, error %q", res.Tail, err)
	}
	if !strings.Contains(err.Error(), "logging in with (sensitive)") {
		t.Errorf("error %q", err)
	}
}

func TestExecRunnerRedactsSecretCutByTheTail(t *testing.T) {
	const secret = "0123456789abcdef"
	// The secret starts 8 bytes before the tail window: its end must not show.
	c := sh("upgrade", `printf '%s' "xx$S"; printf 'zzzzzzzz'; exit 1`)
	c.Env = []string{"S=" + secret}
	res, _ := ExecRunner{TailBytes: 16, Redact: []string{secret}}.Run(t.Context(), c)
	if strings.Contains(res.Tail, "89abcdef") {
		t.Errorf("tail %q shows part of the secret", res.Tail)
	}
}

func TestExecRunnerTimeoutKillsTheProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	// The child ignores SIGTERM, so only the SIGKILL after the grace stops it.
	c := sh("upgrade", `(trap '' TERM; sleep 30) & echo $! > `+pidFile+`; echo started; wait`)
	c.Timeout = 300 * time.Millisecond
	start := time.Now()
	res, err := ExecRunner{KillGrace: 200 * time.Millisecond}.Run(t.Context(), c)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s", took)
	}
	if !errors.Is(err, ErrCommandTimedOut) || !strings.Contains(err.Error(), `command "upgrade" (sh) timed out after 300ms: started`) {
		t.Fatalf("error %v", err)
	}
	if res.ExitCode != -1 {
		t.Errorf("exit code %d", res.ExitCode)
	}
	raw, rerr := os.ReadFile(pidFile)
	if rerr != nil {
		t.Fatal(rerr)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	waitGone(t, pid)
}

func TestExecRunnerCancelKillsTheProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	c := sh("upgrade", `sleep 30 & echo $! > `+pidFile+`; wait`)
	_, err := ExecRunner{KillGrace: time.Second}.Run(ctx, c)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrCommandTimedOut) || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("error %v", err)
	}
	raw, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	waitGone(t, pid)
}

// waitGone waits until pid has exited (a zombie waiting for its reaper counts).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	if pid <= 0 {
		t.Fatal("no child pid")
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			if f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:])); len(f) > 0 && f[0] == "Z" {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	t.Errorf("child %d still runs after the command was stopped", pid)
}

func TestExecRunnerDoesNotWaitForeverOnBackgroundChild(t *testing.T) {
	// A start script that leaves a daemon holding stdout must not hang the
	// rollout, and the daemon must survive (it is the node just started).
	pidFile := filepath.Join(t.TempDir(), "daemon.pid")
	c := sh("upgrade", `sleep 5 & echo $! > `+pidFile+`; echo started`)
	start := time.Now()
	res, err := ExecRunner{KillGrace: 300 * time.Millisecond}.Run(t.Context(), c)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("err %v, res %+v", err, res)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %s", took)
	}
	raw, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err := syscall.Kill(pid, 0); err != nil {
		t.Errorf("daemon %d was killed after a successful command: %v", pid, err)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

func TestExecRunnerMissingProgram(t *testing.T) {
	res, err := ExecRunner{}.Run(t.Context(), Command{Step: "upgrade", Argv: []string{"/nonexistent/upgrade.sh"}})
	if err == nil || !strings.Contains(err.Error(), `command "upgrade" (/nonexistent/upgrade.sh) could not run`) || res.ExitCode != -1 {
		t.Fatalf("err %v, res %+v", err, res)
	}
	if _, err := (ExecRunner{}).Run(t.Context(), Command{Step: "upgrade"}); err == nil {
		t.Error("empty argv accepted")
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Minute: "30m", 2 * time.Hour: "2h", 90 * time.Minute: "1h30m",
		90 * time.Second: "1m30s", 300 * time.Millisecond: "300ms", 0: "0s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
