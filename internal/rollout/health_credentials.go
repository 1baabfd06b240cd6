package rollout

import "fmt"

// HealthCredentials marks err, returned by Gateway.Health along with the
// status, as a probe the node refused (HTTP 401 or 403): it requires
// credentials for its health endpoint (health_probe_credentials), or
// refuses the ones sent. That says nothing about the node's state, so the
// engine never reads it as "not ready" nor as "drained": it stops where it
// sees one, and a node it can no longer observe is not rolled back.
func HealthCredentials(err error) error { return withMark(credentialsRefused{}, err) }

// IsHealthCredentials reports whether err carries the HealthCredentials mark.
func IsHealthCredentials(err error) bool {
	_, ok := markOf[credentialsRefused](err)
	return ok
}

// credentialsRefused is the mark of HealthCredentials.
type credentialsRefused struct{}

// credentialsRefusal is the plan-time refusal of a node whose health probe
// was refused: no node is touched while health cannot be read.
func credentialsRefusal(name string, err error) error {
	return fmt.Errorf("node %q: %w; no node was touched: the rollout cannot tell whether a node is ready or has drained while its health probes are refused", name, err)
}
