package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// FootprintResult is the provider process's cost during a rollout through
// terraform apply.
type FootprintResult struct {
	Nodes, MaxUnavailable int
	Wall                  time.Duration
	// Processes is how many provider processes terraform started (schema,
	// plan and apply each start one); PeakRSS is the largest VmHWM among
	// them and CPU the sum of their user and system time.
	Processes int
	PeakRSS   int64
	CPU       time.Duration
}

// CPUPerNode is the provider's CPU time per node rolled.
func (f FootprintResult) CPUPerNode() time.Duration { return f.CPU / time.Duration(f.Nodes) }

// sampleEvery bounds what the sampling misses: the CPU a provider process
// spends after its last sample, at most this long.
const sampleEvery = 20 * time.Millisecond

// runFootprint rolls a fresh cluster with terraform apply and samples the
// provider processes, terraform's children, from /proc until apply ends.
func runFootprint(ctx context.Context, tools Tools, work string, t Timing, rc RolloutCase) (FootprintResult, error) {
	res := FootprintResult{Nodes: rc.Nodes, MaxUnavailable: rc.MaxUnavailable}
	s, err := startSim(ctx, simSpec{nodes: rc.Nodes, drain: t.Drain, restart: t.Restart, withQuiescePorts: true})
	if err != nil {
		return res, err
	}
	defer s.close()
	d, err := newTFDir(tools, filepath.Join(work, fmt.Sprintf("footprint-%d", rc.Nodes)))
	if err != nil {
		return res, err
	}
	err = d.writeConfig(clusterConfig{target: toVersion, strategy: string(rollout.StrategyQuiesceAll),
		poll: t.Poll.String(), maxUnavailable: rc.MaxUnavailable, nodes: literal(s.nodes),
		command: []string{tools.Gwsim, "restart", "-control", s.cluster.ControlURL()}})
	if err != nil {
		return res, err
	}
	cmd := d.command(ctx, "apply", "-auto-approve", "-input=false", "-lock=false", "-no-color")
	out := &tailWriter{max: 3000}
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	seen := map[int]procSample{}
	tick := time.NewTicker(sampleEvery)
	defer tick.Stop()
	for waiting := true; waiting; {
		select {
		case err = <-done:
			waiting = false
		case <-tick.C:
			for _, p := range childrenOf(cmd.Process.Pid, "terraform-prov") {
				seen[p.pid] = p // cpu and VmHWM only grow: the last sample is the largest
			}
		}
	}
	res.Wall = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("terraform apply: %w\n%s", err, out.String())
	}
	for _, p := range seen {
		res.Processes++
		res.PeakRSS = max(res.PeakRSS, p.hwm)
		res.CPU += p.cpu
	}
	for _, n := range s.cluster.Nodes() {
		if !rollout.OnTarget(n.Version(), toVersion) {
			return res, fmt.Errorf("after terraform apply %s runs %s, not %s", n.Name(), n.Version(), toVersion)
		}
	}
	if res.Processes == 0 {
		return res, fmt.Errorf("no provider process was seen under terraform (pid %d)", cmd.Process.Pid)
	}
	return res, nil
}

// tailWriter keeps the end of a command's output for error messages.
type tailWriter struct {
	max int
	b   []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	if len(w.b) > w.max {
		w.b = w.b[len(w.b)-w.max:]
	}
	return len(p), nil
}

func (w *tailWriter) String() string { return string(w.b) }
