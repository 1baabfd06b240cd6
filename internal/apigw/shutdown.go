package apigw

import (
	"context"
	"net/http"
	"strings"
)

const shutdownPath = "/rest/apigateway/shutdown"

// ShutdownRequest is the body of POST /rest/apigateway/shutdown (10.7+).
type ShutdownRequest struct {
	Bounce  bool   // restart after shutdown
	Option  string // "drain" (default here) or "force"
	Timeout int    // minutes to wait for sessions to end under "drain"
	Quiesce bool   // flush and come back in quiesce mode
}

// Shutdown asks the node to stop. It is never retried: the first attempt
// may have been accepted even when its answer was lost. An empty Option is
// sent as "drain", which never cuts running requests short. With "drain"
// the node waits up to Timeout minutes for client sessions to end, and an
// open connection may hold one: Shutdown first closes the client's idle
// connections and has the node close this one after answering, so the
// client keeps none (health probes use a fresh connection each time, and
// the client keeps no cookies).
func (c *Client) Shutdown(ctx context.Context, nodeURL string, r ShutdownRequest) error {
	opt := strings.ToLower(strings.TrimSpace(r.Option))
	if opt == "" {
		opt = "drain"
	}
	body := struct {
		Bounce  bool   `json:"bounce"`
		Option  string `json:"option"`
		Timeout int    `json:"timeout"`
		Quiesce bool   `json:"quiesce"`
	}{r.Bounce, opt, r.Timeout, r.Quiesce}
	_, err := c.do(ctx, nodeURL, call{op: "shut down node", method: http.MethodPost,
		path: shutdownPath, body: body, holdNoSession: true})
	return err
}
