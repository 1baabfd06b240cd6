package provider

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// Taking a node out of service and waiting for its drain: a node that
// closes its ports mid-drain, the drain_shutdown strategy, and the metrics
// books at the end.

// TestAccRollingUpgrade_refuseMidDrain: gw-2 closes every listener halfway
// through quiescing. Per the tutorial, no answer on the quiesce port means
// the node has finished quiescing, so the provider cannot tell this crash
// from a clean drain: it proceeds and upgrades gw-2, and the rollout
// completes. The vendor-side consequence is that gw-2's unflushed metrics
// are lost, which the simulator reports; the other nodes lose nothing.
func TestAccRollingUpgrade_refuseMidDrain(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3, DrainTime: 600 * time.Millisecond})
	gw2 := u.cluster.Node("gw-2")
	accTest(t, []resource.TestStep{
		{Config: u.config("10.15.0.5", "")},
		{
			PreConfig: func() {
				gw2.SetFaults(gwsim.Faults{RefuseMidDrain: true})
				sendTraffic(t, gw2, 25)
			},
			Config: u.config(target, ""),
			Check: resource.ComposeAggregateTestCheckFunc(
				allOnTarget(u.cluster),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.1.node", "gw-2"),
				resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.1.outcome", "upgraded"),
				checkSim(func() error {
					ev := u.cluster.Events()
					q := eventIndex(ev, 0, "gw-2", gwsim.EventQuiesceRequested)
					stopped := eventIndex(ev, q, "gw-2", gwsim.EventStopped)
					lost := eventIndex(ev, q, "gw-2", gwsim.EventMetricsLost)
					started := eventIndex(ev, q, "gw-2", gwsim.EventStarted)
					completed := eventIndex(ev, q, "gw-2", gwsim.EventQuiesceCompleted)
					if q < 0 || stopped < 0 || lost < 0 || started < stopped || (completed >= 0 && completed < stopped) {
						return errorf("gw-2 timeline: quiesce %d, stopped %d, metrics lost %d, quiesce completed %d, restarted %d; want a crash mid-drain with metrics lost, then the upgrade", q, stopped, lost, completed, started)
					}
					ready := eventIndex(ev, started, "gw-2", gwsim.EventReady)
					if next := eventIndex(ev, 0, "gw-3", gwsim.EventQuiesceRequested); ready < 0 || next < ready {
						return errorf("gw-3 quiesced at event %d, gw-2 ready again at event %d: want gw-2 ready first", next, ready)
					}
					totals := u.cluster.StoreTotals()
					if totals.Lost["gw-2"] == 0 || totals.Lost["gw-1"] != 0 || totals.Lost["gw-3"] != 0 {
						return errorf("lost metrics per node %v: want gw-2's only", totals.Lost)
					}
					if q := countEvents(u.cluster, gwsim.EventQuiesceRequested); q["gw-2"] != 1 {
						return errorf("gw-2 quiesced %d times, want once", q["gw-2"])
					}
					return nil
				}),
			),
		},
	})
}

// TestAccRollingUpgrade_refuseMidDrainWarns: the same crash through the real
// CLI with the provider as its own process, to read what the user sees: the
// apply succeeds with a warning that names gw-2, its quiesce port and the
// metrics at risk; the nodes that drained cleanly get none.
func TestAccRollingUpgrade_refuseMidDrainWarns(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3, DrainTime: 600 * time.Millisecond})
	w := newTFWorkdir(t)
	w.setConfig(u.config("10.15.0.5", ""))
	w.mustRun(applyArgs...)
	u.cluster.Node("gw-2").SetFaults(gwsim.Faults{RefuseMidDrain: true})
	w.setConfig(u.config(target, ""))
	out := w.mustRun(applyArgs...)
	if !strings.Contains(out, "Warning: Node gw-2: check its metrics") || !strings.Contains(out, fmt.Sprintf(":%d", u.ports["gw-2"])) ||
		!strings.Contains(out, "flushing") {
		t.Fatalf("apply output lacks the warning about gw-2's drain:\n%s", out)
	}
	for _, clean := range []string{"gw-1", "gw-3"} {
		if strings.Contains(out, "Node "+clean+": check") {
			t.Errorf("%s drained cleanly but got a warning:\n%s", clean, out)
		}
	}
}

