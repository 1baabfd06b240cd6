package rollout

import (
	"fmt"
	"sync"
	"time"
)

// EventKind names a milestone of a rollout, for logs and progress output.
type EventKind string

// A node's milestones up to the end of its drain, in the order it goes
// through them.
const (
	// EventPrepared is one node's prepare_command done, before any node is
	// taken out of service.
	EventPrepared          EventKind = "prepared"
	EventNodeStarted       EventKind = "node_started"
	EventNodeSkipped       EventKind = "node_skipped"
	EventResume            EventKind = "resume" // node left quiesced/down (or starting) by an earlier run
	EventPreflightWait     EventKind = "preflight_wait"
	EventBeforeCommandDone EventKind = "before_command_done"
	EventQuiesceRequested  EventKind = "quiesce_requested"
	EventDrainUnconfirmed  EventKind = "drain_unconfirmed" // the quiesce port answered "not 200", then 200 again
	EventDrained           EventKind = "drained"
)

// A node's milestones from its upgrade command on, in order.
const (
	EventCommandDone      EventKind = "command_done"
	EventReady            EventKind = "ready"
	EventSoaked           EventKind = "soaked"
	EventAfterCommandDone EventKind = "after_command_done"
	EventNodeUpgraded     EventKind = "node_upgraded"
)

// A node's milestones when its upgrade fails or is cut short.
const (
	EventNodeFailed      EventKind = "node_failed"
	EventRollbackStarted EventKind = "rollback_started"
	EventRolledBack      EventKind = "rolled_back"
	EventRollbackFailed  EventKind = "rollback_failed"
	// EventInterrupted: the rollout was interrupted (or ran out of time)
	// while this node was in flight; the message says what happens to it.
	EventInterrupted EventKind = "interrupted"
)

// Milestones of the rollout as a whole; their Event.Node is "".
const (
	EventRolloutStarted  EventKind = "rollout_started"
	EventPrepareStarted  EventKind = "prepare_started"
	EventPrepareDone     EventKind = "prepare_done"
	EventRolloutFinished EventKind = "rollout_finished"
	// EventNotifyFailed is a run of notify_command that failed or timed
	// out; the rollout goes on. It is never itself notified.
	EventNotifyFailed EventKind = "notify_failed"
)

// Event is one milestone. Message, Next and Output are for humans and never
// hold secrets.
type Event struct {
	At time.Time
	// Node is "" for a milestone of the rollout as a whole.
	Node    string
	Kind    EventKind
	Message string
	// Next is what the engine does next for this node (e.g. "running
	// upgrade_command"); "" when the message says it or nothing follows.
	Next string
	// Elapsed is the time since the node started (since the rollout
	// started, for rollout milestones and before a node starts).
	Elapsed time.Duration
	// Command names the command whose successful end this milestone
	// marks ("upgrade_command"), and Output holds the last lines
	// (OutputLines at most) of what it printed. Failures carry the output
	// in their error instead.
	Command, Output string
}

// String is the event as one stable, human-readable progress line:
// "gw-2: drained after 38s; running upgrade_command".
func (e Event) String() string {
	s := e.Message
	if e.Node != "" {
		s = e.Node + ": " + s
	}
	if e.Next != "" {
		s += "; " + e.Next
	}
	return s
}

// emitter serialises OnEvent calls, which come from one goroutine per node
// in flight, redacts messages and lets the run add what it knows about the
// node (decorate: Next, Elapsed, Output).
type emitter struct {
	mu       sync.Mutex
	fn       func(Event)
	clock    Clock
	redact   *redactor
	decorate func(*Event)
}

func (e *emitter) emit(node string, kind EventKind, format string, args ...any) {
	if e.fn == nil {
		return
	}
	for i, a := range args {
		if d, ok := a.(time.Duration); ok {
			args[i] = readable(d)
		}
	}
	ev := Event{At: e.clock.Now(), Node: node, Kind: kind, Message: fmt.Sprintf(format, args...)}
	if e.decorate != nil {
		e.decorate(&ev)
	}
	ev.Message, ev.Next, ev.Output = e.redact.String(ev.Message), e.redact.String(ev.Next), e.redact.String(ev.Output)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fn(ev)
}

// readable rounds a duration for a progress line: "850ms", "38.2s",
// "3m12s", "1h4m".
func readable(d time.Duration) string {
	switch {
	case d < time.Second:
		d = d.Round(time.Millisecond)
	case d < time.Minute:
		d = d.Round(100 * time.Millisecond)
	case d < time.Hour:
		d = d.Round(time.Second)
	default:
		d = d.Round(time.Minute)
	}
	return formatDuration(d)
}
