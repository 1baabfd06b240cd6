package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
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
	if len(r.cfg.BeforeNodeCommand) > 0 {
		j.state = stBeforeRan
		start := r.clock.Now()
		if err := r.runCommand(ctx, j, "before_node", r.cfg.BeforeNodeCommand); err != nil {
			return fail(StepBeforeCommand, err)
		}
		r.ev.emit(j.node.Name, EventBeforeCommandDone, "before_node_command finished in %s", r.since(start))
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
	j.state = stCommandDone
	if err := r.becomeReady(ctx, j); err != nil {
		return err
	}
	return r.soakAndAfter(ctx, j)
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

// drainWait is how long waitDrained waits, and how messages name that
// bound. quiesce_all waits drain_timeout. A drain shutdown gives the gateway
// drain_timeout rounded up to whole minutes, and the gateway may wait all of
// it for client sessions to end before it stops: the engine waits that long
// plus DrainShutdownGrace, or it would fail (and roll back) a node that is
// shutting down as asked.
func (r *run) drainWait() (time.Duration, string) {
	d := r.cfg.DrainTimeout
	if r.cfg.Strategy != StrategyDrainShutdown {
		return d, "drain_timeout " + formatDuration(d)
	}
	given := ShutdownTimeout(d)
	return given + DrainShutdownGrace, fmt.Sprintf("%s: the %s the gateway was given to end client sessions (drain_timeout %s in whole minutes) plus %s for it to stop",
		formatDuration(given+DrainShutdownGrace), formatDuration(given), formatDuration(d), formatDuration(DrainShutdownGrace))
}

// waitDrained polls until quiescing has finished (the quiesce port stops
// answering 200, confirmed by drainConfirmed) or, for drain_shutdown, the
// primary URL stops answering. silent is the transport error that ended the
// wait when the node stopped answering altogether rather than answering
// "not 200".
func (r *run) waitDrained(ctx context.Context, j *job, exp *expectation) (silent string, err error) {
	url, port := j.node.QuiesceURL, "quiesce port"
	if r.cfg.Strategy == StrategyDrainShutdown {
		url, port = j.node.URL, "primary URL"
	}
	last := ""
	var (
		notOK   time.Time // first answer of the current run of answers other than 200
		refused error     // a probe refused for credentials: the drain cannot be seen
	)
	wait, waitDesc := r.drainWait()
	err = r.waitUntil(ctx, wait, exp, func() pollResult {
		code, herr := r.gw.Health(ctx, url)
		if IsHealthCredentials(herr) {
			refused = herr
			return pollEnd
		}
		if r.cfg.Strategy == StrategyDrainShutdown {
			if herr != nil {
				silent = herr.Error()
				return pollDone
			}
			last = describeHealth(code, nil)
			return pollAgain
		}
		if herr == nil && code == 200 {
			if !notOK.IsZero() {
				r.ev.emit(j.node.Name, EventDrainUnconfirmed, "the quiesce port answered %s, then health 200 again: still quiescing", last)
			}
			notOK, last = time.Time{}, describeHealth(code, nil)
			return pollAgain
		}
		now := r.clock.Now()
		if notOK.IsZero() {
			notOK = now
		}
		last = describeHealth(code, herr)
		if !r.drainConfirmed(ctx, j, now.Sub(notOK)) {
			return pollRecheck
		}
		if herr != nil {
			silent = herr.Error()
		}
		return pollDone
	})
	switch {
	case err == nil && refused != nil:
		return "", fail(StepDrain, fmt.Errorf("the node's %s refused the health probe, so whether it has drained cannot be seen: %w", port, refused))
	case errors.Is(err, errWaitTimeout):
		return "", fail(StepDrain, fmt.Errorf("%w on its %s (%s) after %s", errStillAnswering, port, last, waitDesc))
	case err != nil:
		return "", fail(StepDrain, interrupted(err))
	}
	j.state = stDown
	r.markReady(j.node.Name, false)
	r.setVersion(j.node.Name, "")
	return silent, nil
}

// drainConfirmed decides whether an answer other than 200 on the quiesce
// port, the latest of a run of them that began held ago, means the node has
// finished quiescing. The tutorial counts any such answer, but a 500 (or a
// lost answer) can also be a data store passing through red, or the
// network, on a node still flushing its metrics: it counts once the primary
// port refuses connections (a quiesced node closes it) or once it has held
// for a poll interval.
func (r *run) drainConfirmed(ctx context.Context, j *job, held time.Duration) bool {
	if held >= r.cfg.PollInterval {
		return true
	}
	_, err := r.gw.Health(ctx, j.node.URL)
	return SilenceOf(err) == SilenceRefused
}

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
	if len(r.cfg.AfterNodeCommand) > 0 {
		j.state = stAfterCommand
		start := r.clock.Now()
		if err := r.runCommand(ctx, j, "after_node", r.cfg.AfterNodeCommand); err != nil {
			return fail(StepAfterCommand, err)
		}
		r.ev.emit(j.node.Name, EventAfterCommandDone, "after_node_command finished in %s", r.since(start))
	}
	return nil
}

