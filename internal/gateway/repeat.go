package gateway

import (
	"context"
	"errors"
	"net/http"

	"github.com/gwops/terraform-provider-apigw/internal/apigw"
)

// Repeat sends a request that must take effect once, which the client
// therefore never repeats by itself (quiesce, shutdown, port creation).
// After a Transient failure it waits (c.Backoff) and asks look what the
// node shows: again when the failed request did nothing and may be sent
// again, or else the outcome (nil when the lost request did take effect).
// It sends at most c.MaxRetries() more times. The error is the last send's
// own, unchanged, when no repeat was left or allowed, or when ctx ended.
func Repeat(ctx context.Context, c *apigw.Client, send func() error, look func(sendErr error) (again bool, err error)) error {
	for attempt := 0; ; attempt++ {
		err := send()
		if err == nil || !Transient(err) || attempt >= c.MaxRetries() || ctx.Err() != nil {
			return err
		}
		if c.Backoff(ctx, attempt) != nil {
			return err
		}
		again, lerr := look(err)
		if !again {
			return lerr
		}
	}
}

// Transient reports a failure after which a request that must take effect
// once may be repeated, after a look at the node: no answer, or an answer
// that turned the request away before any work (429, 502, 503, 504).
func Transient(err error) bool {
	var te *apigw.TransportError
	if errors.As(err, &te) {
		return true
	}
	switch apigw.StatusCode(err) {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}
