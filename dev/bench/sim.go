package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/internal/apigw"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// hit is one request a simulated node received, as the node saw it: load
// is measured on the gateway's side, so client retries and probes that a
// counting client might miss are all in.
type hit struct {
	at   time.Time
	node string
	port int
	path string
}

// isHealth tells the unauthenticated health probes from admin calls.
func (h hit) isHealth() bool { return strings.HasPrefix(h.path, "/rest/apigateway/health") }

// recorder collects hits from gwsim's OnRequest hook.
type recorder struct {
	mu   sync.Mutex
	hits []hit
}

func (r *recorder) observe(node string, port int, path string) {
	now := time.Now()
	r.mu.Lock()
	r.hits = append(r.hits, hit{at: now, node: node, port: port, path: path})
	r.mu.Unlock()
}

// take returns the hits so far and starts a new record.
func (r *recorder) take() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.hits
	r.hits = nil
	return out
}

// simSpec is the simulated cluster a measurement runs against.
type simSpec struct {
	nodes            int
	drain, restart   time.Duration
	adminLatency     time.Duration
	withQuiescePorts bool
}

// sim is a running cluster with the client used to prepare it.
type sim struct {
	cluster *gwsim.Cluster
	rec     *recorder
	client  *apigw.Client
	nodes   []rollout.Node
}

// Versions the benchmark rolls from and to: the simulator's default and a
// later fix of the same release.
const (
	fromVersion = "10.15.0.5"
	toVersion   = "10.15.0.7"
)

func startSim(ctx context.Context, s simSpec) (*sim, error) {
	rec := &recorder{}
	c, err := gwsim.Start(gwsim.Options{Nodes: s.nodes, DrainTime: s.drain, RestartTime: s.restart,
		AdminLatency: s.adminLatency, OnRequest: rec.observe})
	if err != nil {
		return nil, err
	}
	client, err := apigw.New(apigw.Config{Username: gwsim.DefaultUsername, Password: gwsim.DefaultPassword,
		MaxRetries: 4}) // as the provider by default
	if err != nil {
		c.Close()
		return nil, err
	}
	out := &sim{cluster: c, rec: rec, client: client}
	for _, n := range c.Nodes() {
		out.nodes = append(out.nodes, rollout.Node{Name: n.Name(), URL: n.URL()})
	}
	if s.withQuiescePorts {
		if err := out.addQuiescePorts(ctx); err != nil {
			c.Close()
			return nil, err
		}
	}
	rec.take() // preparation is not part of any figure
	return out, nil
}

func (s *sim) close() { s.cluster.Close() }

// addQuiescePorts does on every node what apigw_quiesce_port does, so the
// rollout can use the tutorial's quiesce_all strategy.
func (s *sim) addQuiescePorts(ctx context.Context) error {
	errs := make([]error, len(s.nodes))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i, gn := range s.cluster.Nodes() {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			// A port free when picked may be taken before it is enabled
			// (the machine's own outgoing connections use the same
			// range), so a failed attempt is undone and retried.
			var err error
			for range 5 {
				if err = s.addQuiescePort(ctx, gn); err == nil {
					s.nodes[i].QuiesceURL = gn.QuiesceURL()
					return
				}
			}
			errs[i] = fmt.Errorf("quiesce port on %s: %w", gn.Name(), err)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *sim) addQuiescePort(ctx context.Context, gn *gwsim.Node) error {
	const alias = "QuiescePort"
	key, err := s.client.CreatePort(ctx, gn.URL(), apigw.NewPort{Port: gn.ReservePort(), Alias: alias})
	if err != nil {
		return err
	}
	if err := s.client.EnablePort(ctx, gn.URL(), apigw.PortRef{ListenerKey: key}); err != nil {
		_ = s.client.DeletePort(ctx, gn.URL(), apigw.PortRef{ListenerKey: key})
		return err
	}
	return s.client.SetQuiescePort(ctx, gn.URL(), alias)
}
