package provider

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/gwops/terraform-provider-apigw/internal/apigw"
	"github.com/gwops/terraform-provider-apigw/internal/gwsim"
	"github.com/gwops/terraform-provider-apigw/internal/tfharness"
)

// Versions used by the rolling-upgrade tests: fix 5 → fix 7 of 10.15.
const (
	fromVersion = "10.15.0.5.120"
	target      = "10.15.0.7"
	toVersion   = "10.15.0.7.77" // what a node reports once on target
)

// gwsimBinary builds cmd/gwsim once per test run: upgrade commands are real
// processes that restart a simulated node through its control API, as a
// user's script restarts a real one.
func gwsimBinary(t *testing.T) string {
	t.Helper()
	bin, err := tfharness.SharedGwsim()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// upgradeTest is one simulated cluster with a quiesce port planned on every
// node, and the pieces of an apigw_rolling_upgrade configuration for it.
type upgradeTest struct {
	t       *testing.T
	cluster *gwsim.Cluster
	ports   map[string]int
	gwsim   string
	// provider holds extra provider-block lines, e.g. ca_cert_pem.
	provider string
	// installs is the version the upgrade command of config installs;
	// default toVersion.
	installs string
	// upgrade, when set, is the upgrade_command of config instead of the
	// restart command (an example script, say).
	upgrade []string
	// names, when set, are the node names config gives the simulated
	// nodes (pod names, say), by simulated node name.
	names map[string]string
}

func newUpgradeTest(t *testing.T, opts gwsim.Options) *upgradeTest {
	t.Helper()
	testAccPreCheck(t)
	if opts.Version == "" {
		opts.Version = fromVersion
	}
	if opts.ShutdownMinute == 0 {
		// The simulator counts open connections as client sessions, and a
		// drain shutdown waits for them. Every Terraform command of a test
		// runs against the one in-process provider, and the client of a
		// finished command keeps its idle connections to the nodes for up
		// to 90s (a real provider process ends with its command): a
		// one-second "minute" keeps the wait for those short.
		opts.ShutdownMinute = time.Second
	}
	u := &upgradeTest{t: t, cluster: startCluster(t, opts), ports: map[string]int{}, gwsim: gwsimBinary(t), installs: toVersion}
	for _, n := range u.cluster.Nodes() {
		u.ports[n.Name()] = n.ReservePort()
	}
	return u
}

// restartCommand is the upgrade command of the tests: restart the node on
// the target through the simulator's control API.
func (u *upgradeTest) restartCommand(version string) []string {
	return []string{"sh", "-c", fmt.Sprintf(`exec %q restart -control %q -node "$APIGW_NODE_NAME" -version %q`,
		u.gwsim, u.cluster.ControlURL(), version)}
}

// config renders a quiesce port for every node and the upgrade resource with
// the given target and extra attribute lines.
func (u *upgradeTest) config(targetVersion, extra string) string {
	nodes := u.nodes(func(n *gwsim.Node) tfharness.Node {
		return tfharness.Node{URL: n.URL(), QuiescePort: u.ports[n.Name()]}
	})
	return providerConfig(u.provider) + u.upgradeResource(targetVersion, nodes, extra)
}

// nodes lists the cluster's nodes as of(node) renders each, under the name
// config gives it.
func (u *upgradeTest) nodes(of func(*gwsim.Node) tfharness.Node) []tfharness.Node {
	var out []tfharness.Node
	for _, n := range u.cluster.Nodes() {
		tn := of(n)
		tn.Name = n.Name()
		if u.names != nil {
			tn.Name = u.names[tn.Name]
		}
		out = append(out, tn)
	}
	return out
}

// upgradeResource renders apigw_rolling_upgrade.u (and the quiesce ports
// of nodes that get one) with extra attribute lines.
func (u *upgradeTest) upgradeResource(targetVersion string, nodes []tfharness.Node, extra string) string {
	return tfharness.Upgrade{Name: "u", Target: targetVersion, Nodes: nodes, UpgradeCommand: u.upgradeCommand(),
		PollInterval: "50ms", Attributes: extra}.HCL()
}

// upgradeCommand is upgrade_command: upgrade, or the restart command.
func (u *upgradeTest) upgradeCommand() []string {
	if u.upgrade != nil {
		return u.upgrade
	}
	return u.restartCommand(u.installs)
}

// setUpQuiescePorts does behind Terraform's back what apigw_quiesce_port
// does (create, enable, set as quiesce port) on every node, and returns
// the configuration of an upgrade resource that names the quiesce URLs
// literally, so that no Terraform resource repairs the ports.
func (u *upgradeTest) setUpQuiescePorts(targetVersion string) string {
	u.t.Helper()
	client := testClient(u.t)
	ctx := context.Background()
	for _, n := range u.cluster.Nodes() {
		port := u.ports[n.Name()]
		if _, err := client.CreatePort(ctx, n.URL(), apigw.NewPort{Port: port, Alias: "QuiescePort"}); err != nil {
			u.t.Fatal(err)
		}
		if err := client.EnablePort(ctx, n.URL(), apigw.PortRef{ListenerKey: apigw.ListenerKey("HTTP", port)}); err != nil {
			u.t.Fatal(err)
		}
		if err := client.SetQuiescePort(ctx, n.URL(), "QuiescePort"); err != nil {
			u.t.Fatal(err)
		}
	}
	nodes := u.nodes(func(n *gwsim.Node) tfharness.Node { return tfharness.Node{URL: n.URL(), QuiesceURL: n.QuiesceURL()} })
	return providerConfig(u.provider) + u.upgradeResource(targetVersion, nodes, "")
}

// drainShutdownConfig renders the upgrade resource with strategy
// drain_shutdown (no quiesce ports) and the given drain_timeout (90s is
// given to the gateway as 2 minutes); urlOf gives each node's URL, e.g. a
// proxy in front of it.
func (u *upgradeTest) drainShutdownConfig(drainTimeout string, urlOf func(*gwsim.Node) string) string {
	nodes := u.nodes(func(n *gwsim.Node) tfharness.Node { return tfharness.Node{URL: urlOf(n)} })
	return providerConfig("") + tfharness.Upgrade{Name: "u", Target: target, Nodes: nodes,
		UpgradeCommand: u.restartCommand(toVersion), PollInterval: "50ms",
		Attributes: fmt.Sprintf("strategy      = \"drain_shutdown\"\n  drain_timeout = %q", drainTimeout)}.HCL()
}

// hclList renders argv as an HCL list of strings.
func hclList(argv []string) string { return tfharness.List(argv) }

// countEvents counts the simulator's timeline entries of one kind per node.
func countEvents(c *gwsim.Cluster, kind string) map[string]int {
	out := map[string]int{}
	for _, e := range c.Events() {
		if e.Kind == kind {
			out[e.Node]++
		}
	}
	return out
}

// noMetricsLost checks the simulator's books once traffic has stopped: every
// request a node served reached the shared data store or is still in the
// memory of a node that did not restart since, none was lost, and some were
// flushed. summary says how many went where.
func noMetricsLost(c *gwsim.Cluster) (summary string, err error) {
	totals := c.StoreTotals()
	var served, stored, unflushed, lost int64
	for _, n := range c.Nodes() {
		served += n.Served()
		unflushed += n.Unflushed()
		lost += totals.Lost[n.Name()]
		stored += totals.PerNode[n.Name()]
	}
	if lost != 0 || stored+unflushed != served || stored == 0 {
		return "", errorf("served %d, in the store %d, unflushed %d, lost %d (per node %v): metrics went missing", served, stored, unflushed, lost, totals.Lost)
	}
	return fmt.Sprintf("%d flushed to the store, %d still in memory, 0 lost", stored, unflushed), nil
}

// nodeVersions reads every node's version from the simulator.
func nodeVersions(c *gwsim.Cluster) map[string]string {
	out := map[string]string{}
	for _, n := range c.Nodes() {
		out[n.Name()] = n.Version()
	}
	return out
}

// expectPrior is a plan check on the state a plan starts from (the "before"
// side of a resource change): it proves what a failed apply left in state.
type expectPrior struct {
	address, attribute string
	want               any
}

func (e expectPrior) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != e.address {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		if got := before[e.attribute]; !reflect.DeepEqual(got, e.want) {
			resp.Error = fmt.Errorf("%s: prior %s = %#v, want %#v", e.address, e.attribute, got, e.want)
		}
		return
	}
	resp.Error = fmt.Errorf("%s not in plan", e.address)
}

// outcomes summarizes a prior last_rollout as "node=outcome" sorted.
type expectPriorOutcomes struct {
	address string
	want    []string
}

func (e expectPriorOutcomes) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != e.address {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		entries, _ := before["last_rollout"].([]any)
		var got []string
		for _, x := range entries {
			m, _ := x.(map[string]any)
			got = append(got, fmt.Sprintf("%v=%v", m["node"], m["outcome"]))
		}
		sort.Strings(got)
		if !reflect.DeepEqual(got, e.want) {
			resp.Error = fmt.Errorf("%s: prior last_rollout outcomes = %v, want %v", e.address, got, e.want)
		}
		return
	}
	resp.Error = fmt.Errorf("%s not in plan", e.address)
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func removeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
