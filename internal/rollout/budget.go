package rollout

import "time"

// RequestAllowance is counted once per node in Budget for the gateway
// requests made outside the timed waits (the quiesce request, pre-flight's
// quiesce-port checks, version reads), each bounded by the client's own
// request timeout and retries.
const RequestAllowance = time.Minute

// NodesThisApply is how many of n nodes that need work one Run takes on:
// all of them, or at most MaxNodesPerApply.
func (c Config) NodesThisApply(n int) int {
	if c.MaxNodesPerApply > 0 && n > c.MaxNodesPerApply {
		return c.MaxNodesPerApply
	}
	return max(n, 0)
}

// Budget is the longest one Run can take to work on n nodes (capped by
// MaxNodesPerApply) when every step runs as long as its own timeout allows:
//
//	ceil(n / prepare_parallelism) × command_timeout   (when prepare_command is set)
//	  + n × (ready_timeout + RequestAllowance)
//	  + ceil(n / max_unavailable) × (drain_timeout + command_timeout + ready_timeout
//	                                 + soak_duration + command_timeout per before/after command set)
//
// The first term is prepare_command, prepare_parallelism nodes at a time,
// before any node is touched; the second is pre-flight, which runs for one
// node at a time and waits up to ready_timeout for the other nodes to be
// ready; the third is the nodes' own procedure, max_unavailable of them side
// by side. A rollback
// runs on its own budget (command_timeout + ready_timeout) on top. With
// this as the apply's deadline the per-step timeouts, not the deadline,
// are what stops a run that hangs.
func (c Config) Budget(n int) time.Duration {
	c = c.withDefaults()
	n = c.NodesThisApply(n)
	if n == 0 {
		return 0
	}
	node := c.DrainTimeout + c.CommandTimeout + c.ReadyTimeout + c.SoakDuration
	for _, hook := range [][]string{c.BeforeNodeCommand, c.AfterNodeCommand} {
		if len(hook) > 0 {
			node += c.CommandTimeout
		}
	}
	waves := (n + c.MaxUnavailable - 1) / c.MaxUnavailable
	total := time.Duration(n)*(c.ReadyTimeout+RequestAllowance) + time.Duration(waves)*node
	if len(c.PrepareCommand) > 0 {
		rounds := (n + c.PrepareParallelism - 1) / c.PrepareParallelism
		total += time.Duration(rounds) * c.CommandTimeout
	}
	return total
}

// FormatDuration prints a duration the way users write them: "30m", not
// "30m0s".
func FormatDuration(d time.Duration) string { return formatDuration(d) }
