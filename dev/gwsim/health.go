package gwsim

import (
	"net/http"
	"time"
)

// serveHealth answers GET /rest/apigateway/health, without auth unless
// Variants.HealthNeedsCredentials (wrong credentials are refused either
// way, see healthAuthorized): 200 with an
// empty body when ready (and while quiescing: that is the tutorial's drain
// signal on the quiesce port), 500 while starting, and the configured
// status once the package is disabled by quiesce for all.
func (n *Node) serveHealth(w http.ResponseWriter, r *http.Request, p *port) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, "Method %s not allowed", r.Method)
		return
	}
	if !n.healthAuthorized(w, r) {
		return
	}
	status := n.healthStatus(p)
	switch status {
	case http.StatusOK:
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	case http.StatusInternalServerError:
		writeError(w, status, "API Gateway is not ready")
	default:
		writeError(w, status, "API Gateway package is not available")
	}
}

// healthStatus decides the health answer and consumes one probe of a
// SlowStartProbes fault, then one flap of a HealthFlaps fault, when asked
// on the primary port. A HealthRed fault turns
// every 200 of a node that is up into 500, and a QuiescingHealth500 fault
// every second answer while it quiesces.
func (n *Node) healthStatus(p *port) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch n.state {
	case StateReady:
		if n.faults.HealthRed {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	case StateQuiescing:
		if n.faults.HealthRed || n.quiescingBlipLocked() {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	case StateQuiesced:
		return n.c.opts.Variants.QuiescedHealthStatus
	case StateStarting:
		if !n.booted || n.faults.HealthRed {
			return http.StatusInternalServerError
		}
		if n.startsLeft > 0 {
			if p.primary {
				n.startsLeft--
			}
			return http.StatusInternalServerError
		}
		if n.flapsLeft > 0 {
			if !p.primary {
				return http.StatusInternalServerError
			}
			i := n.flapIndex
			n.flapIndex++
			n.flapsLeft--
			if i%2 == 0 {
				return http.StatusOK
			}
			return http.StatusInternalServerError
		}
		n.state = StateReady
		n.c.emit(n.name, EventReady, "health settled")
		return http.StatusOK
	}
	return http.StatusServiceUnavailable
}

// quiescingBlipLocked counts one health answer of a quiescing node and
// reports whether a QuiescingHealth500 fault makes it a 500.
func (n *Node) quiescingBlipLocked() bool {
	if n.blipsLeft <= 0 {
		return false
	}
	i := n.blipIndex
	n.blipIndex++
	if i%2 == 0 {
		return false
	}
	n.blipsLeft--
	n.c.emit(n.name, EventFault, "health 500 while quiescing (data store red for a moment)")
	return true
}

// serveHealthDetail answers /rest/apigateway/health/engine, with the same
// credential rules as serveHealth.
func (n *Node) serveHealthDetail(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/rest/apigateway/health/engine" {
		writeError(w, http.StatusNotFound, "No health check at %s", r.URL.Path)
		return
	}
	if !n.healthAuthorized(w, r) {
		return
	}
	n.mu.Lock()
	state, booted, red := n.state, n.booted, n.faults.HealthRed
	n.mu.Unlock()
	if state == StateQuiesced {
		writeError(w, n.c.opts.Variants.QuiescedHealthStatus, "API Gateway package is not available")
		return
	}
	healthy := 0
	for _, o := range n.c.nodes {
		if s := o.State(); s == StateReady || s == StateQuiescing {
			healthy++
		}
	}
	total := len(n.c.nodes)
	status, code := "green", http.StatusOK
	switch {
	case state == StateStarting && !booted, red:
		status, code = "red", http.StatusInternalServerError
	case healthy < total:
		status = "yellow"
	}
	ms := func(d time.Duration) string { return itoa(int(d / time.Millisecond)) }
	writeJSON(w, code, map[string]any{
		"status": status,
		"elasticsearch": map[string]string{
			"status":       "green",
			"cluster_name": "gwsim-datastore",
		},
		"is": map[string]string{
			"status":           map[bool]string{true: "green", false: "red"}[code == http.StatusOK],
			"response_time_ms": ms(time.Millisecond),
		},
		"terracotta": map[string]string{
			"status":           map[bool]string{true: "green", false: "yellow"}[healthy == total],
			"nodes":            itoa(total),
			"healthy_nodes":    itoa(healthy),
			"response_time_ms": ms(2 * time.Millisecond),
		},
	})
}

// healthAuthorized refuses (401) a health request without valid credentials
// under Variants.HealthNeedsCredentials, and one with wrong credentials
// always; ok false means the answer is written.
func (n *Node) healthAuthorized(w http.ResponseWriter, r *http.Request) (ok bool) {
	_, _, sent := r.BasicAuth()
	if (sent || n.c.opts.Variants.HealthNeedsCredentials) && !n.c.authorized(r) {
		writeUnauthorized(w)
		return false
	}
	return true
}
