package gwsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// quiesceTurns watches the vendor's rule that quiesce mode for all is asked
// of one node at a time: the next node's request only once the previous
// node has entered the mode, which is when its PUT is answered (the drain
// itself goes on in the background). A request is in flight from its
// arrival at a node (before AdminLatency) until its answer; one that
// arrives while another is in flight anywhere in the cluster is an overlap.
type quiesceTurns struct {
	mu       sync.Mutex
	inFlight map[string]int // node name → requests being answered
	overlaps int
}

// begin records a quiesce-for-all request arriving at node; overlap names
// the nodes whose requests were in flight already ("" when none). end must
// be called once the answer is written.
func (q *quiesceTurns) begin(node string) (end func(), overlap string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.inFlight == nil {
		q.inFlight = map[string]int{}
	}
	var busy []string
	for name, k := range q.inFlight {
		if k > 0 {
			busy = append(busy, name)
		}
	}
	if len(busy) > 0 {
		q.overlaps++
		overlap = strings.Join(busy, ", ")
	}
	q.inFlight[node]++
	return func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		q.inFlight[node]--
	}, overlap
}

// QuiesceOverlaps counts quiesce-for-all requests that arrived while
// another one (to any node of the cluster) was still being answered.
func (c *Cluster) QuiesceOverlaps() int {
	c.quiesce.mu.Lock()
	defer c.quiesce.mu.Unlock()
	return c.quiesce.overlaps
}

// watchQuiesceTurn is the admin wrapper's part of the rule: it records an
// overlapping quiesce-for-all request (event quiesce_overlap) and, under
// Options.SerialQuiesce, refuses it with a 500 before any work. ok false
// means the answer is written; end must be called either way.
func (n *Node) watchQuiesceTurn(w http.ResponseWriter, r *http.Request) (end func(), ok bool) {
	if !quiesceAllRequest(r) {
		return func() {}, true
	}
	end, overlap := n.c.quiesce.begin(n.name)
	if overlap == "" {
		return end, true
	}
	n.c.emit(n.name, EventQuiesceOverlap, "requested while the request of "+overlap+" was still being answered")
	if !n.c.opts.SerialQuiesce {
		return end, true
	}
	writeError(w, http.StatusInternalServerError, "%s", fmt.Sprintf(
		"Quiesce mode for all is being entered on %s: invoke it on one node at a time (simulated check)", overlap))
	return end, false
}

// quiesceAllRequest reports whether r asks for quiesce mode for all,
// leaving its body readable for the handler.
func quiesceAllRequest(r *http.Request) bool {
	if r.Method != http.MethodPut || r.URL.Path != "/rest/apigateway/quiescemode" || r.Body == nil {
		return false
	}
	b, err := readBody(r)
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return false
	}
	block := looseString(m["block"])
	return block == "all"
}
