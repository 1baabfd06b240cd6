package rollout

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// NotifyKinds are the milestones notify_command runs for, as APIGW_EVENT
// names them.
var NotifyKinds = []EventKind{
	EventNodeStarted, EventDrained, EventNodeUpgraded, EventNodeFailed,
	EventRolledBack, EventRollbackFailed, EventRolloutFinished,
}

// notification is one queued run of notify_command.
type notification struct {
	ev  Event
	env []string
}

// notifier runs notify_command for every milestone in NotifyKinds, one at a
// time and in order, on a goroutine of its own: the rollout only queues
// milestones, so a slow or hanging command never holds it up. Each run is
// bounded by NotifyTimeout; close waits at most that long for what is still
// queued when the rollout ends. Failures are reported, never fatal.
type notifier struct {
	r *run
	// ctx outlives the apply's cancellation and deadline, so that the
	// failure and the end of an interrupted rollout are still announced.
	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{}
	done   chan struct{}

	mu       sync.Mutex
	queue    []notification
	closed   bool
	failures []string
}

// newNotifier starts the notifier of r, or returns nil when there is no
// notify_command (a nil notifier ignores everything).
func newNotifier(ctx context.Context, r *run) *notifier {
	if len(r.cfg.NotifyCommand) == 0 {
		return nil
	}
	n := &notifier{r: r, wake: make(chan struct{}, 1), done: make(chan struct{})}
	n.ctx, n.cancel = context.WithCancel(context.WithoutCancel(ctx))
	go n.loop()
	return n
}

// send queues ev when users are notified of its kind.
func (n *notifier) send(ev Event) {
	if n == nil || !slices.Contains(NotifyKinds, ev.Kind) {
		return
	}
	item := notification{ev: ev, env: n.env(ev)}
	n.mu.Lock()
	if !n.closed {
		n.queue = append(n.queue, item)
	}
	n.mu.Unlock()
	n.poke()
}

func (n *notifier) poke() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// env is the node's usual command environment (only the rollout's part for
// a rollout milestone) and the event.
func (n *notifier) env(ev Event) []string {
	n.r.mu.Lock()
	j := n.r.jobs[ev.Node]
	n.r.mu.Unlock()
	var env []string
	if j != nil {
		env = n.r.commandEnv(j)
	} else {
		for _, kv := range n.r.commandEnv(&job{}) {
			k, _, _ := strings.Cut(kv, "=")
			if k == "APIGW_TARGET_VERSION" || k == "APIGW_NODE_COUNT" || !isReservedEnv(k) {
				env = append(env, kv)
			}
		}
	}
	return append(env, "APIGW_EVENT="+string(ev.Kind), "APIGW_EVENT_MESSAGE="+ev.String())
}

func (n *notifier) loop() {
	defer close(n.done)
	for {
		n.mu.Lock()
		if len(n.queue) == 0 {
			closed := n.closed
			n.mu.Unlock()
			if closed {
				return
			}
			select {
			case <-n.wake:
			case <-n.ctx.Done():
				return
			}
			continue
		}
		if n.ctx.Err() != nil {
			n.mu.Unlock()
			return
		}
		item := n.queue[0]
		n.queue = n.queue[1:]
		n.mu.Unlock()
		n.run(item)
	}
}

func (n *notifier) run(item notification) {
	c := Command{Step: "notify", Argv: n.r.cfg.NotifyCommand, Env: item.env, Timeout: n.r.cfg.NotifyTimeout}
	if _, err := n.r.runBounded(n.ctx, c); err != nil {
		what := string(item.ev.Kind)
		if item.ev.Node != "" {
			what += " of " + item.ev.Node
		}
		why := err.Error()
		if n.ctx.Err() != nil {
			why = "stopped, notify_command was still running " + formatDuration(n.r.cfg.NotifyTimeout) + " after the rollout ended"
		}
		n.fail(item.ev.Node, what+": "+why)
	}
}

// fail records a notification that failed and logs it as a milestone of
// its own (never notified).
func (n *notifier) fail(node, failure string) {
	n.mu.Lock()
	n.failures = append(n.failures, failure)
	n.mu.Unlock()
	n.r.ev.emit(node, EventNotifyFailed, "notify_command failed for %s", failure)
}

// close waits up to NotifyTimeout for the queue to empty, then stops the
// command still running, and returns what failed or was never sent.
func (n *notifier) close() []string {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.poke()
	wait, cancel := context.WithTimeout(context.Background(), n.r.cfg.NotifyTimeout)
	defer cancel()
	select {
	case <-n.done:
	case <-wait.Done():
		n.cancel()
		<-n.done
	}
	n.cancel()
	n.mu.Lock()
	left := n.queue
	n.queue = nil
	n.mu.Unlock()
	if len(left) > 0 {
		var kinds []string
		for _, item := range left {
			kinds = append(kinds, string(item.ev.Kind))
		}
		n.fail("", fmt.Sprintf("%s: not sent, notify_command was still busy %s after the rollout ended",
			strings.Join(kinds, ", "), formatDuration(n.r.cfg.NotifyTimeout)))
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.failures)
}
