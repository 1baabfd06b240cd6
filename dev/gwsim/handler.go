package gwsim

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"
)

// handler serves every listener of the node. p is the port the listener
// belongs to: the quiesce port keeps answering (health, Integration Server
// services) after the node has quiesced.
func (n *Node) handler(p *port) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if f := n.c.opts.OnRequest; f != nil {
			f(n.name, p.number, path)
		}
		if !n.answerAtAll(r) {
			panic(http.ErrAbortHandler)
		}
		if n.State() == StateStopping {
			// A node shutting down ends each client session with the
			// request it answers (see drainSessions).
			w.Header().Set("Connection", "close")
		}
		if n.accessDenied(w, r, p) {
			return
		}
		switch {
		case path == "/rest/apigateway/health" || path == "/rest/apigateway/health/":
			n.serveHealth(w, r, p)
		case strings.HasPrefix(path, "/rest/apigateway/health/"):
			n.serveHealthDetail(w, r)
		case path == "/gateway" || strings.HasPrefix(path, "/gateway/"):
			n.serveRuntime(w, r, p)
		case strings.HasPrefix(path, "/rest/apigateway/"):
			n.admin(w, r, true, n.routeGateway)
		case strings.HasPrefix(path, "/invoke/"):
			n.admin(w, r, false, n.routeInvoke)
		default:
			writeError(w, http.StatusNotFound, "No resource at %s", path)
		}
	})
}

// unresponsivePoll is how often a request held by the Unresponsive fault
// looks whether the fault is gone.
const unresponsivePoll = 20 * time.Millisecond

// answerAtAll holds a request while the Unresponsive fault lasts; false
// means the client, the node's incarnation or the cluster ended first.
func (n *Node) answerAtAll(r *http.Request) bool {
	for {
		n.mu.Lock()
		hold, life := n.faults.Unresponsive, n.life
		n.mu.Unlock()
		if !hold {
			return true
		}
		if !n.c.sleepRequest(r, unresponsivePoll, life) {
			return false
		}
	}
}

// authorized checks Basic credentials against the cluster's.
func (c *Cluster) authorized(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	if !ok {
		return false
	}
	uo := subtle.ConstantTimeCompare([]byte(u), []byte(c.opts.Username))
	po := subtle.ConstantTimeCompare([]byte(p), []byte(c.opts.Password))
	return uo&po == 1
}

func writeUnauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="Integration Server"`)
	writeError(w, http.StatusUnauthorized, "Invalid credentials or insufficient privileges")
}

// admin wraps every authenticated admin call: credentials first, then the
// one-quiesce-at-a-time watch (quiesce_overlap.go), then the configured
// latency, then the 503 fault (before any work, so a retry is
// safe), then the package and design-time checks.
func (n *Node) admin(w http.ResponseWriter, r *http.Request, gatewayPackage bool, route http.HandlerFunc) {
	if !n.c.authorized(r) {
		writeUnauthorized(w)
		return
	}
	end, ok := n.watchQuiesceTurn(w, r)
	defer end()
	if !ok {
		return
	}
	n.mu.Lock()
	delay := n.c.opts.AdminLatency + n.faults.AdminDelay
	life := n.life
	n.mu.Unlock()
	if delay > 0 && !n.c.sleepRequest(r, delay, life) {
		panic(http.ErrAbortHandler)
	}
	if n.admin503() {
		writeError(w, http.StatusServiceUnavailable, "Service temporarily unavailable (simulated fault); retry later")
		return
	}
	if gatewayPackage {
		n.mu.Lock()
		disabled := n.state == StateQuiesced
		blocked := n.designBlocked && isDesigntimeWrite(r)
		n.mu.Unlock()
		if disabled {
			writeError(w, http.StatusServiceUnavailable, "The API Gateway package is disabled: the server is in quiesce mode for all")
			return
		}
		if blocked {
			writeError(w, http.StatusServiceUnavailable, "API Gateway is in quiesce mode for design time: changes are blocked")
			return
		}
	}
	route(w, r)
}

// isDesigntimeWrite: design-time quiesce blocks changes but not reads, nor
// the calls needed to leave it or to shut down.
func isDesigntimeWrite(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return false
	}
	switch r.URL.Path {
	case "/rest/apigateway/quiescemode", "/rest/apigateway/shutdown", "/rest/apigateway/search":
		return false
	}
	return true
}

// routeGateway dispatches the API Gateway REST calls.
func (n *Node) routeGateway(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/rest/apigateway/ports" || strings.HasPrefix(path, "/rest/apigateway/ports/"):
		n.handlePorts(w, r)
	case path == "/rest/apigateway/quiescemode":
		switch r.Method {
		case http.MethodGet:
			n.getQuiesceMode(w)
		case http.MethodPut:
			n.putQuiesceMode(w, r)
		default:
			writeError(w, http.StatusMethodNotAllowed, "Method %s not allowed on %s", r.Method, path)
		}
	case path == "/rest/apigateway/shutdown":
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "Method %s not allowed on %s", r.Method, path)
			return
		}
		n.restShutdown(w, r)
	case path == "/rest/apigateway/is/serverinfo" && r.Method == http.MethodGet:
		n.serveServerInfo(w)
	case path == "/rest/apigateway/is/cluster" && r.Method == http.MethodGet:
		n.serveClusterInfo(w)
	case path == "/rest/apigateway/webhooks" || strings.HasPrefix(path, "/rest/apigateway/webhooks/"):
		n.handleWebhooks(w, r)
	default:
		writeError(w, http.StatusNotFound, "Resource %s %s is not available", r.Method, path)
	}
}

// routeInvoke dispatches the Integration Server services; they keep working
// while the API Gateway package is disabled by quiesce mode.
func (n *Node) routeInvoke(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/invoke/wm.server.quiesce/setQuiescePort":
		n.setQuiescePort(w, r)
	case "/invoke/wm.server.quiesce/getQuiescePortDetails":
		writeJSON(w, http.StatusOK, n.quiescePortDetails())
	case "/invoke/wm.server.admin/shutdown":
		n.invokeShutdown(w, r)
	default:
		writeError(w, http.StatusNotFound, "Service %s not found", strings.TrimPrefix(r.URL.Path, "/invoke/"))
	}
}
