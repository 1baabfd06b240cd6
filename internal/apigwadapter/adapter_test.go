package apigwadapter

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/portreserve"
	"github.com/gwops/terraform-provider-apigw/internal/apigw"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// fakeNode answers the quiesce PUT and the shutdown POST with the queued
// statuses (then 200; noAnswer drops the connection) and health with
// healthStatus; it counts both requests.
type fakeNode struct {
	mu            sync.Mutex
	quiesce       []int
	shutdown      []int
	healthStatus  int
	quiesceCalls  int
	shutdownCalls int
	shutdownBody  string
	// port is the object GET /rest/apigateway/ports answers for the
	// quiesce port; "" answers 404.
	port string
}

// Special entries of a queue: noAnswer closes the connection without an
// answer; failureIn200 answers 200 with status failure and a failureReason.
const (
	noAnswer     = -1
	failureIn200 = -2
)

// next pops the next queued status, 200 when the queue is empty.
func next(queue *[]int) int {
	if len(*queue) == 0 {
		return http.StatusOK
	}
	s := (*queue)[0]
	*queue = (*queue)[1:]
	return s
}

func dropConnection(w http.ResponseWriter) {
	h, ok := w.(http.Hijacker)
	if !ok {
		panic("the test server's ResponseWriter cannot be hijacked")
	}
	if conn, _, err := h.Hijack(); err == nil {
		_ = conn.Close()
	}
}

func (f *fakeNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/rest/apigateway/health":
		w.WriteHeader(f.healthStatus)
	case "/rest/apigateway/quiescemode":
		f.quiesceCalls++
		status := next(&f.quiesce)
		switch status {
		case noAnswer:
			dropConnection(w)
			return
		case failureIn200:
			_, _ = w.Write([]byte(`{"block":"all","enable":true,"status":"failure","failureReason":"Flush of license metrics failed"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status == http.StatusOK {
			_, _ = w.Write([]byte(`{"block":"all","enable":true,"status":null}`))
		} else {
			_, _ = w.Write([]byte(`{"errorDetails":" no"}`))
		}
	case "/rest/apigateway/shutdown":
		f.shutdownCalls++
		body, _ := io.ReadAll(r.Body)
		f.shutdownBody = string(body)
		switch status := next(&f.shutdown); status {
		case noAnswer:
			dropConnection(w)
		case http.StatusOK:
			_, _ = w.Write([]byte(`{"message":"Server shutdown is in progress."}`))
		default:
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"message":"no"}`))
		}
	case "/rest/apigateway/ports":
		if f.port == "" || r.URL.Query().Get("listenerKey") != "HTTPListener@4444" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(f.port))
	case "/invoke/wm.server.quiesce/getQuiescePortDetails":
		_, _ = w.Write([]byte(`{"portAlias":"QuiescePort","portKey":"HTTPListener@4444","portPackage":"WmRoot"}`))
	default:
		http.NotFound(w, r)
	}
}

