package apigw

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Repeat sends a request that must take effect once, which the client
// therefore never repeats by itself (quiesce, shutdown, port creation).
// After a transient failure (see transient) it waits as the client's own
// retries do and asks look what the node shows: again when the failed
// request did nothing and may be sent again, or else the outcome (nil when
// the lost request did take effect). It sends at most MaxRetries more
// times. The error is the last send's own, unchanged, when no repeat was
// left or allowed, or when ctx ended.
func (c *Client) Repeat(ctx context.Context, send func() error, look func(sendErr error) (again bool, err error)) error {
	for attempt := 0; ; attempt++ {
		err := send()
		if err == nil || !transient(err) || attempt >= c.cfg.MaxRetries || ctx.Err() != nil {
			return err
		}
		if c.waitBeforeRepeat(ctx, attempt) != nil {
			return err
		}
		again, lerr := look(err)
		if !again {
			return lerr
		}
	}
}

// transient reports a failure after which a request that must take effect
// once may be repeated, after a look at the node: no answer, or an answer
// that turned the request away before any work (429, 502, 503, 504).
func transient(err error) bool {
	var te *TransportError
	if errors.As(err, &te) {
		return true
	}
	switch StatusCode(err) {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// waitBeforeRepeat waits before repeat number attempt+1 of Repeat's
// request, spaced like the client's own retries, or until ctx ends.
func (c *Client) waitBeforeRepeat(ctx context.Context, attempt int) error {
	t := time.NewTimer(backoff(c.cfg.RetryWaitMin, c.cfg.RetryWaitMax, attempt, nil))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
