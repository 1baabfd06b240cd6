package apigw

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestShutdown(t *testing.T) {
	g := newFakeGateway(t, answer(200, `{"message":"Server shutdown is in progress."}`))
	c := newTestClient(t)
	if err := c.Shutdown(ctxT(t), g.URL, ShutdownRequest{Option: "drain", Timeout: 10}); err != nil {
		t.Fatal(err)
	}
	s := g.only(t)
	if s.Method != "POST" || s.Path != "/rest/apigateway/shutdown" {
		t.Errorf("%s %s", s.Method, s.Path)
	}
	wantBody(t, s.Body, `{"bounce":false,"option":"drain","timeout":10,"quiesce":false}`)
	wantAdminHeaders(t, s, true)
}

func TestShutdownDefaultsAndFlags(t *testing.T) {
	g := newFakeGateway(t, answer(200, ``))
	if err := newTestClient(t).Shutdown(ctxT(t), g.URL, ShutdownRequest{Bounce: true, Quiesce: true, Timeout: 2}); err != nil {
		t.Fatal(err)
	}
	wantBody(t, g.only(t).Body, `{"bounce":true,"option":"drain","timeout":2,"quiesce":true}`)
}

func TestShutdownNeverRetried(t *testing.T) {
	for _, status := range []int{500, 502, 503, 429, 400} {
		g := newFakeGateway(t, answer(status, `{"errorDetails":" not now"}`))
		err := newTestClient(t).Shutdown(ctxT(t), g.URL, ShutdownRequest{Option: "force"})
		if StatusCode(err) != status || len(g.requests()) != 1 {
			t.Errorf("%d: %v after %d requests", status, err, len(g.requests()))
		}
	}
	// A refused connection is not retried either.
	c := newTestClient(t)
	err := c.Shutdown(ctxT(t), "http://"+deadAddress(t), ShutdownRequest{})
	var te *TransportError
	if err == nil || !asTransport(err, &te) || te.Attempts != 1 {
		t.Errorf("%v", err)
	}
}

// TestShutdownLeavesNoConnectionOpen: a node that drains its client
// sessions counts an open connection as one. After two earlier admin calls
// at once left two keep-alive connections in the pool, the shutdown request
// (which may reuse one of them) closes the others, asks the node to close
// its own connection, and afterwards the node has no connection from the
// client left.
func TestShutdownLeavesNoConnectionOpen(t *testing.T) {
	var open atomic.Int32
	var closeAsked atomic.Bool
	var both sync.WaitGroup
	both.Add(2)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == shutdownPath {
			closeAsked.Store(r.Close)
		} else {
			both.Done()
			both.Wait() // two calls in flight at once: two connections
		}
		_, _ = io.WriteString(w, `{}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := newTestClient(t)
	var calls sync.WaitGroup
	for range 2 {
		calls.Go(func() {
			if _, err := c.GetQuiesceMode(ctxT(t), srv.URL); err != nil {
				t.Error(err)
			}
		})
	}
	calls.Wait()
	if n := open.Load(); n != 2 {
		t.Fatalf("%d connections open after two admin calls at once, want the two pooled ones", n)
	}
	if err := c.Shutdown(ctxT(t), srv.URL, ShutdownRequest{Option: "drain", Timeout: 2}); err != nil {
		t.Fatal(err)
	}
	if !closeAsked.Load() {
		t.Error("the shutdown request did not ask the node to close its connection (Connection: close)")
	}
	deadline := time.Now().Add(5 * time.Second)
	for open.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still open after the shutdown request: the node would count them as client sessions", open.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
