package gwsim

import (
	"encoding/json"
	"net/http"
	"testing"
)

func controlJSON(t *testing.T, a answer, v any) {
	t.Helper()
	expectStatus(t, a, http.StatusOK)
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("control answer %q: %v", a.body, err)
	}
}

func TestControlAPI(t *testing.T) {
	c := startCluster(t, Options{Nodes: 2})
	base := c.ControlURL()
	n := c.Node("gw-1")
	setupQuiescePort(t, n)
	traffic(t, n, 2)

	var nodes []NodeStatus
	controlJSON(t, do("GET", base+"/nodes", nil, false), &nodes)
	if len(nodes) != 2 || nodes[0].Name != "gw-1" || nodes[0].URL != n.URL() || nodes[0].State != StateReady ||
		nodes[0].QuiescePort != n.QuiescePort() || nodes[0].Served != 2 || nodes[0].Unflushed != 2 || nodes[0].Version != DefaultVersion {
		t.Fatalf("nodes %+v", nodes)
	}
	var one NodeStatus
	controlJSON(t, do("GET", base+"/nodes/gw-2", nil, false), &one)
	if one.Name != "gw-2" || one.QuiescePort != 0 {
		t.Fatalf("node %+v", one)
	}
	expectStatus(t, do("GET", base+"/nodes/gw-7", nil, false), http.StatusNotFound)

	// Faults: set, read back, bad input refused.
	var f Faults
	controlJSON(t, do("PUT", base+"/nodes/gw-2/faults", `{"adminDelay":"10ms","healthFlaps":1}`, false), &f)
	if f.AdminDelay.Milliseconds() != 10 || c.Node("gw-2").Faults().HealthFlaps != 1 {
		t.Fatalf("faults %+v", f)
	}
	controlJSON(t, do("GET", base+"/nodes/gw-2/faults", nil, false), &f)
	if f.HealthFlaps != 1 {
		t.Fatalf("faults %+v", f)
	}
	// The switches of a node that is up but not ready, or not answering.
	controlJSON(t, do("PUT", base+"/nodes/gw-2/faults", `{"healthRed":true,"quiescingHealth500":2}`, false), &f)
	if !f.HealthRed || f.QuiescingHealth500 != 2 {
		t.Fatalf("faults %+v", f)
	}
	expectStatus(t, health(c.Node("gw-2").URL()), http.StatusInternalServerError)
	controlJSON(t, do("PUT", base+"/nodes/gw-2/faults", `{"unresponsive":true}`, false), &f)
	if !c.Node("gw-2").Faults().Unresponsive {
		t.Fatalf("faults %+v", c.Node("gw-2").Faults())
	}
	expectStatus(t, do("PUT", base+"/nodes/gw-2/faults", `{"nope":true}`, false), http.StatusBadRequest)
	controlJSON(t, do("PUT", base+"/nodes/gw-2/faults", `{}`, false), &f)
	if (f != Faults{}) {
		t.Fatalf("faults not cleared: %+v", f)
	}

	// Restart answers once the node has started.
	controlJSON(t, do("POST", base+"/nodes/gw-1/restart", `{"version":"10.15.0.7.1","downtime":"20ms","fresh":false}`, false), &one)
	if one.State != StateStarting || one.Version != "10.15.0.7.1" || one.QuiescePort == 0 {
		t.Fatalf("after restart %+v", one)
	}
	waitState(t, n, StateReady)
	expectStatus(t, do("POST", base+"/nodes/gw-1/restart", `{"downtime":"soon"}`, false), http.StatusBadRequest)
	expectStatus(t, do("POST", base+"/nodes/gw-1/restart", `{"version":"1","extra":1}`, false), http.StatusBadRequest)
	controlJSON(t, do("POST", base+"/nodes/gw-1/restart", `{"fresh":true}`, false), &one)
	if one.QuiescePort != 0 || one.Version != "10.15.0.7.1" {
		t.Fatalf("fresh restart %+v", one)
	}
	// An empty body restarts on the same version.
	controlJSON(t, do("POST", base+"/nodes/gw-2/restart", nil, false), &one)

	controlJSON(t, do("POST", base+"/nodes/gw-2/stop", nil, false), &one)
	if one.State != StateStopped {
		t.Fatalf("after stop %+v", one)
	}

	var events []Event
	controlJSON(t, do("GET", base+"/events", nil, false), &events)
	if len(events) != len(c.Events()) || events[0].Kind != EventStarted {
		t.Fatalf("events %+v", events)
	}
	var st StoreTotals
	controlJSON(t, do("GET", base+"/store", nil, false), &st)
	if st.Lost["gw-1"] != 2 {
		t.Fatalf("store %+v", st)
	}
	var oos map[string]int
	controlJSON(t, do("GET", base+"/out-of-service", nil, false), &oos)
	if oos["max"] != c.MaxOutOfService() || oos["max"] < 1 {
		t.Fatalf("out of service %v", oos)
	}
	expectStatus(t, do("GET", base+"/nope", nil, false), http.StatusNotFound)
	expectStatus(t, do("DELETE", base+"/nodes", nil, false), http.StatusNotFound)
}
