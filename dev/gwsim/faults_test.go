package gwsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFaultQuiesceRefused(t *testing.T) {
	c, n := startNode(t, Options{})
	setupQuiescePort(t, n)
	n.SetFaults(Faults{QuiesceRefused: true})
	a := quiesceAll(n)
	expectStatus(t, a, http.StatusInternalServerError)
	if d, _ := a.json(t)["errorDetails"].(string); !strings.HasPrefix(d, " ") {
		t.Fatalf("body %s", a.body)
	}
	if n.State() != StateReady || c.MaxOutOfService() != 0 {
		t.Fatalf("state %s", n.State())
	}
	n.SetFaults(Faults{})
	expectStatus(t, quiesceAll(n), http.StatusOK)
}

// TestFaultQuiesceFailure: the failure comes inside a 200, with status
// failure and a failureReason, and the node keeps serving untouched.
func TestFaultQuiesceFailure(t *testing.T) {
	c, n := startNode(t, Options{})
	qURL := c.urlFor(setupQuiescePort(t, n))
	n.SetFaults(Faults{QuiesceFailure: true})
	a := quiesceAll(n)
	expectStatus(t, a, http.StatusOK)
	m := a.json(t)
	if m["status"] != "failure" || !strings.Contains(fmt.Sprint(m["failureReason"]), "Failed to enable quiesce mode for all") {
		t.Fatalf("answer %s, want status failure with a failureReason", a.body)
	}
	time.Sleep(2 * testDrain)
	if n.State() != StateReady || c.MaxOutOfService() != 0 {
		t.Fatalf("state %s, max out of service %d: the node must not have been touched", n.State(), c.MaxOutOfService())
	}
	expectStatus(t, health(qURL), http.StatusOK)
	got := do(http.MethodGet, n.URL()+"/rest/apigateway/quiescemode", nil, true).json(t)
	if got["status"] != "failure" || got["failureReason"] != m["failureReason"] {
		t.Fatalf("GET quiescemode = %v, want the failure reported", got)
	}
	n.SetFaults(Faults{})
	expectStatus(t, quiesceAll(n), http.StatusOK)
}

func TestFaultDrainNeverEnds(t *testing.T) {
	c, n := startNode(t, Options{DrainTime: 50 * time.Millisecond})
	qURL := c.urlFor(setupQuiescePort(t, n))
	n.SetFaults(Faults{DrainNeverEnds: true})
	expectStatus(t, quiesceAll(n), http.StatusOK)
	time.Sleep(400 * time.Millisecond)
	if n.State() != StateQuiescing {
		t.Fatalf("state %s", n.State())
	}
	expectStatus(t, health(qURL), http.StatusOK)
	// Clearing the fault lets the quiesce finish.
	n.SetFaults(Faults{})
	waitState(t, n, StateQuiesced)
}

func TestFaultNeverReturns(t *testing.T) {
	_, n := startNode(t, Options{})
	n.SetFaults(Faults{NeverReturns: true})
	if err := n.Restart(RestartOptions{Version: "10.15.0.7.1"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * testRestart)
	if n.State() != StateStopped || !refused(health(n.URL())) {
		t.Fatalf("state %s", n.State())
	}
	// Once the fault is gone, the next restart works.
	n.SetFaults(Faults{})
	if err := n.Restart(RestartOptions{Version: "10.15.0.7.1"}); err != nil {
		t.Fatal(err)
	}
	waitState(t, n, StateReady)
}

func TestFaultWrongVersion(t *testing.T) {
	_, n := startNode(t, Options{})
	n.SetFaults(Faults{WrongVersion: "10.15.0.5.120"})
	if err := n.Restart(RestartOptions{Version: "10.15.0.7.1"}); err != nil {
		t.Fatal(err)
	}
	waitState(t, n, StateReady)
	a := do("GET", n.URL()+"/rest/apigateway/is/serverinfo", nil, true)
	if a.json(t)["version"] != "10.15.0.5.120" {
		t.Fatalf("serverinfo %s", a.body)
	}
}

func TestFaultAdmin503Rate(t *testing.T) {
	_, n := startNode(t, Options{})
	n.SetFaults(Faults{Admin503Rate: 0.5})
	var got []int
	for i := 0; i < 6; i++ {
		got = append(got, do("GET", n.URL()+"/rest/apigateway/is/serverinfo", nil, true).status)
	}
	if want := []int{200, 503, 200, 503, 200, 503}; !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	n.SetFaults(Faults{Admin503Rate: 1})
	a := do("POST", n.URL()+"/rest/apigateway/ports", map[string]any{"port": n.ReservePort(), "portAlias": "Q"}, true)
	expectStatus(t, a, http.StatusServiceUnavailable)
	if d, _ := a.json(t)["errorDetails"].(string); !strings.HasPrefix(d, " ") {
		t.Fatalf("body %s", a.body)
	}
	// Nothing was done: the port does not exist.
	n.SetFaults(Faults{})
	a = do("GET", n.URL()+"/rest/apigateway/ports", nil, true)
	if l, _ := a.json(t)["listeners"].([]any); len(l) != 1 {
		t.Fatalf("a 503 call had an effect: %s", a.body)
	}
	// Health, runtime traffic and bad credentials are not affected.
	n.SetFaults(Faults{Admin503Rate: 1})
	expectStatus(t, health(n.URL()), http.StatusOK)
	traffic(t, n, 1)
	expectStatus(t, do("GET", n.URL()+"/rest/apigateway/is/serverinfo", nil, false), http.StatusUnauthorized)
}

func TestFaultAdminDelayAndLatency(t *testing.T) {
	_, n := startNode(t, Options{AdminLatency: 100 * time.Millisecond})
	n.SetFaults(Faults{AdminDelay: 200 * time.Millisecond})
	start := time.Now()
	expectStatus(t, do("GET", n.URL()+"/rest/apigateway/is/serverinfo", nil, true), http.StatusOK)
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("admin call took %v, want at least 300ms", d)
	}
	start = time.Now()
	expectStatus(t, health(n.URL()), http.StatusOK)
	traffic(t, n, 1)
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Fatalf("health and runtime were delayed: %v", d)
	}
	// A client giving up early is not a problem for the node.
	quick := &http.Client{Timeout: 50 * time.Millisecond}
	if a := doWith(quick, "GET", n.URL()+"/rest/apigateway/is/serverinfo", nil, true); a.err == nil {
		t.Fatal("slow admin call answered before the client timeout")
	}
	expectStatus(t, health(n.URL()), http.StatusOK)
}

