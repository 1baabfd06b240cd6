package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/gwops/terraform-provider-apigw/internal/apigw"
	"github.com/gwops/terraform-provider-apigw/internal/gwsim"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// Hardening matrix, faults: the simulated gateway misbehaves while the real
// Terraform CLI drives the provider. Each case asserts the outcome from the
// simulator's side (its timeline, and what a recording proxy in front of a
// node saw), not only from what the provider reports.

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

// hardeningConfig is upgradeTest.config with node URLs replaced (by those
// of recording proxies) and extra provider attributes.
func (u *upgradeTest) hardeningConfig(targetVersion, providerExtra string, urls map[string]string) string {
	cfg := u.config(targetVersion, "")
	if providerExtra != "" {
		cfg = strings.Replace(cfg, providerConfig(""), providerConfig(providerExtra), 1)
	}
	for _, n := range u.cluster.Nodes() {
		if p, ok := urls[n.Name()]; ok {
			cfg = strings.ReplaceAll(cfg, strconv.Quote(n.URL()), strconv.Quote(p))
		}
	}
	return cfg
}

// eventIndex returns the position of the first timeline event of kind on
// node at or after position from (-1 when none), so ordering checks compare
// positions in one timeline instead of clock readings.
func eventIndex(events []gwsim.Event, from int, node, kind string) int {
	for i := max(from, 0); i < len(events); i++ {
		if events[i].Node == node && events[i].Kind == kind {
			return i
		}
	}
	return -1
}

// TestAccHardening_admin503 is 30% of admin calls answered 503 on every node. The
// upgrade completes through retries of idempotent calls; the calls that
// are not idempotent (port creation, quiesce) are repeated only after a
// refusal and a look at the node, and take effect exactly once.
func TestAccHardening_admin503(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	proxies := map[string]*recorder{}
	urls := map[string]string{}
	for _, n := range u.cluster.Nodes() {
		n.SetFaults(gwsim.Faults{Admin503Rate: 0.3})
		p := newRecorder(t, n.URL())
		proxies[n.Name()], urls[n.Name()] = p, p.URL()
	}
	// The simulator's 503s fall on whichever calls its deterministic
	// pattern hits; gw-2's load balancer also turns away the first port
	// creation and the first quiesce request, so both repeat paths run.
	proxies["gw-2"].refuseNext(http.MethodPost, "/rest/apigateway/ports", 1)
	proxies["gw-2"].refuseNext(http.MethodPut, "/rest/apigateway/quiescemode", 1)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{{
			Config: u.hardeningConfig(target, "", urls),
			Check: resource.ComposeAggregateTestCheckFunc(
				allOnTarget(u.cluster),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.1.outcome", "upgraded"),
				checkSim(func() error {
					q := countEvents(u.cluster, gwsim.EventQuiesceRequested)
					c := countEvents(u.cluster, gwsim.EventPortCreated)
					for _, n := range []string{"gw-1", "gw-2", "gw-3"} {
						if q[n] != 1 || c[n] != 1 {
							return errorf("%s: quiesce requested %d times and port created %d times, want exactly once each", n, q[n], c[n])
						}
					}
					if m := u.cluster.MaxOutOfService(); m != 1 {
						return errorf("max nodes out of service = %d, want 1", m)
					}
					refused, repeats := 0, 0
					for name, p := range proxies {
						calls := p.Calls()
						for _, c := range calls {
							if c.status == http.StatusServiceUnavailable {
								refused++
							}
						}
						n, err := checkNotBlind(name, calls, http.MethodPost, "/rest/apigateway/ports", "/rest/apigateway/ports")
						if err != nil {
							return err
						}
						repeats += n
						n, err = checkNotBlind(name, calls, http.MethodPut, "/rest/apigateway/quiescemode", "/rest/apigateway/health")
						if err != nil {
							return err
						}
						repeats += n
					}
					if repeats < 2 {
						return errorf("only %d verified repeats of port creation or quiesce; gw-2's refusals alone make two", repeats)
					}
					t.Logf("503 answers: %d; verified repeats of non-idempotent calls: %d", refused, repeats)
					return nil
				}),
			),
		}},
	})
}

