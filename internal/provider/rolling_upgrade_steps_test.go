package provider

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

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
	accTest(t, []resource.TestStep{{
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
	}})
}

// TestAccRollingUpgrade_soak: the next node is quiesced no sooner than
// soak_duration after the previous one was ready.
func TestAccRollingUpgrade_soak(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 2})
	accTest(t, []resource.TestStep{{
		Config: u.config(target, `soak_duration = "1s"`),
		Check: allOnTarget(u.cluster, func() error {
			next := firstEvent(u.cluster, "gw-2", gwsim.EventQuiesceRequested)
			ready := lastEvent(u.cluster, "gw-1", gwsim.EventReady, next)
			if gap := next.Sub(ready); gap < time.Second {
				return errorf("gw-2 quiesced %v after gw-1 was ready, want at least the 1s soak", gap)
			}
			return nil
		}),
	}})
}

// TestAccRollingUpgrade_healthFlaps: after its restart gw-1's health answers
// 200, 500, 200, ... before it settles. One 200 is not readiness: gw-2 is
// not taken out of service until gw-1 has settled.
func TestAccRollingUpgrade_healthFlaps(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	gw1 := u.cluster.Node("gw-1")
	gw1.SetFaults(gwsim.Faults{HealthFlaps: 7})
	proxy := newRecorder(t, gw1.URL())
	accTest(t, []resource.TestStep{{
		Config: u.proxiedConfig(target, "", map[string]string{"gw-1": proxy.URL()}),
		Check: allOnTarget(u.cluster, func() error {
			ev := u.cluster.Events()
			restarted := eventIndex(ev, eventIndex(ev, 0, "gw-1", gwsim.EventQuiesceRequested), "gw-1", gwsim.EventStarted)
			flapping := eventIndex(ev, restarted, "gw-1", gwsim.EventFault)
			settled := eventIndex(ev, flapping, "gw-1", gwsim.EventReady)
			next := eventIndex(ev, 0, "gw-2", gwsim.EventQuiesceRequested)
			if restarted < 0 || flapping < 0 || settled < 0 || next < 0 {
				return errorf("gw-1 restarted %d, flapping %d, settled %d; gw-2 quiesced %d: missing from the timeline", restarted, flapping, settled, next)
			}
			if next < settled {
				return errorf("gw-2 was quiesced (event %d) before gw-1's health settled (event %d)", next, settled)
			}
			// What the provider saw on gw-1's primary health after the restart: a
			// 200 followed by a 500, so a single 200 was not taken as ready.
			var seen []int
			for _, c := range proxy.Calls() {
				if c.path == "/rest/apigateway/health" && c.at.After(ev[restarted].At) && c.at.Before(ev[next].At) {
					seen = append(seen, c.status)
				}
			}
			flapSeen := false
			for i := 1; i < len(seen); i++ {
				if seen[i-1] == 200 && seen[i] == 500 {
					flapSeen = true
				}
			}
			if !flapSeen {
				return errorf("gw-1's health after the restart, as the provider saw it: %v; want a 200 followed by a 500", seen)
			}
			return nil
		}),
	}})
}
