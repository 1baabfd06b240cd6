package rollout

import (
	"fmt"
	"strings"
)

// announce records the work of the run for decorate and says what the run
// is going to do.
func (r *run) announce(jobs []*job) {
	r.mu.Lock()
	for _, j := range jobs {
		r.jobs[j.node.Name] = j
	}
	r.order = jobs
	r.mu.Unlock()
	if len(jobs) == 0 {
		return
	}
	next := "next: " + jobs[0].node.Name
	if len(r.cfg.PrepareCommand) > 0 {
		next = "running prepare_command first"
	}
	share := ""
	if n := r.cfg.NodesThisApply(len(jobs)); n < len(jobs) {
		share = fmt.Sprintf(", %d in this apply (max_nodes_per_apply)", n)
	}
	r.ev.emit("", EventRolloutStarted, "rolling upgrade to %s: %d of %d nodes to upgrade%s, %d at a time; %s",
		r.cfg.Target, len(jobs), len(r.cfg.Nodes), share, r.cfg.MaxUnavailable, next)
}

// conclude reports the end of the run, whatever its outcome.
func (r *run) conclude(jobs []*job, err error) {
	took := r.since(r.began)
	r.mu.Lock()
	count := map[Outcome]int{}
	for _, res := range r.report.Results {
		count[res.Outcome]++
	}
	touched := len(r.report.Results) - count[OutcomeSkipped]
	r.mu.Unlock()
	if err == nil {
		if len(jobs) == 0 {
			r.ev.emit("", EventRolloutFinished, "rolling upgrade to %s finished: every node was already on target and ready", r.cfg.Target)
			return
		}
		left := ""
		if n := len(r.report.Deferred); n > 0 {
			left = fmt.Sprintf("; %d left for the next apply by max_nodes_per_apply (%s)", n, strings.Join(r.report.Deferred, ", "))
		}
		r.ev.emit("", EventRolloutFinished, "rolling upgrade to %s finished in %s: %d upgraded, %d already on target%s",
			r.cfg.Target, took, count[OutcomeUpgraded], count[OutcomeSkipped], left)
		return
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	if len(first) > 300 {
		first = first[:300] + "..."
	}
	if jobs == nil { // refused by the survey: nothing was planned
		r.ev.emit("", EventRolloutFinished, "rolling upgrade to %s refused before any node was touched: %s", r.cfg.Target, first)
		return
	}
	r.ev.emit("", EventRolloutFinished, "rolling upgrade to %s stopped after %s: %d upgraded, %d failed, %d rolled back, %d not started: %s",
		r.cfg.Target, took, count[OutcomeUpgraded], count[OutcomeFailed], count[OutcomeRolledBack], len(jobs)-touched, first)
}

// halt records that a node failed, so no further node starts.
func (r *run) halt() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.halted = true
}

// OutputLines is how many lines of a successful command's output a
// milestone carries (Event.Output).
const OutputLines = 10

// decorate adds to a node's milestone what the engine does next, how long
// the node has been at it and the output of the command it just finished,
// so that every milestone reads as one self-contained progress line.
func (r *run) decorate(ev *Event) {
	now := ev.At
	r.mu.Lock()
	j := r.jobs[ev.Node]
	started := r.began
	if j != nil && !j.res.StartedAt.IsZero() {
		started = j.res.StartedAt
	}
	r.mu.Unlock()
	ev.Elapsed = now.Sub(started)
	if j == nil {
		return
	}
	if cmd, ok := commandOf[ev.Kind]; ok {
		ev.Command, ev.Output, j.output = cmd, j.output, ""
	}
	ev.Next = r.nextStep(j, ev.Kind)
}

// commandOf names the command whose successful end a milestone marks.
var commandOf = map[EventKind]string{
	EventBeforeCommandDone: "before_node_command",
	EventCommandDone:       "upgrade_command",
	EventAfterCommandDone:  "after_node_command",
	EventPrepared:          "prepare_command",
	EventRolledBack:        "rollback_command",
}

// nextStep says what follows kind for j, in the words of the attributes
// the user set; "" when the milestone's message says it or nothing follows.
func (r *run) nextStep(j *job, kind EventKind) string {
	c := r.cfg
	takeOut := "requesting quiesce mode for all"
	if c.Strategy == StrategyDrainShutdown {
		takeOut = "requesting a drain shutdown"
	}
	afterReady := func() string {
		switch {
		case c.SoakDuration > 0 && kind == EventReady:
			return "watching its health for soak_duration " + formatDuration(c.SoakDuration)
		case len(c.AfterNodeCommand) > 0:
			return "running after_node_command"
		}
		return ""
	}
	switch kind {
	case EventNodeStarted:
		if j.kind != kindPending {
			return "" // the resume milestone follows and says what comes
		}
		if len(c.BeforeNodeCommand) > 0 {
			return "running before_node_command"
		}
		return takeOut
	case EventBeforeCommandDone:
		return takeOut
	case EventQuiesceRequested:
		if c.Strategy == StrategyDrainShutdown {
			wait, _ := r.drainWait()
			return "waiting until it has stopped (at most " + formatDuration(wait) + ")"
		}
		return "waiting until it has drained (drain_timeout " + formatDuration(c.DrainTimeout) + ")"
	case EventDrainUnconfirmed:
		return "waiting until it has drained"
	case EventResume:
		if j.kind == kindStarting {
			return r.waitReadyText()
		}
		return "running upgrade_command"
	case EventDrained:
		return "running upgrade_command"
	case EventCommandDone:
		return r.waitReadyText()
	case EventReady, EventSoaked:
		return afterReady()
	case EventNodeFailed:
		if len(c.RollbackCommand) > 0 && j.needsRollback() {
			return "running rollback_command"
		}
	case EventNodeUpgraded:
		return r.nextNode(j)
	}
	return ""
}

func (r *run) waitReadyText() string {
	return fmt.Sprintf("waiting until it is ready on %s (ready_timeout %s)", r.cfg.Target, formatDuration(r.cfg.ReadyTimeout))
}

// nextNode names the node the rollout starts next, once j is done.
func (r *run) nextNode(j *job) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.halted {
		return ""
	}
	inFlight, started := 0, 0
	for _, o := range r.order {
		if !o.res.StartedAt.IsZero() {
			started++
		}
	}
	for _, o := range r.order {
		switch {
		case o == j:
		case o.res.StartedAt.IsZero():
			if limit := r.cfg.MaxNodesPerApply; limit > 0 && started >= limit {
				return "" // left for the next apply
			}
			return "next: " + o.node.Name
		case r.inFlight[o.node.Name]:
			inFlight++
		}
	}
	if inFlight > 0 {
		return fmt.Sprintf("%d more in flight", inFlight)
	}
	return ""
}

// lastLines is the end of a command's output, at most n lines, for
// Event.Output; "" when the command printed nothing.
func lastLines(s string, n int) string {
	s = strings.TrimRight(s, " \t\r\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
