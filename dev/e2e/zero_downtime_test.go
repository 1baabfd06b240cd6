package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
)

// Shape of the runs: realistic but short gateway timings, a baseline window
// before the upgrade, and steady keep-alive client traffic through HAProxy.
const (
	drainTime      = time.Second // quiesce: until the node closes its ports
	restartTime    = time.Second // restart: until health answers 200
	baselineWindow = 3 * time.Second
	loadWorkers    = 8
	loadRate       = 400 // requests per second, all workers together
	loadPath       = "/gateway/orders?delay=5ms"
	// Bounds of one run's load: far above what a passing run needs.
	loadMaxDuration = 75 * time.Second
	loadMaxRequests = 30000
)

// e2eEnv is what both runs share.
type e2eEnv struct {
	gwsimBin     string
	hookScript   string
	haproxyLabel string
}

// TestE2E_ZeroDowntimeBehindHAProxy upgrades a three-node cluster behind a
// real HAProxy while clients send traffic through it: first with the
// example hooks taking each node out of HAProxy and back (asserted: not one
// failed request, every node on target, no metric lost), then on a fresh
// cluster without the hooks, relying on HAProxy's health checks and retries
// alone (measured for comparison; asserted only to complete). A summary
// table of both runs is printed to stdout.
func TestE2E_ZeroDowntimeBehindHAProxy(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("end-to-end test: set TF_ACC=1 and TF_ACC_TERRAFORM_PATH (make e2e does)")
	}
	requireHAProxy(t)
	env := e2eEnv{
		gwsimBin:     tfharness.MustGwsim(t),
		hookScript:   repoFile(t, "examples/haproxy/haproxy-node-state.sh"),
		haproxyLabel: haproxyVersion(),
	}
	started := time.Now()
	withHooks := &runReport{Name: "with hooks"}
	withoutHooks := &runReport{Name: "without hooks"}
	defer func() {
		header := fmt.Sprintf("Zero downtime, measured: rolling upgrade %s → %s of 3 simulated nodes (drain %v, restart %v) behind %s;\n"+
			"%d keep-alive clients, %d req/s of GET %s; whole test %.1f s",
			fromVersion, newVersion, drainTime, restartTime, env.haproxyLabel, loadWorkers, loadRate, loadPath,
			time.Since(started).Seconds())
		printSummary(os.Stdout, header, []*runReport{withHooks, withoutHooks})
	}()

	t.Run("with_hooks", func(t *testing.T) {
		r := runUpgrade(t, env, true, withHooks)
		if r == nil {
			return
		}
		if n := withHooks.Baseline.Failed + withHooks.During.Failed; n != 0 {
			t.Errorf("%d client requests failed with the hooks (before: %s; during: %s); HAProxy's log of them:\n%s",
				n, reasons(withHooks.Baseline.Reasons), reasons(withHooks.During.Reasons),
				strings.Join(r.hap.logLinesMatching(30, " 502 ", " 503 ", " 504 ", " -1 "), "\n"))
		}
		if withHooks.During.Requests < 100 {
			t.Errorf("only %d requests during the upgrade: the load did not run", withHooks.During.Requests)
		}
		if withHooks.MaxOutOfService > 1 {
			t.Errorf("%d nodes were out of service at once, want at most 1", withHooks.MaxOutOfService)
		}
		// The hooks took each node out before it went away, so HAProxy
		// never had to retry a request (what examples/haproxy/README.md
		// promises).
		if withHooks.Retries != 0 || withHooks.Redispatches != 0 {
			t.Errorf("HAProxy retried %d and redispatched %d requests with the hooks, want none", withHooks.Retries, withHooks.Redispatches)
		}
		changes := strings.Join(r.hap.serverStateChanges(), "\n")
		for _, n := range r.cluster.Nodes() {
			if !strings.Contains(changes, "/"+n.Name()+" enters drain state") {
				t.Errorf("HAProxy never put %s in drain: did before_node_command run? Its state changes:\n%s", n.Name(), changes)
			}
		}
		checkMetrics(t, r.cluster)
	})
	t.Run("without_hooks", func(t *testing.T) {
		runUpgrade(t, env, false, withoutHooks)
	})
}

// runState is what a run leaves for the caller's assertions.
type runState struct {
	cluster *gwsim.Cluster
	hap     *haproxy
}

