package bench

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// nodeSteps lines up, for one node, when the simulator did something and
// when the engine noticed. Both run in this process on the same clock, so
// the differences are the engine's reaction times.
type nodeSteps struct {
	name                  string
	primaryPort, quiesce  int
	slotFree              time.Time // the run start or the last node finish before this node started
	started, quiesceSent  time.Time // engine: node_started, quiesce_requested (answer received)
	drained, cmdDone      time.Time // engine
	ready, upgraded       time.Time // engine
	simQuiesceReq, simQui time.Time // sim: quiesce_requested, quiesce_completed
	simStarted, simReady  time.Time // sim: started and ready after the restart
}

func (s nodeSteps) drainDetect() time.Duration { return s.drained.Sub(s.simQui) }
func (s nodeSteps) readyDetect() time.Duration { return s.ready.Sub(s.simReady) }

// stepsOf joins the simulator's timeline with the engine's events. Events
// before start (the cluster's first boot) are ignored.
func stepsOf(start time.Time, simEvents []gwsim.Event, engEvents []engineEvent, nodes []rollout.Node) ([]nodeSteps, error) {
	byName := map[string]*nodeSteps{}
	out := make([]nodeSteps, len(nodes))
	for i, n := range nodes {
		out[i] = nodeSteps{name: n.Name, primaryPort: portOf(n.URL), quiesce: portOf(n.QuiesceURL)}
		byName[n.Name] = &out[i]
	}
	lastFinish := start
	for _, ev := range engEvents {
		s := byName[ev.node]
		if s == nil {
			continue
		}
		switch ev.kind {
		case rollout.EventNodeStarted:
			s.started, s.slotFree = ev.at, lastFinish
		case rollout.EventQuiesceRequested:
			s.quiesceSent = ev.at
		case rollout.EventDrained:
			s.drained = ev.at
		case rollout.EventCommandDone:
			s.cmdDone = ev.at
		case rollout.EventReady:
			s.ready = ev.at
		case rollout.EventNodeUpgraded:
			s.upgraded = ev.at
			lastFinish = ev.at
		}
	}
	for _, ev := range simEvents {
		s := byName[ev.Node]
		if s == nil || ev.At.Before(start) {
			continue
		}
		switch ev.Kind {
		case gwsim.EventQuiesceRequested:
			s.simQuiesceReq = ev.At
		case gwsim.EventQuiesceCompleted:
			s.simQui = ev.At
		case gwsim.EventStarted:
			s.simStarted = ev.At
		case gwsim.EventReady:
			s.simReady = ev.At
		}
	}
	for _, s := range out {
		for _, t := range []time.Time{s.started, s.quiesceSent, s.drained, s.cmdDone, s.ready, s.upgraded,
			s.simQuiesceReq, s.simQui, s.simStarted, s.simReady} {
			if t.IsZero() {
				return nil, fmt.Errorf("node %s: a step is missing from the engine events or the simulator timeline", s.name)
			}
		}
	}
	return out, nil
}

// portOf returns the port number of a node URL, 0 when there is none.
func portOf(u string) int {
	p, err := url.Parse(u)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p.Port())
	return n
}

// breakdown is where one node's time goes beyond D+R+command, as means over
// the nodes of a run: with max_unavailable 1 the parts add up to the
// overhead per node, which medians would not (the first node of a run has
// no earlier node to time its polls by and is the slowest to be noticed).
type breakdown struct {
	startGap, quiesceCall, drainExtra, drainDetect time.Duration
	commandTail, restartExtra, readyDetect, finish time.Duration
}

func breakdownOf(steps []nodeSteps, t Timing) breakdown {
	col := func(f func(nodeSteps) time.Duration) time.Duration {
		v := make([]time.Duration, len(steps))
		for i, s := range steps {
			v[i] = f(s)
		}
		return mean(v)
	}
	return breakdown{
		startGap:     col(func(s nodeSteps) time.Duration { return s.started.Sub(s.slotFree) }),
		quiesceCall:  col(func(s nodeSteps) time.Duration { return s.simQuiesceReq.Sub(s.started) }),
		drainExtra:   col(func(s nodeSteps) time.Duration { return s.simQui.Sub(s.simQuiesceReq) - t.Drain }),
		drainDetect:  col(nodeSteps.drainDetect),
		commandTail:  col(func(s nodeSteps) time.Duration { return s.cmdDone.Sub(s.simStarted) }),
		restartExtra: col(func(s nodeSteps) time.Duration { return s.simReady.Sub(s.simStarted) - t.Restart }),
		readyDetect:  col(nodeSteps.readyDetect),
		finish:       col(func(s nodeSteps) time.Duration { return s.upgraded.Sub(s.ready) }),
	}
}
