package rollout

import (
	"fmt"
	"sync"
	"time"
)

// EventKind names a milestone of a rollout, for logs and progress output.
type EventKind string

// The milestones, in the order a node goes through them.
const (
	EventNodeStarted       EventKind = "node_started"
	EventNodeSkipped       EventKind = "node_skipped"
	EventResume            EventKind = "resume" // node left quiesced/down (or starting) by an earlier run
	EventPreflightWait     EventKind = "preflight_wait"
	EventBeforeCommandDone EventKind = "before_command_done"
	EventQuiesceRequested  EventKind = "quiesce_requested"
	EventDrained           EventKind = "drained"
	EventCommandDone       EventKind = "command_done"
	EventReady             EventKind = "ready"
	EventSoaked            EventKind = "soaked"
	EventAfterCommandDone  EventKind = "after_command_done"
	EventNodeUpgraded      EventKind = "node_upgraded"
	EventNodeFailed        EventKind = "node_failed"
	EventRollbackStarted   EventKind = "rollback_started"
	EventRolledBack        EventKind = "rolled_back"
	EventRollbackFailed    EventKind = "rollback_failed"
)

// Event is one milestone. Message is for humans and never holds secrets.
type Event struct {
	At      time.Time
	Node    string
	Kind    EventKind
	Message string
}

// emitter serialises OnEvent calls, which come from one goroutine per node
// in flight, and redacts messages.
type emitter struct {
	mu     sync.Mutex
	fn     func(Event)
	clock  Clock
	redact *redactor
}

func (e *emitter) emit(node string, kind EventKind, format string, args ...any) {
	if e.fn == nil {
		return
	}
	ev := Event{At: e.clock.Now(), Node: node, Kind: kind, Message: e.redact.String(fmt.Sprintf(format, args...))}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fn(ev)
}
