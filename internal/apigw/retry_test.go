package apigw

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func asTransport(err error, te **TransportError) bool { return errors.As(err, te) }

// failThen answers fail for the first n requests, then ok.
func failThen(n int32, fail, ok http.HandlerFunc) http.HandlerFunc {
	var count atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) <= n {
			fail(w, r)
			return
		}
		ok(w, r)
	}
}

func TestRetry5xxThenSuccess(t *testing.T) {
	g := newFakeGateway(t, failThen(2, answer(503, `{"errorDetails":" busy"}`), answer(200, `{"version":"10.15"}`)))
	info, err := newTestClient(t).ServerInfo(ctxT(t), g.URL)
	if err != nil || info.Version != "10.15" {
		t.Fatalf("%+v %v", info, err)
	}
	rs := g.requests()
	if len(rs) != 3 {
		t.Fatalf("%d requests, want 3", len(rs))
	}
	for _, s := range rs {
		wantAdminHeaders(t, s, false) // credentials on every attempt
	}
}

func TestRetryRepeatsBodyOnIdempotentPut(t *testing.T) {
	g := newFakeGateway(t, failThen(1, answer(500, ``), answer(200, `{}`)))
	if err := newTestClient(t).EnablePort(ctxT(t), g.URL, PortRef{ListenerKey: "HTTPListener@4444"}); err != nil {
		t.Fatal(err)
	}
	rs := g.requests()
	if len(rs) != 2 || rs[0].Body != rs[1].Body || rs[1].Body == "" {
		t.Errorf("retried body differs: %+v", rs)
	}
}

func TestRetry429(t *testing.T) {
	g := newFakeGateway(t, failThen(1, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600") // capped at RetryWaitMax
		w.WriteHeader(http.StatusTooManyRequests)
	}, answer(200, `{"listeners":[]}`)))
	start := time.Now()
	if _, err := newTestClient(t).ListPorts(ctxT(t), g.URL, ""); err != nil {
		t.Fatal(err)
	}
	if len(g.requests()) != 2 {
		t.Errorf("%d requests", len(g.requests()))
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("Retry-After was not capped: took %s", time.Since(start))
	}
}

func Test4xxNeverRetried(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 422} {
		g := newFakeGateway(t, answer(status, `{"message":"no"}`))
		err := newTestClient(t).DisablePort(ctxT(t), g.URL, PortRef{ListenerKey: "HTTPListener@4444"})
		if StatusCode(err) != status || len(g.requests()) != 1 {
			t.Errorf("%d: %v after %d requests", status, err, len(g.requests()))
		}
	}
}

func TestPostNeverRetried(t *testing.T) {
	g := newFakeGateway(t, answer(503, `{"message":"busy"}`))
	_, err := newTestClient(t).CreatePort(ctxT(t), g.URL, NewPort{Port: 4444, Alias: "Q"})
	if StatusCode(err) != 503 || len(g.requests()) != 1 {
		t.Errorf("%v after %d requests", err, len(g.requests()))
	}
	if err := newTestClient(t).Shutdown(ctxT(t), g.URL, ShutdownRequest{}); len(g.requests()) != 2 || err == nil {
		t.Errorf("shutdown retried: %d requests", len(g.requests()))
	}
}

func TestRetriesExhaustedKeepLastAnswer(t *testing.T) {
	g := newFakeGateway(t, answer(502, `{"errorDetails":" gateway down"}`))
	_, err := newTestClient(t, func(c *Config) { c.MaxRetries = 2 }).GetQuiesceMode(ctxT(t), g.URL)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 502 || ae.Message != "gateway down" {
		t.Fatalf("%T %v", err, err)
	}
	if len(g.requests()) != 3 {
		t.Errorf("%d requests, want 1 + 2 retries", len(g.requests()))
	}
}

func TestNegativeOrZeroRetries(t *testing.T) {
	for _, n := range []int{0, -5} {
		g := newFakeGateway(t, answer(500, ``))
		_, err := newTestClient(t, func(c *Config) { c.MaxRetries = n }).GetQuiesceMode(ctxT(t), g.URL)
		if StatusCode(err) != 500 || len(g.requests()) != 1 {
			t.Errorf("MaxRetries %d: %v after %d requests", n, err, len(g.requests()))
		}
	}
}

