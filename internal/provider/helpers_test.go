package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
	"github.com/gwops/terraform-provider-apigw/internal/apigw"
)

// Helpers shared by this package's tests: the simulated cluster, the
// provider block and the configurations the acceptance tests apply, and the
// checks on the simulator's side. Two more shared pieces have files of their
// own: terraform_cli_test.go (the Terraform CLI with the provider as its own
// process) and admin_proxy_test.go (a proxy that records the admin calls a
// node receives). A helper that only one test file uses stays in that file.

// Credentials of every simulated cluster in these tests.
const (
	testUser     = "Administrator"
	testPassword = "manage-S3cr3t-pw"
)

// protoV6Providers serves the provider in-process, so acceptance tests reach
// the simulated gateway the test started on loopback.
var protoV6Providers = map[string]func() (tfprotov6.ProviderServer, error){
	"apigw": providerserver.NewProtocol6WithError(New("test")()),
}

// testAccPreCheck skips acceptance tests unless TF_ACC is set (make testacc
// sets it and points TF_ACC_TERRAFORM_PATH at the pinned Terraform CLI).
func testAccPreCheck(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make testacc does)")
	}
}

// accTest runs steps against the in-process provider: the test case of
// every acceptance test here that needs no more than its steps.
func accTest(t *testing.T, steps []resource.TestStep) {
	t.Helper()
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: protoV6Providers, Steps: steps})
}

// startNode is the opening of the acceptance tests of one gateway: it skips
// without TF_ACC and starts a one-node simulated cluster (whatever
// opts.Nodes says) that the test closes.
func startNode(t *testing.T, opts gwsim.Options) *gwsim.Node {
	t.Helper()
	testAccPreCheck(t)
	opts.Nodes = 1
	return startCluster(t, opts).Nodes()[0]
}