// TestAccHardening_admin503DrainShutdown: the same 503s with strategy =
// "drain_shutdown": the shutdown request is repeated only after a refusal
// and a look at the node, and each node is shut down once.
func TestAccHardening_admin503DrainShutdown(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	proxies := map[string]*recorder{}
	for _, n := range u.cluster.Nodes() {
		n.SetFaults(gwsim.Faults{Admin503Rate: 0.3})
		proxies[n.Name()] = newRecorder(t, n.URL())
	}
	proxies["gw-2"].refuseNext(http.MethodPost, "/rest/apigateway/shutdown", 1)
	config := u.drainShutdownConfig("90s", func(n *gwsim.Node) string { return proxies[n.Name()].URL() })
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{{
			Config: config,
			Check: resource.ComposeAggregateTestCheckFunc(
				allOnTarget(u.cluster),
				checkSim(func() error {
					s := countEvents(u.cluster, gwsim.EventShutdownRequested)
					if s["gw-1"] != 1 || s["gw-2"] != 1 || s["gw-3"] != 1 {
						return errorf("shutdown requests %v, want exactly one per node", s)
					}
					repeats := 0
					for name, p := range proxies {
						n, err := checkNotBlind(name, p.Calls(), http.MethodPost, "/rest/apigateway/shutdown", "/rest/apigateway/health")
						if err != nil {
							return err
						}
						repeats += n
					}
					if repeats < 1 {
						return errorf("gw-2's refused shutdown was not repeated")
					}
					return nil
				}),
			),
		}},
	})
}

// TestAccHardening_slowAdmin: every admin answer takes 700ms against a request_timeout
// of 1s; the upgrade completes, and nothing takes effect twice even when a
// loaded machine pushes an answer past the timeout.
func TestAccHardening_slowAdmin(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 2})
	for _, n := range u.cluster.Nodes() {
		n.SetFaults(gwsim.Faults{AdminDelay: 700 * time.Millisecond})
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{{
			Config: u.hardeningConfig(target, `request_timeout = "1s"`, nil),
			Check: resource.ComposeAggregateTestCheckFunc(
				allOnTarget(u.cluster),
				checkSim(func() error {
					q := countEvents(u.cluster, gwsim.EventQuiesceRequested)
					c := countEvents(u.cluster, gwsim.EventPortCreated)
					if q["gw-1"] != 1 || q["gw-2"] != 1 || c["gw-1"] != 1 || c["gw-2"] != 1 {
						return errorf("quiesce requests %v, ports created %v: want exactly one each per node", q, c)
					}
					return nil
				}),
			),
		}},
	})
}

// sendTraffic sends n API requests to a node so that it holds metrics in
// memory that only a quiesce flushes.
func sendTraffic(t *testing.T, n *gwsim.Node, count int) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	for i := 0; i < count; i++ {
		resp, err := client.Get(n.URL() + "/gateway/orders")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("traffic to %s: HTTP %d", n.Name(), resp.StatusCode)
		}
	}
	if n.Unflushed() == 0 {
		t.Fatalf("%s holds no unflushed metrics after %d requests", n.Name(), count)
	}
}

// TestAccHardening_refuseMidDrain: gw-2 closes every listener halfway through
// quiescing. Per the tutorial, no answer on the quiesce port means the node
// has finished quiescing, so the provider cannot tell this crash from a
// clean drain: it proceeds and upgrades gw-2, and the rollout completes.
// The vendor-side consequence is that gw-2's unflushed metrics are lost,
// which the simulator reports; the other nodes lose nothing.
func TestAccHardening_refuseMidDrain(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3, DrainTime: 600 * time.Millisecond})
	gw2 := u.cluster.Node("gw-2")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{
			{Config: u.config("10.15.0.5", "")},
			{
				PreConfig: func() {
					gw2.SetFaults(gwsim.Faults{RefuseMidDrain: true})
					sendTraffic(t, gw2, 25)
				},
				Config: u.config(target, ""),
				Check: resource.ComposeAggregateTestCheckFunc(
					allOnTarget(u.cluster),
					resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.1.node", "gw-2"),
					resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.1.outcome", "upgraded"),
					checkSim(func() error {
						ev := u.cluster.Events()
						q := eventIndex(ev, 0, "gw-2", gwsim.EventQuiesceRequested)
						stopped := eventIndex(ev, q, "gw-2", gwsim.EventStopped)
						lost := eventIndex(ev, q, "gw-2", gwsim.EventMetricsLost)
						started := eventIndex(ev, q, "gw-2", gwsim.EventStarted)
						completed := eventIndex(ev, q, "gw-2", gwsim.EventQuiesceCompleted)
						if q < 0 || stopped < 0 || lost < 0 || started < stopped || (completed >= 0 && completed < stopped) {
							return errorf("gw-2 timeline: quiesce %d, stopped %d, metrics lost %d, quiesce completed %d, restarted %d; want a crash mid-drain with metrics lost, then the upgrade", q, stopped, lost, completed, started)
						}
						ready := eventIndex(ev, started, "gw-2", gwsim.EventReady)
						if next := eventIndex(ev, 0, "gw-3", gwsim.EventQuiesceRequested); ready < 0 || next < ready {
							return errorf("gw-3 quiesced at event %d, gw-2 ready again at event %d: want gw-2 ready first", next, ready)
						}
						totals := u.cluster.StoreTotals()
						if totals.Lost["gw-2"] == 0 || totals.Lost["gw-1"] != 0 || totals.Lost["gw-3"] != 0 {
							return errorf("lost metrics per node %v: want gw-2's only", totals.Lost)
						}
						if q := countEvents(u.cluster, gwsim.EventQuiesceRequested); q["gw-2"] != 1 {
							return errorf("gw-2 quiesced %d times, want once", q["gw-2"])
						}
						return nil
					}),
				),
			},
		},
	})
}