func TestFaultRefuseMidDrain(t *testing.T) {
	c, n := startNode(t, Options{DrainTime: 400 * time.Millisecond})
	qURL := c.urlFor(setupQuiescePort(t, n))
	traffic(t, n, 3)
	n.SetFaults(Faults{RefuseMidDrain: true})
	expectStatus(t, quiesceAll(n), http.StatusOK)
	expectStatus(t, health(qURL), http.StatusOK)
	waitState(t, n, StateStopped)
	for _, u := range []string{n.URL(), qURL} {
		if a := health(u); !refused(a) {
			t.Fatalf("%s answers: %v", u, a)
		}
	}
	if n.Lost() != 3 || c.StoreTotals().PerNode[n.Name()] != 0 {
		t.Fatalf("lost %d store %+v", n.Lost(), c.StoreTotals())
	}
	if indexOf(kinds(c.Events(), n.Name()), EventQuiesceCompleted) >= 0 {
		t.Fatal("a crashed quiesce must not complete")
	}
}

// TestFaultStartingHealth: a restarted node answers health 500 until it
// has booted; then it stays starting for SlowStartProbes primary health
// probes (500), then flaps for HealthFlaps probes (200 and 500 in turn),
// then is ready; probes through other ports do not count.
func TestFaultStartingHealth(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults Faults
		want   []int // the first six health answers once booted
	}{
		{"flaps", Faults{HealthFlaps: 4}, []int{200, 500, 200, 500, 200, 200}},
		{"slow start, then flaps", Faults{SlowStartProbes: 3, HealthFlaps: 2}, []int{500, 500, 500, 200, 500, 200}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, n := startNode(t, Options{})
			n.SetFaults(tc.faults)
			if err := n.Restart(RestartOptions{}); err != nil {
				t.Fatal(err)
			}
			expectStatus(t, health(n.URL()), http.StatusInternalServerError)
			waitBooted(t, n)
			starting := tc.faults.SlowStartProbes + tc.faults.HealthFlaps
			var got []int
			for i := range tc.want {
				got = append(got, health(n.URL()).status)
				if i < starting && n.State() != StateStarting {
					t.Fatalf("ready after %d probes, want starting until the slow start and the flaps are over (health %v)", i+1, got)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("health %v, want %v", got, tc.want)
			}
			if n.State() != StateReady {
				t.Fatalf("state %s", n.State())
			}
		})
	}
}

