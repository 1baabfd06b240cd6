package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/internal/apigwadapter"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// StagedTiming is the simulated fix: its download takes Download (P) and
// its install Install (I), on top of the cluster's drain and restart.
type StagedTiming struct {
	Download, Install time.Duration
}

// PrepareResult is one rollout of the prepare table.
type PrepareResult struct {
	Case    PrepareCase
	Prepare bool // prepare_command did the download
	Total   time.Duration
	// Limit is what no engine can beat: P·ceil(N/parallelism) +
	// N·(D+I+R) with prepare_command, N·(D+P+I+R) without.
	Limit time.Duration
	// OutOfService is, per node, the simulator's quiesce request until
	// the node is ready again; NodeLimit is its floor, D+I+R with
	// prepare_command and D+P+I+R without.
	OutOfService []time.Duration
	NodeLimit    time.Duration
}

// Ratio is Total over Limit; NodeRatio the slowest node over NodeLimit.
func (r PrepareResult) Ratio() float64 { return float64(r.Total) / float64(r.Limit) }

// NodeRatio is the longest time a node was out of service over NodeLimit.
func (r PrepareResult) NodeRatio() float64 {
	return float64(maxOf(r.OutOfService)) / float64(r.NodeLimit)
}

// fetchScript is the simulated download, as a user's script would stage a
// fix: once per node and target, skipped when it is there already. Without
// prepare_command, upgrade_command runs it first, while the node is out of
// service.
const fetchScript = `#!/bin/sh
set -e
staged="$BENCH_STAGE/$APIGW_NODE_NAME-$APIGW_TARGET_VERSION"
if [ ! -e "$staged" ]; then
  sleep "$BENCH_DOWNLOAD"
  : > "$staged"
fi
`

// runPrepare rolls a fresh cluster of pc.Nodes with the real engine, HTTP
// client and processes, max_unavailable 1, with an upgrade command that
// downloads the fix unless it is staged (P), then restarts the node through
// gwsim with the install as downtime (I); with prepare, prepare_command
// stages the fix first.
func runPrepare(ctx context.Context, tools tools, work string, t Timing, st StagedTiming, pc PrepareCase, prepare bool) (PrepareResult, error) {
	res := PrepareResult{Case: pc, Prepare: prepare}
	dir, err := os.MkdirTemp(work, "prepare-")
	if err != nil {
		return res, err
	}
	fetch := filepath.Join(dir, "fetch-fix.sh")
	if err := os.WriteFile(fetch, []byte(fetchScript), 0o755); err != nil {
		return res, err
	}
	s, err := startSim(ctx, simSpec{nodes: pc.Nodes, drain: t.Drain, restart: t.Restart, withQuiescePorts: true})
	if err != nil {
		return res, err
	}
	defer s.close()

	cfg := rollout.Config{
		Nodes:          s.nodes,
		Target:         toVersion,
		MaxUnavailable: 1,
		PollInterval:   t.Poll,
		// The staged check inline saves a process start while the node is
		// out of service.
		UpgradeCommand: []string{"sh", "-c", `{ [ -e "$BENCH_STAGE/$APIGW_NODE_NAME-$APIGW_TARGET_VERSION" ] || "$BENCH_FETCH"; } && ` +
			`exec "$BENCH_GWSIM" restart -control "$BENCH_CONTROL" -downtime "$BENCH_INSTALL"`},
		CommandEnv: map[string]string{
			"BENCH_FETCH": fetch, "BENCH_STAGE": dir, "BENCH_GWSIM": tools.Gwsim, "BENCH_CONTROL": s.cluster.ControlURL(),
			"BENCH_DOWNLOAD": fmt.Sprint(st.Download.Seconds()), "BENCH_INSTALL": st.Install.String(),
		},
	}
	if prepare {
		cfg.PrepareCommand = []string{fetch}
		cfg.PrepareParallelism = pc.Parallelism
	}
	eng := rollout.Engine{Gateway: apigwadapter.New(s.client), Runner: rollout.ExecRunner{}}
	start := time.Now()
	report, err := eng.Run(ctx, cfg)
	res.Total = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("rollout of %d nodes (prepare_command %v): %w", pc.Nodes, prepare, err)
	}
	if err := allUpgraded(report, pc.Nodes); err != nil {
		return res, err
	}

	res.NodeLimit = t.Drain + st.Install + t.Restart
	if prepare {
		waves := (pc.Nodes + pc.Parallelism - 1) / pc.Parallelism
		res.Limit = time.Duration(waves)*st.Download + time.Duration(pc.Nodes)*res.NodeLimit
	} else {
		res.NodeLimit += st.Download
		res.Limit = time.Duration(pc.Nodes) * res.NodeLimit
	}
	res.OutOfService, err = outOfService(start, s.cluster.Events(), s.nodes)
	return res, err
}

// outOfService is, per node, the time from the simulator's quiesce request
// to its ready event after the restart.
func outOfService(start time.Time, events []gwsim.Event, nodes []rollout.Node) ([]time.Duration, error) {
	from, to := map[string]time.Time{}, map[string]time.Time{}
	for _, ev := range events {
		if ev.At.Before(start) {
			continue
		}
		switch ev.Kind {
		case gwsim.EventQuiesceRequested:
			from[ev.Node] = ev.At
		case gwsim.EventReady:
			to[ev.Node] = ev.At
		}
	}
	out := make([]time.Duration, 0, len(nodes))
	for _, n := range nodes {
		if from[n.Name].IsZero() || to[n.Name].Before(from[n.Name]) {
			return nil, fmt.Errorf("node %s: no quiesce request followed by ready in the simulator's timeline", n.Name)
		}
		out = append(out, to[n.Name].Sub(from[n.Name]))
	}
	return out, nil
}
