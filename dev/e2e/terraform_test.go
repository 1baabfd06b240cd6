package e2e

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
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
	u := tfharness.Upgrade{Name: "cluster", Target: targetVersion, PollInterval: "100ms",
		// The node comes from APIGW_NODE_NAME, which the provider sets.
		UpgradeCommand: []string{c.GwsimBin, "restart", "-control", c.Cluster.ControlURL(), "-version", newVersion}}
	for _, n := range c.Cluster.Nodes() {
		u.Nodes = append(u.Nodes, tfharness.Node{Name: n.Name(), URL: n.URL(), QuiescePort: c.QuiescePort[n.Name()]})
	}
	if c.HookScript != "" {
		u.Attributes = fmt.Sprintf(`# Out of HAProxy before the node is quiesced, back in once it is ready.
  before_node_command = [%[1]q, "drain"]
  after_node_command  = [%[1]q, "ready"]
  command_env = {
    HAPROXY_SOCKET  = %[2]q
    HAPROXY_BACKEND = %[3]q
    HAPROXY_TIMEOUT = "30"
    HAPROXY_POLL    = "0.05"
  }`, c.HookScript, c.Socket, backendName)
	}
	return tfharness.Provider(opts.Username, opts.Password, "") + u.HCL()
}

// repoFile returns the absolute path of a file of the repository.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	p, err := tfharness.RepoFile(rel)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
