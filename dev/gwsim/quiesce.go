package gwsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// quiesceOp is a quiesce for all in progress.
type quiesceOp struct {
	flush   []string
	started time.Time
}

// quiesceStatus is what GET quiescemode reports about the last operation.
type quiesceStatus struct {
	Block         string   `json:"block"`
	Enable        bool     `json:"enable"`
	Flush         []string `json:"flush,omitempty"`
	Status        *string  `json:"status,omitempty"`
	FailureReason string   `json:"failureReason,omitempty"`
}

func strPtr(s string) *string { return &s }

// quiesceAnswer is the PUT answer; "status" is always present and null
// while the work continues in the background, "failure" (with a
// failureReason) when the request failed inside a 200.
type quiesceAnswer struct {
	Block         string   `json:"block"`
	Flush         []string `json:"flush,omitempty"`
	Enable        bool     `json:"enable"`
	Status        *string  `json:"status"`
	FailureReason string   `json:"failureReason,omitempty"`
}

const invalidQuiescePort = "A valid quiesce port should be set, enabled, not suspended and have allow access mode prior to enabling quiesce mode for all"

// putQuiesceMode enables quiesce for all (in the background) or switches
// design-time quiesce on and off.
func (n *Node) putQuiesceMode(w http.ResponseWriter, r *http.Request) {
	m, err := readObject(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	block := looseString(m["block"])
	enable, hasEnable, err := looseBool(m["enable"])
	switch {
	case err != nil:
		writeError(w, http.StatusBadRequest, "enable: %v", err)
		return
	case !hasEnable:
		writeError(w, http.StatusBadRequest, "enable is required")
		return
	case block != "all" && block != "designtime":
		writeError(w, http.StatusBadRequest, "block must be \"all\" or \"designtime\", got %q", block)
		return
	}
	flush, err := parseFlush(m["flush"])
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if block == "designtime" {
		n.putDesigntime(w, enable)
		return
	}
	if !enable {
		writeError(w, http.StatusBadRequest, "Quiesce mode for all cannot be disabled through the API; restart the server to leave it")
		return
	}

	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.quiesceLocked():
		writeError(w, http.StatusConflict, "Quiesce mode for all is already in effect")
		return
	case n.faults.QuiesceRefused:
		reason := "Failed to enable quiesce mode for all: the server refused (simulated fault)"
		n.lastOp = &quiesceStatus{Block: "all", Enable: false, Flush: flush, Status: strPtr("failure"), FailureReason: reason}
		n.c.emit(n.name, EventQuiesceFailed, "refused (fault)")
		writeError(w, http.StatusInternalServerError, "%s", reason)
		return
	case n.faults.QuiesceFailure:
		reason := "Failed to enable quiesce mode for all: the flush of in-memory data could not be started (simulated fault)"
		n.lastOp = &quiesceStatus{Block: "all", Enable: false, Flush: flush, Status: strPtr("failure"), FailureReason: reason}
		n.c.emit(n.name, EventQuiesceFailed, "failure in a 200 answer (fault)")
		writeJSON(w, http.StatusOK, quiesceAnswer{Block: "all", Flush: flush, Enable: true, Status: strPtr("failure"), FailureReason: reason})
		return
	case n.state != StateReady:
		writeError(w, http.StatusInternalServerError, "The server is %s and cannot enter quiesce mode", n.state)
		return
	}
	qp := n.quiescePortLocked()
	if qp == nil || !qp.listens() || qp.accessMode != accessAllow || n.listeners[qp.key] == nil {
		n.lastOp = &quiesceStatus{Block: "all", Enable: false, Flush: flush, Status: strPtr("failure"), FailureReason: invalidQuiescePort}
		n.c.emit(n.name, EventQuiesceFailed, "no valid quiesce port")
		writeError(w, http.StatusInternalServerError, "%s", invalidQuiescePort)
		return
	}
	op := &quiesceOp{flush: flush, started: time.Now()}
	n.state = StateQuiescing
	n.blipsLeft, n.blipIndex = n.faults.QuiescingHealth500, 0
	n.lastOp = &quiesceStatus{Block: "all", Enable: true, Flush: flush, Status: strPtr("in progress")}
	n.c.emit(n.name, EventQuiesceRequested, "flush "+strings.Join(flush, ","))
	g, life := n.gen, n.life
	n.c.work.Go(func() { n.runQuiesce(g, life, op) })
	writeJSON(w, http.StatusOK, quiesceAnswer{Block: "all", Flush: flush, Enable: true})
}