func newGateway(t *testing.T, f *fakeNode) (rollout.Gateway, string) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := apigw.New(apigw.Config{Username: "u", Password: "p", RequestTimeout: 2 * time.Second,
		MaxRetries: 2, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return New(c), srv.URL
}

// repeatCase is one request that must take effect once: the node's
// answers to it, its health in between, how many requests it should get
// and what the caller should see.
type repeatCase struct {
	name      string
	answers   []int
	health    int
	wantCalls int
	check     func(error) bool
}

func TestQuiesceAll(t *testing.T) {
	cases := []repeatCase{
		{"accepted", nil, 200, 1, func(err error) bool { return err == nil }},
		{"409 means already in effect", []int{409}, 200, 1, func(err error) bool { return errors.Is(err, rollout.ErrAlreadyQuiesced) }},
		{"503 repeated while the node still serves", []int{503}, 200, 2, func(err error) bool { return err == nil }},
		{"503 then 409: the first attempt took effect", []int{503, 409}, 200, 2, func(err error) bool { return errors.Is(err, rollout.ErrAlreadyQuiesced) }},
		{"503 and the node left service: not repeated", []int{503}, 503, 1, func(err error) bool { return errors.Is(err, rollout.ErrAlreadyQuiesced) }},
		{"500 is a refusal, never repeated", []int{500}, 200, 1, func(err error) bool { return rollout.IsRefused(err) && apigw.StatusCode(err) == 500 }},
		{"repeats are bounded", []int{503, 503, 503, 503}, 200, 3, func(err error) bool { return rollout.IsRefused(err) && apigw.StatusCode(err) == 503 }},
		{"a 504 may have reached the node: not a refusal", []int{504, 500}, 200, 2, func(err error) bool { return !rollout.IsRefused(err) && apigw.StatusCode(err) == 500 }},
		{"a lost answer may have reached the node: not a refusal", []int{noAnswer, 500}, 200, 2, func(err error) bool { return !rollout.IsRefused(err) && apigw.StatusCode(err) == 500 }},
		{"a lost answer and the node left service: taken as started", []int{noAnswer}, 503, 1, func(err error) bool { return errors.Is(err, rollout.ErrAlreadyQuiesced) }},
		{"status failure in a 200 is a refusal with its reason", []int{failureIn200}, 200, 1, func(err error) bool {
			return rollout.IsRefused(err) && strings.Contains(err.Error(), "status failure: Flush of license metrics failed")
		}},
		{"status failure after a lost answer is still a refusal", []int{noAnswer, failureIn200}, 200, 2, rollout.IsRefused},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeNode{quiesce: tc.answers, healthStatus: tc.health}
			gw, url := newGateway(t, f)
			err := gw.QuiesceAll(context.Background(), url, rollout.AllFlush())
			if !tc.check(err) {
				t.Fatalf("QuiesceAll error = %v", err)
			}
			if f.quiesceCalls != tc.wantCalls {
				t.Fatalf("quiesce requests = %d, want %d", f.quiesceCalls, tc.wantCalls)
			}
		})
	}
}

func TestDrainShutdownRepeats(t *testing.T) {
	cases := []repeatCase{
		{"accepted", nil, 200, 1, func(err error) bool { return err == nil }},
		{"503 repeated while the node still serves", []int{503}, 200, 2, func(err error) bool { return err == nil }},
		{"503 and the node stopped answering: it is going down", []int{503}, 503, 1, func(err error) bool { return err == nil }},
		{"a lost answer and the node stopped answering", []int{noAnswer}, 503, 1, func(err error) bool { return err == nil }},
		{"500 is a refusal, never repeated", []int{500}, 200, 1, func(err error) bool { return rollout.IsRefused(err) && apigw.StatusCode(err) == 500 }},
		{"repeats are bounded", []int{503, 503, 503, 503}, 200, 3, func(err error) bool { return rollout.IsRefused(err) && apigw.StatusCode(err) == 503 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeNode{shutdown: tc.answers, healthStatus: tc.health}
			gw, url := newGateway(t, f)
			err := gw.DrainShutdown(context.Background(), url, time.Minute)
			if !tc.check(err) {
				t.Fatalf("DrainShutdown error = %v", err)
			}
			if f.shutdownCalls != tc.wantCalls {
				t.Fatalf("shutdown requests = %d, want %d", f.shutdownCalls, tc.wantCalls)
			}
		})
	}
}

// TestQuiescePort: the setting names port 4444; the port object says
// whether the gateway would accept it, and a port that cannot be read is
// not judged.
func TestQuiescePort(t *testing.T) {
	const fit = `{"uniqueID":"HTTPListener@4444","key":"HTTPListener@4444","enabled":"true","suspended":"false","accessMode":"allow"}`
	for port, unfit := range map[string]string{
		fit: "",
		"":  "",
		strings.Replace(fit, `"suspended":"false"`, `"suspended":"true"`, 1): "suspended",
		strings.Replace(fit, `"allow"`, `"deny"`, 1):                         `in access mode "deny"`,
	} {
		gw, url := newGateway(t, &fakeNode{healthStatus: 200, port: port})
		reader, ok := gw.(rollout.QuiescePortReader)
		if !ok {
			t.Fatalf("%T is not a rollout.QuiescePortReader", gw)
		}
		st, err := reader.QuiescePort(context.Background(), url)
		if want := (rollout.QuiescePortSetting{Set: true, Port: 4444, Unfit: unfit}); err != nil || st != want {
			t.Errorf("port %s: QuiescePort = %+v, %v; want %+v", port, st, err, want)
		}
	}
}

