package apigw

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

var allFlush = []string{"license_metrics", "performance_metrics", "subscription_quota"}

func TestSetQuiescePort(t *testing.T) {
	g := newFakeGateway(t, answer(200, `{}`))
	c := newTestClient(t)
	if err := c.SetQuiescePort(ctxT(t), g.URL, "QuiescePort"); err != nil {
		t.Fatal(err)
	}
	s := g.only(t)
	if s.Method != "PUT" || s.Path != "/invoke/wm.server.quiesce/setQuiescePort" {
		t.Errorf("%s %s", s.Method, s.Path)
	}
	wantBody(t, s.Body, `{"portAlias":"QuiescePort"}`)
	wantAdminHeaders(t, s, true)

	// An empty answer is a success too: the body is not documented.
	g2 := newFakeGateway(t, answer(200, ``))
	if err := c.SetQuiescePort(ctxT(t), g2.URL, "Q"); err != nil {
		t.Error(err)
	}
	g3 := newFakeGateway(t, answer(200, `{"$error":"Port alias Q not found"}`))
	if err := c.SetQuiescePort(ctxT(t), g3.URL, "Q"); err == nil {
		t.Error("an $error in a 200 answer must fail")
	}
	g4 := newFakeGateway(t, answer(500, `{"$error":"Port alias Q not found"}`))
	err := c.SetQuiescePort(ctxT(t), g4.URL, "Q")
	if StatusCode(err) != 500 || len(g4.requests()) != 4 {
		t.Errorf("500: %v after %d requests (want 1 + 3 retries)", err, len(g4.requests()))
	}
}

func TestGetQuiescePort(t *testing.T) {
	cases := map[string]QuiescePortDetails{
		`{"portAlias":"QuiescePort","portKey":"HTTPListener@4444","portPackage":"WmRoot"}`:             {"QuiescePort", "HTTPListener@4444", "WmRoot"},
		`{"details":{"portAlias":"QuiescePort","portKey":"HTTPListener@4444","portPackage":"WmRoot"}}`: {"QuiescePort", "HTTPListener@4444", "WmRoot"},
		`{}`: {},
		``:   {},
		`{"portAlias":null,"portKey":"","portPackage":null}`: {},
	}
	for body, want := range cases {
		g := newFakeGateway(t, answer(200, body))
		got, err := newTestClient(t).GetQuiescePort(ctxT(t), g.URL)
		if err != nil || *got != want {
			t.Errorf("%s: got %+v, %v", body, got, err)
		}
		s := g.only(t)
		if s.Method != "GET" || s.Path != "/invoke/wm.server.quiesce/getQuiescePortDetails" {
			t.Errorf("%s %s", s.Method, s.Path)
		}
		wantAdminHeaders(t, s, false)
	}
	g := newFakeGateway(t, answer(200, `not json`))
	if _, err := newTestClient(t).GetQuiescePort(ctxT(t), g.URL); err == nil {
		t.Error("want decode error")
	}
	// A service failure inside a 200 is an error, not "no quiesce port set".
	g = newFakeGateway(t, answer(200, `{"$error":"Access denied"}`))
	if got, err := newTestClient(t).GetQuiescePort(ctxT(t), g.URL); err == nil || !strings.Contains(err.Error(), "Access denied") {
		t.Errorf("$error in a 200: got %+v, %v; want an error carrying the message", got, err)
	}
}

func TestSetQuiesceModeAll(t *testing.T) {
	g := newFakeGateway(t, answer(200, `{"block":"all","flush":["license_metrics","performance_metrics","subscription_quota"],"enable":true,"status":null}`))
	c := newTestClient(t)
	got, err := c.SetQuiesceMode(ctxT(t), g.URL, QuiesceMode{Block: "all", Enable: true, Flush: allFlush})
	if err != nil {
		t.Fatal(err)
	}
	want := &QuiesceMode{Block: "all", Enable: true, Flush: allFlush}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	s := g.only(t)
	if s.Method != "PUT" || s.Path != "/rest/apigateway/quiescemode" {
		t.Errorf("%s %s", s.Method, s.Path)
	}
	wantBody(t, s.Body, `{"block":"all","flush":["license_metrics","performance_metrics","subscription_quota"],"enable":true}`)
	wantAdminHeaders(t, s, true)
}

