package bench

import (
	"fmt"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// tools are the binaries a benchmark runs, built once per run, and the
// Terraform CLI ("" skips the sections that need it).
type tools struct {
	tfharness.Binaries
	terraform string
}

// workdir is a Terraform working directory under dir whose runs reach the
// simulated cluster with its credentials.
func (t tools) workdir(dir string) (*tfharness.Workdir, error) {
	return tfharness.NewWorkdir(t.terraform, dir, t.ProviderDir,
		"APIGW_USERNAME="+gwsim.DefaultUsername, "APIGW_PASSWORD="+gwsim.DefaultPassword)
}

// clusterConfig is one apigw_rolling_upgrade with the nodes given
// literally, so no other resource is involved.
type clusterConfig struct {
	target, poll   string
	strategy       rollout.Strategy
	maxUnavailable int
	command        []string
	nodes          []rollout.Node
}

func (c clusterConfig) hcl() string {
	u := tfharness.Upgrade{Name: "bench", Target: c.target, UpgradeCommand: c.command, PollInterval: c.poll,
		Attributes: fmt.Sprintf("strategy        = %q\n  max_unavailable = %d", c.strategy, c.maxUnavailable)}
	for _, n := range c.nodes {
		u.Nodes = append(u.Nodes, tfharness.Node{Name: n.Name, URL: n.URL, QuiesceURL: n.QuiesceURL})
	}
	return tfharness.Provider("", "", "") + u.HCL()
}
