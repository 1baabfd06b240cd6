package rollout

import (
	"context"
	"fmt"
	"slices"
)

// outOfService decides, at apply time, whether a node that does not answer
// health 200 and is not on target may be finished without a drain (straight
// to upgrade_command, no before_node_command, no quiesce). That needs
// positive evidence that the node serves no traffic: this caller took it
// down in an earlier run (Config.TakenDown), its primary port refuses
// connections (a stopped node; a quiesced one closes it too), or its primary
// port closes connections without an answer (as a proxy in front of a
// closed port does) while its quiesce port shows it quiesced (an answer
// other than 200). Anything else (a timeout, an unknown host, an answer such
// as 500, which comes from a node that is up) may be a node serving traffic
// that the machine running Terraform cannot see properly: the error says
// what was seen and what to check, and the run touches no node.
func (r *run) outOfService(ctx context.Context, st NodeStatus) (evidence string, err error) {
	name, url := st.Node.Name, st.Node.URL
	if r.wasTakenDown(name) {
		return "taken out of service by an earlier run and not brought back since", nil
	}
	var seen, check string
	switch s := SilenceOf(st.HealthErr); {
	case st.HealthErr == nil:
		seen = fmt.Sprintf("its primary URL %s answers health %d", url, st.Health)
		check = "A node that answers is up, not down: starting, or with its data store or engine red " +
			"(GET /rest/apigateway/health/engine on the node shows which). Check the node and its data store; " +
			"once it answers health 200 it is upgraded with the full procedure"
	case s == SilenceRefused:
		return fmt.Sprintf("its primary port refuses connections (%v)", st.HealthErr), nil
	case s == SilenceClosed:
		if q := r.quiescedOnQuiescePort(ctx, st.Node); q != "" {
			return fmt.Sprintf("its primary port closes connections without an answer and %s", q), nil
		}
		seen = fmt.Sprintf("its primary URL %s accepts connections but closes them without an answer (%v), and its quiesce port does not show it quiesced", url, st.HealthErr)
		check = "Check what listens on that address (a proxy or load balancer in front of the node?) and that url points at the node's primary port"
	case s == SilenceTimeout:
		seen = fmt.Sprintf("its primary URL %s gives no answer in time (timeout: %v)", url, st.HealthErr)
		check = "The machine running Terraform may merely not reach a node that serves traffic (a firewall, a partition). " +
			"Check that it can reach the node's primary port (raise request_timeout if the node is only slow)"
	case s == SilenceDNS:
		seen = fmt.Sprintf("its host name does not resolve (DNS: %v)", st.HealthErr)
		check = "Check the host name in the node's url and the DNS resolver of the machine running Terraform"
	default:
		seen = fmt.Sprintf("its primary URL %s gives no answer (%v)", url, st.HealthErr)
		check = "Check the node's url (scheme, host and port) and the network path to it from the machine running Terraform"
	}
	return "", fmt.Errorf("node %q is not ready and not on %s, and nothing shows that it is out of service: %s. "+
		"A node is finished without a drain only when its primary port refuses connections, its quiesce port shows it quiesced, "+
		"or this resource took it down in an earlier apply; this one could be serving traffic. %s, "+
		"or take the node out of service yourself (stop it), then re-run terraform apply",
		name, r.cfg.Target, seen, check)
}

// quiescedOnQuiescePort describes a quiesce port that shows its node
// quiesced (it answers, with a status other than 200), or returns "".
func (r *run) quiescedOnQuiescePort(ctx context.Context, n Node) string {
	if r.cfg.Strategy != StrategyQuiesceAll || n.QuiesceURL == "" {
		return ""
	}
	code, err := r.gw.Health(ctx, n.QuiesceURL)
	if err != nil || code == 200 {
		return ""
	}
	return fmt.Sprintf("its quiesce port %s answers health %d, as the quiesce port of a quiesced node does", n.QuiesceURL, code)
}

// wasTakenDown reports whether name is recorded as taken out of service.
func (r *run) wasTakenDown(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.takenDown[name]
}

// noteTakenDown records whether name is out of service because of this
// caller, for Report.TakenDown.
func (r *run) noteTakenDown(name string, down bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if down {
		r.takenDown[name] = true
	} else {
		delete(r.takenDown, name)
	}
}

// takenDownList is Report.TakenDown: the recorded nodes that are still in
// the configuration, sorted.
func (r *run) takenDownList() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, n := range r.cfg.Nodes {
		if r.takenDown[n.Name] {
			out = append(out, n.Name)
		}
	}
	slices.Sort(out)
	return out
}

// leftOutOfService reports whether a failed job leaves its node out of
// service: taken down (or on its way down) and neither back on target nor
// rolled back.
func (j *job) leftOutOfService(rolledBack bool) bool {
	return !rolledBack && j.state >= stTakingDown && j.state != stUpgraded && j.state != stAfterCommand
}
