package provider

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// untouched checks that no node was quiesced, shut down, restarted or
// stopped after position since of the simulator's timeline.
func untouched(c *gwsim.Cluster, since int) error {
	for _, e := range c.Events()[since:] {
		switch e.Kind {
		case gwsim.EventQuiesceRequested, gwsim.EventShutdownRequested, gwsim.EventRestartRequested, gwsim.EventStopped:
			return errorf("%s was touched: %s %s", e.Node, e.Kind, e.Detail)
		}
	}
	return nil
}

// TestAccRollingUpgrade_refusesNodeNotProvablyDown: gw-2 is not on target
// and does not answer health 200, but nothing shows it is out of service: it
// does not answer in time (a partition), answers 500 (a red data store), or
// its host name does not resolve. It could be serving traffic, so the apply
// stops before any node is touched (no quiesce, no command, on gw-2 or any
// other node), naming gw-2 and what was seen; once gw-2 answers again the
// same apply upgrades every node.
func TestAccRollingUpgrade_refusesNodeNotProvablyDown(t *testing.T) {
	cases := []struct {
		name    string
		fault   gwsim.Faults
		badHost bool
		seen    string
	}{
		{"timeout", gwsim.Faults{Unresponsive: true}, false, `gives no answer in time (timeout`},
		{"health 500", gwsim.Faults{HealthRed: true}, false, `answers health 500`},
		{"unknown to DNS", gwsim.Faults{}, true, `its host name does not resolve (DNS`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
			gw2 := u.cluster.Node("gw-2")
			log := t.TempDir() + "/before.log"
			// A short ready_timeout bounds the test should a node be taken down.
			extra := "before_node_command = " + hclList([]string{"sh", "-c", `echo "$APIGW_NODE_NAME" >> ` + log}) + "\n  ready_timeout = \"20s\""
			// Quick probes: a node that does not answer costs one second.
			fast := providerConfig("request_timeout = \"1s\"\n  max_retries = 0")
			cfg := func(target string, badHost bool) string {
				c := strings.Replace(u.config(target, extra), providerConfig(""), fast, 1)
				if badHost {
					good := fmt.Sprintf("{ name = %q, url = %q", "gw-2", gw2.URL())
					c = strings.Replace(c, good, fmt.Sprintf("{ name = %q, url = %q", "gw-2", "http://gw-2.invalid:"+strconv.Itoa(gw2.PrimaryPort())), 1)
				}
				return c
			}
			mark := 0
			accTest(t, []resource.TestStep{
				{Config: cfg("10.15.0.5", false)},
				{
					PreConfig: func() {
						mark = len(u.cluster.Events())
						gw2.SetFaults(tc.fault)
					},
					Config:      cfg(target, tc.badHost),
					ExpectError: wrapped(`Rolling upgrade refused: no node was touched.*node "gw-2" is not ready and not on 10\.15\.0\.7, and nothing shows that it is out of service: .*` + regexp.QuoteMeta(tc.seen) + `.*re-run terraform apply`),
				},
				{
					PreConfig: func() {
						if err := untouched(u.cluster, mark); err != nil {
							t.Fatal(err)
						}
						if b, err := os.ReadFile(log); err == nil || len(b) != 0 {
							t.Fatalf("before_node_command ran for %q", b)
						}
						if v := nodeVersions(u.cluster); v["gw-1"] != fromVersion || v["gw-2"] != fromVersion || v["gw-3"] != fromVersion {
							t.Fatalf("versions changed: %v", v)
						}
						gw2.SetFaults(gwsim.Faults{})
					},
					Config: cfg(target, false),
					Check:  allOnTarget(u.cluster),
				},
			})
		})
	}
}