func TestConnectionRefusedRetriedWithHint(t *testing.T) {
	addr := deadAddress(t)
	log := &recLogger{}
	c := newTestClient(t, func(c *Config) { c.MaxRetries = 2; c.Logger = log })
	_, err := c.GetPort(ctxT(t), "http://"+addr, "HTTPListener@4444")
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("%T %v", err, err)
	}
	if te.Attempts != 3 || te.Op != "get port" || te.Method != "GET" {
		t.Errorf("%+v", te)
	}
	msg := err.Error()
	for _, want := range []string{"get port: GET http://" + addr + "/rest/apigateway/ports?listenerKey=HTTPListener%404444",
		"connection refused", "(after 3 attempts)", "check node_url"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q missing from %s", want, msg)
		}
	}
	checkErrorStyle(t, err)
	if IsNotFound(err) || StatusCode(err) != 0 {
		t.Error("a transport error is no API answer")
	}
	if n := len(log.all()); n != 3 {
		t.Errorf("%d log records, want one per attempt", n)
	}
}

func TestConnectionRefusedNotRetriedForQuiesceMode(t *testing.T) {
	addr := deadAddress(t)
	_, err := newTestClient(t).SetQuiesceMode(ctxT(t), "http://"+addr, QuiesceMode{Block: "all", Enable: true})
	var te *TransportError
	if !errors.As(err, &te) || te.Attempts != 1 {
		t.Fatalf("%v", err)
	}
}

func TestRequestTimeoutBoundsEachAttempt(t *testing.T) {
	release := make(chan struct{})
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := newTestClient(t, func(c *Config) { c.RequestTimeout = 100 * time.Millisecond; c.MaxRetries = 1 })
	start := time.Now()
	_, err := c.ServerInfo(ctxT(t), g.URL)
	elapsed := time.Since(start)
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("%T %v", err, err)
	}
	if te.Attempts != 2 {
		t.Errorf("attempts = %d, a timed-out GET is retried once here", te.Attempts)
	}
	if elapsed > 1500*time.Millisecond {
		t.Errorf("took %s, each attempt should stop after 100ms", elapsed)
	}
	if !strings.Contains(err.Error(), "request_timeout (100ms)") {
		t.Errorf("hint missing: %s", err)
	}
	checkErrorStyle(t, err)

	// A never-retried call makes one attempt and stops at the timeout.
	start = time.Now()
	err = c.Shutdown(ctxT(t), g.URL, ShutdownRequest{})
	if !errors.As(err, &te) || te.Attempts != 1 || time.Since(start) > time.Second {
		t.Errorf("shutdown: %v in %s", err, time.Since(start))
	}
	// Health is bounded the same way and reports "no answer" as an error.
	start = time.Now()
	if status, err := c.Health(ctxT(t), g.URL); err == nil || status != 0 || time.Since(start) > time.Second {
		t.Errorf("health: %d %v in %s", status, err, time.Since(start))
	}
}

func TestContextBoundsCallAndBackoff(t *testing.T) {
	g := newFakeGateway(t, answer(503, ``))
	c := newTestClient(t, func(c *Config) {
		c.MaxRetries = 10
		c.RetryWaitMin, c.RetryWaitMax = time.Second, time.Second
	})
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetQuiesceMode(ctx, g.URL)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%T %v", err, err)
	}
	if time.Since(start) > 900*time.Millisecond {
		t.Errorf("ctx deadline not honoured during backoff: %s", time.Since(start))
	}
}

func TestBackoffCapsRetryAfter(t *testing.T) {
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"120"}}}
	if d := backoff(time.Millisecond, 50*time.Millisecond, 0, resp); d != 50*time.Millisecond {
		t.Errorf("got %s", d)
	}
	if d := backoff(10*time.Millisecond, time.Second, 2, nil); d != 40*time.Millisecond {
		t.Errorf("exponential: got %s", d)
	}
}