// TestAccRollingUpgrade_drainShutdown: the 10.11+ procedure shuts each node
// down with option drain instead of quiescing it, giving the gateway
// drain_timeout in whole minutes to end client sessions (the simulator
// waits for open connections).
func TestAccRollingUpgrade_drainShutdown(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	config := u.drainShutdownConfig("90s", func(n *gwsim.Node) string { return n.URL() })
	accTest(t, []resource.TestStep{{
		Config: config,
		Check: allOnTarget(u.cluster, func() error {
			s := countEvents(u.cluster, gwsim.EventShutdownRequested)
			q := countEvents(u.cluster, gwsim.EventQuiesceRequested)
			if s["gw-1"] != 1 || s["gw-2"] != 1 || s["gw-3"] != 1 || len(q) != 0 {
				return errorf("shutdown requests %v and quiesce requests %v; want one shutdown per node and no quiesce", s, q)
			}
			for _, e := range u.cluster.Events() {
				if e.Kind == gwsim.EventShutdownRequested && !strings.Contains(e.Detail, "option=drain timeout=2m") {
					return errorf("%s: shutdown %q, want option drain with drain_timeout 90s as 2 minutes", e.Node, e.Detail)
				}
			}
			return nil
		}),
	}})
}

// TestAccRollingUpgrade_drainShutdownWaitsForSessions: an API client keeps a
// connection to gw-1 open, which the gateway counts as a client session and
// waits for, up to the timeout it was given: drain_timeout 1s as one whole
// minute (three seconds in the simulator). The provider waits that long and
// more for the node to stop, instead of failing gw-1 after drain_timeout.
func TestAccRollingUpgrade_drainShutdownWaitsForSessions(t *testing.T) {
	const minute = 3 * time.Second
	u := newUpgradeTest(t, gwsim.Options{Nodes: 2, ShutdownMinute: minute})
	client := &http.Client{Transport: &http.Transport{}} // keeps its connection open
	t.Cleanup(client.CloseIdleConnections)
	gw1 := u.cluster.Node("gw-1")
	config := u.drainShutdownConfig("1s", func(n *gwsim.Node) string { return n.URL() })
	accTest(t, []resource.TestStep{{
		PreConfig: func() {
			resp, err := client.Get(gw1.URL() + "/gateway/orders")
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		},
		Config: config,
		Check: allOnTarget(u.cluster, func() error {
			var requested, stopped time.Time
			for _, e := range u.cluster.Events() {
				switch {
				case e.Node != "gw-1":
				case e.Kind == gwsim.EventShutdownRequested:
					requested = e.At
				case e.Kind == gwsim.EventStopped && stopped.IsZero() && !requested.IsZero():
					stopped = e.At
				}
			}
			if d := stopped.Sub(requested); d < minute {
				return errorf("gw-1 stopped %s after the shutdown request, before the gateway's timeout (%s) with a session open", d, minute)
			}
			return nil
		}),
	}})
}

// TestAccRollingUpgrade_noMetricsLost: with API traffic flowing during the
// upgrade, every request a node served reached the shared data store or is
// still in the memory of a node that did not restart since.
func TestAccRollingUpgrade_noMetricsLost(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sent atomic.Int64
	traffic := make(chan struct{})
	go func() {
		defer close(traffic)
		client := &http.Client{Timeout: 2 * time.Second}
		for i := 0; ctx.Err() == nil && i < 200000; i++ {
			n := u.cluster.Nodes()[i%3]
			resp, err := client.Get(n.URL() + "/gateway/orders?delay=5ms")
			if err == nil {
				if resp.StatusCode == http.StatusOK {
					sent.Add(1)
				}
				resp.Body.Close()
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	accTest(t, []resource.TestStep{{
		Config: u.config(target, ""),
		Check: allOnTarget(u.cluster, func() error {
			cancel()
			<-traffic // the last request has been answered
			summary, err := noMetricsLost(u.cluster)
			if err == nil {
				t.Logf("traffic during the upgrade: %d requests answered 200, %s", sent.Load(), summary)
			}
			return err
		}),
	}})
}
