package rollout

import (
	"context"
	"errors"
	"time"
)

// errWaitTimeout ends a wait whose own timeout passed; callers say what they
// were waiting for.
var errWaitTimeout = errors.New("wait timed out")

// minPoll is the fastest the engine ever polls.
const minPoll = 10 * time.Millisecond

// backoff spaces polls: fast at first, since a drain or a restart may end
// soon and every poll interval of lag adds to the rollout time, then doubling
// up to PollInterval so that a long wait costs one request per interval.
type backoff struct {
	first, next, max time.Duration
}

func newBackoff(poll time.Duration) *backoff {
	first := max(poll/10, minPoll)
	first = min(first, poll)
	return &backoff{first: first, next: first, max: poll}
}

func (b *backoff) step() time.Duration {
	d := b.next
	b.next = min(b.next*2, b.max)
	return d
}

// pollResult is what one check of a wait found.
type pollResult int

const (
	pollAgain   pollResult = iota // not yet: back off
	pollConfirm                   // looks done but needs another look soon (readiness streaks)
	pollDone
)

// waitUntil calls check until it reports done, timeout passes (it returns
// errWaitTimeout after a last check at the deadline) or ctx ends (ctx.Err()).
// A check that ran while ctx ended is not trusted: a cancelled health request
// looks like a node that stopped answering.
func (r *run) waitUntil(ctx context.Context, timeout time.Duration, check func() pollResult) error {
	deadline := r.clock.Now().Add(timeout)
	b := newBackoff(r.cfg.PollInterval)
	for {
		res := check()
		if err := ctx.Err(); err != nil {
			return err
		}
		if res == pollDone {
			return nil
		}
		left := deadline.Sub(r.clock.Now())
		if left <= 0 {
			return errWaitTimeout
		}
		d := b.first
		if res != pollConfirm {
			d = b.step()
		}
		if err := r.clock.Sleep(ctx, min(d, left)); err != nil {
			return err
		}
	}
}
