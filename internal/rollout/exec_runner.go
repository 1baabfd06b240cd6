package rollout

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// DefaultKillGrace is how long a stopped command's process group gets
// between SIGTERM and SIGKILL.
const DefaultKillGrace = 5 * time.Second

// ExecRunner runs commands as real processes. Each command and whatever it
// starts (a shell's children, a docker client, ...) form one process tree
// that a timeout or a cancellation stops as a whole: a process group on
// Unix, a Job Object on Windows (see processTree).
type ExecRunner struct {
	// TailBytes is how much of the end of the output is kept; default 4096.
	TailBytes int
	// Redact lists secret values replaced by "(sensitive)" in Tail and errors.
	Redact []string
	// KillGrace is how long the group gets between SIGTERM and SIGKILL on a
	// timeout or cancellation (Windows has no SIGTERM: the job is ended at
	// once), and how long a command that exited is waited for while
	// something it left running holds its output; default DefaultKillGrace.
	KillGrace time.Duration
	// Unset names variables of the provider's own environment that commands
	// do not inherit; Command.Env may still set them.
	Unset []string
}

// Run implements Runner.
func (r ExecRunner) Run(ctx context.Context, c Command) (CommandResult, error) {
	red := newRedactor(r.Redact)
	program := ""
	if len(c.Argv) > 0 {
		program = red.String(c.Argv[0])
	}
	if program == "" {
		return CommandResult{ExitCode: -1}, &CommandError{Step: c.Step, ExitCode: -1, Err: errors.New("empty command")}
	}
	tailBytes := r.TailBytes
	if tailBytes <= 0 {
		tailBytes = 4096
	}
	grace := r.KillGrace
	if grace <= 0 {
		grace = DefaultKillGrace
	}

	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if c.Timeout > 0 {
		runCtx, cancel = context.WithTimeout(ctx, c.Timeout)
	}
	defer cancel()

	// Keep enough extra bytes that a secret crossing the tail's start is
	// still whole when redacted.
	out := &tailBuffer{max: tailBytes + red.maxLen}
	cmd := exec.CommandContext(runCtx, c.Argv[0], c.Argv[1:]...)
	cmd.Env = append(inherited(r.Unset), c.Env...)
	cmd.Stdout, cmd.Stderr = out, out
	var stdout *tailBuffer
	if c.CaptureStdout {
		stdout = &tailBuffer{max: MaxStdoutBytes + red.maxLen}
		cmd.Stdout = io.MultiWriter(out, stdout)
	}
	tree, err := newProcessTree()
	if err != nil {
		return CommandResult{ExitCode: -1}, &CommandError{Step: c.Step, Program: program, ExitCode: -1, Err: err}
	}
	defer tree.release()
	cmd.SysProcAttr = tree.sysProcAttr()
	cmd.Cancel = func() error { return tree.stop(cmd.Process) }
	// After the timeout: SIGKILL if still alive after the grace. After a
	// normal exit: stop waiting for background children holding the output.
	cmd.WaitDelay = grace

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return CommandResult{ExitCode: -1, Duration: time.Since(start)},
			&CommandError{Step: c.Step, Program: program, ExitCode: -1, Err: red.Error(err)}
	}
	if err := tree.attach(cmd.Process); err != nil {
		tree.kill(cmd.Process)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return CommandResult{ExitCode: -1, Duration: time.Since(start)},
			&CommandError{Step: c.Step, Program: program, ExitCode: -1, Err: err}
	}
	err = cmd.Wait()
	res := CommandResult{ExitCode: -1, Duration: time.Since(start)}
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	res.Tail = lastBytes(red.String(string(out.bytes())), tailBytes)
	if stdout != nil {
		res.Stdout = lastBytes(red.String(string(stdout.bytes())), MaxStdoutBytes)
	}

	succeeded := cmd.ProcessState != nil && cmd.ProcessState.Success()
	if err == nil || (succeeded && errors.Is(err, exec.ErrWaitDelay)) {
		return res, nil
	}
	ce := &CommandError{Step: c.Step, Program: program, ExitCode: res.ExitCode, Tail: res.Tail}
	switch {
	case runCtx.Err() != nil:
		// Whatever ignored SIGTERM, or outlived the group leader, goes now.
		tree.kill(cmd.Process)
		res.ExitCode, ce.ExitCode = -1, -1
		if ctx.Err() == nil && errors.Is(runCtx.Err(), context.DeadlineExceeded) {
			ce.TimedOut, ce.Timeout = true, c.Timeout
		} else {
			ce.Err = ctx.Err()
		}
	default:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				ce.Signal = ws.Signal().String()
			}
		} else {
			ce.Err = red.Error(err)
		}
	}
	return res, ce
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max+4096 {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.buf) > t.max {
		return t.buf[len(t.buf)-t.max:]
	}
	return t.buf
}

// lastBytes returns at most n bytes from the end of s, starting on a rune
// boundary, with invalid UTF-8 replaced.
func lastBytes(s string, n int) string {
	if len(s) > n {
		s = s[len(s)-n:]
		for i := 0; i < len(s) && i < utf8.UTFMax; i++ {
			if utf8.RuneStart(s[i]) {
				s = s[i:]
				break
			}
		}
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// inherited is the provider's environment without the variables in unset.
func inherited(unset []string) []string {
	env := os.Environ()
	if len(unset) == 0 {
		return env
	}
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(unset, k) {
			out = append(out, kv)
		}
	}
	return out
}