// TestAccHardening_refuseMidDrainWarns: the same crash through the real CLI
// with the provider as its own process, to read what the user sees: the
// apply succeeds with a warning that names gw-2, its quiesce port and the
// metrics at risk; the nodes that drained cleanly get none.
func TestAccHardening_refuseMidDrainWarns(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3, DrainTime: 600 * time.Millisecond})
	w := newTFWorkdir(t)
	w.setConfig(u.config("10.15.0.5", ""))
	w.mustRun(applyArgs...)
	u.cluster.Node("gw-2").SetFaults(gwsim.Faults{RefuseMidDrain: true})
	w.setConfig(u.config(target, ""))
	out := w.mustRun(applyArgs...)
	if !strings.Contains(out, "Warning: Node gw-2: check its metrics") || !strings.Contains(out, fmt.Sprintf(":%d", u.ports["gw-2"])) ||
		!strings.Contains(out, "flushing") {
		t.Fatalf("apply output lacks the warning about gw-2's drain:\n%s", out)
	}
	for _, clean := range []string{"gw-1", "gw-3"} {
		if strings.Contains(out, "Node "+clean+": check") {
			t.Errorf("%s drained cleanly but got a warning:\n%s", clean, out)
		}
	}
}

// TestAccHardening_healthFlaps: after its restart gw-1's health answers 200, 500,
// 200, ... before it settles. One 200 is not readiness: gw-2 is not taken
// out of service until gw-1 has settled.
func TestAccHardening_healthFlaps(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	gw1 := u.cluster.Node("gw-1")
	gw1.SetFaults(gwsim.Faults{HealthFlaps: 7})
	proxy := newRecorder(t, gw1.URL())
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{{
			Config: u.hardeningConfig(target, "", map[string]string{"gw-1": proxy.URL()}),
			Check: resource.ComposeAggregateTestCheckFunc(
				allOnTarget(u.cluster),
				checkSim(func() error {
					ev := u.cluster.Events()
					restarted := eventIndex(ev, eventIndex(ev, 0, "gw-1", gwsim.EventQuiesceRequested), "gw-1", gwsim.EventStarted)
					flapping := eventIndex(ev, restarted, "gw-1", gwsim.EventFault)
					settled := eventIndex(ev, flapping, "gw-1", gwsim.EventReady)
					next := eventIndex(ev, 0, "gw-2", gwsim.EventQuiesceRequested)
					if restarted < 0 || flapping < 0 || settled < 0 || next < 0 {
						return errorf("gw-1 restarted %d, flapping %d, settled %d; gw-2 quiesced %d: missing from the timeline", restarted, flapping, settled, next)
					}
					if next < settled {
						return errorf("gw-2 was quiesced (event %d) before gw-1's health settled (event %d)", next, settled)
					}
					// What the provider saw on gw-1's primary health after the restart: a
					// 200 followed by a 500, so a single 200 was not taken as ready.
					var seen []int
					for _, c := range proxy.Calls() {
						if c.path == "/rest/apigateway/health" && c.at.After(ev[restarted].At) && c.at.Before(ev[next].At) {
							seen = append(seen, c.status)
						}
					}
					flapSeen := false
					for i := 1; i < len(seen); i++ {
						if seen[i-1] == 200 && seen[i] == 500 {
							flapSeen = true
						}
					}
					if !flapSeen {
						return errorf("gw-1's health after the restart, as the provider saw it: %v; want a 200 followed by a 500", seen)
					}
					return nil
				}),
			),
		}},
	})
}