// TestFaultUnresponsive: the node accepts connections on every port but
// answers nothing, as behind a partition; clearing the fault lets the held
// requests through.
func TestFaultUnresponsive(t *testing.T) {
	c, n := startNode(t, Options{})
	qURL := c.urlFor(setupQuiescePort(t, n))
	n.SetFaults(Faults{Unresponsive: true})
	quick := &http.Client{Timeout: 300 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	for _, u := range []string{n.URL() + "/rest/apigateway/health", qURL + "/rest/apigateway/health", n.URL() + "/gateway/orders"} {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := net.Dial("tcp", pu.Host)
		if err != nil {
			t.Fatalf("%s: connection not accepted: %v", u, err)
		}
		conn.Close()
		a := doWith(quick, "GET", u, nil, false)
		var ne net.Error
		if !errors.As(a.err, &ne) || !ne.Timeout() {
			t.Fatalf("%s: want a client timeout, got %d %v", u, a.status, a.err)
		}
	}
	if a := doWith(quick, "GET", n.URL()+"/rest/apigateway/is/serverinfo", nil, true); a.err == nil {
		t.Fatalf("serverinfo answered %d", a.status)
	}
	if n.State() != StateReady {
		t.Fatalf("an unresponsive node is still running, got %s", n.State())
	}
	held := make(chan answer, 1)
	go func() { held <- health(n.URL()) }()
	time.Sleep(100 * time.Millisecond)
	n.SetFaults(Faults{})
	select {
	case a := <-held:
		expectStatus(t, a, http.StatusOK)
	case <-time.After(waitLimit):
		t.Fatal("a request held by the fault was not answered once it was cleared")
	}
}

// TestFaultHealthRed: a red data store makes health answer 500 on every
// port of a node that is up, which serverinfo, admin calls and traffic
// show; once quiesced the quiesce port answers as for any quiesced node.
func TestFaultHealthRed(t *testing.T) {
	c, n := startNode(t, Options{})
	qURL := c.urlFor(setupQuiescePort(t, n))
	traffic(t, n, 2)
	n.SetFaults(Faults{HealthRed: true})
	expectStatus(t, health(n.URL()), http.StatusInternalServerError)
	expectStatus(t, health(qURL), http.StatusInternalServerError)
	engine := do("GET", n.URL()+"/rest/apigateway/health/engine", nil, false)
	expectStatus(t, engine, http.StatusInternalServerError)
	if engine.json(t)["status"] != "red" {
		t.Fatalf("engine health %s", engine.body)
	}
	expectStatus(t, do("GET", n.URL()+"/rest/apigateway/is/serverinfo", nil, true), http.StatusOK)
	traffic(t, n, 1)
	if n.State() != StateReady {
		t.Fatalf("state %s", n.State())
	}
	// A restart does not make it green: health stays 500 once booted.
	if err := n.Restart(RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	waitBooted(t, n)
	expectStatus(t, health(n.URL()), http.StatusInternalServerError)
	n.SetFaults(Faults{})
	expectStatus(t, health(n.URL()), http.StatusOK)
	n.SetFaults(Faults{HealthRed: true})
	expectStatus(t, quiesceAll(n), http.StatusOK)
	waitState(t, n, StateQuiesced)
	expectStatus(t, health(qURL), c.opts.Variants.QuiescedHealthStatus)
	if !refused(health(n.URL())) {
		t.Fatal("the primary port of a quiesced node must refuse connections")
	}
}

// TestFaultQuiescingHealth500: in the middle of a drain health answers 500
// once while the node is still quiescing (and still holds its metrics);
// the next answer is 200 again and the quiesce completes with its flush.
func TestFaultQuiescingHealth500(t *testing.T) {
	c, n := startNode(t, Options{DrainTime: 2 * time.Second})
	qURL := c.urlFor(setupQuiescePort(t, n))
	traffic(t, n, 3)
	n.SetFaults(Faults{QuiescingHealth500: 1})
	expectStatus(t, health(qURL), http.StatusOK) // not quiescing yet: not counted
	expectStatus(t, quiesceAll(n), http.StatusOK)
	var got []int
	for _, u := range []string{qURL, qURL, n.URL(), qURL} {
		got = append(got, health(u).status)
	}
	if want := []int{200, 500, 200, 200}; !slices.Equal(got, want) {
		t.Fatalf("health while quiescing %v, want %v", got, want)
	}
	if n.State() != StateQuiescing || n.Unflushed() != 3 {
		t.Fatalf("after the 500: state %s, unflushed %d; want still quiescing with its metrics", n.State(), n.Unflushed())
	}
	waitState(t, n, StateQuiesced)
	if c.StoreTotals().PerNode[n.Name()] != 3 || n.Lost() != 0 {
		t.Fatalf("store %+v lost %d", c.StoreTotals(), n.Lost())
	}
}

func TestFaultsJSON(t *testing.T) {
	f := Faults{QuiesceRefused: true, QuiesceFailure: true, WrongVersion: "1.2", Admin503Rate: 0.25, AdminDelay: 1500 * time.Millisecond, HealthFlaps: 2,
		DrainNeverEnds: true, NeverReturns: true, RefuseMidDrain: true, Unresponsive: true, HealthRed: true, QuiescingHealth500: 3}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"adminDelay":"1.5s"`) {
		t.Fatalf("duration not a string: %s", b)
	}
	var back Faults
	if err := json.Unmarshal(b, &back); err != nil || back != f {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"adminDelay":250000000}`), &back); err != nil || back.AdminDelay != 250*time.Millisecond {
		t.Fatalf("nanoseconds: %+v %v", back, err)
	}
	for _, bad := range []string{`{"adminDelay":"soon"}`, `{"admin503Rate":2}`, `{"quiesceRefuse":true}`, `{"healthFlaps":-1}`, `{"quiescingHealth500":-1}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
