package apigw

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// callState travels in the request context so that the shared retry policy
// and the logging transport know which call an attempt belongs to.
type callState struct {
	op       string
	retry    bool
	quiet    bool // not logged
	attempts atomic.Int32
}

func (s *callState) attemptCount() int { return int(s.attempts.Load()) }

type stateKey struct{}

func withState(ctx context.Context, s *callState) context.Context {
	return context.WithValue(ctx, stateKey{}, s)
}

func stateFrom(ctx context.Context) *callState {
	s, _ := ctx.Value(stateKey{}).(*callState)
	return s
}

// checkRetry repeats only calls marked safe, and only on connection errors
// (not TLS trust failures, which will not heal), 429 and 5xx. A 4xx is
// final: repeating a bad request or bad credentials cannot help.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	st := stateFrom(ctx)
	if st == nil || !st.retry {
		return false, nil
	}
	if err != nil {
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500, nil
}

// backoff is retryablehttp's exponential backoff, with a server's
// Retry-After capped at the configured maximum so no call stalls for long.
func backoff(waitMin, waitMax time.Duration, attempt int, resp *http.Response) time.Duration {
	d := retryablehttp.DefaultBackoff(waitMin, waitMax, attempt, resp)
	if d > waitMax {
		d = waitMax
	}
	return d
}

// keepLastAnswer hands the last HTTP answer to the caller even when retries
// ran out, so a persistent 5xx still becomes an *APIError with its message.
func keepLastAnswer(resp *http.Response, err error, _ int) (*http.Response, error) {
	if resp != nil {
		return resp, nil
	}
	return nil, err
}
