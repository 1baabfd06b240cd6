package gwsim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestQuiesceOverlapsAreSeen: gw-1's quiesce request is held by an admin
// delay; gw-2's arrives meanwhile. The simulator counts the overlap and
// records it; with SerialQuiesce it also refuses gw-2's request before any
// work. A request sent once the previous one was answered is no overlap,
// though that node still drains.
func TestQuiesceOverlapsAreSeen(t *testing.T) {
	t.Run("SerialQuiesce off", func(t *testing.T) { checkQuiesceOverlap(t, false) })
	t.Run("SerialQuiesce on", func(t *testing.T) { checkQuiesceOverlap(t, true) })
}

// checkQuiesceOverlap is TestQuiesceOverlapsAreSeen on a cluster of its own
// (closed when the subtest ends) with SerialQuiesce set to serial.
func checkQuiesceOverlap(t *testing.T, serial bool) {
	c := startCluster(t, Options{Nodes: 3, SerialQuiesce: serial, DrainTime: waitLimit})
	nodes := c.Nodes()
	for _, n := range nodes {
		setupQuiescePort(t, n)
	}
	nodes[0].SetFaults(Faults{AdminDelay: time.Second})
	first := make(chan answer, 1)
	go func() { first <- quiesceAll(nodes[0]) }()
	waitFor(t, "gw-1's request to arrive", func() bool {
		c.quiesce.mu.Lock()
		defer c.quiesce.mu.Unlock()
		return c.quiesce.inFlight["gw-1"] == 1
	})
	second := quiesceAll(nodes[1])
	expectStatus(t, <-first, http.StatusOK)
	if serial {
		expectStatus(t, second, http.StatusInternalServerError)
		if !strings.Contains(string(second.body), "one node at a time") || nodes[1].State() != StateReady {
			t.Fatalf("serial: gw-2 answered %s and is %s; want a refusal and the node untouched", second.body, nodes[1].State())
		}
	} else {
		expectStatus(t, second, http.StatusOK)
	}
	if got := c.QuiesceOverlaps(); got != 1 {
		t.Fatalf("serial=%v: overlaps = %d, want 1", serial, got)
	}
	if k := kinds(c.Events(), "gw-2"); !strings.Contains(strings.Join(k, " "), EventQuiesceOverlap) {
		t.Fatalf("serial=%v: gw-2 events %v lack %s", serial, k, EventQuiesceOverlap)
	}
	// gw-1 is still draining: that does not hold up the next request.
	if nodes[0].State() != StateQuiescing {
		t.Fatalf("gw-1 is %s, want still quiescing", nodes[0].State())
	}
	expectStatus(t, quiesceAll(nodes[2]), http.StatusOK)
	if got := c.QuiesceOverlaps(); got != 1 {
		t.Fatalf("serial=%v: overlaps = %d after a request sent in turn, want still 1", serial, got)
	}
}
