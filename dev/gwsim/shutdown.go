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
	minutes int  // drain bound in minutes (Options.ShutdownMinute each); 0 waits as long as sessions last
	quiesce bool // flush first, come back in quiesce mode
}

// forceGrace lets the "shutdown in progress" answer reach the client
// before a forced shutdown cuts every connection.
const forceGrace = 100 * time.Millisecond

// parseShutdown reads the body (booleans and numbers may be strings, as in
// the vendor's Postman collection) and, for the Integration Server service,
// the query string.
func parseShutdown(fields map[string]json.RawMessage) (shutdownRequest, error) {
	var req shutdownRequest
	req.option = looseString(fields["option"])
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
	req.minutes = int(minutes)
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
	n.c.emit(n.name, EventShutdownRequested, fmt.Sprintf("option=%s timeout=%dm bounce=%t quiesce=%t", req.option, req.minutes, req.bounce, req.quiesce))
	n.mu.Unlock()
	n.c.work.Go(func() { n.finishShutdown(g, req) })
	// The vendor's example answer echoes the request next to the message,
	// the timeout as a string.
	writeJSON(w, http.StatusOK, map[string]any{
		"bounce":  req.bounce,
		"option":  req.option,
		"timeout": itoa(req.minutes),
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
	reason := "shutdown (" + req.option + ")"
	if req.option == "drain" {
		bound := time.Duration(req.minutes) * n.c.opts.ShutdownMinute
		if bound == 0 {
			bound = 24 * time.Hour
		}
		n.drainSessions(bound, reason, req.quiesce)
	} else {
		n.stopGracefully(forceGrace, reason, req.quiesce)
	}
	if req.bounce && n.c.ctx.Err() == nil {
		if err := n.start(version, nil); err != nil {
			n.c.emit(n.name, EventFault, "bounce failed: "+err.Error())
		}
	}
}

// sessionPoll is how often a drain shutdown looks for client sessions left.
const sessionPoll = 5 * time.Millisecond

// drainSessions is shutdown with option drain: the node takes no new work
// (runtime requests are refused, health answers 503) but keeps its ports
// open, answering every request with Connection: close, until no client
// session is left or bound has passed; then it stops, cutting whatever
// still runs. A session is an open client connection: one with a request
// running, or a keep-alive connection its client has not closed, such as a
// pooled connection of an admin client. flush writes the in-memory metrics
// to the store first (shutdown with quiesce). The caller holds opMu.
func (n *Node) drainSessions(bound time.Duration, reason string, flush bool) {
	n.mu.Lock()
	g, life := n.gen, n.life
	n.mu.Unlock()
	deadline := time.Now().Add(bound)
	tick := time.NewTicker(sessionPoll)
	defer tick.Stop()
	for n.openSessions() > 0 && time.Now().Before(deadline) {
		select {
		case <-life: // stopped meanwhile (Stop)
			return
		case <-n.c.ctx.Done():
			return
		case <-tick.C:
		}
	}
	n.stopNow(g, reason, flush)
}

// openSessions counts the client connections open on the node's listeners.
func (n *Node) openSessions() int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	var open int64
	for _, s := range n.listeners {
		open += s.conns.Load()
	}
	for s := range n.draining {
		open += s.conns.Load()
	}
	return open
}