// TestAccHardening_quiesceConflict: gw-1 is already quiescing (an operator
// started it) when the apply reaches it. The gateway answers the provider's
// quiesce request with 409; the provider takes that as started, waits for
// the drain and upgrades gw-1 without quiescing it again.
func TestAccHardening_quiesceConflict(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 2})
	gw1 := u.cluster.Node("gw-1")
	proxy := newRecorder(t, gw1.URL())
	urls := map[string]string{"gw-1": proxy.URL()}
	// The operator's quiesce must still be running when the provider asks:
	// it does not end until the gateway has answered the provider's request.
	proxy.onAnswer = func(c adminCall, _ bool) {
		if c.method == http.MethodPut && c.path == "/rest/apigateway/quiescemode" && c.status == http.StatusConflict {
			gw1.SetFaults(gwsim.Faults{})
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{
			{Config: u.hardeningConfig("10.15.0.5", "", urls)},
			{
				PreConfig: func() {
					gw1.SetFaults(gwsim.Faults{DrainNeverEnds: true})
					if _, err := testClient(t).SetQuiesceMode(context.Background(), gw1.URL(), apigw.QuiesceMode{Block: "all", Enable: true}); err != nil {
						t.Fatalf("operator's quiesce: %v", err)
					}
				},
				Config: u.hardeningConfig(target, "", urls),
				Check: resource.ComposeAggregateTestCheckFunc(
					allOnTarget(u.cluster),
					resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.0.outcome", "upgraded"),
					checkSim(func() error {
						var puts []string
						for _, c := range proxy.Calls() {
							if c.method == http.MethodPut && c.path == "/rest/apigateway/quiescemode" {
								puts = append(puts, strconv.Itoa(c.status))
							}
						}
						if strings.Join(puts, ",") != "409" {
							return errorf("the provider's quiesce requests to gw-1 were answered %v, want exactly one 409", puts)
						}
						if q := countEvents(u.cluster, gwsim.EventQuiesceRequested); q["gw-1"] != 1 || q["gw-2"] != 1 {
							return errorf("quiesce requests %v: want gw-1 once (the operator's) and gw-2 once", q)
						}
						return nil
					}),
				),
			},
		},
	})
}

// wrapped compiles a pattern for Terraform's error output, which wraps long
// lines: every space matches any run of white space, and . matches newlines.
func wrapped(pattern string) *regexp.Regexp {
	return regexp.MustCompile(`(?s)` + strings.ReplaceAll(pattern, " ", `\s+`))
}

// hookMarker is a command that appends "<what> <node>" to a file, to prove
// which hooks ran for which node.
func hookMarker(log, what string) string {
	return hclList([]string{"sh", "-c", `echo "` + what + ` $APIGW_NODE_NAME" >> ` + log})
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(b)), " ", "_"))
}

// TestAccHardening_quiesceURLNotQuiescePort: gw-2's quiesce_url points at a live
// port that is not the node's quiesce port (a copy-paste slip). Its health
// answers 200, so only the node's quiesce-port setting shows the mistake.
// Pre-flight refuses before gw-2 is touched (no before_node_command, no
// quiesce), with the fix in the message; gw-1 stays upgraded and gw-3
// untouched.
func TestAccHardening_quiesceURLNotQuiescePort(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	gw2 := u.cluster.Node("gw-2")
	client := testClient(t)
	ctx := context.Background()
	other := gw2.ReservePort()
	if _, err := client.CreatePort(ctx, gw2.URL(), apigw.NewPort{Port: other, Alias: "Diagnostics", Pkg: "WmRoot", Protocol: "HTTP"}); err != nil {
		t.Fatal(err)
	}
	if err := client.EnablePort(ctx, gw2.URL(), apigw.PortRef{ListenerKey: apigw.ListenerKey("HTTP", other), Pkg: "WmRoot"}); err != nil {
		t.Fatal(err)
	}
	otherURL := fmt.Sprintf("http://127.0.0.1:%d", other)
	hooks := t.TempDir() + "/hooks.log"
	cfg := regexp.MustCompile(`quiesce_url = apigw_quiesce_port\.gw_2\.quiesce_url`).
		ReplaceAllLiteralString(u.config(target, "before_node_command = "+hookMarker(hooks, "before")), "quiesce_url = "+strconv.Quote(otherURL))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{{
			Config:      cfg,
			ExpectError: wrapped(`node "gw-2".*pre-flight.*` + regexp.QuoteMeta(otherURL) + `.*the node's quiesce port is \d+.*Nothing was changed on this node.*apigw_quiesce_port's quiesce_url`),
		}, {
			PreConfig: func() {
				if got := strings.Join(readLines(t, hooks), ","); got != "before_gw-1" {
					t.Fatalf("before_node_command ran for %q, want gw-1 only", got)
				}
				q := countEvents(u.cluster, gwsim.EventQuiesceRequested)
				if q["gw-1"] != 1 || q["gw-2"] != 0 || q["gw-3"] != 0 {
					t.Fatalf("quiesce requests %v: want gw-1 only", q)
				}
				if v := nodeVersions(u.cluster); v["gw-2"] != fromVersion || gw2.State() != gwsim.StateReady {
					t.Fatalf("gw-2 is %s on %s, want untouched", gw2.State(), v["gw-2"])
				}
			},
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				expectPrior{upgradeAddr, "target_version", nil},
				pendingIs("gw-2", "gw-3"),
			}},
			ExpectError: regexp.MustCompile(`(?s)node "gw-2".*pre-flight`),
		}},
	})
}

