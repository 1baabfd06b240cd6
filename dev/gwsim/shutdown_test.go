package gwsim

import (
	"net/http"
	"testing"
	"time"
)

func shutdownBody(option string) map[string]any {
	return map[string]any{"bounce": false, "option": option, "timeout": 1, "quiesce": false}
}

func TestShutdownDrain(t *testing.T) {
	c, n := startNode(t, Options{Nodes: 2})
	traffic(t, n, 3)
	res := slowRequest(t, n, "400ms")

	a := do("POST", n.URL()+"/rest/apigateway/shutdown", shutdownBody("drain"), true)
	expectStatus(t, a, http.StatusOK)
	if a.json(t)["message"] != "Server shutdown is in progress." {
		t.Fatalf("answer %s", a.body)
	}
	// New work is refused at once, though the ports stay open while a
	// session lasts (health answers 503); the running request finishes,
	// and with no session left the node stops.
	if a := do("GET", n.URL()+"/gateway/orders", nil, false); a.err == nil {
		t.Fatalf("runtime traffic answered %d while the node shuts down", a.status)
	}
	expectStatus(t, health(n.URL()), http.StatusServiceUnavailable)
	expectStatus(t, <-res, http.StatusOK)
	waitState(t, n, StateStopped)
	if a := health(n.URL()); !refused(a) {
		t.Fatalf("health after the shutdown: %d %v, want a refused connection", a.status, a.err)
	}
	// No flush on shutdown: the metrics are lost.
	if n.Served() != 4 || n.Lost() != 4 || c.StoreTotals().PerNode[n.Name()] != 0 {
		t.Fatalf("served %d lost %d store %+v", n.Served(), n.Lost(), c.StoreTotals())
	}
	got := kinds(c.Events(), n.Name())
	if i, j := indexOf(got, EventShutdownRequested), indexOf(got, EventStopped); i < 0 || j < i {
		t.Fatalf("events %v", got)
	}
	if c.MaxOutOfService() != 1 {
		t.Fatalf("out of service %d", c.MaxOutOfService())
	}
}

func TestShutdownForceCutsRequests(t *testing.T) {
	_, n := startNode(t, Options{})
	res := slowRequest(t, n, "5s")
	expectStatus(t, do("POST", n.URL()+"/rest/apigateway/shutdown", shutdownBody("force"), true), http.StatusOK)
	start := time.Now()
	if a := <-res; a.err == nil {
		t.Fatalf("forced shutdown let the request finish: %v", a)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("forced shutdown waited")
	}
	waitState(t, n, StateStopped)
}

// TestStopCutsADrain: Stop pulls the plug on a node that is draining for
// a drain shutdown: it returns at once and the running request is cut
// rather than finished.
func TestStopCutsADrain(t *testing.T) {
	_, n := startNode(t, Options{})
	res := slowRequest(t, n, "5s")
	expectStatus(t, do("POST", n.URL()+"/rest/apigateway/shutdown", shutdownBody("drain"), true), http.StatusOK)
	if n.State() != StateStopping {
		t.Fatalf("state %s after the shutdown request, want stopping", n.State())
	}
	start := time.Now()
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Stop waited %v for the drain", took)
	}
	if a := <-res; a.err == nil {
		t.Errorf("the running request finished (%d) although the node was stopped", a.status)
	}
	if n.State() != StateStopped {
		t.Errorf("state %s after Stop", n.State())
	}
}

func TestShutdownBounce(t *testing.T) {
	c, n := startNode(t, Options{Version: "10.15.0.4.1"})
	// The vendor's Postman collection sends quiesce as a string.
	a := do("POST", n.URL()+"/rest/apigateway/shutdown", `{"bounce": true, "option": "drain", "timeout": 10, "quiesce": "false"}`, true)
	expectStatus(t, a, http.StatusOK)
	waitFor(t, "bounced and ready", func() bool {
		return kinds(c.Events(), n.Name())[len(kinds(c.Events(), n.Name()))-1] == EventReady && n.State() == StateReady
	})
	if n.Version() != "10.15.0.4.1" {
		t.Fatalf("bounce changed the version: %s", n.Version())
	}
	expectStatus(t, health(n.URL()), http.StatusOK)
}

