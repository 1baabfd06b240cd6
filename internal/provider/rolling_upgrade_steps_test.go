package provider

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/gwops/terraform-provider-apigw/internal/gwsim"
	"github.com/gwops/terraform-provider-apigw/internal/tfharness"
)

// TestAccRollingUpgrade_drainShutdown: the 10.11+ procedure shuts each node
// down with option drain instead of quiescing it, giving the gateway
// drain_timeout in whole minutes to end client sessions (the simulator
// waits for open connections).
func TestAccRollingUpgrade_drainShutdown(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	config := u.drainShutdownConfig("90s", func(n *gwsim.Node) string { return n.URL() })
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{{
			Config: config,
			Check: resource.ComposeAggregateTestCheckFunc(
				allOnTarget(u.cluster),
				checkSim(func() error {
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
			),
		}},
	})
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
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{{
			PreConfig: func() {
				resp, err := client.Get(gw1.URL() + "/gateway/orders")
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			},
			Config: config,
			Check: resource.ComposeAggregateTestCheckFunc(
				allOnTarget(u.cluster),
				checkSim(func() error {
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
			),
		}},
	})
}

// hookLog is a file the before/after commands append "<unix nanos> <what>
// <node>" lines to, so their order can be merged with the simulator's
// timeline.
type hookLine struct {
	at   time.Time
	what string
	node string
}

func readHookLog(t *testing.T, path string) []hookLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []hookLine
	s := bufio.NewScanner(f)
	for s.Scan() {
		parts := strings.Fields(s.Text())
		if len(parts) != 3 {
			continue
		}
		ns, _ := strconv.ParseInt(parts[0], 10, 64)
		out = append(out, hookLine{time.Unix(0, ns), parts[1], parts[2]})
	}
	return out
}

// lastEvent returns the time of the last simulator event of kind on node
// before limit (zero time when none).
func lastEvent(c *gwsim.Cluster, node, kind string, limit time.Time) time.Time {
	var at time.Time
	for _, e := range c.Events() {
		if e.Node == node && e.Kind == kind && (limit.IsZero() || e.At.Before(limit)) {
			at = e.At
		}
	}
	return at
}

// firstEvent returns the time of the first simulator event of kind on node.
func firstEvent(c *gwsim.Cluster, node, kind string) time.Time {
	for _, e := range c.Events() {
		if e.Node == node && e.Kind == kind {
			return e.At
		}
	}
	return time.Time{}
}

// TestAccRollingUpgrade_hooksInOrder: before_node_command runs before the
// node is quiesced, after_node_command after it is ready, and the next node
// starts only after that; checked against the simulator's timeline.
func TestAccRollingUpgrade_hooksInOrder(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	log := t.TempDir() + "/hooks.log"
	hook := func(what string) string {
		return hclList([]string{"sh", "-c", `echo "$(date +%s%N) ` + what + ` $APIGW_NODE_NAME" >> ` + log})
	}
	extra := "before_node_command = " + hook("before") + "\n  after_node_command = " + hook("after")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{{
			Config: u.config(target, extra),
			Check: checkSim(func() error {
				lines := readHookLog(t, log)
				want := []string{"before gw-1", "after gw-1", "before gw-2", "after gw-2", "before gw-3", "after gw-3"}
				var got []string
				for _, l := range lines {
					got = append(got, l.what+" "+l.node)
				}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					return errorf("hooks ran %v, want %v", got, want)
				}
				for i := 0; i < len(lines); i += 2 {
					before, after, node := lines[i].at, lines[i+1].at, lines[i].node
					quiesced := firstEvent(u.cluster, node, gwsim.EventQuiesceRequested)
					ready := lastEvent(u.cluster, node, gwsim.EventReady, after)
					if !before.Before(quiesced) || !quiesced.Before(ready) || !ready.Before(after) {
						return errorf("%s: before %v, quiesce %v, ready %v, after %v: not in that order", node, before, quiesced, ready, after)
					}
					if i+2 < len(lines) && !after.Before(lines[i+2].at) {
						return errorf("%s started before %s's after_node_command finished", lines[i+2].node, node)
					}
				}
				return nil
			}),
		}},
	})
}

