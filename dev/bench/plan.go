package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// PlanResult is one terraform plan size.
type PlanResult struct {
	Nodes int
	// Wall is the median wall time of the plans, Runs of them.
	Wall time.Duration
	Runs int
	// AdminPerNode and HealthPerNode are the calls each node received
	// during one plan (refresh and ModifyPlan both read every node).
	AdminPerNode, HealthPerNode float64
	// Sequential is what the admin calls would cost one after another:
	// Nodes × latency × AdminPerNode.
	Sequential time.Duration
	// TerraformCPU and ProviderCPU are medians of the CPU time terraform
	// and its provider processes used per plan: on a large cluster the
	// plan is bound by this work, not by waiting for the nodes.
	TerraformCPU, ProviderCPU time.Duration
}

// runPlans times `terraform plan` on clusters of each size, against one
// simulated cluster of the largest size whose admin calls all take
// latency. Each directory first applies at the current version, so the
// resource exists and the plan refreshes it and then surveys the nodes
// again in ModifyPlan, for a new target_version.
func runPlans(ctx context.Context, tools tools, work string, sizes []int, latency time.Duration, runs int, progress func(string)) ([]PlanResult, error) {
	s, err := startSim(ctx, simSpec{nodes: slices.Max(sizes), adminLatency: latency})
	if err != nil {
		return nil, err
	}
	defer s.close()
	var out []PlanResult
	for _, n := range sizes {
		progress(fmt.Sprintf("plan: %d nodes", n))
		d, err := tools.workdir(filepath.Join(work, fmt.Sprintf("plan-%d", n)))
		if err != nil {
			return nil, err
		}
		cfg := clusterConfig{target: fromVersion, strategy: rollout.StrategyDrainShutdown, poll: "2s",
			maxUnavailable: 1, command: []string{"true"}, nodes: s.nodes[:n]}
		if err := d.WriteConfig(cfg.hcl()); err != nil {
			return nil, err
		}
		if err := d.Run(ctx, "apply", "-auto-approve", "-input=false", "-lock=false", "-no-color"); err != nil {
			return nil, err
		}
		cfg.target = toVersion
		if err := d.WriteConfig(cfg.hcl()); err != nil {
			return nil, err
		}
		r := PlanResult{Nodes: n, Runs: runs}
		var walls, tfCPU, provCPU []time.Duration
		var hits []hit
		for range runs {
			s.rec.take()
			u, err := runSampled(d.Command(ctx, "plan", "-input=false", "-lock=false", "-no-color"))
			if err != nil {
				return nil, err
			}
			walls, tfCPU, provCPU = append(walls, u.wall), append(tfCPU, u.terraformCPU), append(provCPU, u.providerCPU)
			hits = s.rec.take()
		}
		r.Wall, r.TerraformCPU, r.ProviderCPU = median(walls), median(tfCPU), median(provCPU)
		for _, h := range hits {
			if h.isHealth() {
				r.HealthPerNode++
			} else {
				r.AdminPerNode++
			}
		}
		r.HealthPerNode /= float64(n)
		r.AdminPerNode /= float64(n)
		r.Sequential = time.Duration(float64(n) * float64(latency) * r.AdminPerNode)
		out = append(out, r)
	}
	return out, nil
}