// TestAccHardening_quiesceRefused: gw-2 refuses the quiesce request, with a
// 500 or with status failure inside a 200 (the quiescemode model allows
// both). The gateway did nothing, so the provider must not treat gw-2 as
// taken down nor wait for it to drain: no rollback_command (there is
// nothing to roll back), gw-2 keeps serving its old version, gw-3 is not
// touched, and the error names gw-2, the step, the gateway's reason and
// what to check. drain_timeout is short so that a provider that waits for
// a drain fails with the wrong error instead of hanging.
func TestAccHardening_quiesceRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults gwsim.Faults
		want   string
	}{
		{"500", gwsim.Faults{QuiesceRefused: true}, `HTTP 500`},
		{"status failure in a 200", gwsim.Faults{QuiesceFailure: true}, `HTTP 200 with status failure: Failed to enable quiesce mode for all`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
			gw2 := u.cluster.Node("gw-2")
			hooks := t.TempDir() + "/hooks.log"
			extra := "rollback_command = " + hookMarker(hooks, "rollback") + "\n  drain_timeout = \"20s\""
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6Providers,
				Steps: []resource.TestStep{
					{Config: u.config("10.15.0.5", extra)},
					{
						PreConfig:   func() { gw2.SetFaults(tc.faults) },
						Config:      u.config(target, extra),
						ExpectError: wrapped(`node "gw-2": quiesce failed.*` + tc.want + `.*the node was not touched and still serves its old version.*quiesce port.*re-run terraform apply`),
					},
					{
						PreConfig: func() {
							if lines := readLines(t, hooks); len(lines) != 0 {
								t.Fatalf("rollback_command ran for a node the gateway never quiesced: %v", lines)
							}
							if gw2.State() != gwsim.StateReady || gw2.Version() != fromVersion {
								t.Fatalf("gw-2 is %s on %s, want ready on %s", gw2.State(), gw2.Version(), fromVersion)
							}
							if ev := countEvents(u.cluster, gwsim.EventShutdownRequested); ev["gw-2"] != 0 || ev["gw-3"] != 0 {
								t.Fatalf("restarts %v: gw-2 and gw-3 must not have been restarted", ev)
							}
							gw2.SetFaults(gwsim.Faults{})
						},
						Config: u.config(target, extra),
						ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							expectPrior{upgradeAddr, "target_version", "10.15.0.5"},
							expectPriorOutcomes{upgradeAddr, []string{"gw-1=upgraded", "gw-2=failed"}},
							pendingIs("gw-2", "gw-3"),
						}},
						Check: allOnTarget(u.cluster),
					},
				},
			})
		})
	}
}

// TestAccHardening_freshContainer: gw-2 is restarted on a new container behind
// Terraform's back, so its quiesce port and quiesce-port setting are gone.
// The next plan shows apigw_quiesce_port.gw_2 to be created again (and the
// upgrade's quiesce_url known only after that), and the apply recreates it
// and upgrades every node.
func TestAccHardening_freshContainer(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	gw2 := u.cluster.Node("gw-2")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{
			{Config: u.config("10.15.0.5", "")},
			{
				PreConfig: func() {
					if err := gw2.Restart(gwsim.RestartOptions{Fresh: true}); err != nil {
						t.Fatal(err)
					}
					waitReady(t, gw2)
					if gw2.QuiescePort() != 0 {
						t.Fatalf("gw-2 still has quiesce port %d after a fresh restart", gw2.QuiescePort())
					}
				},
				Config: u.config(target, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("apigw_quiesce_port.gw_2", plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction("apigw_quiesce_port.gw_1", plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction(upgradeAddr, plancheck.ResourceActionUpdate),
					pendingIs("gw-1", "gw-2", "gw-3"),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					allOnTarget(u.cluster),
					checkSim(func() error {
						if c := countEvents(u.cluster, gwsim.EventPortCreated); c["gw-2"] != 2 || c["gw-1"] != 1 {
							return errorf("ports created %v: want gw-2's twice (the new container lost it) and gw-1's once", c)
						}
						if q := countEvents(u.cluster, gwsim.EventQuiesceRequested); q["gw-1"] != 1 || q["gw-2"] != 1 || q["gw-3"] != 1 {
							return errorf("quiesce requests %v, want one each", q)
						}
						return nil
					}),
				),
			},
			{Config: u.config(target, ""), PlanOnly: true},
		},
	})
}

// Hardening matrix, bad input: every attribute's invalid values are refused
// at plan time with an error that names the attribute and what is allowed,
// before any node is touched. (apigw_rolling_upgrade's main table is
// TestAccRollingUpgrade_planRefusals; TestAccHardening_upgradeRefusals adds
// the attributes it does not cover.)

// refusedAtPlan runs one plan-only step that must fail with want.
func refusedAtPlan(t *testing.T, config string, want *regexp.Regexp) {
	t.Helper()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps:                    []resource.TestStep{{Config: config, PlanOnly: true, ExpectError: want}},
	})
}

