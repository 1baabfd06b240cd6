package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Command is one user command to run for a node.
type Command struct {
	// Step names the command in messages: "upgrade", "before_node",
	// "after_node", "rollback", "prepare", "notify" or "version".
	Step string
	Argv []string
	// Env holds KEY=VALUE pairs added to the provider's own environment.
	Env []string
	// Timeout bounds the run; the runner kills the command when it passes.
	Timeout time.Duration
	// CaptureStdout asks for the standard output on its own in
	// CommandResult.Stdout: version_command prints the version there,
	// while its stderr may carry noise (an ssh banner, say).
	CaptureStdout bool
}

// CommandResult is how a command ended.
type CommandResult struct {
	// ExitCode is -1 when the command did not exit by itself.
	ExitCode int
	// Tail is the end of its combined stdout and stderr, secrets redacted.
	Tail string
	// Stdout is the end of its standard output alone (MaxStdoutBytes at
	// most), secrets redacted; only with Command.CaptureStdout.
	Stdout   string
	Duration time.Duration
}

// MaxStdoutBytes bounds CommandResult.Stdout.
const MaxStdoutBytes = 64 << 10

// Runner runs commands. It returns an error when the command could not run,
// timed out, was cancelled or exited non-zero.
type Runner interface {
	Run(ctx context.Context, c Command) (CommandResult, error)
}

// ErrCommandTimedOut is matched (errors.Is) by a command that hit its timeout.
var ErrCommandTimedOut = errors.New("command timed out")

// keptSentinels survive redaction so callers can still tell a timeout or a
// cancellation apart.
var keptSentinels = []error{context.Canceled, context.DeadlineExceeded, ErrCommandTimedOut}

// CommandError says how a command failed, with the tail of its output.
type CommandError struct {
	Step    string
	Program string
	// ExitCode is -1 when it did not exit by itself.
	ExitCode int
	// Signal is set when something other than the runner killed it.
	Signal   string
	TimedOut bool
	Timeout  time.Duration
	// Err is why it could not start or was interrupted.
	Err  error
	Tail string
}

func (e *CommandError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "command %q (%s)", e.Step, e.Program)
	started := true
	switch {
	case e.TimedOut:
		b.WriteString(" timed out after " + formatDuration(e.Timeout))
	case e.Err != nil && (errors.Is(e.Err, context.Canceled) || errors.Is(e.Err, context.DeadlineExceeded)):
		fmt.Fprintf(&b, " was interrupted (%v)", e.Err)
	case e.Err != nil:
		fmt.Fprintf(&b, " could not run: %v", e.Err)
		started = false
	case e.Signal != "":
		fmt.Fprintf(&b, " was killed by signal %s", e.Signal)
	default:
		fmt.Fprintf(&b, " exited with status %d", e.ExitCode)
	}
	if tail := strings.TrimRight(e.Tail, " \t\r\n"); tail != "" {
		b.WriteString(": " + tail)
	} else if started {
		b.WriteString(" (no output)")
	}
	return b.String()
}

func (e *CommandError) Unwrap() error {
	if e.TimedOut {
		return ErrCommandTimedOut
	}
	return e.Err
}

// formatDuration prints durations the way users write them: "30m", not "30m0s".
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// commandEnv is what every command of a node gets (see nodeEnv).
func (r *run) commandEnv(j *job) []string {
	return nodeEnv(r.cfg, j.node, j.index, j.from)
}

// nodeEnv is what every command of a node gets: where the node is, what it
// runs (from; "" when unknown) and where it is going, then the user's
// command_env and command_secret_env.
func nodeEnv(cfg Config, n Node, index int, from string) []string {
	env := []string{
		"APIGW_NODE_NAME=" + n.Name,
		"APIGW_NODE_URL=" + n.URL,
		"APIGW_QUIESCE_URL=" + n.QuiesceURL,
		"APIGW_FROM_VERSION=" + from,
		"APIGW_TARGET_VERSION=" + cfg.Target,
		fmt.Sprintf("APIGW_NODE_INDEX=%d", index),
		fmt.Sprintf("APIGW_NODE_COUNT=%d", len(cfg.Nodes)),
	}
	for _, m := range []map[string]string{cfg.CommandEnv, cfg.CommandSecretEnv} {
		for _, k := range sortedKeys(m) {
			env = append(env, k+"="+m[k])
		}
	}
	return env
}

// runCommand runs one of the user's commands for a node. A non-zero exit is
// an error even from a Runner that does not report it as one, and every
// error comes back with secrets redacted. The end of a successful command's
// output waits in j.output for the milestone that reports the command.
func (r *run) runCommand(ctx context.Context, j *job, step string, argv []string) error {
	c := Command{Step: step, Argv: argv, Env: r.commandEnv(j), Timeout: r.cfg.CommandTimeout}
	res, err := r.runBounded(ctx, c)
	j.output = ""
	if err == nil {
		j.output = lastLines(res.Tail, OutputLines)
	}
	return err
}

// runBounded is runRedacted with the run's runner and secrets.
func (r *run) runBounded(ctx context.Context, c Command) (CommandResult, error) {
	return runRedacted(ctx, r.runner, r.redact, c)
}

// runRedacted runs c. A non-zero exit is an error even from a Runner that
// does not report it as one, and the output and every error come back with
// secrets redacted.
func runRedacted(ctx context.Context, runner Runner, redact *redactor, c Command) (CommandResult, error) {
	// The runner enforces the timeout; this only guards against one that doesn't.
	ctx, cancel := context.WithTimeout(ctx, c.Timeout+time.Minute)
	defer cancel()
	res, err := runner.Run(ctx, c)
	res.Tail = redact.String(res.Tail)
	res.Stdout = redact.String(res.Stdout)
	if err == nil && res.ExitCode != 0 {
		err = &CommandError{Step: c.Step, Program: redact.String(c.Argv[0]), ExitCode: res.ExitCode, Tail: res.Tail}
	}
	return res, redact.Error(err)
}
