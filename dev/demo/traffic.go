package demo

import (
	"context"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// TrafficReport is what the API clients saw during the upgrade.
type TrafficReport struct {
	Sent   int
	Failed int
	P50    time.Duration
	P99    time.Duration
}

// trafficRun sends API requests like clients behind a load balancer with
// retries: each request goes to the next node in turn and, when that node
// does not answer 200, to the following ones, for up to trafficRounds
// rounds a short pause apart. A request fails only when no node served it.
// (make e2e proves the same with a real HAProxy.)
type trafficRun struct {
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	mu        sync.Mutex
	latencies []time.Duration
	failed    int
}

const (
	trafficWorkers = 4
	trafficSpacing = 20 * time.Millisecond // per worker: about 200 requests a second in all
	trafficLimit   = 100000                // per worker, so the loop is bounded even if stop is never called
	trafficRounds  = 3
	trafficPause   = 20 * time.Millisecond // between rounds
)

func startTraffic(cluster *gwsim.Cluster) *trafficRun {
	ctx, cancel := context.WithCancel(context.Background())
	t := &trafficRun{cancel: cancel}
	nodes := cluster.Nodes()
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < trafficWorkers; w++ {
		t.wg.Add(1)
		go func(w int) {
			defer t.wg.Done()
			for i := 0; i < trafficLimit && ctx.Err() == nil; i++ {
				start := time.Now()
				ok := false
				for try := 0; try < trafficRounds*len(nodes) && !ok && ctx.Err() == nil; try++ {
					if try > 0 && try%len(nodes) == 0 {
						time.Sleep(trafficPause)
					}
					n := nodes[(w+i+try)%len(nodes)]
					req, _ := http.NewRequestWithContext(ctx, http.MethodGet, n.URL()+"/gateway/orders?delay=2ms", http.NoBody)
					resp, err := client.Do(req)
					if err == nil {
						ok = resp.StatusCode == http.StatusOK
						resp.Body.Close()
					}
				}
				if !ok && ctx.Err() != nil {
					return // cut short by stop, not failed by the cluster
				}
				t.record(time.Since(start), ok)
				select {
				case <-ctx.Done():
				case <-time.After(trafficSpacing):
				}
			}
		}(w)
	}
	return t
}

func (t *trafficRun) record(d time.Duration, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.latencies = append(t.latencies, d)
	if !ok {
		t.failed++
	}
}

// stop ends the traffic and reports it.
func (t *trafficRun) stop() TrafficReport {
	t.cancel()
	t.wg.Wait()
	t.mu.Lock()
	defer t.mu.Unlock()
	r := TrafficReport{Sent: len(t.latencies), Failed: t.failed}
	if len(t.latencies) > 0 {
		sorted := append([]time.Duration(nil), t.latencies...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
		r.P50 = sorted[len(sorted)/2]
		r.P99 = sorted[len(sorted)*99/100]
	}
	return r
}
