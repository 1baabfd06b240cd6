package gwsim

import (
	"errors"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestStartDefaults(t *testing.T) {
	c := startCluster(t, Options{})
	nodes := c.Nodes()
	if len(nodes) != 3 {
		t.Fatalf("want 3 nodes, got %d", len(nodes))
	}
	seen := map[string]bool{}
	for i, n := range nodes {
		if want := "gw-" + itoa(i+1); n.Name() != want {
			t.Errorf("node %d is %s, want %s", i, n.Name(), want)
		}
		if !strings.HasPrefix(n.URL(), "http://127.0.0.1:") || seen[n.URL()] {
			t.Errorf("bad or duplicate URL %s", n.URL())
		}
		seen[n.URL()] = true
		if n.Version() != DefaultVersion || n.State() != StateReady {
			t.Errorf("%s: version %s state %s", n.Name(), n.Version(), n.State())
		}
		a := health(n.URL())
		expectStatus(t, a, http.StatusOK)
		if len(a.body) != 0 {
			t.Errorf("health body should be empty, got %q", a.body)
		}
		if c.Node(n.Name()) != n {
			t.Errorf("Node(%q) does not find it", n.Name())
		}
	}
	if c.Node("gw-9") != nil {
		t.Error("unknown node should be nil")
	}
	if !strings.HasPrefix(c.ControlURL(), "http://127.0.0.1:") {
		t.Errorf("control URL %q", c.ControlURL())
	}
	if got := c.MaxOutOfService(); got != 0 {
		t.Errorf("fresh cluster out of service: %d", got)
	}
}

func TestStartOptions(t *testing.T) {
	_, n := startNode(t, Options{Version: "10.11.0.3.42", Username: "admin", Password: "secret"})
	if n.Version() != "10.11.0.3.42" {
		t.Fatalf("version %s", n.Version())
	}
	expectStatus(t, do("GET", n.URL()+"/rest/apigateway/is/serverinfo", nil, true), http.StatusUnauthorized)
	if a := getAs(n.URL()+"/rest/apigateway/is/serverinfo", "admin", "secret"); a.err != nil || a.status != 200 {
		t.Fatalf("custom credentials refused: %d %v", a.status, a.err)
	}
}

func TestStartRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Nodes: -1},
		{Nodes: 1000},
		{DrainTime: -time.Second},
		{Variants: Variants{QuiescedHealthStatus: 200}},
	} {
		if c, err := Start(o); err == nil {
			c.Close()
			t.Errorf("Start(%+v) should fail", o)
		}
	}
}

func TestAuth(t *testing.T) {
	_, n := startNode(t, Options{})
	for _, path := range []string{"/rest/apigateway/ports", "/rest/apigateway/is/serverinfo", "/invoke/wm.server.quiesce/getQuiescePortDetails"} {
		a := do("GET", n.URL()+path, nil, false)
		expectStatus(t, a, http.StatusUnauthorized)
		if d, _ := a.json(t)["errorDetails"].(string); !strings.HasPrefix(d, " ") {
			t.Errorf("%s: errorDetails should start with a space: %q", path, d)
		}
		if a := getAs(n.URL()+path, DefaultUsername, "wrong"); a.err != nil || a.status != http.StatusUnauthorized {
			t.Errorf("%s with a wrong password: %d %v", path, a.status, a.err)
		}
	}
	expectStatus(t, health(n.URL()), http.StatusOK)
	expectStatus(t, do("GET", n.URL()+"/nothing/here", nil, true), http.StatusNotFound)
}

func TestCloseFreesPortsAndGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	c, err := Start(Options{Nodes: 2, DrainTime: testDrain, RestartTime: testRestart})
	if err != nil {
		t.Fatal(err)
	}
	n := c.Nodes()[0]
	qp := setupQuiescePort(t, n)
	traffic(t, n, 3)
	// Leave work in flight: a slow request, a quiesce, a restart.
	go do("GET", c.Nodes()[1].URL()+"/gateway/slow?delay=5s", nil, false)
	expectStatus(t, quiesceAll(n), http.StatusOK)
	go c.Nodes()[1].Restart(RestartOptions{Downtime: 2 * time.Second})
	time.Sleep(20 * time.Millisecond)
	urls := []string{n.URL(), c.Nodes()[1].URL(), n.c.urlFor(qp), c.ControlURL()}

	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(waitLimit):
		t.Fatal("Close hangs")
	}
	c.Close() // twice is fine
	for _, u := range urls {
		if a := health(u); !refused(a) {
			t.Errorf("%s still answers after Close: %d %v", u, a.status, a.err)
		}
	}
	if err := n.Restart(RestartOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Restart after Close: %v", err)
	}
	testClient.CloseIdleConnections()
	deadline := time.Now().Add(waitLimit)
	for runtime.NumGoroutine() > before+2 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines leak: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
