package rollout

import (
	"context"
	"errors"
	"time"
)

// Gateway is what the engine needs from one API Gateway node. The provider's
// HTTP client implements it; tests use a fake cluster.
type Gateway interface {
	// Version returns the version serverinfo reports, e.g. "10.15.0.7.1234".
	Version(ctx context.Context, nodeURL string) (string, error)
	// Health returns the HTTP status of GET /rest/apigateway/health under
	// baseURL (a primary or a quiesce URL). An error means no answer at all
	// (refused, reset, timeout), which the drain check reads as "drained".
	Health(ctx context.Context, baseURL string) (int, error)
	// QuiesceAll puts the node into quiesce mode for all, flushing the named
	// data. It returns ErrAlreadyQuiesced when the gateway answers 409.
	QuiesceAll(ctx context.Context, nodeURL string, flush []string) error
	// DrainShutdown asks the node to shut down with option drain; timeout is
	// a whole number of minutes.
	DrainShutdown(ctx context.Context, nodeURL string, timeout time.Duration) error
}

// ErrAlreadyQuiesced is returned by Gateway.QuiesceAll when quiesce mode for
// all is already in effect (HTTP 409). The engine treats it as "started": an
// earlier run or an operator got there first.
var ErrAlreadyQuiesced = errors.New("quiesce mode for all is already in effect")

// Refused marks err as a definite refusal: the gateway answered, and did not
// act on the request. Gateway.QuiesceAll and Gateway.DrainShutdown wrap their
// error with it when they know the node was not touched (an HTTP error
// answer), so the engine neither rolls the node back nor tells the operator
// it may be going down. Errors without the mark (no answer, a lost answer)
// leave the node's state open.
func Refused(err error) error {
	if err == nil {
		return nil
	}
	return &refusedError{err: err}
}

// IsRefused reports whether err carries the Refused mark.
func IsRefused(err error) bool {
	var r *refusedError
	return errors.As(err, &r)
}

type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// QuiescePortReader is optionally implemented by a Gateway. Pre-flight then
// checks, before a node is touched, that its quiesce_url points at the port
// the node uses as its quiesce port: a live port that is not the quiesce
// port answers health 200 too, but after quiescing it would not tell
// whether the node has drained (and without any quiesce port set the
// gateway refuses quiesce mode for all).
type QuiescePortReader interface {
	// QuiescePort returns the number of the node's quiesce port (0 when
	// the node names one but its number cannot be read) and set = false
	// when the node has none. An error means the setting could not be
	// read; pre-flight then relies on the health check alone.
	QuiescePort(ctx context.Context, nodeURL string) (port int, set bool, err error)
}