func TestSetQuiesceModeDesigntimeOmitsFlush(t *testing.T) {
	g := newFakeGateway(t, answer(200, ``))
	got, err := newTestClient(t).SetQuiesceMode(ctxT(t), g.URL, QuiesceMode{Block: "designtime", Enable: false})
	if err != nil {
		t.Fatal(err)
	}
	if got.Block != "designtime" || got.Enable || got.Flush != nil {
		t.Errorf("echo: %+v", got)
	}
	wantBody(t, g.only(t).Body, `{"block":"designtime","enable":false}`)

	// An answer that carries only a status keeps the request's setting.
	g2 := newFakeGateway(t, answer(200, `{"status":"in progress"}`))
	got, err = newTestClient(t).SetQuiesceMode(ctxT(t), g2.URL, QuiesceMode{Block: "all", Enable: true, Flush: allFlush})
	if err != nil || got.Block != "all" || !got.Enable || got.Status != "in progress" || len(got.Flush) != 3 {
		t.Errorf("%+v %v", got, err)
	}
}

func TestSetQuiesceModeConflictAndNoRetry(t *testing.T) {
	for _, status := range []int{409, 500, 503, 429} {
		g := newFakeGateway(t, answer(status, `{"errorDetails":" Quiesce mode for all is already enabled"}`))
		_, err := newTestClient(t).SetQuiesceMode(ctxT(t), g.URL, QuiesceMode{Block: "all", Enable: true})
		if StatusCode(err) != status || IsConflict(err) != (status == 409) {
			t.Errorf("%d: %v", status, err)
		}
		if n := len(g.requests()); n != 1 {
			t.Errorf("%d: %d requests, quiesce mode must never be retried", status, n)
		}
	}
}

// TestSetQuiesceModeFailureInA200: the quiescemode model reports a failed
// request in a 200 with status failure; that is an error carrying the
// failureReason, not a quiesce in progress, and it is not repeated.
func TestSetQuiesceModeFailureInA200(t *testing.T) {
	for body, reason := range map[string]string{
		`{"block":"all","enable":true,"status":"failure","failureReason":"Flush of license metrics failed"}`: "Flush of license metrics failed",
		`{"status":"Failure","failureReason":null}`:                                                          "no failureReason",
	} {
		g := newFakeGateway(t, answer(200, body))
		got, err := newTestClient(t).SetQuiesceMode(ctxT(t), g.URL, QuiesceMode{Block: "all", Enable: true, Flush: allFlush})
		if !IsFailureAnswer(err) || got != nil {
			t.Fatalf("%s: got %+v, %v; want a FailureAnswerError", body, got, err)
		}
		for _, want := range []string{"set quiesce mode", "PUT " + g.URL + "/rest/apigateway/quiescemode", "HTTP 200", "status failure", reason} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if IsConflict(err) || len(g.requests()) != 1 {
			t.Errorf("%s: conflict %v, %d requests; want no conflict and exactly one request", body, IsConflict(err), len(g.requests()))
		}
	}
}

func TestGetQuiesceMode(t *testing.T) {
	g := newFakeGateway(t, answer(200, `{"block":"designtime","enable":"true","status":"failure","failureReason":"flush failed","flush":"license_metrics"}`))
	got, err := newTestClient(t).GetQuiesceMode(ctxT(t), g.URL)
	if err != nil {
		t.Fatal(err)
	}
	want := &QuiesceMode{Block: "designtime", Enable: true, Status: "failure", FailureReason: "flush failed", Flush: []string{"license_metrics"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	s := g.only(t)
	if s.Method != "GET" || s.Path != "/rest/apigateway/quiescemode" {
		t.Errorf("%s %s", s.Method, s.Path)
	}
	wantAdminHeaders(t, s, false)

	g2 := newFakeGateway(t, answer(200, `<html>`))
	if _, err := newTestClient(t).GetQuiesceMode(ctxT(t), g2.URL); err == nil {
		t.Error("want decode error")
	}
}

func TestQuiesceModeJSON(t *testing.T) {
	b, _ := json.Marshal(QuiesceMode{Block: "all", Enable: true})
	if string(b) != `{"block":"all","enable":true,"status":"","failureReason":""}` {
		t.Errorf("marshal: %s", b)
	}
	var m QuiesceMode
	if err := json.Unmarshal([]byte(`{"block":"all","enable":true,"status":null,"failureReason":null}`), &m); err != nil || m.Status != "" {
		t.Errorf("%+v %v", m, err)
	}
	if err := json.Unmarshal([]byte(`{"enable":"perhaps"}`), &m); err == nil {
		t.Error("bad enable accepted")
	}
}
