package apigw

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

const (
	healthPath       = "/rest/apigateway/health"
	engineHealthPath = "/rest/apigateway/health/engine"
)

// Health probes GET /rest/apigateway/health the way load balancers and the
// vendor's scripts do: without credentials, exactly once, on a fresh
// connection, bounded by RequestTimeout and ctx. It returns whatever status
// the node answered (200 ready, 500 not ready); the error is set only when
// no HTTP answer arrived, which during a drain means the node is done.
func (c *Client) Health(ctx context.Context, baseURL string) (int, error) {
	r, err := c.do(ctx, baseURL, call{op: "health check", method: http.MethodGet,
		path: healthPath, noAuth: true, quiet: true,
		answer: func(int, []byte) bool { return true }})
	if err != nil {
		return 0, err
	}
	return r.status, nil
}

// EngineHealth is the node's view of itself and its data stores.
type EngineHealth struct {
	Status            string // green, yellow or red (lower-cased)
	TerracottaNodes   int
	TerracottaHealthy int
	Raw               map[string]any // the whole answer, for fields not modelled here
}

// EngineHealth reads GET /rest/apigateway/health/engine. A red engine
// answers 500 with a normal body: that is returned as a result, not an
// error, and not retried.
func (c *Client) EngineHealth(ctx context.Context, nodeURL string) (*EngineHealth, error) {
	cl := call{op: "get engine health", method: http.MethodGet, path: engineHealthPath, retry: true,
		answer: func(status int, body []byte) bool {
			_, ok := decodeEngineHealth(body)
			return status >= 500 && ok
		}}
	r, err := c.do(ctx, nodeURL, cl)
	if err != nil {
		return nil, err
	}
	h, ok := decodeEngineHealth(r.body)
	if !ok {
		return nil, r.decodeError(cl, errors.New("no engine status in the answer"))
	}
	return h, nil
}

// decodeEngineHealth accepts a JSON object that carries a status; the
// Terracotta counts are best effort, as they are informational.
func decodeEngineHealth(body []byte) (*EngineHealth, bool) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return nil, false
	}
	status := strings.ToLower(fieldText(fields["status"]))
	if status == "" {
		return nil, false
	}
	var raw map[string]any
	_ = json.Unmarshal(body, &raw) // cannot fail: body is a valid object
	h := &EngineHealth{Status: status, Raw: raw}
	var tc struct {
		Nodes   FlexInt `json:"nodes"`
		Healthy FlexInt `json:"healthy_nodes"`
	}
	if json.Unmarshal(fields["terracotta"], &tc) == nil {
		h.TerracottaNodes, h.TerracottaHealthy = int(tc.Nodes), int(tc.Healthy)
	}
	return h, true
}
