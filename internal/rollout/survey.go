package rollout

import (
	"context"
	"sync"
)

// SurveyConcurrency bounds the nodes read at once by a survey and by the
// peer checks before a node is touched. Within one survey a node gets at
// most one version read and one health probe at a time whatever the bound,
// so it only limits the provider's own connections (two per node); 256
// reads clusters of up to 256 nodes in one round trip, which keeps a
// 200-node plan as quick as a 3-node one on that part (make bench, plan).
const SurveyConcurrency = 256

// NodeStatus is what one node reports right now.
type NodeStatus struct {
	Node Node
	// Version is "" when serverinfo did not answer.
	Version string
	// Ready is a health 200 on the primary URL.
	Ready bool
	// Health is the status of the primary URL's health answer, 0 when none
	// came; HealthErr is then why (see SilenceOf).
	Health    int
	HealthErr error
	// Err is why the node could not be fully read: the serverinfo error, or
	// the health error when only that failed. A node that answers health
	// 500 is not ready but has no Err.
	Err error
}

// Survey reads every node's version and primary health, for plan-time
// checks, Read and the start of a rollout: SurveyConcurrency nodes at a
// time, the two reads of a node side by side. Results are in the order of
// nodes.
func Survey(ctx context.Context, gw Gateway, nodes []Node) []NodeStatus {
	out := make([]NodeStatus, len(nodes))
	forEach(len(nodes), SurveyConcurrency, func(i int) {
		n := nodes[i]
		st := NodeStatus{Node: n}
		var (
			code int
			herr error
		)
		health := make(chan struct{})
		go func() {
			defer close(health)
			code, herr = gw.Health(ctx, n.URL)
		}()
		v, verr := gw.Version(ctx, n.URL)
		<-health
		if verr == nil {
			st.Version = v
		}
		st.Health, st.HealthErr = code, herr
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
