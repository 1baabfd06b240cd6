package gwsim

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"
)

func TestQuiesceForAll(t *testing.T) {
	c, n := startNode(t, Options{Nodes: 2, DrainTime: 300 * time.Millisecond})
	qp := setupQuiescePort(t, n)
	qURL := c.urlFor(qp)
	traffic(t, n, 5)
	if n.Served() != 5 || n.Unflushed() != 5 {
		t.Fatalf("served %d unflushed %d", n.Served(), n.Unflushed())
	}
	// Before quiescing, the quiesce port proves it is live.
	expectStatus(t, health(qURL), http.StatusOK)

	// A request in flight when the quiesce starts still completes.
	slow := slowRequest(t, n, "500ms")

	start := time.Now()
	a := quiesceAll(n)
	expectStatus(t, a, http.StatusOK)
	want := map[string]any{"block": "all", "enable": true, "status": nil,
		"flush": []any{"license_metrics", "performance_metrics", "subscription_quota"}}
	if got := a.json(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("quiesce answer %v, want %v", got, want)
	}
	if n.State() != StateQuiescing {
		t.Fatalf("state %s", n.State())
	}
	// While quiescing: quiesce port health 200, a second request 409,
	// GET shows the operation in progress, traffic is still served.
	expectStatus(t, health(qURL), http.StatusOK)
	a = quiesceAll(n)
	expectStatus(t, a, http.StatusConflict)
	if d, _ := a.json(t)["errorDetails"].(string); d == "" || d[0] != ' ' {
		t.Fatalf("409 body %s", a.body)
	}
	a = do("GET", n.URL()+"/rest/apigateway/quiescemode", nil, true)
	expectStatus(t, a, http.StatusOK)
	if m := a.json(t); m["block"] != "all" || m["status"] != "in progress" {
		t.Fatalf("GET while quiescing: %s", a.body)
	}
	traffic(t, n, 2)

	waitFor(t, "quiesce to complete", func() bool { return health(qURL).status != http.StatusOK })
	if time.Since(start) < 300*time.Millisecond {
		t.Fatalf("quiesce completed before DrainTime: %v", time.Since(start))
	}
	expectStatus(t, <-slow, http.StatusOK)
	if n.State() != StateQuiesced {
		t.Fatalf("state %s", n.State())
	}
	expectStatus(t, health(qURL), http.StatusServiceUnavailable)
	if a := health(n.URL()); !refused(a) {
		t.Fatalf("primary still answers after quiesce: %v", a)
	}
	if a := do("GET", n.URL()+"/gateway/x", nil, false); !refused(a) {
		t.Fatalf("runtime still served: %v", a)
	}

	// No metric was lost: the store holds every served request.
	st := c.StoreTotals()
	if n.Served() != 8 || st.PerNode[n.Name()] != 8 || n.Unflushed() != 0 || st.Total != 8 {
		t.Fatalf("served %d, stored %+v, unflushed %d", n.Served(), st, n.Unflushed())
	}

	// The package is disabled: REST over the quiesce port answers 503,
	// Integration Server services still work.
	expectStatus(t, do("GET", qURL+"/rest/apigateway/is/serverinfo", nil, true), http.StatusServiceUnavailable)
	expectStatus(t, do("GET", qURL+"/rest/apigateway/quiescemode", nil, true), http.StatusServiceUnavailable)
	expectStatus(t, do("GET", qURL+"/invoke/wm.server.quiesce/getQuiescePortDetails", nil, true), http.StatusOK)
	expectStatus(t, do("GET", qURL+"/gateway/x", nil, false), http.StatusServiceUnavailable)
	expectStatus(t, do("PUT", qURL+"/invoke/wm.server.quiesce/setQuiescePort", map[string]string{"portAlias": "DefaultPrimary"}, true), http.StatusInternalServerError)

	got := kinds(c.Events(), n.Name())
	if i, j := indexOf(got, EventQuiesceRequested), indexOf(got, EventQuiesceCompleted); i < 0 || j < i || indexOf(got, EventFlushed) < i {
		t.Fatalf("events %v", got)
	}
	if c.MaxOutOfService() != 1 {
		t.Fatalf("out of service %d", c.MaxOutOfService())
	}

	// The other node is untouched.
	expectStatus(t, health(c.Nodes()[1].URL()), http.StatusOK)
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func TestQuiesceNeedsValidQuiescePort(t *testing.T) {
	c, n := startNode(t, Options{})
	a := quiesceAll(n)
	expectStatus(t, a, http.StatusInternalServerError)
	if a.json(t)["errorDetails"] == nil {
		t.Fatalf("body %s", a.body)
	}
	// Set but disabled is not valid either.
	p := setupQuiescePort(t, n)
	expectStatus(t, do("PUT", n.URL()+"/rest/apigateway/ports/disable", map[string]string{"listenerKey": "HTTPListener@" + itoa(p), "pkg": "WmRoot"}, true), http.StatusOK)
	expectStatus(t, quiesceAll(n), http.StatusInternalServerError)
	a = do("GET", n.URL()+"/rest/apigateway/quiescemode", nil, true)
	if m := a.json(t); m["status"] != "failure" || m["failureReason"] == nil {
		t.Fatalf("GET after failure: %s", a.body)
	}
	if n.State() != StateReady || c.MaxOutOfService() != 0 {
		t.Fatalf("state %s out of service %d", n.State(), c.MaxOutOfService())
	}
}

func TestQuiesceRequestValidation(t *testing.T) {
	_, n := startNode(t, Options{})
	setupQuiescePort(t, n)
	u := n.URL() + "/rest/apigateway/quiescemode"
	for name, body := range map[string]any{
		"bad JSON":      "{",
		"empty":         "",
		"no enable":     map[string]any{"block": "all"},
		"bad block":     map[string]any{"block": "some", "enable": true},
		"bad flush":     map[string]any{"block": "all", "enable": true, "flush": []string{"everything"}},
		"flush string":  map[string]any{"block": "all", "enable": true, "flush": "license_metrics"},
		"disable all":   map[string]any{"block": "all", "enable": false},
		"enable number": map[string]any{"block": "all", "enable": 3},
	} {
		if a := do("PUT", u, body, true); a.status != http.StatusBadRequest {
			t.Errorf("%s: want 400, got %d %s", name, a.status, a.body)
		}
	}
	if n.State() != StateReady {
		t.Fatalf("state %s", n.State())
	}
	// Omitted flush means all three; "enable" as a string is accepted.
	a := do("PUT", u, map[string]any{"block": "all", "enable": "true"}, true)
	expectStatus(t, a, http.StatusOK)
	if f, _ := a.json(t)["flush"].([]any); len(f) != 3 {
		t.Fatalf("default flush: %s", a.body)
	}
}

func TestQuiescePartialFlush(t *testing.T) {
	c, n := startNode(t, Options{})
	qp := setupQuiescePort(t, n)
	traffic(t, n, 4)
	a := do("PUT", n.URL()+"/rest/apigateway/quiescemode", map[string]any{"block": "all", "enable": true, "flush": []string{"license_metrics"}}, true)
	expectStatus(t, a, http.StatusOK)
	waitState(t, n, StateQuiesced)
	st := c.StoreTotals()
	if st.License[n.Name()] != 4 || st.Performance[n.Name()] != 0 || st.PerNode[n.Name()] != 0 || n.Unflushed() != 4 {
		t.Fatalf("partial flush: %+v unflushed %d", st, n.Unflushed())
	}
	_ = qp
	// What was not flushed dies with the node.
	if err := n.Restart(RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if n.Lost() != 4 || c.StoreTotals().Lost[n.Name()] != 4 {
		t.Fatalf("lost %d store %+v", n.Lost(), c.StoreTotals())
	}
}

func TestQuiesceDesigntime(t *testing.T) {
	c, n := startNode(t, Options{})
	u := n.URL() + "/rest/apigateway/quiescemode"
	a := do("GET", u, nil, true)
	expectStatus(t, a, http.StatusOK)
	if m := a.json(t); m["block"] != "designtime" || m["enable"] != false {
		t.Fatalf("initial GET: %s", a.body)
	}
	expectStatus(t, do("PUT", u, map[string]any{"block": "designtime", "enable": false}, true), http.StatusConflict)
	a = do("PUT", u, map[string]any{"block": "designtime", "enable": true}, true)
	expectStatus(t, a, http.StatusOK)
	expectStatus(t, do("PUT", u, map[string]any{"block": "designtime", "enable": true}, true), http.StatusConflict)
	a = do("GET", u, nil, true)
	if m := a.json(t); m["block"] != "designtime" || m["enable"] != true || m["status"] != "success" {
		t.Fatalf("GET: %s", a.body)
	}
	// Writes are blocked, reads are not.
	a = do("POST", n.URL()+"/rest/apigateway/ports", map[string]any{"port": n.ReservePort(), "portAlias": "Q"}, true)
	expectStatus(t, a, http.StatusServiceUnavailable)
	if d, _ := a.json(t)["errorDetails"].(string); d == "" || d[0] != ' ' {
		t.Fatalf("503 body %s", a.body)
	}
	expectStatus(t, do("GET", n.URL()+"/rest/apigateway/ports", nil, true), http.StatusOK)
	expectStatus(t, health(n.URL()), http.StatusOK)
	traffic(t, n, 1)
	expectStatus(t, do("PUT", u, map[string]any{"block": "designtime", "enable": false}, true), http.StatusOK)
	expectStatus(t, do("POST", n.URL()+"/rest/apigateway/ports", map[string]any{"port": n.ReservePort(), "portAlias": "Q"}, true), http.StatusCreated)
	if c.MaxOutOfService() != 0 {
		t.Fatal("design-time quiesce does not take a node out of service")
	}
	got := kinds(c.Events(), n.Name())
	if indexOf(got, EventDesigntimeBlocked) < 0 || indexOf(got, EventDesigntimeLifted) < 0 {
		t.Fatalf("events %v", got)
	}
}

func TestQuiescePortProtectedWhileQuiesced(t *testing.T) {
	c, n := startNode(t, Options{})
	p := setupQuiescePort(t, n)
	key := "HTTPListener@" + itoa(p)
	n.SetFaults(Faults{DrainNeverEnds: true})
	expectStatus(t, quiesceAll(n), http.StatusOK)
	expectStatus(t, do("PUT", n.URL()+"/rest/apigateway/ports/disable", map[string]string{"listenerKey": key, "pkg": "WmRoot"}, true), http.StatusInternalServerError)
	expectStatus(t, do("DELETE", n.URL()+"/rest/apigateway/ports?pkg=WmRoot&listenerKey="+url.QueryEscape(key), nil, true), http.StatusInternalServerError)
	expectStatus(t, health(c.urlFor(p)), http.StatusOK)
}

func TestQuiescedNodeShutdownThroughQuiescePort(t *testing.T) {
	c, n := startNode(t, Options{})
	qURL := c.urlFor(setupQuiescePort(t, n))
	expectStatus(t, quiesceAll(n), http.StatusOK)
	waitState(t, n, StateQuiesced)
	// The REST shutdown is unreachable (package disabled), the IS service works.
	expectStatus(t, do("POST", qURL+"/rest/apigateway/shutdown", map[string]any{"option": "drain"}, true), http.StatusServiceUnavailable)
	a := do("POST", qURL+"/invoke/wm.server.admin/shutdown", map[string]any{"bounce": "no", "option": "drain", "timeout": 10}, true)
	expectStatus(t, a, http.StatusOK)
	waitState(t, n, StateStopped)
	waitFor(t, "quiesce port closed", func() bool { return refused(health(qURL)) })
	if n.Lost() != 0 {
		t.Fatalf("a quiesced node has nothing to lose, lost %d", n.Lost())
	}
}

func TestQuiescedHealthVariant(t *testing.T) {
	c, n := startNode(t, Options{Variants: Variants{QuiescedHealthStatus: 404}})
	qURL := c.urlFor(setupQuiescePort(t, n))
	expectStatus(t, quiesceAll(n), http.StatusOK)
	waitState(t, n, StateQuiesced)
	expectStatus(t, health(qURL), http.StatusNotFound)
}
