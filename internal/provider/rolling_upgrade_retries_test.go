package provider

import (
	"net/http"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// The rolling upgrade against an unreliable admin API: idempotent calls are
// retried; calls that must take effect once (port creation, quiesce,
// shutdown) are repeated only after a refusal and a look at the node.
// Each case asserts from the simulator's side and from a recording proxy
// (admin_proxy_test.go), not only from what the provider reports.

// TestAccRollingUpgrade_admin503: 30% of admin calls answered 503 on every
// node. The upgrade completes through retries of idempotent calls; the
// calls that are not idempotent (port creation, quiesce) are repeated only
// after a refusal and a look at the node, and take effect exactly once.
func TestAccRollingUpgrade_admin503(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	proxies := map[string]*recorder{}
	urls := map[string]string{}
	for _, n := range u.cluster.Nodes() {
		n.SetFaults(gwsim.Faults{Admin503Rate: 0.3})
		p := newRecorder(t, n.URL())
		proxies[n.Name()], urls[n.Name()] = p, p.URL()
	}
	// The simulator's 503s fall on whichever calls its deterministic
	// pattern hits; gw-2's load balancer also turns away the first port
	// creation and the first quiesce request, so both repeat paths run.
	proxies["gw-2"].refuseNext(http.MethodPost, "/rest/apigateway/ports", 1)
	proxies["gw-2"].refuseNext(http.MethodPut, "/rest/apigateway/quiescemode", 1)

	accTest(t, []resource.TestStep{{
		Config: u.proxiedConfig(target, "", urls),
		Check: resource.ComposeAggregateTestCheckFunc(
			allOnTarget(u.cluster),
			resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.1.outcome", "upgraded"),
			checkSim(func() error {
				q := countEvents(u.cluster, gwsim.EventQuiesceRequested)
				c := countEvents(u.cluster, gwsim.EventPortCreated)
				for _, n := range []string{"gw-1", "gw-2", "gw-3"} {
					if q[n] != 1 || c[n] != 1 {
						return errorf("%s: quiesce requested %d times and port created %d times, want exactly once each", n, q[n], c[n])
					}
				}
				if m := u.cluster.MaxOutOfService(); m != 1 {
					return errorf("max nodes out of service = %d, want 1", m)
				}
				refused, repeats := 0, 0
				for name, p := range proxies {
					calls := p.Calls()
					for _, c := range calls {
						if c.status == http.StatusServiceUnavailable {
							refused++
						}
					}
					n, err := checkNotBlind(name, calls, http.MethodPost, "/rest/apigateway/ports", "/rest/apigateway/ports")
					if err != nil {
						return err
					}
					repeats += n
					n, err = checkNotBlind(name, calls, http.MethodPut, "/rest/apigateway/quiescemode", "/rest/apigateway/health")
					if err != nil {
						return err
					}
					repeats += n
				}
				if repeats < 2 {
					return errorf("only %d verified repeats of port creation or quiesce; gw-2's refusals alone make two", repeats)
				}
				t.Logf("503 answers: %d; verified repeats of non-idempotent calls: %d", refused, repeats)
				return nil
			}),
		),
	}})
}

// TestAccRollingUpgrade_admin503DrainShutdown: the same 503s with strategy =
// "drain_shutdown": the shutdown request is repeated only after a refusal
// and a look at the node, and each node is shut down once.
func TestAccRollingUpgrade_admin503DrainShutdown(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	proxies := map[string]*recorder{}
	for _, n := range u.cluster.Nodes() {
		n.SetFaults(gwsim.Faults{Admin503Rate: 0.3})
		proxies[n.Name()] = newRecorder(t, n.URL())
	}
	proxies["gw-2"].refuseNext(http.MethodPost, "/rest/apigateway/shutdown", 1)
	config := u.drainShutdownConfig("90s", func(n *gwsim.Node) string { return proxies[n.Name()].URL() })
	accTest(t, []resource.TestStep{{
		Config: config,
		Check: allOnTarget(u.cluster, func() error {
			if err := oncePerNode(u.cluster, gwsim.EventShutdownRequested, "shutdown requests"); err != nil {
				return err
			}
			repeats := 0
			for name, p := range proxies {
				n, err := checkNotBlind(name, p.Calls(), http.MethodPost, "/rest/apigateway/shutdown", "/rest/apigateway/health")
				if err != nil {
					return err
				}
				repeats += n
			}
			if repeats < 1 {
				return errorf("gw-2's refused shutdown was not repeated")
			}
			return nil
		}),
	}})
}

// TestAccRollingUpgrade_slowAdmin: every admin answer takes 700ms against a
// request_timeout of 1s; the upgrade completes, and nothing takes effect
// twice even when a loaded machine pushes an answer past the timeout.
func TestAccRollingUpgrade_slowAdmin(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 2})
	for _, n := range u.cluster.Nodes() {
		n.SetFaults(gwsim.Faults{AdminDelay: 700 * time.Millisecond})
	}
	accTest(t, []resource.TestStep{{
		Config: u.proxiedConfig(target, `request_timeout = "1s"`, nil),
		Check: allOnTarget(u.cluster, func() error {
			q := countEvents(u.cluster, gwsim.EventQuiesceRequested)
			c := countEvents(u.cluster, gwsim.EventPortCreated)
			if q["gw-1"] != 1 || q["gw-2"] != 1 || c["gw-1"] != 1 || c["gw-2"] != 1 {
				return errorf("quiesce requests %v, ports created %v: want exactly one each per node", q, c)
			}
			return nil
		}),
	}})
}
