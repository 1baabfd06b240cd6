package gwsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// shutdownRequest is a parsed shutdown call.
type shutdownRequest struct {
	option  string // "drain" or "force"
	bounce  bool
	timeout time.Duration // drain bound; 0 waits as long as requests run
	quiesce bool          // flush first, come back in quiesce mode
}

// forceGrace lets the "shutdown in progress" answer reach the client
// before a forced shutdown cuts every connection.
const forceGrace = 100 * time.Millisecond

// parseShutdown reads the body (booleans and numbers may be strings, as in
// the vendor's Postman collection) and, for the Integration Server service,
// the query string.
func parseShutdown(fields map[string]json.RawMessage) (shutdownRequest, error) {
	var req shutdownRequest
	req.option, _ = looseString(fields["option"])
	req.option = strings.ToLower(req.option)
	if req.option != "drain" && req.option != "force" {
		return req, fmt.Errorf("option must be \"drain\" or \"force\", got %q", req.option)
	}
	var err error
	if req.bounce, _, err = looseBool(fields["bounce"]); err != nil {
		return req, fmt.Errorf("bounce: %v", err)
	}
	if req.quiesce, _, err = looseBool(fields["quiesce"]); err != nil {
		return req, fmt.Errorf("quiesce: %v", err)
	}
	minutes, _, err := looseInt(fields["timeout"])
	if err != nil || minutes < 0 {
		return req, fmt.Errorf("timeout must be a non-negative number of minutes")
	}
	req.timeout = time.Duration(minutes) * time.Minute
	return req, nil
}

// restShutdown serves POST /rest/apigateway/shutdown.
func (n *Node) restShutdown(w http.ResponseWriter, r *http.Request) {
	fields, err := readObject(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	n.shutdown(w, fields)
}

// invokeShutdown serves the Integration Server's wm.server.admin:shutdown,
// which also answers on the quiesce port of a quiesced node.
func (n *Node) invokeShutdown(w http.ResponseWriter, r *http.Request) {
	fields := map[string]json.RawMessage{}
	if b, err := readBody(r); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		if err := json.Unmarshal(b, &fields); err != nil {
			writeError(w, http.StatusBadRequest, "invalid JSON payload: %v", err)
			return
		}
	}
	for k, v := range r.URL.Query() {
		if _, set := fields[k]; !set && len(v) > 0 {
			fields[k], _ = json.Marshal(v[0])
		}
	}
	n.shutdown(w, fields)
}

func (n *Node) shutdown(w http.ResponseWriter, fields map[string]json.RawMessage) {
	req, err := parseShutdown(fields)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	n.mu.Lock()
	if n.state == StateStopping || n.state == StateStopped {
		n.mu.Unlock()
		writeError(w, http.StatusConflict, "Server shutdown is already in progress")
		return
	}
	g := n.gen
	n.state, n.gate = StateStopping, true
	if req.quiesce {
		n.startQuiesced = true
	}
	n.c.emit(n.name, EventShutdownRequested, fmt.Sprintf("option=%s timeout=%s bounce=%t quiesce=%t", req.option, req.timeout, req.bounce, req.quiesce))
	n.mu.Unlock()
	n.c.work.Go(func() { n.finishShutdown(g, req) })
	// The vendor's example answer echoes the request next to the message,
	// the timeout as a string.
	writeJSON(w, http.StatusOK, map[string]any{
		"bounce":  req.bounce,
		"option":  req.option,
		"timeout": itoa(int(req.timeout / time.Minute)),
		"message": "Server shutdown is in progress.",
	})
}

// finishShutdown stops the node in the background, and starts it again on
// the same version when bounce was asked for.
func (n *Node) finishShutdown(g uint64, req shutdownRequest) {
	n.opMu.Lock()
	defer n.opMu.Unlock()
	n.mu.Lock()
	same := n.gen == g
	version := n.version
	n.mu.Unlock()
	if !same {
		return
	}
	bound := forceGrace
	if req.option == "drain" {
		bound = req.timeout
		if bound == 0 {
			bound = 24 * time.Hour
		}
	}
	n.stopGracefully(bound, "shutdown ("+req.option+")", req.quiesce)
	if req.bounce && n.c.ctx.Err() == nil {
		if err := n.start(version, nil); err != nil {
			n.c.emit(n.name, EventFault, "bounce failed: "+err.Error())
		}
	}
}