// waitReady polls until the node answers health 200 with a version that
// want accepts, ReadySuccesses times in a row. The first success is
// confirmed at the fastest poll rate, so the streak adds little delay.
//
// A node that answers health 200 with a version want does not accept has
// restarted (it was drained, or down, before the command ran: the old
// process no longer answers on its primary port), but may still be loading
// its packages. Once it has reported the same version with health 200
// ReadySuccesses times in a row, over at least one poll_interval, it is
// taken as healthy on that version: the wait ends with an *OffTargetError
// rather than running on to ready_timeout. It does so at ready_timeout too
// when the last poll saw such a node.
func (r *run) waitReady(ctx context.Context, j *job, want func(string) bool, wantDesc string, exp *expectation) (string, error) {
	var (
		streak      int
		version     string
		last, wrong string
		wrongPolls  int
		wrongSince  time.Time
		settled     bool
	)
	var refused error
	err := r.waitUntil(ctx, r.cfg.ReadyTimeout, exp, func() pollResult {
		if ok, why, rerr := r.probe(ctx, j.node); !ok {
			if rerr != nil {
				refused = rerr
				return pollEnd
			}
			streak, wrong, last = 0, "", why
			return pollAgain
		}
		v, err := r.gw.Version(ctx, j.node.URL)
		if err != nil {
			streak, wrong, last = 0, "", "health 200 but its version could not be read: "+err.Error()
			return pollAgain
		}
		r.setVersion(j.node.Name, v)
		if !want(v) {
			streak = 0
			if v != wrong {
				wrong, wrongPolls, wrongSince = v, 0, r.clock.Now()
			}
			wrongPolls++
			if wrongPolls >= r.cfg.ReadySuccesses && r.since(wrongSince) >= r.cfg.PollInterval {
				settled = true
				return pollEnd
			}
			return pollAgain
		}
		streak, wrong, version = streak+1, "", v
		if streak >= r.cfg.ReadySuccesses {
			return pollDone
		}
		return pollConfirm
	})
	switch {
	case err == nil && refused != nil:
		return "", fmt.Errorf("the node refused its health probe, so whether it is ready on %s cannot be seen: %w", wantDesc, refused)
	case err == nil && settled:
		return "", &OffTargetError{Version: wrong, Want: wantDesc, Polls: wrongPolls, Held: r.since(wrongSince)}
	case err == nil:
		return version, nil
	case !errors.Is(err, errWaitTimeout):
		return "", interrupted(err)
	case wrong != "":
		return "", &OffTargetError{Version: wrong, Want: wantDesc, Polls: wrongPolls, Held: r.since(wrongSince), AtTimeout: r.cfg.ReadyTimeout}
	case last == "":
		last = "health 200 on target, but not " + fmt.Sprint(r.cfg.ReadySuccesses) + " times in a row"
	}
	return "", fmt.Errorf("the node was not ready on %s within ready_timeout %s (last check: %s)", wantDesc, formatDuration(r.cfg.ReadyTimeout), last)
}

// OffTargetError is a node that came back healthy (health 200) but reports
// another version than the one waited for.
type OffTargetError struct {
	Version string // what it reports
	Want    string // what was waited for, e.g. "target_version 10.15.0.7"
	// Polls is how many health-200 polls in a row reported Version, over
	// Held.
	Polls int
	Held  time.Duration
	// AtTimeout is ready_timeout when the wait ran out with the node in
	// that state before the streak was complete.
	AtTimeout time.Duration
}

func (e *OffTargetError) Error() string {
	if e.AtTimeout > 0 {
		return fmt.Sprintf("the node answers health 200 but reports version %s, not %s, at ready_timeout %s", e.Version, e.Want, formatDuration(e.AtTimeout))
	}
	return fmt.Sprintf("the node came back healthy (health 200 on %d checks in a row over %s) but reports version %s, not %s",
		e.Polls, e.Held.Round(time.Millisecond), e.Version, e.Want)
}

// soak re-checks health every PollInterval for SoakDuration; one failure
// fails the node, since a new fix that flaps is not one to roll further.
func (r *run) soak(ctx context.Context, j *job) error {
	start := r.clock.Now()
	end := start.Add(r.cfg.SoakDuration)
	for {
		left := end.Sub(r.clock.Now())
		if left <= 0 {
			return nil
		}
		if err := r.clock.Sleep(ctx, min(r.cfg.PollInterval, left)); err != nil {
			return interrupted(err)
		}
		ok, why, refused := r.probe(ctx, j.node)
		if ctx.Err() != nil {
			return interrupted(ctx.Err())
		}
		if refused != nil {
			return fmt.Errorf("the node refused its health probe %s into soak_duration %s: %w", r.since(start), formatDuration(r.cfg.SoakDuration), refused)
		}
		if !ok {
			return fmt.Errorf("health check failed %s into soak_duration %s (%s)", r.since(start), formatDuration(r.cfg.SoakDuration), why)
		}
	}
}

// ctxOr prefers "interrupted" over the error a cancelled request produced.
func ctxOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return interrupted(ctx.Err())
	}
	return err
}

func orUnknown(v string) string {
	if v == "" {
		return "an unknown version"
	}
	return v
}
