package gwsim

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestRuntimeTraffic(t *testing.T) {
	c := startCluster(t, Options{Nodes: 2, Version: "10.15.0.6.7"})
	n := c.Nodes()[1]
	a := do("POST", n.URL()+"/gateway/petstore/pets", `{"name":"rex"}`, false)
	expectStatus(t, a, http.StatusOK)
	if m := a.json(t); m["node"] != "gw-2" || m["version"] != "10.15.0.6.7" {
		t.Fatalf("answer %s", a.body)
	}
	start := time.Now()
	expectStatus(t, do("GET", n.URL()+"/gateway/x?delay=150ms", nil, false), http.StatusOK)
	if time.Since(start) < 150*time.Millisecond {
		t.Fatal("delay ignored")
	}
	expectStatus(t, do("GET", n.URL()+"/gateway/x?delay=forever", nil, false), http.StatusBadRequest)
	expectStatus(t, do("GET", n.URL()+"/gateway/x?delay=2h", nil, false), http.StatusBadRequest)
	if n.Served() != 2 || n.Unflushed() != 2 || c.Nodes()[0].Served() != 0 {
		t.Fatalf("served %d unflushed %d", n.Served(), n.Unflushed())
	}
}

func TestRuntimeConcurrentAccounting(t *testing.T) {
	c, n := startNode(t, Options{DrainTime: 100 * time.Millisecond})
	setupQuiescePort(t, n)
	// Steady traffic from several clients while the node quiesces: every
	// request that got a 200 is in the store, nothing else is.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	client := &http.Client{Timeout: 5 * time.Second}
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if a := doWith(client, "GET", n.URL()+"/gateway/x?delay=5ms", nil, false); a.err == nil && a.status == 200 {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	expectStatus(t, quiesceAll(n), http.StatusOK)
	waitState(t, n, StateQuiesced)
	close(stop)
	wg.Wait()
	client.CloseIdleConnections()
	st := c.StoreTotals()
	if int64(ok) != n.Served() || st.PerNode[n.Name()] != n.Served() || n.Lost() != 0 {
		t.Fatalf("clients saw %d, served %d, stored %d, lost %d", ok, n.Served(), st.PerNode[n.Name()], n.Lost())
	}
	if ok == 0 {
		t.Fatal("no traffic went through")
	}
}
