package gwsim

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestRestartOnSamePortNewVersion(t *testing.T) {
	c, n := startNode(t, Options{Nodes: 2, RestartTime: 300 * time.Millisecond})
	url := n.URL()
	qp := setupQuiescePort(t, n)
	traffic(t, n, 3)

	if err := n.Restart(RestartOptions{Version: "10.15.0.7.200", Downtime: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if n.URL() != url {
		t.Fatalf("URL changed: %s -> %s", url, n.URL())
	}
	// Started: listening, but not ready yet.
	if n.State() != StateStarting {
		t.Fatalf("state %s", n.State())
	}
	expectStatus(t, health(url), http.StatusInternalServerError)
	expectStatus(t, do("GET", url+"/gateway/x", nil, false), http.StatusServiceUnavailable)
	waitFor(t, "ready", func() bool { return health(url).status == http.StatusOK })
	if n.State() != StateReady || n.Version() != "10.15.0.7.200" {
		t.Fatalf("state %s version %s", n.State(), n.Version())
	}
	a := do("GET", url+"/rest/apigateway/is/serverinfo", nil, true)
	if a.json(t)["version"] != "10.15.0.7.200" {
		t.Fatalf("serverinfo %s", a.body)
	}
	// The quiesce port survives a plain restart and listens again.
	if n.QuiescePort() != qp {
		t.Fatalf("quiesce port lost: %d", n.QuiescePort())
	}
	expectStatus(t, health(c.urlFor(qp)), http.StatusOK)
	// Served survives, unflushed metrics do not.
	if n.Served() != 3 || n.Unflushed() != 0 || n.Lost() != 3 {
		t.Fatalf("served %d unflushed %d lost %d", n.Served(), n.Unflushed(), n.Lost())
	}
	got := kinds(c.Events(), n.Name())
	want := []string{EventRestartRequested, EventStopped, EventMetricsLost, EventStarted, EventReady}
	if tail := got[len(got)-len(want):]; !slices.Equal(tail, want) {
		t.Fatalf("events %v, want tail %v", got, want)
	}
	if c.MaxOutOfService() != 1 {
		t.Fatalf("out of service %d", c.MaxOutOfService())
	}
}

func TestRestartDowntime(t *testing.T) {
	_, n := startNode(t, Options{})
	done := make(chan error, 1)
	go func() { done <- n.Restart(RestartOptions{Downtime: 300 * time.Millisecond}) }()
	waitState(t, n, StateStopped)
	if a := health(n.URL()); !refused(a) {
		t.Fatalf("a stopped node answers: %v", a)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n.Version() != DefaultVersion {
		t.Fatalf("empty version must keep the current one, got %s", n.Version())
	}
	if err := n.Restart(RestartOptions{Downtime: -1}); err == nil {
		t.Fatal("negative downtime accepted")
	}
}

func TestFreshRestartLosesPorts(t *testing.T) {
	c, n := startNode(t, Options{})
	qp := setupQuiescePort(t, n)
	if err := n.Restart(RestartOptions{Version: "10.15.0.8.1", Fresh: true}); err != nil {
		t.Fatal(err)
	}
	waitState(t, n, StateReady)
	if n.QuiescePort() != 0 {
		t.Fatalf("fresh container kept quiesce port %d", n.QuiescePort())
	}
	if a := health(c.urlFor(qp)); !refused(a) {
		t.Fatalf("old quiesce port answers: %v", a)
	}
	a := do("GET", n.URL()+"/rest/apigateway/ports", nil, true)
	if l, _ := a.json(t)["listeners"].([]any); len(l) != 1 {
		t.Fatalf("fresh node ports: %s", a.body)
	}
	a = do("GET", n.URL()+"/invoke/wm.server.quiesce/getQuiescePortDetails", nil, true)
	if len(a.json(t)) != 0 {
		t.Fatalf("quiesce setting survived: %s", a.body)
	}
	expectStatus(t, quiesceAll(n), http.StatusInternalServerError)
	// Setting it up again works on the same port number.
	p := setupQuiescePort(t, n)
	expectStatus(t, health(c.urlFor(p)), http.StatusOK)
}

func TestStopLosesMetrics(t *testing.T) {
	c := startCluster(t, Options{Nodes: 2})
	n := c.Nodes()[1]
	qp := setupQuiescePort(t, n)
	traffic(t, n, 6)
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	if n.State() != StateStopped {
		t.Fatalf("state %s", n.State())
	}
	for _, u := range []string{n.URL(), c.urlFor(qp)} {
		if a := health(u); !refused(a) {
			t.Fatalf("%s answers after Stop: %v", u, a)
		}
	}
	st := c.StoreTotals()
	if n.Served() != 6 || st.PerNode[n.Name()] != 0 || st.Lost[n.Name()] != 6 || n.Unflushed() != 0 {
		t.Fatalf("served %d store %+v", n.Served(), st)
	}
	if err := n.Stop(); err != nil {
		t.Fatal("Stop on a stopped node should be a no-op")
	}
	if c.MaxOutOfService() != 1 {
		t.Fatalf("out of service %d", c.MaxOutOfService())
	}
	// A stopped node comes back with Restart.
	if err := n.Restart(RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ready", func() bool { return health(n.URL()).status == http.StatusOK })
}

func TestStopCutsRequestsInFlight(t *testing.T) {
	_, n := startNode(t, Options{})
	res := slowRequest(t, n, "5s")
	start := time.Now()
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	a := <-res
	if a.err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("request survived a crash: %v after %v", a, time.Since(start))
	}
	if n.Served() != 0 {
		t.Fatalf("cut request counted: %d", n.Served())
	}
}

func TestRollingUpgradeOutOfService(t *testing.T) {
	c := startCluster(t, Options{Nodes: 3})
	for _, n := range c.Nodes() {
		setupQuiescePort(t, n)
	}
	for _, n := range c.Nodes() {
		traffic(t, n, 2)
		expectStatus(t, quiesceAll(n), http.StatusOK)
		waitFor(t, "drained", func() bool { return health(n.QuiesceURL()).status != http.StatusOK })
		if err := n.Restart(RestartOptions{Version: "10.15.0.9.3"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "ready", func() bool { return health(n.URL()).status == http.StatusOK })
	}
	if got := c.MaxOutOfService(); got != 1 {
		t.Fatalf("one node at a time, got %d", got)
	}
	st := c.StoreTotals()
	if st.Total != 6 {
		t.Fatalf("store %+v", st)
	}
	for _, n := range c.Nodes() {
		if n.Version() != "10.15.0.9.3" || st.PerNode[n.Name()] != n.Served() || st.Lost[n.Name()] != 0 {
			t.Fatalf("%s: version %s served %d store %+v", n.Name(), n.Version(), n.Served(), st)
		}
	}
	// Two nodes at once shows up.
	a, b := c.Nodes()[0], c.Nodes()[1]
	expectStatus(t, quiesceAll(a), http.StatusOK)
	expectStatus(t, quiesceAll(b), http.StatusOK)
	if got := c.MaxOutOfService(); got != 2 {
		t.Fatalf("two nodes at once, got %d", got)
	}
}

func TestRestartEndsQuiesceMode(t *testing.T) {
	_, n := startNode(t, Options{})
	setupQuiescePort(t, n)
	expectStatus(t, quiesceAll(n), http.StatusOK)
	waitState(t, n, StateQuiesced)
	if err := n.Restart(RestartOptions{Version: "10.15.0.6.1"}); err != nil {
		t.Fatal(err)
	}
	waitState(t, n, StateReady)
	a := do("GET", n.URL()+"/rest/apigateway/quiescemode", nil, true)
	if m := a.json(t); m["block"] != "designtime" || m["enable"] != false {
		t.Fatalf("after restart: %s", a.body)
	}
	// And it can be quiesced again.
	expectStatus(t, quiesceAll(n), http.StatusOK)
}
