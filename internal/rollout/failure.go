package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// rollbackResult is what the rollback of a failed node achieved.
type rollbackResult struct {
	ran, ok  bool
	err      error
	version  string
	afterRan bool
	afterErr error
}

// handleFailure rolls the failed node back when it makes sense, records its
// outcome and builds the error the user sees.
func (r *run) handleFailure(ctx context.Context, j *job, err error) error {
	var f *stepFailure
	if !errors.As(err, &f) {
		f = &stepFailure{step: StepUpgradeCommand, err: err}
	}
	r.ev.emit(j.node.Name, EventNodeFailed, "%s failed: %v", f.step, f.err)
	j.blind = IsHealthCredentials(f.err)
	rb := r.rollback(ctx, j)
	if j.offTarget != "" {
		// Not rolled back: it serves. Back into the load balancer with it,
		// as after a rollback.
		rb.afterRan, rb.afterErr = r.putBack(ctx, j, "after the node came back on another version")
	}
	outcome := OutcomeFailed
	if rb.ok {
		outcome = OutcomeRolledBack
	}
	r.noteTakenDown(j.node.Name, j.leftOutOfService(rb.ok))
	r.finish(j, outcome)
	return &StepError{Node: j.node.Name, Step: f.step, Err: f.err, Hint: r.hint(j, rb)}
}

// needsRollback: only a node this run (or an earlier one) took out of
// service and did not bring back on target. A node that failed pre-flight or
// before_node_command still serves its old version; one that failed in
// after_node_command already serves the target; one whose health probes
// are refused (blind) cannot be seen, so nothing says it needs one (it may
// well serve the target); one that came back healthy on another version
// serves that (rolling it back would take a node that
// may well be upgraded out of service again: serverinfo's version may just
// not show the fix level).
func (j *job) needsRollback() bool {
	return j.kind != kindStarting && j.offTarget == "" && !j.blind && j.state >= stTakingDown && j.state < stAfterCommand
}

// rollback runs rollback_command and waits until the node is ready on its
// old version. It always runs on a fresh context bounded by ready_timeout +
// command_timeout, so neither a cancellation nor an apply deadline that is
// nearly spent leaves the node down silently.
func (r *run) rollback(ctx context.Context, j *job) rollbackResult {
	if len(r.cfg.RollbackCommand) == 0 || !j.needsRollback() {
		return rollbackResult{}
	}
	fresh, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.ReadyTimeout+r.cfg.CommandTimeout)
	defer cancel()
	ctx = fresh
	rb := rollbackResult{ran: true}
	// From here the node is neither where the failure left it nor back:
	// the hint and the report must not describe it as before.
	j.state = stRollingBack
	r.markReady(j.node.Name, false)
	r.setVersion(j.node.Name, "")
	r.ev.emit(j.node.Name, EventRollbackStarted, "running rollback_command to bring the node back on %s", orUnknown(j.from))
	if err := r.runCommand(ctx, j, "rollback", r.cfg.RollbackCommand); err != nil {
		rb.err = fmt.Errorf("rollback_command failed: %w", err)
		r.ev.emit(j.node.Name, EventRollbackFailed, "%v", rb.err)
		return rb
	}
	want, desc := func(string) bool { return true }, "any version"
	if j.from != "" {
		want, desc = func(v string) bool { return OnTarget(v, j.from) }, "its old version "+j.from
	}
	v, err := r.waitReady(ctx, j, want, desc, nil)
	if err != nil {
		rb.err = fmt.Errorf("after rollback_command, %w", err)
		r.ev.emit(j.node.Name, EventRollbackFailed, "%v", rb.err)
		return rb
	}
	rb.ok, rb.version = true, v
	r.ev.emit(j.node.Name, EventRolledBack, "back on %s and ready", v)
	rb.afterRan, rb.afterErr = r.putBack(ctx, j, "after the rollback")
	return rb
}

// putBack runs after_node_command for a node that serves again after a
// failure, when before_node_command took it out (e.g. of the load
// balancer) in this run.
func (r *run) putBack(ctx context.Context, j *job, why string) (ran bool, err error) {
	if j.kind != kindPending || len(r.cfg.BeforeNodeCommand) == 0 || len(r.cfg.AfterNodeCommand) == 0 {
		return false, nil
	}
	if err := r.runCommand(ctx, j, "after_node", r.cfg.AfterNodeCommand); err != nil {
		return true, err
	}
	r.ev.emit(j.node.Name, EventAfterCommandDone, "after_node_command ran %s", why)
	return true, nil
}