// TestAccHardening_quiescePortRefusals: apigw_quiesce_port's attributes.
func TestAccHardening_quiescePortRefusals(t *testing.T) {
	testAccPreCheck(t)
	cases := []struct {
		name, attrs, want string
	}{
		{"port 0", `node_url = "http://127.0.0.1:5555"
  port = 0`, `port value must be between 1 and 65535, got: 0`},
		{"port 65536", `node_url = "http://127.0.0.1:5555"
  port = 65536`, `port value must be between 1 and 65535, got: 65536`},
		{"node_url without scheme", `node_url = "gw-1:5555"
  port = 4444`, `node_url: "gw-1:5555" has no http:// or https:// scheme; it must be an absolute http or https URL with a host`},
		{"node_url without host", `node_url = "http://:5555"
  port = 4444`, `node_url: "http://:5555" has no host; it must be an absolute http or https URL with a host`},
		{"node_url with a query", `node_url = "http://gw-1:5555/?x=1"
  port = 4444`, `node_url: .* has a query or fragment`},
		{"node_url with credentials", `node_url = "https://admin:pw-in-url@gw-1:5555"
  port = 4444`, `node_url: "https://admin:xxxxx@gw-1:5555" contains user information; give credentials with the provider's username and password`},
		{"package not WmRoot or WmPublic", `node_url = "http://127.0.0.1:5555"
  port = 4444
  package = "WmART"`, `package value must be one of: \["WmRoot" "WmPublic"\], got: "WmART"`},
		{"empty alias", `node_url = "http://127.0.0.1:5555"
  port = 4444
  alias = ""`, `alias string length must be at least 1, got: 0`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			refusedAtPlan(t, providerConfig("")+"resource \"apigw_quiesce_port\" \"q\" {\n  "+tc.attrs+"\n}\n", wrapped(tc.want))
		})
	}
}

// TestAccHardening_providerRefusals: the provider block and its environment
// variables. The provider is configured for a resource that needs no
// network at plan time.
func TestAccHardening_providerRefusals(t *testing.T) {
	testAccPreCheck(t)
	cases := []struct {
		name, attrs string
		env         map[string]string
		want        string
	}{
		{"request_timeout unparsable", `request_timeout = "soon"`, nil, `request_timeout: "soon" is not a duration; it must be a positive Go duration such as`},
		{"request_timeout negative", `request_timeout = "-5s"`, nil, `request_timeout: "-5s" is negative`},
		{"request_timeout zero", `request_timeout = "0s"`, nil, `request_timeout: "0s" is zero; it must be a positive Go duration such as`},
		{"max_retries negative", `max_retries = -1`, nil, `max_retries value must be between 0 and 20, got: -1`},
		{"max_retries too high", `max_retries = 21`, nil, `max_retries value must be between 0 and 20, got: 21`},
		{"ca_cert_pem not PEM", `ca_cert_pem = "my-ca.crt"`, nil, `ca_cert_pem: no PEM certificate found`},
		{"ca_cert_pem a key", `ca_cert_pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"`, nil, `ca_cert_pem: PEM block 1 is a "PRIVATE KEY", not a CERTIFICATE`},
		{"APIGW_INSECURE_SKIP_VERIFY=maybe", ``, map[string]string{"APIGW_INSECURE_SKIP_VERIFY": "maybe"}, `APIGW_INSECURE_SKIP_VERIFY must be true or false, got "maybe"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			refusedAtPlan(t, providerConfig(tc.attrs)+`
resource "apigw_quiesce_port" "q" {
  node_url = "http://127.0.0.1:5555"
  port     = 4444
}
`, wrapped(tc.want))
		})
	}
}

// TestAccHardening_importRefusals: import IDs of apigw_quiesce_port.
func TestAccHardening_importRefusals(t *testing.T) {
	testAccPreCheck(t)
	const want = `the import ID must be "<node_url>,<port>", e.g. "https://gw-1:5555,4444"`
	cases := []struct{ name, id, want string }{
		{"missing comma", "https://gw-1:5555", `"https://gw-1:5555" has no comma: ` + want},
		{"port not a number", "https://gw-1:5555,quiesce", `port "quiesce" is not a number from 1 to 65535: ` + want},
		{"port 0", "https://gw-1:5555,0", `port "0" is not a number from 1 to 65535`},
		{"port too high", "https://gw-1:5555,70000", `port "70000" is not a number from 1 to 65535`},
		{"empty port", "https://gw-1:5555,", `port "" is not a number from 1 to 65535`},
		{"URL without scheme", "gw-1:5555,4444", `node_url "gw-1:5555" has no http:// or https:// scheme: ` + want},
		{"URL without host", "https://:5555,4444", `node_url "https://:5555" has no host`},
		{"empty URL", ",4444", `node_url "" has no http:// or https:// scheme`},
		{"URL with credentials", "https://admin:pw-in-url@gw-1:5555,4444", `node_url "https://admin:xxxxx@gw-1:5555" contains user information`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6Providers,
				Steps: []resource.TestStep{{
					Config: providerConfig("") + `
resource "apigw_quiesce_port" "q" {
  node_url = "https://gw-1:5555"
  port     = 4444
}
`,
					ResourceName:  "apigw_quiesce_port.q",
					ImportState:   true,
					ImportStateId: tc.id,
					ExpectError:   wrapped(`Invalid import ID.*` + regexp.QuoteMeta(tc.want)),
				}},
			})
		})
	}
}

