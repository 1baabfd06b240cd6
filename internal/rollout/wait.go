package rollout

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// errWaitTimeout ends a wait whose own timeout passed; callers say what they
// were waiting for.
var errWaitTimeout = errors.New("wait timed out")

// backoff spaces polls: fast at first, since a drain or a restart may end
// soon, then doubling up to PollInterval so that a long wait costs one
// request per interval.
type backoff struct {
	first, next, max time.Duration
}

func newBackoff(poll time.Duration) *backoff {
	first := max(poll/10, MinPollInterval)
	first = min(first, poll)
	return &backoff{first: first, next: first, max: poll}
}

func (b *backoff) step() time.Duration {
	d := b.next
	b.next = min(b.next*2, b.max)
	return d
}

// expectation remembers when one kind of wait (drain, restart) ended for the
// previous node, as the span between the last poll that saw "not yet" and
// the one that saw "done". Nodes of one cluster drain and restart in similar
// times, so the next node's wait polls at the fastest rate around that span
// instead of up to a whole PollInterval late: the lag of every wait adds to
// the rollout time, ceil(N/k) times over.
type expectation struct {
	mu     sync.Mutex
	known  bool
	lo, hi time.Duration
}

func (e *expectation) learn(lo, hi time.Duration) {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.known, e.lo, e.hi = true, lo, hi
}

// window is where to poll fast: the remembered span widened by a margin for
// node-to-node variation, at most PollInterval/2 on each side so that the
// burst stays short.
func (e *expectation) window(b *backoff) (from, to time.Duration, ok bool) {
	if e == nil {
		return 0, 0, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.known {
		return 0, 0, false
	}
	margin := min(max(b.first, e.hi/20), b.max/2)
	return e.lo - margin, e.hi + margin, true
}

// pollResult is what one check of a wait found.
type pollResult int

const (
	pollAgain   pollResult = iota // not yet: back off
	pollConfirm                   // looks done but needs another look soon (readiness streaks)
	pollRecheck                   // looks done but must still hold a poll interval later (drains)
	pollDone
	pollEnd // ends the wait, but not as expected: nothing to learn from its timing
)

// waitUntil calls check until it reports done, timeout passes (it returns
// errWaitTimeout after a last check at the deadline) or ctx ends (ctx.Err()).
// A check that ran while ctx ended is not trusted: a cancelled health request
// looks like a node that stopped answering. exp, when not nil, shapes the
// polls from earlier nodes and learns from this one.
func (r *run) waitUntil(ctx context.Context, timeout time.Duration, exp *expectation, check func() pollResult) error {
	start := r.clock.Now()
	deadline := start.Add(timeout)
	b := newBackoff(r.cfg.PollInterval)
	from, to, anticipate := exp.window(b)
	var lastAgain, streakStart time.Duration
	streak := false
	for {
		res := check()
		if err := ctx.Err(); err != nil {
			return err
		}
		now := r.clock.Now()
		elapsed := now.Sub(start)
		switch res {
		case pollEnd:
			return nil
		case pollDone:
			if !streak {
				streakStart = elapsed
			}
			if streakStart > 0 {
				exp.learn(lastAgain, streakStart)
			}
			return nil
		case pollConfirm, pollRecheck:
			if !streak {
				streak, streakStart = true, elapsed
			}
		default:
			streak, lastAgain = false, elapsed
		}
		left := deadline.Sub(now)
		if left <= 0 {
			return errWaitTimeout
		}
		var d time.Duration
		switch {
		case res == pollConfirm:
			d = b.first
		case res == pollRecheck:
			d = r.cfg.PollInterval
		case anticipate && elapsed >= from && elapsed < to:
			d = b.first
		default:
			d = b.step()
			if anticipate && elapsed < from {
				d = min(d, from-elapsed)
			}
		}
		if err := r.clock.Sleep(ctx, min(d, left)); err != nil {
			return err
		}
	}
}

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

// ctxOr prefers "interrupted" over the error a cancelled request produced.
func ctxOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return interrupted(ctx.Err())
	}
	return err
}
