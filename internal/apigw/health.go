package apigw

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

const healthPath = "/rest/apigateway/health"

// Health probes GET /rest/apigateway/health the way load balancers and the
// vendor's scripts do: exactly once, on a fresh connection, bounded by
// RequestTimeout and ctx, without credentials unless
// Config.HealthProbeCredentials. It returns whatever status the node
// answered (200 ready, 500 not ready); the error is set when no HTTP answer
// arrived, which during a drain means the node is done, and when the node
// refused the probe (401 or 403, a *HealthRefusedError along with the
// status): a probe the node will not answer says nothing about its state.
func (c *Client) Health(ctx context.Context, baseURL string) (int, error) {
	sent := c.cfg.HealthProbeCredentials
	r, err := c.do(ctx, baseURL, call{op: "health check", method: http.MethodGet,
		path: healthPath, probe: true, noAuth: !sent, quiet: true, anyStatus: true})
	if err != nil {
		return 0, err
	}
	if r.status == http.StatusUnauthorized || r.status == http.StatusForbidden {
		return r.status, &HealthRefusedError{URL: r.url, StatusCode: r.status, CredentialsSent: sent,
			Message: truncate(ErrorMessage(r.body), maxMessageLen)}
	}
	return r.status, nil
}

// HealthRefusedError is a health probe the node answered with 401 or 403:
// it requires credentials for its health endpoint (the vendor's pages
// disagree on whether it does), refuses the ones sent, or (403) the port's
// access mode denies the caller. That is a configuration problem, to be
// fixed with health_probe_credentials, the credentials or the port, never
// a node that is "not ready" or "drained".
type HealthRefusedError struct {
	URL             string // without credentials
	StatusCode      int
	CredentialsSent bool   // health_probe_credentials was on
	Message         string // the gateway's, per ErrorMessage
}

func (e *HealthRefusedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "health check: GET %s: HTTP %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if m := strings.TrimRight(e.Message, ".!;: \t\r\n"); m != "" {
		b.WriteString(": " + m)
	}
	switch {
	case !e.CredentialsSent && e.StatusCode == http.StatusUnauthorized:
		b.WriteString("; the gateway requires credentials for its health endpoint: set health_probe_credentials = true in the provider configuration so that health probes send username and password")
	case !e.CredentialsSent:
		b.WriteString("; the gateway refuses the probe: set health_probe_credentials = true if it requires a user for its health endpoint, and check that the port's access mode allows this machine")
	case e.StatusCode == http.StatusUnauthorized:
		b.WriteString("; the gateway refused the credentials sent with health_probe_credentials: check username and password (or APIGW_USERNAME and APIGW_PASSWORD)")
	default:
		b.WriteString("; the gateway refuses the probe made with health_probe_credentials: the user may lack the privilege to call the health endpoint (use an API Gateway administrator), or the port's access mode denies this machine")
	}
	return b.String()
}

// IsHealthRefused reports whether err is a health probe refused with 401
// or 403.
func IsHealthRefused(err error) bool {
	var he *HealthRefusedError
	return errors.As(err, &he)
}
