package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// upgradeNode brings one node to target; on failure it rolls back (when
// configured) and returns a *StepError.
func (r *run) upgradeNode(ctx context.Context, j *job) error {
	var err error
	switch j.kind {
	case kindPending:
		err = r.fullUpgrade(ctx, j)
	case kindLeftBehind:
		err = r.finishLeftBehind(ctx, j)
	case kindStarting:
		err = r.finishStarting(ctx, j)
	}
	if err != nil {
		return r.handleFailure(ctx, j, err)
	}
	r.noteTakenDown(j.node.Name, false)
	r.finish(j, OutcomeUpgraded)
	r.ev.emit(j.node.Name, EventNodeUpgraded, "upgraded from %s to %s in %s", orUnknown(j.from), j.res.ToVersion, j.res.FinishedAt.Sub(j.res.StartedAt))
	return nil
}

// fullUpgrade is the vendor procedure for a node that is serving.
func (r *run) fullUpgrade(ctx context.Context, j *job) error {
	r.ev.emit(j.node.Name, EventNodeStarted, "upgrading from %s to %s (node %d of %d)", j.from, r.cfg.Target, j.index+1, len(r.cfg.Nodes))
	if err := r.runHook(ctx, j, beforeNodeHook, r.cfg.BeforeNodeCommand); err != nil {
		return err
	}
	if err := r.takeOut(ctx, j); err != nil {
		return err
	}
	return r.upgradeAndVerify(ctx, j)
}

// finishLeftBehind completes a node an earlier run left quiesced or down
// (plan found the evidence): quiescing it again would be refused (409) or
// impossible, so it goes straight to the upgrade command. A quiesce still in
// progress gets up to drain_timeout to end; after that the command runs
// anyway, since the node is out of service already and failing again would
// leave it stuck.
func (r *run) finishLeftBehind(ctx context.Context, j *job) error {
	r.ev.emit(j.node.Name, EventNodeStarted, "finishing the upgrade to %s (node %d of %d)", r.cfg.Target, j.index+1, len(r.cfg.Nodes))
	r.ev.emit(j.node.Name, EventResume, "not ready and not on %s (version %s), and out of service: %s; finishing it without quiescing again",
		r.cfg.Target, orUnknown(j.from), j.evidence)
	j.state = stDown
	if r.cfg.Strategy == StrategyQuiesceAll && j.node.QuiesceURL != "" {
		// No warning when this wait ends in silence: an earlier run left
		// the node quiesced or down, and it may have been stopped since.
		start := r.clock.Now()
		_, err := r.waitDrained(ctx, j, nil)
		j.res.Drain = r.since(start)
		switch {
		case errors.Is(err, errStillAnswering):
			r.ev.emit(j.node.Name, EventDrained, "still quiescing after drain_timeout %s, going on anyway", formatDuration(r.cfg.DrainTimeout))
		case err != nil:
			return err
		case j.res.Drain > 0:
			r.ev.emit(j.node.Name, EventDrained, "quiescing finished after %s more", j.res.Drain)
		}
	}
	return r.upgradeAndVerify(ctx, j)
}

// finishStarting waits for a node an earlier run already restarted on target.
func (r *run) finishStarting(ctx context.Context, j *job) error {
	r.ev.emit(j.node.Name, EventNodeStarted, "finishing the upgrade to %s (node %d of %d)", r.cfg.Target, j.index+1, len(r.cfg.Nodes))
	r.ev.emit(j.node.Name, EventResume, "on %s but not ready yet: restarted by an earlier run, waiting for it", j.from)
	return r.finishUpgrade(ctx, j)
}

// takeOut stops the node from taking traffic and waits until it has drained.
func (r *run) takeOut(ctx context.Context, j *job) error {
	start := r.clock.Now()
	before := j.state
	j.state = stTakingDown
	// refused: the gateway answered that it did nothing, so the node is as
	// it was before the request (no rollback, no "may be going down").
	refused := func(step string, err error) error {
		j.state, j.refused = before, true
		return fail(step, err)
	}
	switch r.cfg.Strategy {
	case StrategyDrainShutdown:
		if err := r.gw.DrainShutdown(ctx, j.node.URL, ShutdownTimeout(r.cfg.DrainTimeout)); err != nil {
			if IsRefused(err) && ctx.Err() == nil {
				return refused(StepDrainShutdown, err)
			}
			return fail(StepDrainShutdown, ctxOr(ctx, err))
		}
		r.ev.emit(j.node.Name, EventQuiesceRequested, "shutdown with option drain requested, timeout %s for client sessions to end", formatDuration(ShutdownTimeout(r.cfg.DrainTimeout)))
	default:
		sent, err := r.quiesceInTurn(ctx, j)
		switch {
		case !sent:
			j.state = before // the request never went out
			return fail(StepQuiesce, interrupted(err))
		case errors.Is(err, ErrAlreadyQuiesced):
			r.ev.emit(j.node.Name, EventQuiesceRequested, "quiesce mode for all was already in effect (409): waiting for it to finish")
		case err != nil && IsRefused(err) && ctx.Err() == nil:
			return refused(StepQuiesce, err)
		case err != nil:
			return fail(StepQuiesce, ctxOr(ctx, err))
		default:
			r.ev.emit(j.node.Name, EventQuiesceRequested, "quiesce mode for all requested (flush %s)", strings.Join(r.cfg.Flush, ", "))
		}
	}
	silent, err := r.waitDrained(ctx, j, &r.drained)
	j.res.Drain = r.since(start)
	if err != nil {
		return err
	}
	if r.cfg.Strategy == StrategyQuiesceAll && silent != "" {
		// A quiesced node keeps its quiesce port open and answers health
		// there with an error status; a node that stops answering
		// altogether may have crashed before its metrics were flushed.
		// The tutorial's rule counts both as drained, so the upgrade
		// goes on, but the operator should know.
		j.res.Warning = fmt.Sprintf("quiescing counted as finished after %s because the quiesce port (%s) stopped answering (%s), "+
			"where a quiesced node answers health there with an error status: the node may have stopped before quiesce finished "+
			"flushing its metrics to the shared data store. The upgrade went on; check the node's logs and its license and "+
			"performance metrics for this period.", j.res.Drain, j.node.QuiesceURL, silent)
		r.ev.emit(j.node.Name, EventDrained, "drained after %s, but the quiesce port stopped answering (%s) instead of reporting that quiescing had finished: metrics may not have been flushed", j.res.Drain, silent)
		return nil
	}
	r.ev.emit(j.node.Name, EventDrained, "drained after %s", j.res.Drain)
	return nil
}

