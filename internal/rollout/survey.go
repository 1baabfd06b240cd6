package rollout

import (
	"context"
	"sync"
)

// DefaultSurveyConcurrency bounds the parallel reads of a survey.
const DefaultSurveyConcurrency = 16

// NodeStatus is what one node reports right now.
type NodeStatus struct {
	Node Node
	// Version is "" when serverinfo did not answer.
	Version string
	// Ready is a health 200 on the primary URL.
	Ready bool
	// Err is why the node could not be fully read: the serverinfo error, or
	// the health error when only that failed. A node that answers health
	// 500 is not ready but has no Err.
	Err error
}

// Survey reads every node's version and primary health, a few nodes at a
// time, for plan-time checks, Read and the start of a rollout. Results are
// in the order of nodes. concurrency <= 0 means DefaultSurveyConcurrency.
func Survey(ctx context.Context, gw Gateway, nodes []Node, concurrency int) []NodeStatus {
	out := make([]NodeStatus, len(nodes))
	forEach(len(nodes), concurrency, func(i int) {
		n := nodes[i]
		st := NodeStatus{Node: n}
		v, verr := gw.Version(ctx, n.URL)
		code, herr := gw.Health(ctx, n.URL)
		if verr == nil {
			st.Version = v
		}
		st.Ready = herr == nil && code == 200
		switch {
		case verr != nil:
			st.Err = verr
		case herr != nil:
			st.Err = herr
		}
		out[i] = st
	})
	return out
}

// forEach calls fn(0..n-1) with at most concurrency calls at once.
func forEach(n, concurrency int, fn func(i int)) {
	if concurrency <= 0 {
		concurrency = DefaultSurveyConcurrency
	}
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(i)
		}()
	}
	wg.Wait()
}
