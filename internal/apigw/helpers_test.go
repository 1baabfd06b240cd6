package apigw

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testUser = "Administrator"
	testPass = "s3cret-Pa55"
)

// seen is one request as the fake gateway received it.
type seen struct {
	Method, Path, RawQuery string
	Query                  map[string][]string
	Header                 http.Header
	Body                   string
	User, Pass             string
	HasAuth                bool
}

// fakeGateway is an httptest server that records requests and answers with
// a per-test handler.
type fakeGateway struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newFakeGateway(t *testing.T, h http.HandlerFunc) *fakeGateway {
	t.Helper()
	g := &fakeGateway{}
	g.Server = httptest.NewServer(g.record(h))
	t.Cleanup(g.Close)
	return g
}

func (g *fakeGateway) record(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u, p, ok := r.BasicAuth()
		g.mu.Lock()
		g.reqs = append(g.reqs, seen{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
			Query: r.URL.Query(), Header: r.Header.Clone(), Body: string(b), User: u, Pass: p, HasAuth: ok})
		g.mu.Unlock()
		h(w, r)
	}
}

func (g *fakeGateway) requests() []seen {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]seen(nil), g.reqs...)
}

func (g *fakeGateway) only(t *testing.T) seen {
	t.Helper()
	rs := g.requests()
	if len(rs) != 1 {
		t.Fatalf("want exactly 1 request, got %d: %+v", len(rs), rs)
	}
	return rs[0]
}

// answer writes a status and a raw body.
func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// recLogger keeps every log record for inspection.
type recLogger struct {
	mu      sync.Mutex
	records []map[string]any
	msgs    []string
}

func (l *recLogger) Debug(_ context.Context, msg string, fields map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, msg)
	cp := make(map[string]any, len(fields))
	for k, v := range fields {
		cp[k] = v
	}
	l.records = append(l.records, cp)
}

func (l *recLogger) all() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]map[string]any(nil), l.records...)
}

// testConfig is fast: tiny backoff, short timeout.
func testConfig() Config {
	return Config{
		Username:       testUser,
		Password:       testPass,
		RequestTimeout: 2 * time.Second,
		MaxRetries:     3,
		RetryWaitMin:   time.Millisecond,
		RetryWaitMax:   5 * time.Millisecond,
	}
}

func newTestClient(t *testing.T, mods ...func(*Config)) *Client {
	t.Helper()
	cfg := testConfig()
	for _, m := range mods {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// jsonEqual compares a request body with the expected JSON text exactly.
func wantBody(t *testing.T, got, want string) {
	t.Helper()
	if strings.TrimSpace(got) != want {
		t.Errorf("body:\n got %s\nwant %s", got, want)
	}
}

// wantJSONHeaders checks the headers every admin call must send.
func wantAdminHeaders(t *testing.T, s seen, withBody bool) {
	t.Helper()
	if !s.HasAuth || s.User != testUser || s.Pass != testPass {
		t.Errorf("basic auth: got %q/%q (present %v)", s.User, s.Pass, s.HasAuth)
	}
	if got := s.Header.Get("Accept"); got != "application/json" {
		t.Errorf("Accept = %q", got)
	}
	ct := s.Header.Get("Content-Type")
	if withBody && ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if !withBody && ct != "" {
		t.Errorf("Content-Type = %q on a call without body", ct)
	}
	if s.Header.Get("User-Agent") == "" {
		t.Error("no User-Agent")
	}
}
