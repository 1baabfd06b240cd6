package rollout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The process-tree tests run this test binary itself as the command and as
// the command's child, so they need no shell and run on Windows as well
// (there the tree is a Job Object, on Unix a process group).

// helperEnv selects a helper mode instead of the tests.
const helperEnv = "ROLLOUT_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// runHelper is the helper process:
//   - "parent PIDFILE wait|exit": start a "child", write its pid to PIDFILE,
//     print "started", then wait for the child or exit 0 at once;
//   - "child": ignore SIGTERM and sleep 30s, holding the inherited output;
//   - "env NAME CODE": print NAME's value and exit with CODE.
func runHelper(mode string, args []string) int {
	switch mode {
	case "parent":
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		child := exec.Command(exe)
		child.Env = append(os.Environ(), helperEnv+"=child")
		child.Stdout, child.Stderr = os.Stdout, os.Stderr
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		// Written whole, then renamed: the test never reads half a pid.
		tmp := args[0] + ".tmp"
		if err := os.WriteFile(tmp, []byte(strconv.Itoa(child.Process.Pid)), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		if err := os.Rename(tmp, args[0]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Println("started")
		if args[1] == "wait" {
			_ = child.Wait()
		}
		return 0
	case "child":
		signal.Ignore(syscall.SIGTERM)
		time.Sleep(30 * time.Second)
		return 0
	case "env":
		fmt.Println(os.Getenv(args[0]))
		code, _ := strconv.Atoi(args[1])
		return code
	}
	fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
	return 2
}

// helper is a command that runs this test binary in a helper mode.
func helper(t *testing.T, mode string, args ...string) Command {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Command{Step: "upgrade", Argv: append([]string{exe}, args...), Env: []string{helperEnv + "=" + mode}, Timeout: 30 * time.Second}
}

// pidDir is a directory for pid files. It is t.TempDir, except that failing
// to remove it afterwards is only logged: Wine, which runs the Windows build
// of these tests, cannot delete files the way Go's os.RemoveAll asks it to.
func pidDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rollout-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Logf("could not remove %s: %v", dir, err)
		}
	})
	return dir
}

// readPid waits up to 10s for the helper parent's pid file.
func readPid(t *testing.T, pidFile string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		raw, err := os.ReadFile(pidFile)
		if err == nil {
			pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
			if err != nil || pid <= 0 {
				t.Fatalf("pid file holds %q", raw)
			}
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command did not start its child: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitGone waits until pid has exited.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if !processAlive(pid) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	killPid(pid)
	t.Errorf("child %d still runs after the command was stopped", pid)
}

// killPid ends a process the test left behind.
func killPid(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
		_ = p.Release()
	}
}

func TestExecRunnerEnvironmentAndExitCode(t *testing.T) {
	c := helper(t, "env", "ROLLOUT_TEST_GIVEN", "3")
	c.Env = append(c.Env, "ROLLOUT_TEST_GIVEN=gw-2 x=y")
	res, err := ExecRunner{}.Run(t.Context(), c)
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 3 || res.ExitCode != 3 {
		t.Fatalf("err %v, res %+v: want exit status 3", err, res)
	}
	if strings.TrimSpace(res.Tail) != "gw-2 x=y" {
		t.Errorf("tail %q", res.Tail)
	}
}

func TestExecRunnerTimeoutStopsTheProcessTree(t *testing.T) {
	pidFile := filepath.Join(pidDir(t), "child.pid")
	c := helper(t, "parent", pidFile, "wait")
	// Long enough for the helper to start its child on a slow machine (or
	// under an emulator). The child ignores SIGTERM: on Unix only the
	// SIGKILL after the grace stops it.
	c.Timeout = 2 * time.Second
	start := time.Now()
	res, err := ExecRunner{KillGrace: 200 * time.Millisecond}.Run(t.Context(), c)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %s", took)
	}
	if !errors.Is(err, ErrCommandTimedOut) || !strings.Contains(err.Error(), "timed out after 2s: started") {
		t.Fatalf("error %v", err)
	}
	if res.ExitCode != -1 {
		t.Errorf("exit code %d", res.ExitCode)
	}
	waitGone(t, readPid(t, pidFile))
}

func TestExecRunnerCancelStopsTheProcessTree(t *testing.T) {
	pidFile := filepath.Join(pidDir(t), "child.pid")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		// Interrupt once the child runs, or after 10s (readPid then fails).
		defer cancel()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if _, err := os.Stat(pidFile); err == nil {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	_, err := ExecRunner{KillGrace: time.Second}.Run(ctx, helper(t, "parent", pidFile, "wait"))
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrCommandTimedOut) || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("error %v", err)
	}
	waitGone(t, readPid(t, pidFile))
}

func TestExecRunnerLeavesWhatASuccessfulCommandStarted(t *testing.T) {
	// A start script that leaves a daemon holding stdout must not hang the
	// rollout, and the daemon must survive (it is the node just started).
	pidFile := filepath.Join(pidDir(t), "daemon.pid")
	start := time.Now()
	res, err := ExecRunner{KillGrace: 300 * time.Millisecond}.Run(t.Context(), helper(t, "parent", pidFile, "exit"))
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("err %v, res %+v", err, res)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %s", took)
	}
	pid := readPid(t, pidFile)
	defer killPid(pid)
	// Give a job or group teardown time to take effect before looking.
	time.Sleep(200 * time.Millisecond)
	if !processAlive(pid) {
		t.Errorf("daemon %d was killed after a successful command", pid)
	}
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
