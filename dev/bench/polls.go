package bench

import (
	"slices"
	"time"
)

// pollStats is the load the engine's waits put on the nodes, from the
// health calls the nodes received. A wait is one node's drain wait (health
// on its quiesce port from the quiesce request until the engine saw it
// drained) or ready wait (health on its primary port from the end of the
// upgrade command until the engine saw it ready).
//
// The engine polls fast on purpose at three moments: at the start of a wait
// (back-off from poll_interval/10), in one burst around the time the
// previous node finished the same wait (it learns when nodes finish), and
// to confirm readiness. Steady state is the rest: the wait without its
// first and last two poll intervals and without its longest run of polls
// closer than poll_interval (the burst, which lands mid-wait when this node
// is slower than the previous one). The target is at most one poll per
// poll_interval there.
type pollStats struct {
	waits int
	// perWait and fastPerWait are medians over the waits: polls, and polls
	// that came less than poll_interval after the previous one.
	perWait, fastPerWait int
	// maxAny and maxSteady are the most polls seen in any window of one
	// poll_interval, over whole waits and in steady state.
	maxAny, maxSteady int
	// minSteadyGap is the shortest time between two polls in steady state.
	minSteadyGap time.Duration
}

func analysePolls(hits []hit, steps []nodeSteps, poll time.Duration) pollStats {
	type key struct {
		node string
		port int
	}
	times := map[key][]time.Time{}
	for _, h := range hits {
		if h.isHealth() {
			k := key{h.node, h.port}
			times[k] = append(times[k], h.at)
		}
	}
	var st pollStats
	var perWait, fast []int
	for _, s := range steps {
		waits := [][]time.Time{
			within(times[key{s.name, s.quiesce}], s.quiesceSent, s.drained),
			within(times[key{s.name, s.primaryPort}], s.cmdDone, s.ready),
		}
		bounds := [][2]time.Time{{s.quiesceSent, s.drained}, {s.cmdDone, s.ready}}
		for i, w := range waits {
			st.waits++
			perWait = append(perWait, len(w))
			fast = append(fast, countFast(w, poll))
			st.maxAny = max(st.maxAny, maxInWindow(w, poll))
			steady := withoutBurst(within(w, bounds[i][0].Add(2*poll), bounds[i][1].Add(-2*poll)), poll)
			st.maxSteady = max(st.maxSteady, maxInWindow(steady, poll))
			for j := 1; j < len(steady); j++ {
				if g := steady[j].Sub(steady[j-1]); st.minSteadyGap == 0 || g < st.minSteadyGap {
					st.minSteadyGap = g
				}
			}
		}
	}
	st.perWait, st.fastPerWait = medianInt(perWait), medianInt(fast)
	return st
}

// within returns the sorted times in [from, to].
func within(ts []time.Time, from, to time.Time) []time.Time {
	var out []time.Time
	for _, t := range ts {
		if !t.Before(from) && !t.After(to) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// maxInWindow is the most times in any half-open window [t, t+d).
func maxInWindow(ts []time.Time, d time.Duration) int {
	best, j := 0, 0
	for i := range ts {
		for j < len(ts) && ts[j].Sub(ts[i]) < d {
			j++
		}
		best = max(best, j-i)
	}
	return best
}

// withoutBurst drops the polls of the longest run of gaps shorter than d,
// keeping the poll that started it.
func withoutBurst(ts []time.Time, d time.Duration) []time.Time {
	bestFrom, bestLen, from := 0, 0, 0
	for i := 1; i <= len(ts); i++ {
		if i < len(ts) && ts[i].Sub(ts[i-1]) < d {
			continue
		}
		if n := i - 1 - from; n > bestLen {
			bestFrom, bestLen = from, n
		}
		from = i
	}
	if bestLen == 0 {
		return ts
	}
	return slices.Delete(slices.Clone(ts), bestFrom+1, bestFrom+1+bestLen)
}

func countFast(ts []time.Time, d time.Duration) int {
	n := 0
	for i := 1; i < len(ts); i++ {
		if ts[i].Sub(ts[i-1]) < d {
			n++
		}
	}
	return n
}