// hint tells the operator where the node was left and what to do by hand.
func (r *run) hint(j *job, rb rollbackResult) string {
	if j.offTarget != "" {
		return r.offTargetHint(j, rb)
	}
	if rb.ok {
		s := fmt.Sprintf("rollback_command brought the node back on %s and it is ready", rb.version)
		switch {
		case rb.afterRan && rb.afterErr != nil:
			s += fmt.Sprintf(", but after_node_command failed after the rollback (%v): run it by hand if the node must go back into the load balancer", rb.afterErr)
		case rb.afterRan:
			s += "; after_node_command ran again"
		}
		return s + ". Fix the cause, then re-run terraform apply."
	}
	var parts []string
	if rb.ran {
		parts = append(parts, strings.TrimRight(rb.err.Error(), ".")+".")
	}
	if j.blind && j.state >= stTakingDown {
		parts = append(parts, "Its health probes were refused, so the node's state could not be seen and rollback_command was not run. Where it was left:")
	}
	parts = append(parts, r.stateHint(j))
	if j.blind {
		parts = append(parts, credentialsFix)
	}
	return strings.Join(parts, " ")
}

// stateHint describes the node's state after a failure without rollback.
func (r *run) stateHint(j *job) string {
	const resume = "re-run terraform apply, which finishes this node first"
	drain := r.cfg.Strategy == StrategyDrainShutdown
	if j.refused {
		what := "quiesce mode for all"
		if drain {
			what = "the drain shutdown"
		}
		s := "The gateway refused " + what + " and did nothing: the node was not touched and still serves its old version."
		if j.state == stBeforeRan {
			s += " before_node_command ran, though: undo it by hand (e.g. put the node back into the load balancer)."
		}
		if !drain {
			s += " Check that the node's quiesce port exists, is enabled and is set as its quiesce port (apigw_quiesce_port re-creates it), and the node's server log;"
		} else {
			s += " Check the node's server log;"
		}
		return s + " then re-run terraform apply."
	}
	switch j.state {
	case stUntouched:
		return "Nothing was changed on this node; re-run terraform apply once the cause is fixed."
	case stBeforeRan:
		return "The node was not quiesced, but before_node_command ran (or partly ran): undo it by hand (e.g. put the node back into the load balancer), then re-run terraform apply."
	case stTakingDown:
		if drain {
			return "The node may be shutting down: once it has stopped, run the upgrade command by hand, or " + resume + "."
		}
		return "The node may be quiescing and then stops serving: once its quiesce port stops answering 200, run the upgrade command by hand, or " + resume + "."
	case stDown:
		if drain {
			return "The node is shut down (not serving): run the upgrade command by hand, or " + resume + "."
		}
		return "The node is quiesced (not serving): run the upgrade command by hand, or " + resume + "."
	case stCommandRunning:
		return "The node is down or half-upgraded (the upgrade command did not finish): run the upgrade command by hand, or " + resume + "."
	case stCommandDone:
		if j.kind == kindStarting {
			return "The node reports target_version but is not ready: check the node and its logs, then re-run terraform apply."
		}
		return "The upgrade command ran but the node is not ready on target_version: check the node and its logs (and that upgrade_command installs target_version), then re-run terraform apply."
	case stUpgraded:
		return "The node runs target_version but failed its health check during soak_duration and after_node_command has not run: check its logs and roll it back by hand if needed; a node that is ready on target is skipped by the next apply."
	case stAfterCommand:
		return "The node is upgraded and ready, but after_node_command failed: run it by hand (e.g. to put the node back into the load balancer); the next apply skips this node."
	default: // stRollingBack
		return "The node is down, half-upgraded or half rolled back: bring it back on its old version by hand, or " + resume + " (it upgrades the node to target_version)."
	}
}

// offTargetHint is the hint for a node that came back healthy on another
// version than the target.
func (r *run) offTargetHint(j *job, rb rollbackResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The node was not rolled back: it serves (health 200) on %s. ", j.offTarget)
	if len(r.cfg.VersionCommand) > 0 {
		fmt.Fprintf(&b, "That is what version_command printed: check that upgrade_command installs %s and that version_command prints the version installed on the node, then re-run terraform apply.", r.cfg.Target)
	} else {
		fmt.Fprintf(&b, "If upgrade_command did install %s and serverinfo's version just does not show the fix level (compare the node's version, build and fixes in data source apigw_node), "+
			"set version_command to a command that prints the node's real version, then re-run terraform apply; otherwise make upgrade_command install %s and re-run terraform apply, which upgrades this node again.", r.cfg.Target, r.cfg.Target)
	}
	switch {
	case rb.afterRan && rb.afterErr != nil:
		fmt.Fprintf(&b, " after_node_command failed (%v): run it by hand if the node must go back into the load balancer.", rb.afterErr)
	case rb.afterRan:
		b.WriteString(" after_node_command ran, so the node is back in the load balancer.")
	}
	return b.String()
}
