package apigw

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/portreserve"
)

func TestHealthReturnsStatusWithoutAuthInOneAttempt(t *testing.T) {
	for _, status := range []int{200, 500, 503, 404} {
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

// TestHealthRefused: a 401 or 403 is no health status but a probe the node
// refused: an error along with the status, saying what to set or check,
// whether health_probe_credentials was on or not. With it on, the probe
// carries the credentials, still in one attempt on a fresh connection.
func TestHealthRefused(t *testing.T) {
	for _, tc := range []struct {
		status int
		sent   bool
		want   string
	}{
		{401, false, "HTTP 401 Unauthorized: Invalid credentials; the gateway requires credentials for its health endpoint: set health_probe_credentials = true"},
		{403, false, "set health_probe_credentials = true if it requires a user for its health endpoint, and check that the port's access mode allows this machine"},
		{401, true, "check username and password"},
		{403, true, "the user may lack the privilege to call the health endpoint"},
	} {
		g := newFakeGateway(t, answer(tc.status, `{"errorDetails":" Invalid credentials"}`))
		c := newTestClient(t, func(cfg *Config) { cfg.HealthProbeCredentials = tc.sent })
		got, err := c.Health(ctxT(t), g.URL)
		if got != tc.status || !IsHealthRefused(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d (credentials sent: %v): got %d, %v; want the status and an error saying %q", tc.status, tc.sent, got, err, tc.want)
			continue
		}
		checkErrorStyle(t, err)
		s := g.only(t)
		if s.HasAuth != tc.sent || (tc.sent && (s.User != testUser || s.Pass != testPass)) {
			t.Errorf("credentials sent: %v (%q), want %v", s.HasAuth, s.User, tc.sent)
		}
		if !strings.EqualFold(s.Header.Get("Connection"), "close") {
			t.Errorf("a probe with credentials must still go on a fresh connection: Connection=%q", s.Header.Get("Connection"))
		}
	}
	// With credentials, a ready node answers 200 as usual.
	g := newFakeGateway(t, answer(200, ``))
	c := newTestClient(t, func(cfg *Config) { cfg.HealthProbeCredentials = true })
	if got, err := c.Health(ctxT(t), g.URL); got != 200 || err != nil || !g.only(t).HasAuth {
		t.Errorf("got %d, %v; want 200 with credentials sent", got, err)
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
