package bench

import (
	"fmt"
	"strconv"
	"time"
)

func itoa(i int) string { return strconv.Itoa(i) }

func perNode(calls, nodes int) string { return fmt.Sprintf("%.1f", float64(calls)/float64(nodes)) }

func rolloutTable(rs []RolloutResult, t Timing) *table {
	tb := &table{
		title: "Rollout overhead (real engine, HTTP client and gwsim restart processes)",
		header: []string{"N", "k", "total", "limit", "cmd", "ratio",
			"drain det. med", "drain det. max", "ready det. med", "ready det. max", "health/node", "admin/node"},
		notes: []string{
			fmt.Sprintf("D = %s drain, R = %s restart, poll_interval = %s, quiesce_all, k = max_unavailable.", t.Drain, t.Restart, t.Poll),
			"limit = ceil(N/k)·(D + R + cmd), cmd = mean run time of the upgrade command (gwsim restart process); target ratio ≤ 1.05.",
			"Detection delay: simulator's quiesce_completed (ready) event to the engine's drained (ready) event, per node.",
			"Calls per node: requests the nodes received during the run (health probes / authenticated admin calls).",
		},
	}
	for _, r := range rs {
		tb.add(itoa(r.Case.Nodes), itoa(r.Case.MaxUnavailable), secs(r.Total), secs(r.Limit), ms(r.Command),
			fmt.Sprintf("%.3f", r.Ratio()), ms(median(r.Drain)), ms(maxOf(r.Drain)), ms(median(r.Ready)), ms(maxOf(r.Ready)),
			perNode(r.HealthCalls, r.Case.Nodes), perNode(r.AdminCalls, r.Case.Nodes))
	}
	return tb
}

func breakdownTable(rs []RolloutResult, t Timing) *table {
	tb := &table{
		title: "Where the overhead goes (mean per node)",
		header: []string{"N", "k", "over/wave", "start gap", "quiesce call", "drain det.",
			"ready det.", "finish", "sim drain-D", "sim restart-R", "cmd after start"},
		notes: []string{
			"over/wave = (total - limit) / ceil(N/k): what each wave costs beyond the physical limit. With k = 1 it is about",
			"start gap + quiesce call + drain det. + ready det. + finish + sim slack - cmd after start.",
			"start gap: previous node finished (or run start) to node_started: survey, slot hand-over and pre-flight.",
			"quiesce call: node_started to the simulator receiving the quiesce request.",
			"sim drain-D, sim restart-R: the simulator's own slack (its 5 ms drain tick, timers); not the engine's.",
			"cmd after start: the upgrade command's tail after the node started again; R runs meanwhile, so it overlaps.",
		},
	}
	for _, r := range rs {
		b := breakdownOf(r.steps, t)
		waves := (r.Case.Nodes + r.Case.MaxUnavailable - 1) / r.Case.MaxUnavailable
		tb.add(itoa(r.Case.Nodes), itoa(r.Case.MaxUnavailable), ms((r.Total-r.Limit)/time.Duration(waves)),
			ms(b.startGap), ms(b.quiesceCall), ms(b.drainDetect), ms(b.readyDetect), ms(b.finish),
			ms(b.drainExtra), ms(b.restartExtra), ms(b.commandTail))
	}
	return tb
}

func loadTable(rs []RolloutResult, t Timing) *table {
	tb := &table{
		title: "Load on the gateway (health polls per node per wait, measured by the simulated nodes)",
		header: []string{"N", "k", "waits", "polls/wait", "fast/wait", "max per interval", "steady max per interval",
			"steady min gap", "steady max rate"},
		notes: []string{
			fmt.Sprintf("A wait: drain (quiesce port) or ready (primary port) of one node. Interval = poll_interval = %s.", t.Poll),
			"fast/wait: polls less than poll_interval after the previous one (start of a wait, around the previous node's finish, readiness confirmation).",
			"max per interval: most polls in any poll_interval window of a wait, fast polls included.",
			"steady: the wait without its first and last 2·poll_interval and without its one burst (the longest run of fast polls,",
			"placed where the previous node finished); target at most 1 poll per interval there.",
		},
	}
	for _, r := range rs {
		p := r.polls
		rate := "-"
		if p.minSteadyGap > 0 {
			rate = fmt.Sprintf("%.1f/s", float64(p.maxSteady)/t.Poll.Seconds())
		}
		tb.add(itoa(r.Case.Nodes), itoa(r.Case.MaxUnavailable), itoa(p.waits), itoa(p.perWait), itoa(p.fastPerWait),
			itoa(p.maxAny), itoa(p.maxSteady), ms(p.minSteadyGap), rate)
	}
	return tb
}

