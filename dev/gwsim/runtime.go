package gwsim

import (
	"net/http"
	"time"
)

// maxRuntimeDelay caps ?delay= so a typo cannot hold a test for hours.
const maxRuntimeDelay = time.Minute

// serveRuntime answers API traffic under /gateway/. Each answered request
// adds one record of each metric kind to the node's memory. ?delay=50ms
// keeps the request in flight that long. Once the node no longer serves
// traffic the connection is dropped, as a closed port would.
func (n *Node) serveRuntime(w http.ResponseWriter, r *http.Request, p *port) {
	var delay time.Duration
	if d := r.URL.Query().Get("delay"); d != "" {
		var err error
		delay, err = time.ParseDuration(d)
		if err != nil || delay < 0 || delay > maxRuntimeDelay {
			writeError(w, http.StatusBadRequest, "delay must be a duration between 0 and %s", maxRuntimeDelay)
			return
		}
	}
	n.mu.Lock()
	if n.gate || !n.runtimeAllowedLocked() {
		quiescePort := p == n.quiescePortLocked()
		starting := n.state == StateStarting
		n.mu.Unlock()
		if quiescePort || starting {
			writeError(w, http.StatusServiceUnavailable, "API Gateway is not serving API requests")
			return
		}
		panic(http.ErrAbortHandler)
	}
	g, life := n.gen, n.life
	n.inflight++
	n.mu.Unlock()

	finished := false
	defer func() {
		n.mu.Lock()
		if n.gen == g {
			n.inflight--
		}
		n.mu.Unlock()
		if !finished {
			panic(http.ErrAbortHandler)
		}
	}()
	if delay > 0 && !n.c.sleepRequest(r, delay, life) {
		return
	}
	n.mu.Lock()
	if n.gen != g {
		n.mu.Unlock()
		return
	}
	n.served++
	for i := range n.mem {
		n.mem[i]++
	}
	version := n.version
	n.mu.Unlock()
	finished = true
	writeJSON(w, http.StatusOK, map[string]string{"node": n.name, "version": version})
}

// sleepRequest waits d unless the client goes away, the node's incarnation
// ends or the cluster closes; it reports whether the full time passed.
func (c *Cluster) sleepRequest(r *http.Request, d time.Duration, life <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-life:
	case <-c.ctx.Done():
	}
	return false
}