// TestAccRollingUpgrade_finishesNodeTakenDownEarlier: gw-2's upgrade
// command fails after it took the node down, and starts the old version
// again with a red data store (health 500). The next apply finishes gw-2
// without before_node_command or a quiesce: this resource took it down
// (its private state says so), where the same node not taken down by the
// resource stops the apply (TestAccRollingUpgrade_refusesNodeNotProvablyDown).
func TestAccRollingUpgrade_finishesNodeTakenDownEarlier(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	dir := t.TempDir()
	marker, log := dir+"/broken", dir+"/before.log"
	script := fmt.Sprintf(`G=%[1]q C=%[2]q
if [ "$APIGW_NODE_NAME" = gw-2 ] && [ -e %[3]q ]; then
  "$G" fault -control "$C" -node gw-2 -json '{"healthRed":true}' >/dev/null &&
    "$G" restart -control "$C" -node gw-2 -version %[4]q >/dev/null
  echo "fix archive corrupt: the old version was started again" >&2
  exit 4
fi
"$G" fault -control "$C" -node "$APIGW_NODE_NAME" -clear >/dev/null &&
  exec "$G" restart -control "$C" -node "$APIGW_NODE_NAME" -version %[5]q`,
		u.gwsim, u.cluster.ControlURL(), marker, fromVersion, toVersion)
	extra := "before_node_command = " + hclList([]string{"sh", "-c", `echo "$APIGW_NODE_NAME" >> ` + log})
	u.upgrade = []string{"sh", "-c", script}
	cfg := u.config(target, extra)
	gw2 := u.cluster.Node("gw-2")
	accTest(t, []resource.TestStep{
		{Config: u.config("10.15.0.5", extra)},
		{
			PreConfig:   func() { writeFile(t, marker, "") },
			Config:      cfg,
			ExpectError: wrapped(`node "gw-2": upgrade_command failed.*fix archive corrupt`),
		},
		{
			PreConfig: func() {
				if gw2.Version() != fromVersion || !gw2.Faults().HealthRed {
					t.Fatalf("gw-2 runs %s with faults %+v after the failed command, want %s with a red data store", gw2.Version(), gw2.Faults(), fromVersion)
				}
				removeFile(t, marker)
				removeFile(t, log)
			},
			Config: cfg,
			Check: allOnTarget(u.cluster, func() error {
				if q := countEvents(u.cluster, gwsim.EventQuiesceRequested); q["gw-2"] != 1 {
					return errorf("gw-2 quiesced %d times, want once (by the failed apply)", q["gw-2"])
				}
				if got := strings.Fields(readFile(t, log)); len(got) != 1 || got[0] != "gw-3" {
					return errorf("before_node_command ran for %v in the resumed apply, want gw-3 only", got)
				}
				return nil
			}),
		},
	})
}

// TestAccRollingUpgrade_500MidDrainLosesNoMetrics: on every node, health
// answers 500 once in the middle of its quiesce (a data store passing
// through red) while the node still holds metrics it has not flushed. The
// tutorial's rule would count that 500 as drained and restart the node
// before the flush; the provider waits for the drain to be confirmed, so
// no metrics are lost.
func TestAccRollingUpgrade_500MidDrainLosesNoMetrics(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3, DrainTime: 600 * time.Millisecond})
	accTest(t, []resource.TestStep{
		{Config: u.config("10.15.0.5", "")},
		{
			PreConfig: func() {
				for _, n := range u.cluster.Nodes() {
					n.SetFaults(gwsim.Faults{QuiescingHealth500: 1})
					sendTraffic(t, n, 20)
				}
			},
			Config: u.config(target, ""),
			Check: allOnTarget(u.cluster, func() error {
				blips := map[string]int{}
				for _, e := range u.cluster.Events() {
					if e.Kind == gwsim.EventFault && strings.Contains(e.Detail, "health 500 while quiescing") {
						blips[e.Node]++
					}
				}
				if len(blips) != 3 {
					return errorf("500s given mid-drain per node: %v, want one on each of the 3 nodes", blips)
				}
				summary, err := noMetricsLost(u.cluster)
				if err == nil {
					t.Logf("metrics: %s", summary)
				}
				return err
			}),
		},
	})
}
