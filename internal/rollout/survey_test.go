package rollout

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// slowGateway answers after a delay and counts concurrent calls.
type slowGateway struct {
	*fakeCluster
	mu       sync.Mutex
	now, max int
}

func (g *slowGateway) enter() func() {
	g.mu.Lock()
	g.now++
	g.max = max(g.max, g.now)
	g.mu.Unlock()
	time.Sleep(time.Second)
	return func() { g.mu.Lock(); g.now--; g.mu.Unlock() }
}

func (g *slowGateway) Version(ctx context.Context, url string) (string, error) {
	defer g.enter()()
	return g.fakeCluster.Version(ctx, url)
}

func (g *slowGateway) Health(ctx context.Context, url string) (int, error) {
	time.Sleep(time.Second)
	return g.fakeCluster.Health(ctx, url)
}

func TestSurveyKeepsOrderAndBoundsConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		versions := make([]string, SurveyConcurrency+44)
		for i := range versions {
			versions[i] = oldV
		}
		c := newCluster(versions...)
		c.node("gw-7").ph = phDown
		c.node("gw-9").ph = phStarting
		c.node("gw-9").until = time.Now().Add(time.Hour)
		c.node("gw-9").startTime = 4 * time.Hour // past half of its start: serverinfo up, health 500
		g := &slowGateway{fakeCluster: c}
		start := time.Now()
		st := Survey(t.Context(), g, c.Nodes())
		if g.max != SurveyConcurrency {
			t.Errorf("max nodes read at once %d, want %d", g.max, SurveyConcurrency)
		}
		// Two rounds; a node's version read and health probe (1s each)
		// run side by side.
		if took := time.Since(start); took != 2*time.Second {
			t.Errorf("%d nodes, %d at a time, two 1s reads each took %s, want 2s", len(versions), SurveyConcurrency, took)
		}
		for i, s := range st {
			if s.Node.Name != c.nodes[i].Name {
				t.Fatalf("result %d is %s", i, s.Node.Name)
			}
		}
		if s := st[0]; !s.Ready || s.Version != oldV || s.Err != nil {
			t.Errorf("gw-1: %+v", s)
		}
		if s := st[6]; s.Ready || s.Version != "" || s.Err == nil {
			t.Errorf("down gw-7: %+v", s)
		}
		if s := st[8]; s.Ready || s.Version != oldV || s.Err != nil {
			t.Errorf("starting gw-9: %+v", s)
		}
	})
}