// parseFlush validates the flush list; omitted or empty means all three.
func parseFlush(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return append([]string(nil), allFlush...), nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("flush must be a list of %s", strings.Join(allFlush, ", "))
	}
	if len(list) == 0 {
		return append([]string(nil), allFlush...), nil
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range list {
		if flushIndex(f) < 0 {
			return nil, fmt.Errorf("invalid flush value %q: allowed are %s", f, strings.Join(allFlush, ", "))
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out, nil
}

func (n *Node) putDesigntime(w http.ResponseWriter, enable bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.designBlocked == enable {
		writeError(w, http.StatusConflict, "Quiesce mode for design time is already %s", map[bool]string{true: "enabled", false: "disabled"}[enable])
		return
	}
	n.designBlocked = enable
	n.lastOp = &quiesceStatus{Block: "designtime", Enable: enable, Status: strPtr("success")}
	if enable {
		n.c.emit(n.name, EventDesigntimeBlocked, "")
	} else {
		n.c.emit(n.name, EventDesigntimeLifted, "")
	}
	writeJSON(w, http.StatusOK, quiesceStatus{Block: "designtime", Enable: enable, Status: strPtr("success")})
}

// getQuiesceMode reports the last quiesce operation. Once quiesce for all is
// complete the package is disabled and this call cannot be reached.
func (n *Node) getQuiesceMode(w http.ResponseWriter) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.lastOp == nil {
		writeJSON(w, http.StatusOK, quiesceStatus{Block: "designtime", Enable: n.designBlocked})
		return
	}
	writeJSON(w, http.StatusOK, n.lastOp)
}

// runQuiesce is the background part of quiesce for all: wait for DrainTime
// and for running requests, close every listener but the quiesce port (the
// requests admitted meanwhile finish), flush the metrics, disable the
// package. Faults can stall it or crash the node halfway.
func (n *Node) runQuiesce(g uint64, life <-chan struct{}, op *quiesceOp) {
	drainTime := n.c.opts.DrainTime
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-life:
			return
		case <-n.c.ctx.Done():
			return
		case <-tick.C:
		}
		n.mu.Lock()
		f, inflight := n.faults, n.inflight
		n.mu.Unlock()
		elapsed := time.Since(op.started)
		if f.RefuseMidDrain && elapsed >= drainTime/2 {
			n.refuseMidDrain(g)
			return
		}
		if f.DrainNeverEnds {
			continue
		}
		if elapsed >= drainTime && inflight == 0 {
			break
		}
	}
	n.finishQuiesce(g, op)
}

func (n *Node) refuseMidDrain(g uint64) {
	n.opMu.Lock()
	defer n.opMu.Unlock()
	n.mu.Lock()
	same := n.gen == g
	n.mu.Unlock()
	if !same {
		return
	}
	n.c.emit(n.name, EventFault, "listeners closed abruptly while quiescing")
	n.crash("crashed while quiescing (fault)")
}

func (n *Node) finishQuiesce(g uint64, op *quiesceOp) {
	n.opMu.Lock()
	defer n.opMu.Unlock()
	n.mu.Lock()
	if n.gen != g || n.state != StateQuiescing {
		n.mu.Unlock()
		return
	}
	n.gate = true
	qp := n.quiescePortLocked()
	ls := n.takeListenersLocked(func(key string) bool { return qp != nil && key == qp.key })
	n.mu.Unlock()

	n.drainServers(n.c.ctx, ls)

	n.mu.Lock()
	if n.gen != g || n.state != StateQuiescing {
		n.mu.Unlock()
		return
	}
	counts := n.flushLocked(op.flush)
	n.state = StateQuiesced
	n.lastOp = &quiesceStatus{Block: "all", Enable: true, Flush: op.flush, Status: strPtr("success")}
	n.c.emit(n.name, EventQuiesceCompleted, "flushed "+counts)
	n.mu.Unlock()
	n.c.fireWebhooks(n.name, "migration:quiesce:all:completed")
}

// flushLocked moves the named in-memory metrics to the shared store.
func (n *Node) flushLocked(flush []string) string {
	var parts []string
	for _, f := range flush {
		i := flushIndex(f)
		n.c.store.add(n.name, i, n.mem[i])
		parts = append(parts, fmt.Sprintf("%s=%d", f, n.mem[i]))
		n.mem[i] = 0
	}
	detail := strings.Join(parts, " ")
	n.c.emit(n.name, EventFlushed, detail)
	return detail
}

// setQuiescePort serves wm.server.quiesce:setQuiescePort. The alias comes
// from a JSON body or from the query string.
func (n *Node) setQuiescePort(w http.ResponseWriter, r *http.Request) {
	alias := r.URL.Query().Get("portAlias")
	if alias == "" && r.Body != nil {
		b, err := readBody(r)
		if err != nil {
			writeError(w, http.StatusBadRequest, "%v", err)
			return
		}
		if len(strings.TrimSpace(string(b))) > 0 {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(b, &m); err != nil {
				writeError(w, http.StatusBadRequest, "invalid JSON payload: %v", err)
				return
			}
			alias = looseString(m["portAlias"])
		}
	}
	if alias == "" {
		writeError(w, http.StatusBadRequest, "portAlias is required")
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.quiesceLocked() {
		writeError(w, http.StatusInternalServerError, "The quiesce port cannot be changed while the server is in quiesce mode")
		return
	}
	p := n.portByAliasLocked(alias)
	if p == nil {
		writeError(w, http.StatusInternalServerError, "Port alias %s does not exist", alias)
		return
	}
	n.quiesceAlias = alias
	n.c.emit(n.name, EventQuiescePortSet, fmt.Sprintf("%s (%s)", alias, p.key))
	writeJSON(w, http.StatusOK, map[string]string{"portAlias": alias})
}
