package apigw

import (
	"net"
	"strings"
	"testing"
)

func TestHealthReturnsStatusWithoutAuthInOneAttempt(t *testing.T) {
	for _, status := range []int{200, 500, 503, 404, 401} {
		g := newFakeGateway(t, answer(status, ``))
		got, err := newTestClient(t).Health(ctxT(t), g.URL+"/")
		if err != nil || got != status {
			t.Errorf("%d: got %d, %v", status, got, err)
		}
		s := g.only(t) // exactly one attempt, even on 5xx
		if s.HasAuth || s.Header.Get("Authorization") != "" {
			t.Errorf("%d: health must go without credentials", status)
		}
		if s.Method != "GET" || s.Path != "/rest/apigateway/health" {
			t.Errorf("%s %s", s.Method, s.Path)
		}
	}
}

func TestHealthUsesFreshConnections(t *testing.T) {
	g := newFakeGateway(t, answer(200, ``))
	c := newTestClient(t)
	for i := 0; i < 3; i++ {
		if _, err := c.Health(ctxT(t), g.URL); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range g.requests() {
		if !strings.EqualFold(s.Header.Get("Connection"), "close") {
			t.Errorf("probe should not keep connections alive: Connection=%q", s.Header.Get("Connection"))
		}
	}
}

func TestHealthNoAnswer(t *testing.T) {
	addr := deadAddress(t)
	c := newTestClient(t)
	status, err := c.Health(ctxT(t), "http://"+addr)
	if err == nil || status != 0 {
		t.Fatalf("got %d, %v", status, err)
	}
	if !strings.Contains(err.Error(), "health check: GET http://"+addr+"/rest/apigateway/health") ||
		!strings.Contains(err.Error(), "node is running") || strings.Contains(err.Error(), "attempts") {
		t.Errorf("text: %s", err)
	}
	checkErrorStyle(t, err)
}

func TestEngineHealth(t *testing.T) {
	g := newFakeGateway(t, answer(200, `{"status":"green","elasticsearch":{"status":"green"},"is":{"status":"green"},"terracotta":{"nodes":"3","healthy_nodes":"3"}}`))
	h, err := newTestClient(t).EngineHealth(ctxT(t), g.URL)
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != "green" || h.TerracottaNodes != 3 || h.TerracottaHealthy != 3 || h.Raw["elasticsearch"] == nil {
		t.Errorf("%+v", h)
	}
	s := g.only(t)
	if s.Path != "/rest/apigateway/health/engine" || s.Method != "GET" {
		t.Errorf("%s %s", s.Method, s.Path)
	}
	wantAdminHeaders(t, s, false)
}

func TestEngineHealthRedIsAnAnswerNotRetried(t *testing.T) {
	g := newFakeGateway(t, answer(500, `{"status":"RED","terracotta":{"nodes":3,"healthy_nodes":1}}`))
	h, err := newTestClient(t).EngineHealth(ctxT(t), g.URL)
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != "red" || h.TerracottaNodes != 3 || h.TerracottaHealthy != 1 {
		t.Errorf("%+v", h)
	}
	if n := len(g.requests()); n != 1 {
		t.Errorf("red engine health was retried: %d requests", n)
	}
}

func TestEngineHealthOddAnswers(t *testing.T) {
	// A 500 without a status body is a real failure, retried then reported.
	g := newFakeGateway(t, answer(500, `Internal error`))
	_, err := newTestClient(t).EngineHealth(ctxT(t), g.URL)
	if StatusCode(err) != 500 || len(g.requests()) != 4 {
		t.Errorf("%v after %d requests", err, len(g.requests()))
	}
	// Terracotta counts that are not numbers do not hide the status.
	g2 := newFakeGateway(t, answer(200, `{"status":"yellow","terracotta":{"nodes":"many"}}`))
	h, err := newTestClient(t).EngineHealth(ctxT(t), g2.URL)
	if err != nil || h.Status != "yellow" || h.TerracottaNodes != 0 {
		t.Errorf("%+v %v", h, err)
	}
	// A 200 without any status is not an engine health answer.
	g3 := newFakeGateway(t, answer(200, `{"foo":1}`))
	if _, err := newTestClient(t).EngineHealth(ctxT(t), g3.URL); err == nil {
		t.Error("want error for a status-less answer")
	}
}

// deadAddress returns a loopback address nothing listens on.
func deadAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