// runUpgrade starts a fresh cluster and HAProxy, sends load for a baseline
// window, runs `terraform apply` of the rolling upgrade under that load and
// fills rep. It asserts only that the apply completed and every node is on
// target; it returns nil when the run could not get that far.
func runUpgrade(t *testing.T, env e2eEnv, hooks bool, rep *runReport) *runState {
	cluster, haps := startBehindHAProxy(t, gwsim.Options{Nodes: 3, Version: fromVersion, DrainTime: drainTime, RestartTime: restartTime}, 1)
	hap := haps[0]

	cfg := upgradeConfig{Cluster: cluster, QuiescePort: map[string]int{}, GwsimBin: env.gwsimBin}
	for _, n := range cluster.Nodes() {
		cfg.QuiescePort[n.Name()] = n.ReservePort()
	}
	if hooks {
		cfg.HookScript, cfg.Socket = env.hookScript, hap.Socket
	}

	load, err := startLoad(loadConfig{
		URL: hap.URL + loadPath, Workers: loadWorkers, Rate: loadRate,
		MaxDuration: loadMaxDuration, MaxRequests: loadMaxRequests, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { load.stop() })
	loadStart := time.Now()
	// The baseline is a measuring window, not a wait for a condition.
	select {
	case <-time.After(baselineWindow):
	case <-t.Context().Done():
		return nil
	}
	for _, n := range cluster.Nodes() {
		if n.Served() == 0 {
			t.Fatalf("%s served nothing during the baseline: HAProxy does not balance over all nodes", n.Name())
		}
	}

	upgradeStart := time.Now()
	var applied time.Time
	// Deferred so the report is filled even when resource.Test ends the
	// test early.
	defer func() { fillReport(t, rep, cluster, hap, load, loadStart, upgradeStart, applied) }()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		Steps: []resource.TestStep{{
			Config: cfg.render(),
			Check: resource.ComposeAggregateTestCheckFunc(
				// First: the apply is done, so the "during" window ends.
				func(*terraform.State) error {
					applied = time.Now()
					load.stop()
					return nil
				},
				allOnTarget(cluster),
				resource.TestCheckResourceAttr("apigw_rolling_upgrade.cluster", "node_versions.%", "3"),
				resource.TestCheckResourceAttr("apigw_rolling_upgrade.cluster", "node_versions.gw-3", newVersion),
			),
		}},
	})
	if applied.IsZero() {
		return nil
	}
	for _, n := range cluster.Nodes() {
		if !strings.HasPrefix(n.Version(), targetVersion) {
			t.Errorf("%s runs %s after the apply, want %s", n.Name(), n.Version(), targetVersion)
		}
	}
	return &runState{cluster: cluster, hap: hap}
}

// fillReport stops the load and records what the run measured: the client
// samples split into the baseline and the upgrade window, HAProxy's retry
// counters, the nodes' versions and the metrics that did not reach the
// store. applied is zero when the apply did not complete.
func fillReport(t *testing.T, rep *runReport, cluster *gwsim.Cluster, hap *haproxy, load *loadGen, loadStart, upgradeStart, applied time.Time) {
	samples := load.stop()
	rep.Completed = !applied.IsZero()
	if applied.IsZero() {
		applied = time.Now()
	}
	rep.ApplyTime = applied.Sub(upgradeStart)
	rep.Baseline = summarize(samples, loadStart, upgradeStart)
	rep.During = summarize(samples, upgradeStart, applied)
	var err error
	if rep.Retries, rep.Redispatches, err = hap.counters(); err != nil {
		t.Errorf("read HAProxy counters: %v", err)
	}
	rep.MaxOutOfService = cluster.MaxOutOfService()
	rep.Versions = map[string]string{}
	totals := cluster.StoreTotals()
	for _, n := range cluster.Nodes() {
		rep.Versions[n.Name()] = n.Version()
		rep.MetricsLost += totals.Lost[n.Name()] + n.Served() - totals.PerNode[n.Name()] - n.Unflushed()
	}
	t.Logf("%s: before the upgrade %d requests, %d failed, p50 %s, p99 %s; during %d requests, %d failed, p50 %s, p99 %s; "+
		"apply %.1fs; HAProxy retries %d, redispatches %d; versions %v",
		rep.Name, rep.Baseline.Requests, rep.Baseline.Failed, formatMs(rep.Baseline.P50), formatMs(rep.Baseline.P99),
		rep.During.Requests, rep.During.Failed, formatMs(rep.During.P50), formatMs(rep.During.P99),
		rep.ApplyTime.Seconds(), rep.Retries, rep.Redispatches, rep.Versions)
	for _, l := range hap.serverStateChanges() {
		t.Logf("haproxy: %s", l)
	}
}

// allOnTarget checks, behind Terraform's back, that every node is ready on
// the target version.
func allOnTarget(c *gwsim.Cluster) resource.TestCheckFunc {
	return func(*terraform.State) error {
		for _, n := range c.Nodes() {
			if !strings.HasPrefix(n.Version(), targetVersion) || n.State() != gwsim.StateReady {
				return fmt.Errorf("%s is %s on %s, want ready on %s", n.Name(), n.State(), n.Version(), targetVersion)
			}
		}
		return nil
	}
}

// checkMetrics asserts that every request a node served has its metrics
// either in the shared store or still in the node's memory, and that no
// node lost any: each node was quiesced (and flushed) before its restart.
func checkMetrics(t *testing.T, c *gwsim.Cluster) {
	t.Helper()
	totals := c.StoreTotals()
	for _, n := range c.Nodes() {
		name := n.Name()
		stored, unflushed, served := totals.PerNode[name], n.Unflushed(), n.Served()
		if stored+unflushed != served {
			t.Errorf("%s served %d requests but the store holds %d and memory %d: %d requests' metrics are missing",
				name, served, stored, unflushed, served-stored-unflushed)
		}
		if lost := totals.Lost[name]; lost != 0 {
			t.Errorf("%s lost the metrics of %d requests", name, lost)
		}
	}
}

// haproxyVersion is the first line of `haproxy -v`, shortened.
func haproxyVersion() string {
	out, err := exec.Command("haproxy", "-v").Output()
	if err != nil {
		return "HAProxy"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	fields := strings.Fields(first)
	if len(fields) >= 3 {
		return "HAProxy " + fields[2]
	}
	return strings.TrimSpace(first)
}