// quiesceInTurn sends j's quiesce request once no other node's is out: the
// vendor asks that a node has entered quiesce mode for all before the next
// one is asked. A node has entered it when the gateway has answered the PUT
// (200: the mode is in effect and the drain goes on in the background; 409:
// it already was), so the turn passes on with the answer, or with the
// request's final failure after the Gateway's own repeats. Waiting for the
// drain instead would serialise the drains that max_unavailable runs side
// by side. sent is false when ctx ended before the request went out.
func (r *run) quiesceInTurn(ctx context.Context, j *job) (sent bool, err error) {
	select {
	case r.quiesceTurn <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-r.quiesceTurn }()
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return true, r.gw.QuiesceAll(ctx, j.node.URL, r.cfg.Flush)
}

// errStillAnswering is a drain that did not end within drain_timeout.
var errStillAnswering = errors.New("the node still answers")

// upgradeAndVerify runs the upgrade command on a node that is out of
// service and waits until it serves the target.
func (r *run) upgradeAndVerify(ctx context.Context, j *job) error {
	j.state = stCommandRunning
	start := r.clock.Now()
	err := r.runCommand(ctx, j, "upgrade", r.cfg.UpgradeCommand)
	j.res.Command = r.since(start)
	if err != nil {
		return fail(StepUpgradeCommand, err)
	}
	r.ev.emit(j.node.Name, EventCommandDone, "upgrade_command finished in %s", j.res.Command)
	return r.finishUpgrade(ctx, j)
}

// finishUpgrade is what follows the upgrade command, whether it ran in this
// run or an earlier one restarted the node: wait until the node is ready on
// target, then soak_duration and after_node_command.
func (r *run) finishUpgrade(ctx context.Context, j *job) error {
	j.state = stCommandDone
	if err := r.becomeReady(ctx, j); err != nil {
		return err
	}
	return r.soakAndAfter(ctx, j)
}

// becomeReady waits until the node is ready on target. A node that comes
// back healthy on another version is not waited for any longer (see
// waitReady) and marked offTarget: it serves, so it is not rolled back.
func (r *run) becomeReady(ctx context.Context, j *job) error {
	start := r.clock.Now()
	exp := &r.restarted
	if j.kind == kindStarting {
		exp = nil // restarted by an earlier run: its timing says nothing
	}
	v, err := r.waitReady(ctx, j, func(v string) bool { return OnTarget(v, r.cfg.Target) }, "target_version "+r.cfg.Target, exp)
	j.res.Ready = r.since(start)
	if err != nil {
		if ot := (*OffTargetError)(nil); errors.As(err, &ot) {
			j.offTarget = ot.Version
		}
		return fail(StepReady, err)
	}
	j.state = stUpgraded
	j.res.ToVersion = v
	r.ev.emit(j.node.Name, EventReady, "ready on %s after %s", v, j.res.Ready)
	return nil
}

// soakAndAfter watches a freshly upgraded node for soak_duration and then
// runs after_node_command.
func (r *run) soakAndAfter(ctx context.Context, j *job) error {
	if r.cfg.SoakDuration > 0 {
		if err := r.soak(ctx, j); err != nil {
			return fail(StepSoak, err)
		}
		r.ev.emit(j.node.Name, EventSoaked, "healthy for soak_duration %s", formatDuration(r.cfg.SoakDuration))
	}
	return r.runHook(ctx, j, afterNodeHook, r.cfg.AfterNodeCommand)
}

// nodeHook is one of the optional commands around a node's upgrade,
// before_node_command and after_node_command, which run, fail and report
// alike (runHook).
type nodeHook struct {
	step  string    // the command's name for runCommand
	attr  string    // its attribute, also the step a failure names
	state progress  // how far the node has got once it starts
	done  EventKind // the milestone of its successful end
}

var (
	beforeNodeHook = nodeHook{step: "before_node", attr: StepBeforeCommand, state: stBeforeRan, done: EventBeforeCommandDone}
	afterNodeHook  = nodeHook{step: "after_node", attr: StepAfterCommand, state: stAfterCommand, done: EventAfterCommandDone}
)

// runHook runs h's command, argv, for j when it is set.
func (r *run) runHook(ctx context.Context, j *job, h nodeHook, argv []string) error {
	if len(argv) == 0 {
		return nil
	}
	j.state = h.state
	start := r.clock.Now()
	if err := r.runCommand(ctx, j, h.step, argv); err != nil {
		return fail(h.attr, err)
	}
	r.ev.emit(j.node.Name, h.done, "%s finished in %s", h.attr, r.since(start))
	return nil
}

func orUnknown(v string) string {
	if v == "" {
		return "an unknown version"
	}
	return v
}
