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
	// baseURL (a primary or a quiesce URL). An error means no answer at all;
	// it carries the reason as a Silence (see Silent), because only a
	// refused connection proves that nothing listens on the port. The one
	// exception is a probe the node refused (401 or 403): the status comes
	// with an error marked HealthCredentials.
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
func Refused(err error) error { return withMark(refusal{}, err) }

// IsRefused reports whether err carries the Refused mark.
func IsRefused(err error) bool {
	_, ok := markOf[refusal](err)
	return ok
}

// refusal is the mark of Refused.
type refusal struct{}

// QuiescePortReader is optionally implemented by a Gateway. Pre-flight then
// checks, before a node is touched, that its quiesce_url points at the port
// the node uses as its quiesce port (a live port that is not the quiesce
// port answers health 200 too, but after quiescing it would not tell
// whether the node has drained; and without any quiesce port set the
// gateway refuses quiesce mode for all), and that the gateway would accept
// that port: enabled, not suspended, in access mode allow.
type QuiescePortReader interface {
	// QuiescePort reads the node's quiesce-port setting. An error means
	// the setting could not be read; pre-flight then relies on the health
	// check alone.
	QuiescePort(ctx context.Context, nodeURL string) (QuiescePortSetting, error)
}

// QuiescePortSetting is a node's quiesce port as pre-flight sees it.
type QuiescePortSetting struct {
	// Set is false when the node has no quiesce port set.
	Set bool
	// Port is the quiesce port's number, 0 when it cannot be read.
	Port int
	// Unfit says why the gateway would refuse the port for quiesce mode
	// for all, e.g. "suspended" or `in access mode "deny"`; "" when it
	// would accept it or the port's state could not be read.
	Unfit string
}

// Silence is why a Gateway call got no HTTP answer. The engine tells a node
// that is provably out of service (a refused connection: nothing listens on
// its port) from one the machine running Terraform merely cannot reach, and
// says which it saw.
type Silence int

// The reasons for no answer a Gateway tells apart.
const (
	SilenceOther   Silence = iota // e.g. a TLS failure or an unreachable network
	SilenceRefused                // connection refused: nothing listens on the port
	SilenceClosed                 // connection accepted, then closed or reset without an answer
	SilenceTimeout                // no answer in time
	SilenceDNS                    // the host name does not resolve
)

func (s Silence) String() string {
	switch s {
	case SilenceRefused:
		return "connection refused"
	case SilenceClosed:
		return "connection closed without an answer"
	case SilenceTimeout:
		return "timeout"
	case SilenceDNS:
		return "DNS: the host name does not resolve"
	}
	return "no answer"
}

// Silent marks err, a call that got no HTTP answer, with the reason s.
// Gateway.Health wraps its errors with it; an unmarked error counts as
// SilenceOther.
func Silent(s Silence, err error) error { return withMark(s, err) }

// SilenceOf returns the reason carried by err (SilenceOther when unmarked).
func SilenceOf(err error) Silence {
	if s, ok := markOf[Silence](err); ok {
		return s
	}
	return SilenceOther
}
