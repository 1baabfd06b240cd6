package bench

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
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

// engineSteps and simSteps say which step of nodeSteps each event of the
// engine and of the simulator times: one table for each timeline, read both
// to fill the steps in and to check that none is missing.
var (
	engineSteps = map[rollout.EventKind]func(*nodeSteps) *time.Time{
		rollout.EventNodeStarted:      func(s *nodeSteps) *time.Time { return &s.started },
		rollout.EventQuiesceRequested: func(s *nodeSteps) *time.Time { return &s.quiesceSent },
		rollout.EventDrained:          func(s *nodeSteps) *time.Time { return &s.drained },
		rollout.EventCommandDone:      func(s *nodeSteps) *time.Time { return &s.cmdDone },
		rollout.EventReady:            func(s *nodeSteps) *time.Time { return &s.ready },
		rollout.EventNodeUpgraded:     func(s *nodeSteps) *time.Time { return &s.upgraded },
	}
	simSteps = map[string]func(*nodeSteps) *time.Time{
		gwsim.EventQuiesceRequested: func(s *nodeSteps) *time.Time { return &s.simQuiesceReq },
		gwsim.EventQuiesceCompleted: func(s *nodeSteps) *time.Time { return &s.simQui },
		gwsim.EventStarted:          func(s *nodeSteps) *time.Time { return &s.simStarted },
		gwsim.EventReady:            func(s *nodeSteps) *time.Time { return &s.simReady },
	}
)

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
		s, field := byName[ev.node], engineSteps[ev.kind]
		if s == nil || field == nil {
			continue
		}
		*field(s) = ev.at
		switch ev.kind {
		case rollout.EventNodeStarted:
			s.slotFree = lastFinish
		case rollout.EventNodeUpgraded:
			lastFinish = ev.at
		}
	}
	for _, ev := range simEvents {
		s, field := byName[ev.Node], simSteps[ev.Kind]
		if s == nil || field == nil || ev.At.Before(start) {
			continue
		}
		*field(s) = ev.At
	}
	for i := range out {
		if kind := missingStep(&out[i], engineSteps); kind != "" {
			return nil, fmt.Errorf("node %s: the engine events have no %q event", out[i].name, kind)
		}
		if kind := missingStep(&out[i], simSteps); kind != "" {
			return nil, fmt.Errorf("node %s: the simulator timeline has no %q event after the apply began", out[i].name, kind)
		}
	}
	return out, nil
}

// missingStep names the first event kind (in sorted order, so the error is
// the same from run to run) whose time s lacks; "" when none is missing.
func missingStep[K ~string](s *nodeSteps, steps map[K]func(*nodeSteps) *time.Time) K {
	for _, kind := range slices.Sorted(maps.Keys(steps)) {
		if steps[kind](s).IsZero() {
			return kind
		}
	}
	return ""
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
