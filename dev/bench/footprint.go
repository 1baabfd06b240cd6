package bench

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// FootprintResult is the provider processes' cost during terraform apply:
// once with nothing to roll (every node on target already: schema,
// validation, plan and state of N nodes) and once rolling every node.
type FootprintResult struct {
	Nodes, MaxUnavailable int
	Idle, Rollout         usage
}

// runFootprint applies twice against a fresh cluster: at the version the
// nodes run (nothing to do), then at the new one (every node rolled).
func runFootprint(ctx context.Context, tools tools, work string, t Timing, rc RolloutCase) (FootprintResult, error) {
	res := FootprintResult{Nodes: rc.Nodes, MaxUnavailable: rc.MaxUnavailable}
	s, err := startSim(ctx, simSpec{nodes: rc.Nodes, drain: t.Drain, restart: t.Restart, withQuiescePorts: true})
	if err != nil {
		return res, err
	}
	defer s.close()
	for _, target := range []string{fromVersion, toVersion} {
		// A directory per apply, so the second one creates the resource
		// and rolls, as a first apply does.
		d, err := tools.workdir(filepath.Join(work, fmt.Sprintf("footprint-%d-%s", rc.Nodes, target)))
		if err != nil {
			return res, err
		}
		err = d.WriteConfig(clusterConfig{target: target, strategy: rollout.StrategyQuiesceAll,
			poll: t.Poll.String(), maxUnavailable: rc.MaxUnavailable, nodes: s.nodes,
			command: []string{tools.Gwsim, "restart", "-control", s.cluster.ControlURL()}}.hcl())
		if err != nil {
			return res, err
		}
		u, err := runSampled(d.Command(ctx, "apply", "-auto-approve", "-input=false", "-lock=false", "-no-color"))
		if err != nil {
			return res, err
		}
		if u.providers == 0 {
			return res, fmt.Errorf("no provider process was seen under terraform")
		}
		if target == fromVersion {
			res.Idle = u
		} else {
			res.Rollout = u
		}
	}
	for _, n := range s.cluster.Nodes() {
		if !rollout.OnTarget(n.Version(), toVersion) {
			return res, fmt.Errorf("after terraform apply %s runs %s, not %s", n.Name(), n.Version(), toVersion)
		}
	}
	return res, nil
}
