package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// StepError is how a rollout fails: which node, which step, the cause, and
// what the operator can do by hand. The resource shows it as the apply error.
type StepError struct {
	Node string
	// Step is one of the Step* constants.
	Step string
	Err  error
	Hint string
}

// Steps named in a StepError, in the order they run for a node.
const (
	StepPreflight      = "pre-flight"
	StepBeforeCommand  = "before_node_command"
	StepQuiesce        = "quiesce"
	StepDrainShutdown  = "drain_shutdown"
	StepDrain          = "drain"
	StepUpgradeCommand = "upgrade_command"
	StepReady          = "ready"
	StepSoak           = "soak"
	StepAfterCommand   = "after_node_command"
)

func (e *StepError) Error() string {
	msg := fmt.Sprintf("node %q: %s failed: %v", e.Node, e.Step, e.Err)
	if e.Hint == "" {
		return msg
	}
	sep := " "
	if strings.Contains(msg, "\n") {
		sep = "\n" // a command's output tail: keep the hint off its last line
	}
	return strings.TrimRight(msg, ". ") + "." + sep + e.Hint
}

func (e *StepError) Unwrap() error { return e.Err }

// stepFailure carries a failed step out of the per-node code; the engine
// turns it into a *StepError once it knows the rollback's outcome.
type stepFailure struct {
	step string
	err  error
}

func (f *stepFailure) Error() string { return f.step + ": " + f.err.Error() }

func (f *stepFailure) Unwrap() error { return f.err }

func fail(step string, err error) error { return &stepFailure{step: step, err: err} }

// interrupted marks a step that stopped because the apply was cancelled or
// ran out of time.
func interrupted(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("interrupted: out of time (%w)", err)
	}
	return fmt.Errorf("interrupted (%w)", err)
}

// InterruptError ends a rollout that was interrupted (Ctrl-C, a cancelled
// run) or ran out of time while no node failed: the nodes in flight then
// finished their procedure (on_interrupt = "finish_node"), or none was in
// flight. Nodes touched are in the Report; errors.Is(err,
// context.DeadlineExceeded) tells a deadline from a cancellation.
type InterruptError struct {
	Cause error
	// Budget is the deadline Run derived (Config.DeadlineFromSteps) when
	// that is what passed; 0 otherwise.
	Budget time.Duration
	// Finished names the nodes that were in flight at the interrupt and
	// were brought to target; NotStarted the nodes left for the next run.
	Finished, NotStarted []string
}

func (e *InterruptError) Error() string {
	var b strings.Builder
	switch {
	case !errors.Is(e.Cause, context.DeadlineExceeded):
		b.WriteString("rollout interrupted (Ctrl-C or a cancelled run)")
	case e.Budget > 0:
		fmt.Fprintf(&b, "rollout out of time: the apply's deadline of %s, derived from the per-step timeouts, passed", formatDuration(e.Budget))
	default:
		b.WriteString("rollout out of time: the apply's deadline (timeouts) passed")
	}
	if len(e.Finished) > 0 {
		fmt.Fprintf(&b, "; %s, in flight at that moment, finished %s upgrade (on_interrupt = %q)",
			joinNames(e.Finished), plural(len(e.Finished), "its", "their"), InterruptFinishNode)
	} else {
		b.WriteString("; no node was in flight, so none was left quiesced or down")
	}
	if len(e.NotStarted) > 0 {
		fmt.Fprintf(&b, "; no further node was started (%s not started)", joinNames(e.NotStarted))
	}
	b.WriteString(". Run terraform apply again to resume: nodes on target are skipped.")
	return b.String()
}

func (e *InterruptError) Unwrap() error { return e.Cause }

// joinNames renders node names as "gw-1, gw-2 and gw-3".
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
