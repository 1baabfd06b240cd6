package gwsim

import "sync"

// Flush categories accepted by quiesce mode for all.
const (
	FlushLicense     = "license_metrics"
	FlushPerformance = "performance_metrics"
	FlushQuota       = "subscription_quota"
)

var allFlush = []string{FlushLicense, FlushPerformance, FlushQuota}

func flushIndex(name string) int {
	for i, f := range allFlush {
		if f == name {
			return i
		}
	}
	return -1
}

// StoreTotals is a snapshot of the shared data store. Every runtime request a
// node serves produces one license metric, one performance metric and one
// subscription-quota increment, kept in the node's memory until a quiesce for
// all flushes them. PerNode counts requests whose three records all reached
// the store, so for a node that was only ever quiesced properly
// PerNode[name] equals Node.Served().
type StoreTotals struct {
	PerNode     map[string]int64 `json:"perNode"`
	Total       int64            `json:"total"`
	License     map[string]int64 `json:"license"`
	Performance map[string]int64 `json:"performance"`
	Quota       map[string]int64 `json:"quota"`
	// Lost counts requests whose metrics died with a node (stop, crash,
	// shutdown or restart without a flush), per node.
	Lost map[string]int64 `json:"lost"`
}

// store is the cluster's shared data store (Elasticsearch in a real cluster).
type store struct {
	mu      sync.Mutex
	flushed map[string]*[3]int64
	lost    map[string]int64
}

func newStore() *store {
	return &store{flushed: map[string]*[3]int64{}, lost: map[string]int64{}}
}

func (s *store) add(node string, idx int, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.flushed[node]
	if c == nil {
		c = new([3]int64)
		s.flushed[node] = c
	}
	c[idx] += n
}

func (s *store) addLost(node string, n int64) {
	if n == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lost[node] += n
}

func (s *store) totals() StoreTotals {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := StoreTotals{
		PerNode:     map[string]int64{},
		License:     map[string]int64{},
		Performance: map[string]int64{},
		Quota:       map[string]int64{},
		Lost:        map[string]int64{},
	}
	for name, c := range s.flushed {
		t.License[name] = c[0]
		t.Performance[name] = c[1]
		t.Quota[name] = c[2]
		complete := min(c[0], c[1], c[2])
		t.PerNode[name] = complete
		t.Total += complete
	}
	for name, n := range s.lost {
		t.Lost[name] = n
	}
	return t
}

// StoreTotals returns what the shared data store holds now.
func (c *Cluster) StoreTotals() StoreTotals { return c.store.totals() }