// startCluster starts a simulated cluster that the test closes.
func startCluster(t *testing.T, opts gwsim.Options) *gwsim.Cluster {
	t.Helper()
	if opts.Username == "" {
		opts.Username, opts.Password = testUser, testPassword
	}
	c, err := gwsim.Start(opts)
	if err != nil {
		t.Fatalf("start simulated cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// providerConfig is the provider block with the test credentials and extra
// attributes.
func providerConfig(extra string) string {
	return fmt.Sprintf(`
provider "apigw" {
  username = %q
  password = %q
  %s
}
`, testUser, testPassword, extra)
}

// testClient talks to the simulated gateway behind Terraform's back.
func testClient(t *testing.T) *apigw.Client {
	t.Helper()
	c, err := apigw.New(apigw.Config{Username: testUser, Password: testPassword, RequestTimeout: 5 * time.Second, MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Versions used by the rolling-upgrade tests: fix 5 → fix 7 of 10.15.
const (
	fromVersion = "10.15.0.5.120"
	target      = "10.15.0.7"
	toVersion   = "10.15.0.7.77" // what a node reports once on target
)

// upgradeTest is one simulated cluster with a quiesce port planned on every
// node, and the pieces of an apigw_rolling_upgrade configuration for it.
type upgradeTest struct {
	t       *testing.T
	cluster *gwsim.Cluster
	ports   map[string]int
	// gwsim is the simulator's command, built once per test run: upgrade
	// commands are real processes that restart a simulated node through
	// its control API, as a user's script restarts a real one.
	gwsim string
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
	u := &upgradeTest{t: t, cluster: startCluster(t, opts), ports: map[string]int{}, gwsim: tfharness.MustGwsim(t), installs: toVersion}
	for _, n := range u.cluster.Nodes() {
		u.ports[n.Name()] = n.ReservePort()
	}
	return u
}

// restartCommand is the upgrade command of the tests: restart the node on
// the target through the simulator's control API.
func (u *upgradeTest) restartCommand(version string) []string {
	return []string{"sh", "-c", u.restartScript(version)}
}

// restartScript is restartCommand's shell script, for the commands that do
// something before they restart the node.
func (u *upgradeTest) restartScript(version string) string {
	return fmt.Sprintf(`exec %q restart -control %q -node "$APIGW_NODE_NAME" -version %q`, u.gwsim, u.cluster.ControlURL(), version)
}

// failOnGw2 makes upgrade_command fail on gw-2, with message on stderr,
// while the file it returns exists; otherwise the command restarts the node
// on the target.
func (u *upgradeTest) failOnGw2(message string) (marker string) {
	marker = u.t.TempDir() + "/broken"
	u.upgrade = []string{"sh", "-c", fmt.Sprintf(`if [ "$APIGW_NODE_NAME" = gw-2 ] && [ -e %q ]; then echo %q >&2; exit 3; fi; %s`,
		marker, message, u.restartScript(u.installs))}
	return marker
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

// oncePerNode checks that the simulator's timeline holds exactly one event
// of kind on every node of c; what names the events in the error.
func oncePerNode(c *gwsim.Cluster, kind, what string) error {
	got := countEvents(c, kind)
	for _, n := range c.Nodes() {
		if got[n.Name()] != 1 {
			return errorf("%s per node %v, want exactly one on each node", what, got)
		}
	}
	return nil
}

// quiescedOnce is the simulator's side of a rollout that went through
// without repeating itself: every node was asked to quiesce exactly once.
func quiescedOnce(c *gwsim.Cluster) func() error {
	return func() error { return oncePerNode(c, gwsim.EventQuiesceRequested, "quiesce requests") }
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

const upgradeAddr = "apigw_rolling_upgrade.u"

// checkSim wraps an assertion on the simulator (not on the provider's own
// output) as a TestCheckFunc.
func checkSim(f func() error) resource.TestCheckFunc {
	return func(*terraform.State) error { return f() }
}

// allOnTarget asserts every simulated node reports the upgraded version,
// and then the test's own assertions on the simulator (sims), which most
// checks of a finished rollout add.
func allOnTarget(c *gwsim.Cluster, sims ...func() error) resource.TestCheckFunc {
	checks := []resource.TestCheckFunc{checkSim(func() error {
		for name, v := range nodeVersions(c) {
			if v != toVersion {
				return errorf("node %s reports %s, want %s", name, v, toVersion)
			}
		}
		return nil
	})}
	for _, f := range sims {
		checks = append(checks, checkSim(f))
	}
	return resource.ComposeAggregateTestCheckFunc(checks...)
}

func pendingIs(names ...string) plancheck.PlanCheck {
	checks := make([]knownvalue.Check, len(names))
	for i, n := range names {
		checks[i] = knownvalue.StringExact(n)
	}
	return plancheck.ExpectKnownValue(upgradeAddr, tfjsonpath.New("pending_nodes"), knownvalue.ListExact(checks))
}

func waitReady(t *testing.T, n *gwsim.Node) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for n.State() != gwsim.StateReady {
		if time.Now().After(deadline) {
			t.Fatalf("node %s not ready: %s", n.Name(), n.State())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lastEvent returns the time of the last simulator event of kind on node
// before limit (zero time when none).
func lastEvent(c *gwsim.Cluster, node, kind string, limit time.Time) time.Time {
	var at time.Time
	for _, e := range c.Events() {
		if e.Node == node && e.Kind == kind && (limit.IsZero() || e.At.Before(limit)) {
			at = e.At
		}
	}
	return at
}

// firstEvent returns the time of the first simulator event of kind on node.
func firstEvent(c *gwsim.Cluster, node, kind string) time.Time {
	for _, e := range c.Events() {
		if e.Node == node && e.Kind == kind {
			return e.At
		}
	}
	return time.Time{}
}

// upgradeState returns the values of apigw_rolling_upgrade.u in the saved
// state (terraform show -json).
func upgradeState(t *testing.T, w *tfWorkdir) map[string]any {
	t.Helper()
	var state struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Address string         `json:"address"`
					Values  map[string]any `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(w.mustRun("show", "-json", "-no-color")), &state); err != nil {
		t.Fatal(err)
	}
	for _, r := range state.Values.RootModule.Resources {
		if r.Address == upgradeAddr {
			return r.Values
		}
	}
	t.Fatalf("no %s in the state", upgradeAddr)
	return nil
}

// proxiedConfig is upgradeTest.config with node URLs replaced (by those
// of recording proxies, see admin_proxy_test.go) and extra provider
// attributes.
func (u *upgradeTest) proxiedConfig(targetVersion, providerExtra string, urls map[string]string) string {
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

// refusedAtPlan runs one plan-only step that must fail with want.
func refusedAtPlan(t *testing.T, config string, want *regexp.Regexp) {
	t.Helper()
	accTest(t, []resource.TestStep{{Config: config, PlanOnly: true, ExpectError: want}})
}

func nodeDataConfig(providerExtra, url string) string {
	return providerConfig(providerExtra) + fmt.Sprintf(`
data "apigw_node" "n" {
  url = %q
}
`, url)
}

func quiescePortConfig(nodeURL string, port int) string {
	return providerConfig("") + fmt.Sprintf(`
resource "apigw_quiesce_port" "q" {
  node_url = %q
  port     = %d
}
`, nodeURL, port)
}

// Values of the resource's model, for the unit tests of its pure functions.

var nodeAttrTypes = map[string]attr.Type{"name": types.StringType, "url": types.StringType, "quiesce_url": types.StringType}

// unknownStr is an unknown string in a table of node fields.
const unknownStr = "(unknown)"

// nodeValue is one element of nodes; unknownStr makes a field unknown, ""
// makes quiesce_url null.
func nodeValue(name, url, quiesce string) attr.Value {
	str := func(s string, nullIfEmpty bool) types.String {
		switch {
		case s == unknownStr:
			return types.StringUnknown()
		case s == "" && nullIfEmpty:
			return types.StringNull()
		}
		return types.StringValue(s)
	}
	return types.ObjectValueMust(nodeAttrTypes, map[string]attr.Value{
		"name": str(name, false), "url": str(url, false), "quiesce_url": str(quiesce, true),
	})
}

func nodeList(elems ...attr.Value) types.List {
	return types.ListValueMust(types.ObjectType{AttrTypes: nodeAttrTypes}, elems)
}

// validModel is a configuration that passes engineChecks: two nodes, every
// other attribute null (its default).
func validModel() rollingUpgradeModel {
	return rollingUpgradeModel{
		Nodes: nodeList(
			nodeValue("gw-1", "https://gw-1:5555", "http://gw-1:4444"),
			nodeValue("gw-2", "https://gw-2:5555", "http://gw-2:4444"),
		),
		Strategy:         types.StringNull(),
		MaxUnavailable:   types.Int64Null(),
		PollInterval:     types.StringNull(),
		CommandEnv:       types.MapNull(types.StringType),
		CommandSecretEnv: types.MapNull(types.StringType),
	}
}

// diagLines lists diagnostics as "<path>: <summary>: <detail>".
func diagLines(diags diag.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		p := ""
		if wp, ok := d.(diag.DiagnosticWithPath); ok {
			p = wp.Path().String()
		}
		out = append(out, p+": "+d.Summary()+": "+d.Detail())
	}
	return out
}
