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
func (u *upgradeTest) hardeningConfig(targetVersion, extra, providerExtra string, urls map[string]string) string {
	cfg := u.config(targetVersion, extra)
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
			Config: u.hardeningConfig(target, "", "", urls),
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
			Config: u.hardeningConfig(target, "", `request_timeout = "1s"`, nil),
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
						if next := eventIndex(ev, 0, "gw-3", gwsim.EventQuiesceRequested); next < eventIndex(ev, started, "gw-2", gwsim.EventReady) {
							return errorf("gw-3 was quiesced before gw-2 was ready again")
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
			Config: u.hardeningConfig(target, "", "", map[string]string{"gw-1": proxy.URL()}),
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
			{Config: u.hardeningConfig("10.15.0.5", "", "", urls)},
			{
				PreConfig: func() {
					gw1.SetFaults(gwsim.Faults{DrainNeverEnds: true})
					if _, err := testClient(t).SetQuiesceMode(context.Background(), gw1.URL(), apigw.QuiesceMode{Block: "all", Enable: true}); err != nil {
						t.Fatalf("operator's quiesce: %v", err)
					}
				},
				Config: u.hardeningConfig(target, "", "", urls),
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
	other := gw2.FreePort()
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

// TestAccHardening_quiesceRefused: gw-2 answers the quiesce request with 500. The
// gateway did nothing, so the provider must not treat gw-2 as taken down:
// no rollback_command (there is nothing to roll back), gw-2 keeps serving
// its old version, gw-3 is not touched, and the error names gw-2, the step
// and what to check.
func TestAccHardening_quiesceRefused(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	gw2 := u.cluster.Node("gw-2")
	hooks := t.TempDir() + "/hooks.log"
	extra := "rollback_command = " + hookMarker(hooks, "rollback")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{
			{Config: u.config("10.15.0.5", extra)},
			{
				PreConfig:   func() { gw2.SetFaults(gwsim.Faults{QuiesceRefused: true}) },
				Config:      u.config(target, extra),
				ExpectError: wrapped(`node "gw-2": quiesce failed.*HTTP 500.*the node was not touched and still serves its old version.*quiesce port.*re-run terraform apply`),
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
