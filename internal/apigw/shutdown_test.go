package apigw

import (
	"testing"
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
