package apigw

import (
	"context"
	"net/http"
)

const healthPath = "/rest/apigateway/health"

// Health probes GET /rest/apigateway/health the way load balancers and the
// vendor's scripts do: without credentials, exactly once, on a fresh
// connection, bounded by RequestTimeout and ctx. It returns whatever status
// the node answered (200 ready, 500 not ready); the error is set only when
// no HTTP answer arrived, which during a drain means the node is done.
func (c *Client) Health(ctx context.Context, baseURL string) (int, error) {
	r, err := c.do(ctx, baseURL, call{op: "health check", method: http.MethodGet,
		path: healthPath, noAuth: true, quiet: true, anyStatus: true})
	if err != nil {
		return 0, err
	}
	return r.status, nil
}