// TestAccRollingUpgrade_soak: the next node is quiesced no sooner than
// soak_duration after the previous one was ready.
func TestAccRollingUpgrade_soak(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 2})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{{
			Config: u.config(target, `soak_duration = "1s"`),
			Check: resource.ComposeAggregateTestCheckFunc(
				// gw-1 restarted, so its last ready event below is the one
				// after its upgrade, not the one from the cluster's start.
				allOnTarget(u.cluster),
				checkSim(func() error {
					next := firstEvent(u.cluster, "gw-2", gwsim.EventQuiesceRequested)
					ready := lastEvent(u.cluster, "gw-1", gwsim.EventReady, next)
					if gap := next.Sub(ready); gap < time.Second {
						return errorf("gw-2 quiesced %v after gw-1 was ready, want at least the 1s soak", gap)
					}
					return nil
				}),
			),
		}},
	})
}

// terraformChildren returns the PIDs of the Terraform (or OpenTofu) CLI
// processes this test process started (terraform-plugin-testing runs the
// CLI as a child).
func terraformChildren() []int {
	var pids []int
	for _, p := range tfharness.Children(os.Getpid(), filepath.Base(terraformPath())) {
		pids = append(pids, p.PID)
	}
	return pids
}

// interruptWhen sends SIGINT (Ctrl-C) to the running terraform CLI as soon as
// the simulator records kind on node. It returns a stop function.
func interruptWhen(c *gwsim.Cluster, node, kind string) (fired *atomic.Bool, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	fired = &atomic.Bool{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if !firstEvent(c, node, kind).IsZero() {
				for _, pid := range terraformChildren() {
					if p, err := os.FindProcess(pid); err == nil {
						_ = p.Signal(os.Interrupt)
					}
					fired.Store(true)
				}
				if fired.Load() {
					return
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return fired, func() { cancel(); wg.Wait() }
}

// TestAccRollingUpgrade_cancel: Ctrl-C while gw-2 drains, with the default
// on_interrupt = "finish_node": gw-2 goes on through its drain, command and
// ready wait and ends on target; gw-3 is not started; the apply fails with
// an error that says so, and the next apply upgrades gw-3 alone.
func TestAccRollingUpgrade_cancel(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3, DrainTime: 2 * time.Second})
	var stop func()
	var fired *atomic.Bool
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{
			{Config: u.config("10.15.0.5", "")},
			{
				PreConfig:   func() { fired, stop = interruptWhen(u.cluster, "gw-2", gwsim.EventQuiesceRequested) },
				Config:      u.config(target, ""),
				ExpectError: wrapped(regexp.QuoteMeta(`gw-2, in flight at that moment, finished its upgrade (on_interrupt = "finish_node"); no further node was started (gw-3 not started)`)),
			},
			{
				PreConfig: func() {
					stop()
					if !fired.Load() {
						t.Fatal("the test never interrupted terraform")
					}
					v := nodeVersions(u.cluster)
					if v["gw-1"] != toVersion || v["gw-2"] != toVersion || v["gw-3"] != fromVersion {
						t.Fatalf("after Ctrl-C: versions %v, want gw-1 and gw-2 upgraded, gw-3 untouched", v)
					}
					if q := countEvents(u.cluster, gwsim.EventQuiesceRequested); q["gw-3"] != 0 {
						t.Fatalf("gw-3 was quiesced after Ctrl-C: %v", q)
					}
				},
				Config: u.config(target, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectPrior{upgradeAddr, "target_version", "10.15.0.5"},
					pendingIs("gw-3"),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					allOnTarget(u.cluster),
					checkSim(func() error {
						if q := countEvents(u.cluster, gwsim.EventQuiesceRequested); q["gw-1"] != 1 || q["gw-2"] != 1 || q["gw-3"] != 1 {
							return errorf("quiesce requests %v, want one per node", q)
						}
						return nil
					}),
				),
			},
		},
	})
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
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers,
		Steps: []resource.TestStep{{
			Config: u.config(target, ""),
			Check: resource.ComposeAggregateTestCheckFunc(
				allOnTarget(u.cluster),
				checkSim(func() error {
					cancel()
					<-traffic // the last request has been answered
					summary, err := noMetricsLost(u.cluster)
					if err == nil {
						t.Logf("traffic during the upgrade: %d requests answered 200, %s", sent.Load(), summary)
					}
					return err
				}),
			),
		}},
	})
}
