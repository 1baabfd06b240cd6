package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
)

// Options say where the tools are and how long each phase of the
// simulated nodes takes.
type Options struct {
	Terraform   string        // Terraform CLI to run
	RepoDir     string        // repository root: the provider and gwsim are built from it
	Out         io.Writer     // progress, Terraform's output and the summary
	Nodes       int           // default 3
	DrainTime   time.Duration // quiesce for all, default 1s
	RestartTime time.Duration // start until healthy, default 1s
}

// Credentials of the demo cluster, handed to Terraform through the
// environment as the docs recommend.
const (
	demoUser     = "Administrator"
	demoPassword = "demo-password"
	fromVersion  = "10.15.0.5.120"
)

// Result is what the demo measured, for its test.
type Result struct {
	Rollout  []RolloutEntry
	Versions map[string]string
	Traffic  TrafficReport
	Stored   int64 // requests whose metrics reached the shared data store
	Lost     int64 // requests whose metrics died with a node
}

// Run builds the binaries, starts the cluster and the traffic, applies
// examples/demo and prints the summary. Everything it starts it stops.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if o.DrainTime == 0 {
		o.DrainTime = time.Second
	}
	if o.RestartTime == 0 {
		o.RestartTime = time.Second
	}
	work, err := os.MkdirTemp("", "apigw-demo-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	say(o.Out, "Building the provider and the simulator")
	bin, err := tfharness.Build(ctx, filepath.Join(work, "bin"))
	if err != nil {
		return nil, err
	}
	say(o.Out, "Starting a simulated %d-node cluster on %s", o.Nodes, fromVersion)
	cluster, err := gwsim.Start(gwsim.Options{Nodes: o.Nodes, Version: fromVersion, Username: demoUser, Password: demoPassword,
		DrainTime: o.DrainTime, RestartTime: o.RestartTime})
	if err != nil {
		return nil, fmt.Errorf("start the simulated cluster: %w", err)
	}
	defer cluster.Close()

	tf, err := newTerraformDir(work, o.Terraform, bin, o.RepoDir, cluster)
	if err != nil {
		return nil, err
	}
	say(o.Out, "Sending API traffic to the cluster while Terraform upgrades it")
	traffic := startTraffic(cluster)
	applyErr := tf.run(ctx, o.Out, "apply", "-auto-approve", "-input=false")
	report := traffic.stop()
	if applyErr != nil {
		return nil, fmt.Errorf("terraform apply: %w", applyErr)
	}

	res := &Result{Traffic: report}
	if err := tf.outputs(ctx, res); err != nil {
		return nil, err
	}
	totals := cluster.StoreTotals()
	for _, n := range cluster.Nodes() {
		res.Stored += totals.PerNode[n.Name()]
		res.Lost += totals.Lost[n.Name()]
	}
	printSummary(o.Out, res)
	if res.Traffic.Failed > 0 || res.Lost > 0 {
		return res, errors.New("the upgrade was not free of loss: see the summary above")
	}
	return res, nil
}

func say(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "==> "+format+"\n", args...)
}
