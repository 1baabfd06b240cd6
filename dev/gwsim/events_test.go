package gwsim

import (
	"testing"
	"time"
)

func TestMaxOutOfServiceFromTimeline(t *testing.T) {
	at := time.Now()
	ev := func(node, kind string) Event {
		at = at.Add(time.Millisecond)
		return Event{At: at, Node: node, Kind: kind}
	}
	cases := []struct {
		name   string
		events []Event
		want   int
	}{
		{"empty", nil, 0},
		{"one at a time", []Event{
			ev("gw-1", EventQuiesceRequested), ev("gw-1", EventQuiesceCompleted), ev("gw-1", EventStopped),
			ev("gw-1", EventStarted), ev("gw-1", EventReady),
			ev("gw-2", EventQuiesceRequested), ev("gw-2", EventStopped), ev("gw-2", EventReady),
		}, 1},
		{"overlap", []Event{
			ev("gw-1", EventShutdownRequested), ev("gw-2", EventQuiesceRequested), ev("gw-1", EventReady),
			ev("gw-3", EventStopped), ev("gw-2", EventReady), ev("gw-3", EventReady),
		}, 2},
		{"crash without recovery", []Event{ev("gw-1", EventStopped), ev("gw-2", EventStopped), ev("gw-3", EventStopped)}, 3},
		{"other kinds do not count", []Event{
			ev("gw-1", EventPortCreated), ev("gw-1", EventDesigntimeBlocked), ev("gw-1", EventQuiesceFailed),
			ev("gw-1", EventFault), ev("", EventStopped),
		}, 0},
	}
	for _, tc := range cases {
		if got := maxOutOfService(tc.events); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestEventsOrdered(t *testing.T) {
	c := startCluster(t, Options{Nodes: 2})
	for _, n := range c.Nodes() {
		if err := n.Restart(RestartOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitState(t, c.Nodes()[1], StateReady)
	ev := c.Events()
	for i := 1; i < len(ev); i++ {
		if ev[i].At.Before(ev[i-1].At) {
			t.Fatalf("event %d is older than event %d", i, i-1)
		}
	}
	ev[0].Kind = "changed"
	if c.Events()[0].Kind == "changed" {
		t.Fatal("Events must return a copy")
	}
}
