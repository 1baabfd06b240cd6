package rollout

import (
	"errors"
	"fmt"
)

// HealthCredentials marks err, returned by Gateway.Health along with the
// status, as a probe the node refused (HTTP 401 or 403): it requires
// credentials for its health endpoint (health_probe_credentials), or
// refuses the ones sent. That says nothing about the node's state, so the
// engine never reads it as "not ready" nor as "drained": it stops where it
// sees one, and a node it can no longer observe is not rolled back.
func HealthCredentials(err error) error {
	if err == nil {
		return nil
	}
	return &credentialsError{err: err}
}

// IsHealthCredentials reports whether err carries the HealthCredentials mark.
func IsHealthCredentials(err error) bool {
	var c *credentialsError
	return errors.As(err, &c)
}

type credentialsError struct{ err error }

func (e *credentialsError) Error() string { return e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

// credentialsRefusal is the plan-time refusal of a node whose health probe
// was refused: no node is touched while health cannot be read.
func credentialsRefusal(name string, err error) error {
	return fmt.Errorf("node %q: %w; no node was touched: the rollout cannot tell whether a node is ready or has drained while its health probes are refused", name, err)
}