func TestShutdownWithQuiesceFlag(t *testing.T) {
	c, n := startNode(t, Options{})
	qURL := c.urlFor(setupQuiescePort(t, n))
	traffic(t, n, 2)
	expectStatus(t, do("POST", n.URL()+"/rest/apigateway/shutdown", map[string]any{"bounce": true, "option": "drain", "quiesce": true}, true), http.StatusOK)
	// Flushed before stopping, back in quiesce mode after the bounce.
	waitState(t, n, StateQuiesced)
	if c.StoreTotals().PerNode[n.Name()] != 2 || n.Lost() != 0 {
		t.Fatalf("store %+v lost %d", c.StoreTotals(), n.Lost())
	}
	if a := health(n.URL()); !refused(a) {
		t.Fatalf("primary answers in quiesce mode: %v", a)
	}
	expectStatus(t, health(qURL), http.StatusServiceUnavailable)
}

func TestShutdownValidation(t *testing.T) {
	_, n := startNode(t, Options{})
	u := n.URL() + "/rest/apigateway/shutdown"
	for name, body := range map[string]any{
		"bad JSON":      "{",
		"no option":     map[string]any{"bounce": false},
		"bad option":    map[string]any{"option": "now"},
		"bad timeout":   map[string]any{"option": "drain", "timeout": "soon"},
		"neg timeout":   map[string]any{"option": "drain", "timeout": -1},
		"bad bounce":    map[string]any{"option": "drain", "bounce": "perhaps"},
		"empty payload": "",
	} {
		if a := do("POST", u, body, true); a.status != http.StatusBadRequest {
			t.Errorf("%s: want 400, got %d %s", name, a.status, a.body)
		}
	}
	expectStatus(t, do("GET", u, nil, true), http.StatusMethodNotAllowed)
	if n.State() != StateReady {
		t.Fatalf("state %s", n.State())
	}
}

func TestInvokeShutdownQueryForm(t *testing.T) {
	_, n := startNode(t, Options{})
	expectStatus(t, do("POST", n.URL()+"/invoke/wm.server.admin/shutdown?bounce=no&option=force", nil, true), http.StatusOK)
	waitState(t, n, StateStopped)
}

// TestShutdownDrainWaitsForSessions: a client that keeps its connection
// open after asking for the drain shutdown holds a session, so the node
// keeps waiting (its ports open, health 503) until the client closes the
// connection, and then stops at once.
func TestShutdownDrainWaitsForSessions(t *testing.T) {
	_, n := startNode(t, Options{ShutdownMinute: time.Hour})
	keepAlive := &http.Client{Timeout: waitLimit, Transport: &http.Transport{}}
	expectStatus(t, doWith(keepAlive, "POST", n.URL()+"/rest/apigateway/shutdown", shutdownBody("drain"), true), http.StatusOK)
	time.Sleep(300 * time.Millisecond)
	if n.State() != StateStopping {
		t.Fatalf("state %s with a client session open, want still stopping", n.State())
	}
	expectStatus(t, health(n.URL()), http.StatusServiceUnavailable)
	// A health probe on a fresh connection ends its own session.
	waitFor(t, "the keep-alive client's session alone", func() bool { return n.openSessions() == 1 })
	closed := time.Now()
	keepAlive.CloseIdleConnections()
	waitState(t, n, StateStopped)
	if took := time.Since(closed); took > 2*time.Second {
		t.Errorf("the node stopped %s after the last session ended", took)
	}
}

// TestShutdownDrainTimeoutEndsSessions: a session that never ends holds the
// node up to the shutdown's timeout (1 minute of ShutdownMinute), no longer.
func TestShutdownDrainTimeoutEndsSessions(t *testing.T) {
	const minute = 400 * time.Millisecond
	_, n := startNode(t, Options{ShutdownMinute: minute})
	keepAlive := &http.Client{Timeout: waitLimit, Transport: &http.Transport{}}
	t.Cleanup(keepAlive.CloseIdleConnections)
	expectStatus(t, doWith(keepAlive, "GET", n.URL()+"/rest/apigateway/is/serverinfo", nil, true), http.StatusOK)
	start := time.Now()
	expectStatus(t, do("POST", n.URL()+"/rest/apigateway/shutdown", shutdownBody("drain"), true), http.StatusOK)
	waitState(t, n, StateStopped)
	if took := time.Since(start); took < minute {
		t.Fatalf("the node stopped after %s with a session open, before its 1-minute timeout (%s)", took, minute)
	}
}
