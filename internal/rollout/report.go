package rollout

import "time"

// Outcome is what the last apply did to one node (last_rollout.outcome).
type Outcome string

// What happened to a node, as last_rollout reports it.
const (
	OutcomeUpgraded   Outcome = "upgraded"
	OutcomeSkipped    Outcome = "skipped"
	OutcomeFailed     Outcome = "failed"
	OutcomeRolledBack Outcome = "rolled_back"
)

// NodeResult is one entry of last_rollout.
type NodeResult struct {
	Node string
	// FromVersion is what the node reported before; "" when it was down.
	FromVersion string
	// ToVersion is what it reported at the end; "" when unknown (down).
	ToVersion string
	Outcome   Outcome
	// StartedAt and FinishedAt are equal for skipped nodes.
	StartedAt, FinishedAt time.Time
	// Drain runs from the quiesce (or shutdown) request until drained;
	// Command is the upgrade command; Ready from command end until ready.
	// Zero for steps that did not run.
	Drain, Command, Ready time.Duration
	// Warning, when set, is something the operator should check although
	// the node was upgraded, e.g. a drain that ended with the node going
	// silent instead of reporting that quiescing had finished.
	Warning string
}

// Report is what a Run did, returned even when it fails.
type Report struct {
	// Results lists the nodes touched or skipped, in the order they started;
	// skipped nodes come first. Nodes never reached are absent.
	Results []NodeResult
	// Versions is the last version known for every node by name; "" when
	// unknown, e.g. the node is down.
	Versions map[string]string
	// NotifyFailures lists the runs of notify_command that failed or timed
	// out, and notifications never sent, one line each ("node_started of
	// gw-1: ..."). They do not affect the rollout.
	NotifyFailures []string
	// TakenDown names, sorted, the nodes this run or an earlier one (per
	// Config.TakenDown) took out of service and that were not seen ready or
	// brought back since. A caller keeps it and passes it as
	// Config.TakenDown to its next run.
	TakenDown []string
	// Deferred names, in the order they would have started, the nodes left
	// for the next Run by Config.MaxNodesPerApply.
	Deferred []string
}
