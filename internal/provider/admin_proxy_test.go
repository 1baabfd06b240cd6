package provider

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"
)

// A recording proxy in front of a node's primary port: the record of admin
// calls that the simulator's timeline does not keep, for tests that assert
// what the provider sent (which calls were repeated, and whether it looked
// at the node first), and a load balancer that can turn requests away.

// adminCall is one request a recording proxy forwarded (or answered itself).
type adminCall struct {
	at     time.Time
	method string
	path   string
	status int // 0: no answer from the node (connection refused or reset)
}

func (c adminCall) String() string { return fmt.Sprintf("%s %s → %d", c.method, c.path, c.status) }

// recorder is a reverse proxy in front of one node's primary port that
// records every call with its answer: the record of admin calls the
// simulator's timeline does not keep. It can also play a load balancer that
// turns a request away with 503 before the node sees it.
type recorder struct {
	t      *testing.T
	srv    *httptest.Server
	target *url.URL

	mu       sync.Mutex
	calls    []adminCall
	refuse   map[string]int        // "METHOD path" → answers still to refuse with 503
	onAnswer func(adminCall, bool) // called after each call; bool: answered by the proxy itself
}

func newRecorder(t *testing.T, nodeURL string) *recorder {
	t.Helper()
	target, err := url.Parse(nodeURL)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{t: t, target: target, refuse: map[string]int{}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		// A fresh connection per request: a node that restarts must not
		// leave the proxy holding dead pooled connections.
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil, DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext},
		ModifyResponse: func(resp *http.Response) error {
			r.record(resp.Request, resp.StatusCode, false)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			r.record(req, 0, false)
			// No answer from the node: no answer from the proxy either, so
			// the provider sees what it would see without the proxy.
			panic(http.ErrAbortHandler)
		},
	}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		key := req.Method + " " + req.URL.Path
		r.mu.Lock()
		refuse := r.refuse[key] > 0
		if refuse {
			r.refuse[key]--
		}
		r.mu.Unlock()
		if refuse {
			r.record(req, http.StatusServiceUnavailable, true)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"errorDetails":" Service unavailable (load balancer): no backend accepted the request"}`))
			return
		}
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// URL is the address Terraform is given for the node.
func (r *recorder) URL() string { return r.srv.URL }

// refuseNext makes the proxy answer the next n requests "METHOD path" with
// 503 itself, before the node sees them.
func (r *recorder) refuseNext(method, path string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refuse[method+" "+path] += n
}

func (r *recorder) record(req *http.Request, status int, byProxy bool) {
	c := adminCall{at: time.Now(), method: req.Method, path: req.URL.Path, status: status}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	hook := r.onAnswer
	r.mu.Unlock()
	if hook != nil {
		hook(c, byProxy)
	}
}

// Calls returns the recorded calls, oldest first.
func (r *recorder) Calls() []adminCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]adminCall(nil), r.calls...)
}

// transient reports an answer after which the request may be repeated once
// the node has been looked at: no answer, 429, 502, 503, 504.
func transient(status int) bool {
	switch status {
	case 0, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// checkNotBlind checks the calls "method path" a node received: every call
// but the last got a transient answer, the last one succeeded (or, for
// quiesce, answered 409: already in effect), and between two of them the
// provider looked at the node first with a GET of lookPath. It returns how
// many times the call was repeated.
func checkNotBlind(node string, calls []adminCall, method, path, lookPath string) (int, error) {
	var idx []int
	for i, c := range calls {
		if c.method == method && c.path == path {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return 0, fmt.Errorf("%s: no %s %s recorded", node, method, path)
	}
	for k, i := range idx {
		c := calls[i]
		last := k == len(idx)-1
		switch {
		case !last && !transient(c.status):
			return 0, fmt.Errorf("%s: %s was repeated after answer %d; only a refusal or no answer may lead to a repeat: %v", node, c, c.status, calls)
		case last && c.status/100 != 2 && c.status != http.StatusConflict:
			return 0, fmt.Errorf("%s: the last %s %s did not succeed: %v", node, method, path, calls)
		}
		if k == 0 {
			continue
		}
		looked := false
		for _, between := range calls[idx[k-1]+1 : i] {
			if between.method == http.MethodGet && between.path == lookPath {
				looked = true
			}
		}
		if !looked {
			return 0, fmt.Errorf("%s: %s %s was repeated without a look at the node first (GET %s): %v", node, method, path, lookPath, calls)
		}
	}
	return len(idx) - 1, nil
}
