package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// TestStepsOf joins one node's two timelines, and names the event that is
// missing when one timeline lacks a step.
func TestStepsOf(t *testing.T) {
	start := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	nodes := []rollout.Node{{Name: "gw-1", URL: "http://127.0.0.1:5555", QuiesceURL: "http://127.0.0.1:5556"}}
	eng := []engineEvent{
		{at(1), "gw-1", rollout.EventNodeStarted}, {at(2), "gw-1", rollout.EventQuiesceRequested},
		{at(4), "gw-1", rollout.EventDrained}, {at(6), "gw-1", rollout.EventCommandDone},
		{at(8), "gw-1", rollout.EventReady}, {at(9), "gw-1", rollout.EventNodeUpgraded},
	}
	sim := []gwsim.Event{
		{At: at(-5), Node: "gw-1", Kind: gwsim.EventReady}, // the first boot, before start
		{At: at(2), Node: "gw-1", Kind: gwsim.EventQuiesceRequested}, {At: at(3), Node: "gw-1", Kind: gwsim.EventQuiesceCompleted},
		{At: at(6), Node: "gw-1", Kind: gwsim.EventStarted}, {At: at(7), Node: "gw-1", Kind: gwsim.EventReady},
	}
	steps, err := stepsOf(start, sim, eng, nodes)
	if err != nil {
		t.Fatal(err)
	}
	s := steps[0]
	if s.primaryPort != 5555 || s.quiesce != 5556 || s.drainDetect() != time.Second || s.readyDetect() != time.Second || !s.slotFree.Equal(start) {
		t.Errorf("steps = %+v", s)
	}

	if _, err := stepsOf(start, sim, eng[:5], nodes); err == nil || !strings.Contains(err.Error(), `gw-1: the engine events have no "node_upgraded" event`) {
		t.Errorf("engine event missing: error %v", err)
	}
	if _, err := stepsOf(start, sim[:4], eng, nodes); err == nil || !strings.Contains(err.Error(), `gw-1: the simulator timeline has no "ready" event after the apply began`) {
		t.Errorf("simulator event missing: error %v", err)
	}
}
