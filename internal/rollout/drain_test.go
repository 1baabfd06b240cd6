package rollout

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestSingle500MidDrainDoesNotEndIt: while gw-1 quiesces (60s), its health
// answers 500 once, a data store passing through red, and 200 again: the
// node is still flushing, so upgrade_command must wait for the real end of
// the quiesce.
func TestSingle500MidDrainDoesNotEndIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, oldV, oldV)
		h.c.node("gw-1").quiescingBlips = 1
		rep, _, err := h.run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if h.c.node("gw-1").quiescingBlips != 0 {
			t.Fatal("the 500 was never given")
		}
		within(t, "gw-1 drain", rep.Results[0].Drain, 60*time.Second, 60*time.Second+pollInt)
		var unconfirmed Event
		for _, e := range h.ev.all() {
			if e.Node == "gw-1" && e.Kind == EventDrainUnconfirmed {
				unconfirmed = e
			}
		}
		if !strings.Contains(unconfirmed.Message, "answered health 500, then health 200 again") || unconfirmed.Next != "waiting until it has drained" {
			t.Errorf("gw-1's %s event: %q, next %q", EventDrainUnconfirmed, unconfirmed.Message, unconfirmed.Next)
		}
	})
}

// TestDrainConfirmation: a quiesced node answers 503 on its quiesce port and
// closes its primary port. A refused primary confirms the drain at once; a
// primary that gives no such proof (behind a proxy that closes connections
// instead) needs the 503 to hold a poll interval later.
func TestDrainConfirmation(t *testing.T) {
	for _, proxied := range []bool{false, true} {
		t.Run(map[bool]string{false: "primary refuses", true: "primary behind a proxy"}[proxied], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, oldV, oldV)
				h.c.node("gw-1").closesPrimary = proxied
				rep, _, err := h.run(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				lo := 60 * time.Second
				if proxied {
					lo += pollInt
				}
				within(t, "gw-1 drain", rep.Results[0].Drain, lo, lo+pollInt)
				if got := h.ev.kinds("gw-1"); slices.Contains(got, EventDrainUnconfirmed) {
					t.Errorf("a drain that held was reported as unconfirmed: %v", got)
				}
			})
		})
	}
}
