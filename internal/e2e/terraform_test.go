package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/gwops/terraform-provider-apigw/internal/gwsim"
	"github.com/gwops/terraform-provider-apigw/internal/provider"
)

// Versions of the upgrade: 10.15 Fix 5 to Fix 7. Nodes come back reporting
// a build number after the target, as real ones do.
const (
	fromVersion   = "10.15.0.5.120"
	targetVersion = "10.15.0.7"
	newVersion    = "10.15.0.7.77"
)

// providerFactories serve the provider in-process, so Terraform reaches the
// simulated cluster the test started on loopback.
var providerFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"apigw": providerserver.NewProtocol6WithError(provider.New("e2e")()),
}

// buildGwsim builds cmd/gwsim into dir: the upgrade command is a real
// process that restarts a simulated node through the control API, as a
// user's script restarts a real one.
func buildGwsim(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "gwsim")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "../../cmd/gwsim")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/gwsim: %v\n%s", err, out)
	}
	return bin
}

// upgradeConfig is the Terraform configuration of one run: a quiesce port
// on every node and the rolling upgrade, with the HAProxy hooks when
// hookScript is set.
type upgradeConfig struct {
	Cluster     *gwsim.Cluster
	QuiescePort map[string]int
	GwsimBin    string
	HookScript  string // examples/haproxy/haproxy-node-state.sh, or "" for no hooks
	Socket      string // HAProxy admin socket for the hooks
}

func (c upgradeConfig) render() string {
	opts := c.Cluster.Options()
	// One quiesce port block per node rather than for_each:
	// terraform-plugin-testing's state checks refuse for_each addresses.
	var ports, nodes strings.Builder
	for _, n := range c.Cluster.Nodes() {
		id := strings.ReplaceAll(n.Name(), "-", "_")
		fmt.Fprintf(&ports, `
resource "apigw_quiesce_port" %q {
  node_url = %q
  port     = %d
}
`, id, n.URL(), c.QuiescePort[n.Name()])
		fmt.Fprintf(&nodes, "    { name = %q, url = %q, quiesce_url = apigw_quiesce_port.%s.quiesce_url },\n", n.Name(), n.URL(), id)
	}
	hooks := ""
	if c.HookScript != "" {
		hooks = fmt.Sprintf(`
  # Out of HAProxy before the node is quiesced, back in once it is ready.
  before_node_command = [%[1]q, "drain"]
  after_node_command  = [%[1]q, "ready"]
  command_env = {
    HAPROXY_SOCKET  = %[2]q
    HAPROXY_BACKEND = %[3]q
    HAPROXY_TIMEOUT = "30"
    HAPROXY_POLL    = "0.05"
  }
`, c.HookScript, c.Socket, backendName)
	}
	return fmt.Sprintf(`
provider "apigw" {
  username = %q
  password = %q
}
%s
resource "apigw_rolling_upgrade" "cluster" {
  target_version = %q
  nodes = [
%s  ]
  # The node comes from APIGW_NODE_NAME, which the provider sets.
  upgrade_command = [%q, "restart", "-control", %q, "-version", %q]
  poll_interval   = "100ms"
%s}
`, opts.Username, opts.Password, ports.String(), targetVersion, nodes.String(), c.GwsimBin, c.Cluster.ControlURL(), newVersion, hooks)
}

// repoFile returns the absolute path of a file of the repository.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}
