package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gwops/terraform-provider-apigw/internal/apigwadapter"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// Timing is the simulated cluster's timing and the engine's poll interval
// shared by every rollout row.
type Timing struct {
	Drain, Restart, Poll time.Duration
}

// RolloutResult is what one measured rollout produced.
type RolloutResult struct {
	Case  RolloutCase
	Total time.Duration
	// Command is the mean run time of the upgrade command (the gwsim
	// restart process: spawn, control call, exit).
	Command time.Duration
	// Limit is ceil(N/k)·(D+R+Command): what no engine can beat.
	Limit time.Duration
	// Drain and Ready are the detection delays of the two waits, one value
	// per node: from the simulator's quiesce_completed (ready) event to
	// the engine's drained (ready) event.
	Drain, Ready []time.Duration
	// HealthCalls and AdminCalls count requests the nodes received during
	// the run, over all nodes.
	HealthCalls, AdminCalls int

	steps []nodeSteps // per node, for the overhead breakdown
	polls pollStats   // the load table
}

// Ratio is Total over Limit.
func (r RolloutResult) Ratio() float64 { return float64(r.Total) / float64(r.Limit) }

// engineEvent is an engine milestone as OnEvent reported it.
type engineEvent struct {
	at   time.Time
	node string
	kind rollout.EventKind
}

// runRollout brings every node of a fresh cluster to toVersion with the real
// engine, HTTP client and gwsim restart processes, and measures it.
func runRollout(ctx context.Context, tools tools, t Timing, rc RolloutCase) (RolloutResult, error) {
	res := RolloutResult{Case: rc}
	s, err := startSim(ctx, simSpec{nodes: rc.Nodes, drain: t.Drain, restart: t.Restart, withQuiescePorts: true})
	if err != nil {
		return res, err
	}
	defer s.close()

	var (
		mu     sync.Mutex
		events []engineEvent
	)
	eng := rollout.Engine{
		Gateway: apigwadapter.New(s.client),
		Runner:  rollout.ExecRunner{},
		OnEvent: func(ev rollout.Event) {
			mu.Lock()
			events = append(events, engineEvent{at: ev.At, node: ev.Node, kind: ev.Kind})
			mu.Unlock()
		},
	}
	cfg := rollout.Config{
		Nodes:          s.nodes,
		Target:         toVersion,
		MaxUnavailable: rc.MaxUnavailable,
		PollInterval:   t.Poll,
		UpgradeCommand: []string{tools.Gwsim, "restart", "-control", s.cluster.ControlURL()},
	}
	start := time.Now()
	report, err := eng.Run(ctx, cfg)
	res.Total = time.Since(start)
	hits := s.rec.take()
	if err != nil {
		return res, fmt.Errorf("rollout of %d nodes: %w", rc.Nodes, err)
	}
	if err := allUpgraded(report, rc.Nodes); err != nil {
		return res, err
	}

	var cmd time.Duration
	for _, r := range report.Results {
		cmd += r.Command
	}
	res.Command = cmd / time.Duration(len(report.Results))
	waves := (rc.Nodes + rc.MaxUnavailable - 1) / rc.MaxUnavailable
	res.Limit = time.Duration(waves) * (t.Drain + t.Restart + res.Command)

	mu.Lock()
	defer mu.Unlock()
	res.steps, err = stepsOf(start, s.cluster.Events(), events, s.nodes)
	if err != nil {
		return res, err
	}
	for _, st := range res.steps {
		res.Drain = append(res.Drain, st.drainDetect())
		res.Ready = append(res.Ready, st.readyDetect())
	}
	for _, h := range hits {
		if h.isHealth() {
			res.HealthCalls++
		} else {
			res.AdminCalls++
		}
	}
	res.polls = analysePolls(hits, res.steps, t.Poll)
	return res, nil
}

// allUpgraded checks the report: a benchmark of a rollout that did not do
// the work would measure nothing.
func allUpgraded(rep *rollout.Report, n int) error {
	ok := 0
	for _, r := range rep.Results {
		if r.Outcome == rollout.OutcomeUpgraded && r.ToVersion != "" && rollout.OnTarget(r.ToVersion, toVersion) {
			ok++
		}
	}
	if ok != n {
		return fmt.Errorf("rollout upgraded %d of %d nodes", ok, n)
	}
	return nil
}