// TestDrainShutdownBody: the API takes whole minutes, so a timeout that is
// not one (90s) is rounded up to 2, with the body the contract gives.
func TestDrainShutdownBody(t *testing.T) {
	f := &fakeNode{healthStatus: 200}
	gw, url := newGateway(t, f)
	if err := gw.DrainShutdown(context.Background(), url, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	want := `{"bounce":false,"option":"drain","timeout":2,"quiesce":false}`
	if f.shutdownBody != want {
		t.Fatalf("shutdown body = %s, want %s", f.shutdownBody, want)
	}
}

// TestHealthSaysWhyThereWasNoAnswer: the engine gets the status of an
// answer as it is, and for no answer the reason: only a refused connection
// proves that the port is closed.
func TestHealthSaysWhyThereWasNoAnswer(t *testing.T) {
	gw, url := newGateway(t, &fakeNode{healthStatus: 500})
	if code, err := gw.Health(context.Background(), url); code != 500 || err != nil {
		t.Fatalf("Health = %d, %v; want 500, nil", code, err)
	}
	closed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { dropConnection(w) }))
	t.Cleanup(closed.Close)
	// A reserved port is bound but not listening: connections are refused.
	reserved, err := portreserve.Reserve("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reserved.Close() })
	for _, tc := range []struct {
		url  string
		want rollout.Silence
	}{
		{"http://" + reserved.Addr(), rollout.SilenceRefused},
		{closed.URL, rollout.SilenceClosed},
		{"http://gw-1.invalid:5555", rollout.SilenceDNS},
	} {
		code, err := gw.Health(context.Background(), tc.url)
		if err == nil || code != 0 || rollout.SilenceOf(err) != tc.want {
			t.Errorf("%s: Health = %d, %v (%v); want no answer, %v", tc.url, code, err, rollout.SilenceOf(err), tc.want)
		}
	}
}

// TestHealthRefusedIsNoSilence: a 401 or 403 from health comes to the engine
// with its status, marked HealthCredentials, not as a node without an
// answer (which a drain would take for "drained").
func TestHealthRefusedIsNoSilence(t *testing.T) {
	for _, status := range []int{401, 403} {
		gw, url := newGateway(t, &fakeNode{healthStatus: status})
		code, err := gw.Health(context.Background(), url)
		if code != status || !rollout.IsHealthCredentials(err) || !strings.Contains(err.Error(), "health_probe_credentials") {
			t.Errorf("%d: Health = %d, %v; want the status, marked HealthCredentials", status, code, err)
		}
	}
}

// TestRepeatLooksThroughRefusedHealth: a quiesce request turned away with
// 503 is not repeated when the look at the node's health is refused (401):
// that look cannot tell whether the node left service, so the 503 stands, a
// refusal, and it says what the look saw.
func TestRepeatLooksThroughRefusedHealth(t *testing.T) {
	f := &fakeNode{quiesce: []int{503}, healthStatus: 401}
	gw, url := newGateway(t, f)
	err := gw.QuiesceAll(context.Background(), url, rollout.AllFlush())
	if !rollout.IsRefused(err) || apigw.StatusCode(err) != 503 || !strings.Contains(err.Error(), "health_probe_credentials") || f.quiesceCalls != 1 {
		t.Fatalf("QuiesceAll = %v after %d requests; want the 503 as a refusal that names the refused look, one request", err, f.quiesceCalls)
	}
}
