package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
