package gwsim

import (
	"sync"
	"testing"
)

// TestOnRequestSeesEveryNodeRequest: the benchmark counts gateway load with
// OnRequest, so it must see health probes with the node's name and port.
func TestOnRequestSeesEveryNodeRequest(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	c := startCluster(t, Options{Nodes: 2, OnRequest: func(node string, port int, path string) {
		mu.Lock()
		defer mu.Unlock()
		seen[node+" "+itoa(port)+" "+path]++
	}})
	n := c.Node("gw-2")
	for range 3 {
		resp, err := testClient.Get(n.URL() + "/rest/apigateway/health")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if got := seen["gw-2 "+itoa(n.PrimaryPort())+" /rest/apigateway/health"]; got != 3 || len(seen) != 1 {
		t.Fatalf("OnRequest saw %v, want 3 health calls on gw-2's primary port only", seen)
	}
}

// TestStartAllowsTwoHundredNodes: the benchmark rolls 200 nodes.
func TestStartAllowsTwoHundredNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("binds 200 ports")
	}
	c := startCluster(t, Options{Nodes: 200})
	if got := len(c.Nodes()); got != 200 {
		t.Fatalf("%d nodes, want 200", got)
	}
	if _, err := Start(Options{Nodes: maxNodes + 1}); err == nil {
		t.Fatalf("Start accepted %d nodes", maxNodes+1)
	}
}
