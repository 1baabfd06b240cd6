package gwsim

import "time"

// Event kinds recorded on the timeline. Tests judge a rollout by them, so the
// names are part of the package's contract.
const (
	EventQuiesceRequested  = "quiesce_requested"
	EventQuiesceCompleted  = "quiesce_completed"
	EventQuiesceFailed     = "quiesce_failed"
	EventQuiesceOverlap    = "quiesce_overlap" // requested while another node's request was being answered
	EventDesigntimeBlocked = "designtime_blocked"
	EventDesigntimeLifted  = "designtime_lifted"
	EventShutdownRequested = "shutdown_requested" // through the shutdown API
	EventRestartRequested  = "restart_requested"  // by Restart: what an upgrade command does
	EventStopped           = "stopped"
	EventStarted           = "started"
	EventReady             = "ready"
	EventPortCreated       = "port_created"
	EventPortEnabled       = "port_enabled"
	EventPortDisabled      = "port_disabled"
	EventPortDeleted       = "port_deleted"
	EventPortSuspended     = "port_suspended"
	EventPortResumed       = "port_resumed"
	EventPortAccessMode    = "port_access_mode"
	EventQuiescePortSet    = "quiesce_port_set"
	EventFlushed           = "flushed"
	EventMetricsLost       = "metrics_lost"
	EventFault             = "fault"
	EventWebhookSent       = "webhook_sent"
)

// Event is one entry of the cluster timeline. Node is empty for
// cluster-wide events.
type Event struct {
	At     time.Time `json:"at"`
	Node   string    `json:"node"`
	Kind   string    `json:"kind"`
	Detail string    `json:"detail,omitempty"`
}

// emit appends to the timeline. The timestamp is taken under the lock so the
// timeline is ordered by time as well as by position.
func (c *Cluster) emit(node, kind, detail string) {
	c.evMu.Lock()
	defer c.evMu.Unlock()
	c.events = append(c.events, Event{At: time.Now(), Node: node, Kind: kind, Detail: detail})
}

// Events returns a copy of the timeline, oldest first.
func (c *Cluster) Events() []Event {
	c.evMu.Lock()
	defer c.evMu.Unlock()
	return append([]Event(nil), c.events...)
}

// MaxOutOfService is the largest number of nodes that were out of service at
// the same time. A node leaves service when a quiesce, shutdown or restart is
// requested or when it stops (crash, Stop) and comes back when its health
// answers 200 again (the "ready" event).
func (c *Cluster) MaxOutOfService() int {
	return maxOutOfService(c.Events())
}

func maxOutOfService(events []Event) int {
	out := map[string]bool{}
	most := 0
	for _, e := range events {
		if e.Node == "" {
			continue
		}
		switch e.Kind {
		case EventQuiesceRequested, EventShutdownRequested, EventRestartRequested, EventStopped:
			out[e.Node] = true
		case EventReady:
			delete(out, e.Node)
		}
		most = max(most, len(out))
	}
	return most
}
