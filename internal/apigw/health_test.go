package apigw

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/internal/portreserve"
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

// deadAddress returns a loopback address nothing listens on for the rest of
// the test: the port stays reserved (bound, not listening), so no listener
// opened meanwhile can take it.
func deadAddress(t *testing.T) string {
	t.Helper()
	p, err := portreserve.Reserve("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p.Addr()
}

// TestHealthNoAnswerKinds: a probe without an answer says how it got none,
// so that the rollout can tell a closed port (refused) from a node it merely
// cannot reach.
func TestHealthNoAnswerKinds(t *testing.T) {
	// accepting answers connections the way handle says, on a live listener.
	accepting := func(handle func(net.Conn)) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			for {
				conn, err := l.Accept()
				if err != nil {
					return
				}
				go handle(conn)
			}
		}()
		return "http://" + l.Addr().String()
	}
	held := make(chan struct{})
	t.Cleanup(func() { close(held) })
	cases := []struct {
		name string
		url  string
		want NoAnswer
	}{
		{"refused", "http://" + deadAddress(t), NoAnswerRefused},
		{"closed", accepting(func(c net.Conn) { c.Close() }), NoAnswerClosed},
		{"timeout", accepting(func(c net.Conn) { <-held; c.Close() }), NoAnswerTimeout},
		{"dns", "http://gw-1.invalid:5555", NoAnswerDNS},
	}
	c := newTestClient(t, func(cfg *Config) { cfg.RequestTimeout = 300 * time.Millisecond })
	for _, tc := range cases {
		_, err := c.Health(ctxT(t), tc.url)
		var te *TransportError
		if !errors.As(err, &te) {
			t.Fatalf("%s: want a *TransportError, got %v", tc.name, err)
		}
		if got := NoAnswerOf(err); got != tc.want {
			t.Errorf("%s: NoAnswerOf = %d, want %d (%v)", tc.name, got, tc.want, err)
		}
	}
	if got := NoAnswerOf(errors.New("tls: handshake failure")); got != NoAnswerOther {
		t.Errorf("an unclassified error is %d, want NoAnswerOther", got)
	}
}