func planTable(ps []PlanResult, latency time.Duration) *table {
	tb := &table{
		title:  "terraform plan (real CLI, provider via dev_overrides, resource in state, new target_version)",
		header: []string{"nodes", "wall (median)", "terraform CPU", "provider CPU", "admin/node", "health/node", "sequential reads"},
		notes: []string{
			fmt.Sprintf("Every admin call takes %s in the simulator (health probes do not). Plans per size: %d.", latency, ps[0].Runs),
			"CPU: user+system time of terraform and of its provider processes, each without children, sampled from /proc; medians.",
			"sequential reads = nodes × latency × admin calls per node: what the plan would wait without concurrent reads.",
		},
	}
	for _, p := range ps {
		tb.add(itoa(p.Nodes), secs(p.Wall), secs(p.TerraformCPU), secs(p.ProviderCPU),
			fmt.Sprintf("%.1f", p.AdminPerNode), fmt.Sprintf("%.1f", p.HealthPerNode), secs(p.Sequential))
	}
	if first, last := ps[0], ps[len(ps)-1]; len(ps) > 1 {
		tb.notes = append(tb.notes, fmt.Sprintf("%d/%d nodes wall-time ratio: %.2f (target ≤ 2).",
			last.Nodes, first.Nodes, float64(last.Wall)/float64(first.Wall)))
	}
	return tb
}

func footprintTable(f FootprintResult, t Timing) *table {
	tb := &table{
		title:  "Provider processes during terraform apply",
		header: []string{"apply", "nodes", "k", "wall", "provider procs", "peak RSS", "provider CPU", "CPU/node", "terraform CPU"},
		notes: []string{
			fmt.Sprintf("idle: every node already on target (nothing rolled); rollout: every node rolled. poll_interval = %s, D = %s, R = %s.", t.Poll, t.Drain, t.Restart),
			"Peak RSS: largest VmHWM of the provider processes (terraform starts one per phase); CPU: their user+system time summed.",
			fmt.Sprintf("Sampled from /proc every %s, so up to that much CPU at the end of each process is missed. Targets: ≤ 64 MiB, ≤ 20 ms CPU per node.", sampleEvery),
		},
	}
	for _, row := range []struct {
		name string
		u    usage
	}{{"idle", f.Idle}, {"rollout", f.Rollout}} {
		tb.add(row.name, itoa(f.Nodes), itoa(f.MaxUnavailable), secs(row.u.wall), itoa(row.u.providers),
			fmt.Sprintf("%.1f MiB", float64(row.u.providerPeakRSS)/(1<<20)), ms(row.u.providerCPU),
			ms(row.u.providerCPU/time.Duration(f.Nodes)), ms(row.u.terraformCPU))
	}
	return tb
}

func prepareTable(rs []PrepareResult, t Timing, st StagedTiming) *table {
	tb := &table{
		title: "Fixes staged before the drain: prepare_command (real engine, HTTP client, processes; max_unavailable 1)",
		header: []string{"N", "prepare_command", "total", "limit", "ratio",
			"out of service med", "out of service max", "limit per node", "ratio per node"},
		notes: []string{
			fmt.Sprintf("The fix downloads in P = %s and installs in I = %s; D = %s drain, R = %s restart, poll_interval = %s.", st.Download, st.Install, t.Drain, t.Restart, t.Poll),
			"upgrade_command downloads the fix unless it is staged, then restarts the node with the install as downtime.",
			"With prepare_command (p at a time) the downloads happen before the first drain, while every node serves.",
			"Out of service: the simulator's quiesce request until the node is ready again, per node; limit per node: D+I+R with, D+P+I+R without.",
			"Limit: P·ceil(N/p) + N·(D+I+R) with prepare_command, N·(D+P+I+R) without. Targets with it: ratio ≤ 1.05, ratio per node ≤ 1.05.",
		},
	}
	for _, r := range rs {
		mode := "-"
		if r.Prepare {
			mode = fmt.Sprintf("%d at a time", r.Case.Parallelism)
		}
		tb.add(itoa(r.Case.Nodes), mode, secs(r.Total), secs(r.Limit), fmt.Sprintf("%.3f", r.Ratio()),
			secs(median(r.OutOfService)), secs(maxOf(r.OutOfService)), secs(r.NodeLimit), fmt.Sprintf("%.3f", r.NodeRatio()))
	}
	return tb
}