// TestAccHardening_upgradeRefusals: apigw_rolling_upgrade attributes and
// values the main refusal table leaves out.
func TestAccHardening_upgradeRefusals(t *testing.T) {
	testAccPreCheck(t)
	cluster := startCluster(t, gwsim.Options{Nodes: 2})
	n := cluster.Nodes()
	nodes := fmt.Sprintf(`[
    { name = "gw-1", url = %q, quiesce_url = "http://127.0.0.1:1" },
    { name = "gw-2", url = %q, quiesce_url = "http://127.0.0.1:2" },
  ]`, n[0].URL(), n[1].URL())
	cases := []struct{ name, attrs, want string }{
		{"empty target", `target_version = ""`, `target_version: .*empty version; it must be a dotted numeric version`},
		{"null node", `nodes = [null, { name = "b", url = "http://gw-2:5555", quiesce_url = "http://gw-2:4444" }]`,
			`nodes\[0\] is null; every element of nodes needs a name and a url`},
		{"blank node name", `nodes = [{ name = "  ", url = "http://gw-1:5555", quiesce_url = "http://gw-1:4444" }, { name = "b", url = "http://gw-2:5555", quiesce_url = "http://gw-2:4444" }]`,
			`nodes\[0\]\.name: the name is empty; every node needs one`},
		{"same URL spelt twice", `nodes = [{ name = "a", url = "https://gw-1:5555", quiesce_url = "http://gw-1:4444" }, { name = "b", url = "https://GW-1:5555/", quiesce_url = "http://gw-2:4444" }]`,
			`nodes\[1\]\.url: "https://GW-1:5555/" is also nodes\[0\]\.url`},
		{"quiesce URL of another node", `nodes = [{ name = "a", url = "http://gw-1:5555", quiesce_url = "http://gw-1:4444" }, { name = "b", url = "http://gw-2:5555", quiesce_url = "http://gw-1:4444" }]`,
			`nodes\[1\]\.quiesce_url: "http://gw-1:4444" is also nodes\[0\]\.quiesce_url`},
		{"empty node name", `nodes = [{ name = "", url = "http://gw-1:5555", quiesce_url = "http://gw-1:4444" }, { name = "b", url = "http://gw-2:5555", quiesce_url = "http://gw-2:4444" }]`,
			`nodes\[0\]\.name: the name is empty; every node needs one`},
		{"invalid quiesce_url", `nodes = [{ name = "a", url = "http://gw-1:5555", quiesce_url = "gw-1:4444" }, { name = "b", url = "http://gw-2:5555", quiesce_url = "http://gw-2:4444" }]`,
			`nodes\[0\]\.quiesce_url: "gw-1:4444" has no http:// or https:// scheme`},
		{"quiesce_url with credentials", `nodes = [{ name = "a", url = "http://gw-1:5555", quiesce_url = "http://admin:pw-in-url@gw-1:4444" }, { name = "b", url = "http://gw-2:5555", quiesce_url = "http://gw-2:4444" }]`,
			`nodes\[0\]\.quiesce_url: "http://admin:xxxxx@gw-1:4444" contains user information`},
		{"quiesce_url is the primary URL", `nodes = [{ name = "a", url = "http://gw-1:5555", quiesce_url = "http://gw-1:5555" }, { name = "b", url = "http://gw-2:5555", quiesce_url = "http://gw-2:4444" }]`,
			`nodes\[0\]\.quiesce_url: "http://gw-1:5555" is the node's url; it must point at the quiesce port, not at the primary port`},
		{"reserved command_env name", `command_env = { APIGW_NODE_NAME = "x" }`, `command_env: APIGW_NODE_NAME is set by the provider for every command and cannot be overridden`},
		{"reserved command_secret_env name", `command_secret_env = { APIGW_TARGET_VERSION = "x" }`, `command_secret_env: APIGW_TARGET_VERSION is set by the provider for every command and cannot be overridden`},
		{"variable in both env maps", "command_env = { TOKEN = \"a\" }\ncommand_secret_env = { TOKEN = \"b-secret-value\" }", `command_secret_env: TOKEN is also in command_env; give each variable in one of the two maps`},
		{"zero command_timeout", `command_timeout = "0s"`, `command_timeout: "0s" is zero`},
		{"negative soak_duration", `soak_duration = "-1s"`, `soak_duration: "-1s" is negative`},
		{"poll_interval below the floor", `poll_interval = "1ms"`, `poll_interval.*at least 10ms`},
		{"empty after_node_command", `after_node_command = []`, `after_node_command list must contain at least 1 elements`},
		{"empty rollback program", `rollback_command = ["", "x"]`, `rollback_command\[0\] string length must be at least 1`},
		// The timeouts library's own message; Terraform 1.5 points at the
		// resource block, not at the nested attribute.
		{"unparsable timeouts.create", `timeouts = { create = "two hours" }`, `"two hours" must be a string containing a sequence of decimal numbers, each with optional fraction and a unit suffix`},
		{"negative timeouts.create", `timeouts = { create = "-1h" }`, `timeouts.create is -1h0m0s: .*must be a positive Go duration such as "2h"`},
		{"zero timeouts.update", `timeouts = { update = "0s" }`, `timeouts.update is 0s: .*must be a positive Go duration such as "2h"`},
		{"max_unavailable on one node", `nodes = [{ name = "a", url = "http://gw-1:5555", quiesce_url = "http://gw-1:4444" }]
  max_unavailable = 2`, `max_unavailable: must be 1 for a single-node cluster, got 2`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			attrs := map[string]string{"target_version": strconv.Quote(target), "nodes": nodes, "upgrade_command": `["true"]`}
			var extra []string
			for _, line := range strings.Split(tc.attrs, "\n") {
				k, _, _ := strings.Cut(strings.TrimSpace(line), " =")
				if _, ok := attrs[k]; ok {
					attrs[k] = strings.TrimSpace(strings.SplitN(line, "=", 2)[1])
				} else {
					extra = append(extra, strings.TrimSpace(line))
				}
			}
			config := providerConfig("") + fmt.Sprintf(`
resource "apigw_rolling_upgrade" "u" {
  target_version  = %s
  nodes           = %s
  upgrade_command = %s
  %s
}
`, attrs["target_version"], attrs["nodes"], attrs["upgrade_command"], strings.Join(extra, "\n  "))
			refusedAtPlan(t, config, wrapped(tc.want))
			if q := countEvents(cluster, gwsim.EventQuiesceRequested); len(q) != 0 {
				t.Fatalf("a refused plan touched nodes: %v", q)
			}
		})
	}
}

