package provider

import (
	"context"
	"sync"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// surveyCache keeps what the refresh read of each node. Read always asks
// the nodes and fills it; ModifyPlan, which Terraform calls right after
// in the same plan walk, reuses it: that halves the reads of a plan. It
// lives as long as the provider's configuration, which Terraform makes
// anew for each walk (the apply walk plans again with fresh reads), so it
// never outlives one plan; the engine reads the nodes afresh when it runs.
type surveyCache struct {
	mu    sync.Mutex
	nodes map[string]cachedStatus // by node URL
}

// cachedStatus is one node's answer and the versionSource key it was read
// with.
type cachedStatus struct {
	rollout.NodeStatus
	source string
}

// survey asks every node, concurrently, the way src reads versions, and
// remembers the answers.
func (d *providerData) survey(ctx context.Context, src versionSource, nodes []rollout.Node) []rollout.NodeStatus {
	out := rollout.Survey(ctx, src.gw, nodes)
	d.cache.mu.Lock()
	defer d.cache.mu.Unlock()
	if d.cache.nodes == nil {
		d.cache.nodes = map[string]cachedStatus{}
	}
	for _, s := range out {
		d.cache.nodes[s.Node.URL] = cachedStatus{NodeStatus: s, source: src.key}
	}
	return out
}

// cachedSurvey returns what this command already read of the nodes the way
// src reads them, and asks them only when one of them was not read so yet.
func (d *providerData) cachedSurvey(ctx context.Context, src versionSource, nodes []rollout.Node) []rollout.NodeStatus {
	d.cache.mu.Lock()
	out := make([]rollout.NodeStatus, 0, len(nodes))
	for _, n := range nodes {
		s, ok := d.cache.nodes[n.URL]
		if !ok || s.source != src.key {
			break
		}
		s.Node = n
		out = append(out, s.NodeStatus)
	}
	d.cache.mu.Unlock()
	if len(out) == len(nodes) {
		return out
	}
	return d.survey(ctx, src, nodes)
}

// forget drops the nodes after a rollout changed them.
func (d *providerData) forget(nodes []rollout.Node) {
	d.cache.mu.Lock()
	defer d.cache.mu.Unlock()
	for _, n := range nodes {
		delete(d.cache.nodes, n.URL)
	}
}
