//go:build unix

// These tests run their commands with sh; the process-tree tests, which
// need no shell, are in exec_runner_tree_test.go and run on Windows too.

package rollout

import (
	"errors"
	"strings"
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