// FuzzParsePortID: parsePortID never panics; what it accepts is a valid
// node URL and port that portID turns back into an ID parsing to the same;
// what it refuses gets an error that shows the expected form.
func FuzzParsePortID(f *testing.F) {
	for _, seed := range []string{
		"https://gw-1:5555,4444", "http://127.0.0.1:5555,1", "https://gw-1:5555,65535",
		"https://gw-1:5555", "https://gw-1:5555,", ",4444", "https://gw-1:5555,0", "https://gw-1:5555,65536",
		"https://gw-1:5555,-1", "https://gw-1:5555,+4444", "https://gw-1:5555, 4444 ", " https://gw-1:5555 ,4444",
		"gw-1:5555,4444", "https://:5555,4444", "https://gw-1:5555/?q=1,4444", "https://a,b:5555,4444",
		"https://[::1]:5555,4444", "https://gw-1:5555,4444,5555", "https://gw-1:5555,0x1F", "https://gw-1:5555,99999999999999999999",
		"\x00,\xff", "https://gw-1:5555/path/,4444", "HTTPS://GW-1:5555,4444", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		node, port, err := parsePortID(id)
		if err != nil {
			if !strings.Contains(err.Error(), `the import ID must be "<node_url>,<port>"`) {
				t.Fatalf("parsePortID(%q) error %q does not show the expected form", id, err)
			}
			if node != "" || port != 0 {
				t.Fatalf("parsePortID(%q) failed but returned %q, %d", id, node, port)
			}
			return
		}
		if port < 1 || port > 65535 {
			t.Fatalf("parsePortID(%q) accepted port %d", id, port)
		}
		if err := rollout.CheckURL(node); err != nil {
			t.Fatalf("parsePortID(%q) accepted node_url %q: %v", id, node, err)
		}
		if _, err := quiesceURLOf(node, port); err != nil {
			t.Fatalf("parsePortID(%q) accepted node_url %q that has no quiesce URL: %v", id, node, err)
		}
		node2, port2, err := parsePortID(portID(node, port))
		if err != nil || node2 != node || port2 != port {
			t.Fatalf("round trip of %q: portID(%q, %d) parses to %q, %d, %v", id, node, port, node2, port2, err)
		}
	})
}
