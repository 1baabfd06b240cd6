package gwsim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// Test timings are short but leave room for -race on a shared machine.
const (
	testDrain   = 150 * time.Millisecond
	testRestart = 100 * time.Millisecond
	waitLimit   = 10 * time.Second
)

func startCluster(t *testing.T, opts Options) *Cluster {
	t.Helper()
	if opts.DrainTime == 0 {
		opts.DrainTime = testDrain
	}
	if opts.RestartTime == 0 {
		opts.RestartTime = testRestart
	}
	c, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// startNode starts a cluster as startCluster does, of one node unless
// opts.Nodes says more, and returns it with its first node: the opening of
// most tests here.
func startNode(t *testing.T, opts Options) (*Cluster, *Node) {
	t.Helper()
	opts.Nodes = cmp.Or(opts.Nodes, 1)
	c := startCluster(t, opts)
	return c, c.Nodes()[0]
}

// testClient never reuses connections, so a closed port shows up as a
// refused connection at once.
var testClient = &http.Client{
	Timeout:   waitLimit,
	Transport: &http.Transport{DisableKeepAlives: true},
}

type answer struct {
	status int
	body   []byte
	err    error
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("answer is not a JSON object (%d): %q", a.status, a.body)
	}
	return m
}

// do sends body (marshalled unless it is a string or []byte) with the
// cluster's default credentials when auth is set.
func do(method, url string, body any, auth bool) answer {
	return doWith(testClient, method, url, body, auth)
}

func doWith(client *http.Client, method, url string, body any, auth bool) answer {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return answer{err: err}
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Accept", "application/json")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth {
		req.SetBasicAuth(DefaultUsername, DefaultPassword)
	}
	return send(client, req)
}

// getAs sends a GET with the given credentials, where do sends the
// cluster's default ones or none.
func getAs(url, username, password string) answer {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return answer{err: err}
	}
	req.SetBasicAuth(username, password)
	return send(testClient, req)
}

func send(client *http.Client, req *http.Request) answer {
	resp, err := client.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: b, err: err}
}

func refused(a answer) bool { return errors.Is(a.err, syscall.ECONNREFUSED) }

func expectStatus(t *testing.T, a answer, want int) {
	t.Helper()
	if a.err != nil {
		t.Fatalf("want %d, got error %v", want, a.err)
	}
	if a.status != want {
		t.Fatalf("want %d, got %d: %s", want, a.status, a.body)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitState waits until n is in state want (StateReady, StateQuiesced...).
func waitState(t *testing.T, n *Node, want string) {
	t.Helper()
	waitFor(t, n.Name()+" "+want, func() bool { return n.State() == want })
}

// waitBooted waits until a restarted node has booted: from then on its
// health probes count against SlowStartProbes and HealthFlaps faults,
// though it is still starting.
func waitBooted(t *testing.T, n *Node) {
	t.Helper()
	waitFor(t, "booted", func() bool { n.mu.Lock(); defer n.mu.Unlock(); return n.booted })
}

// slowRequest sends a runtime request that takes delay (a duration such as
// "5s") to n and returns, once the node counts it in flight, the channel
// its answer comes on.
func slowRequest(t *testing.T, n *Node, delay string) <-chan answer {
	t.Helper()
	res := make(chan answer, 1)
	go func() { res <- do("GET", n.URL()+"/gateway/x?delay="+delay, nil, false) }()
	waitFor(t, "request in flight", func() bool { n.mu.Lock(); defer n.mu.Unlock(); return n.inflight == 1 })
	return res
}

// setupQuiescePort follows the tutorial: create, enable, set as quiesce
// port. It returns the port number.
func setupQuiescePort(t *testing.T, n *Node) int {
	t.Helper()
	p := n.ReservePort()
	expectStatus(t, do("POST", n.URL()+"/rest/apigateway/ports", map[string]string{
		"factoryKey": "webMethods/HTTP", "pkg": "WmRoot", "port": itoa(p), "portAlias": "QuiescePort",
	}, true), http.StatusCreated)
	expectStatus(t, do("PUT", n.URL()+"/rest/apigateway/ports/enable", map[string]string{
		"listenerKey": "HTTPListener@" + itoa(p), "pkg": "WmRoot", "requestServiceStatus": "",
	}, true), http.StatusOK)
	expectStatus(t, do("PUT", n.URL()+"/invoke/wm.server.quiesce/setQuiescePort", map[string]string{
		"portAlias": "QuiescePort",
	}, true), http.StatusOK)
	return p
}

func quiesceAll(n *Node) answer {
	return do("PUT", n.URL()+"/rest/apigateway/quiescemode", map[string]any{
		"block": "all", "enable": true,
		"flush": []string{"license_metrics", "performance_metrics", "subscription_quota"},
	}, true)
}

func health(url string) answer { return do("GET", url+"/rest/apigateway/health", nil, false) }

func traffic(t *testing.T, n *Node, count int) {
	t.Helper()
	for i := 0; i < count; i++ {
		expectStatus(t, do("GET", n.URL()+"/gateway/orders", nil, false), http.StatusOK)
	}
}

func kinds(events []Event, node string) []string {
	var out []string
	for _, e := range events {
		if e.Node == node {
			out = append(out, e.Kind)
		}
	}
	return out
}

// urlFor is the URL of a plain-HTTP port (webMethods/HTTP) on the cluster's
// host, such as the tutorial's quiesce port.
func (c *Cluster) urlFor(port int) string { return c.baseURL(protoHTTP, port) }
