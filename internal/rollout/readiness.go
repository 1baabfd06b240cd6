package rollout

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// readyMark is the last primary health seen for a node. Pre-flight trusts a
// "ready" no older than PollInterval, so that checking N-1 peers before each
// node does not multiply the load on a large cluster.
type readyMark struct {
	ready bool
	at    time.Time
}

func (r *run) markReady(name string, ok bool) {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ready[name] = readyMark{ready: ok, at: now}
}

// describeHealth says what a health probe saw, for messages. A probe the
// node refused (HealthCredentials) shows as its status: callers that stop
// on it say why.
func describeHealth(code int, err error) string {
	if err != nil && !IsHealthCredentials(err) {
		return "no answer: " + err.Error()
	}
	return fmt.Sprintf("health %d", code)
}

// preflight checks, before a serving node is touched, that its quiesce port
// is live (so "not 200" later means drained, not a wrong port) and that
// every node outside the window is ready, so capacity never drops below
// nodes - max_unavailable. Peers that are not ready get up to ready_timeout
// to come back.
func (r *run) preflight(ctx context.Context, j *job) error {
	if r.cfg.Strategy == StrategyQuiesceAll {
		if err := r.preflightQuiescePort(ctx, j); err != nil {
			return err
		}
	}
	peers := r.peersOutOfFlight(j)
	var (
		notReady []string
		refused  error
	)
	waiting := false
	err := r.waitUntil(ctx, r.cfg.ReadyTimeout, nil, func() pollResult {
		notReady, refused = r.unreadyPeers(ctx, peers)
		if refused != nil {
			return pollEnd
		}
		if len(notReady) == 0 {
			return pollDone
		}
		if !waiting {
			waiting = true
			r.ev.emit(j.node.Name, EventPreflightWait, "waiting for %s before taking this node out of service", strings.Join(notReady, ", "))
		}
		return pollAgain
	})
	switch {
	case refused != nil && err == nil:
		return &StepError{Node: j.node.Name, Step: StepPreflight,
			Err:  fmt.Errorf("a peer's health probe was refused, so its readiness cannot be checked: %w", refused),
			Hint: "Nothing was changed on this node. " + credentialsFix}
	case errors.Is(err, errWaitTimeout):
		n, k := len(r.cfg.Nodes), r.cfg.MaxUnavailable
		return &StepError{Node: j.node.Name, Step: StepPreflight,
			Err: fmt.Errorf("other nodes are not ready after ready_timeout %s: %s; taking this node out now could leave fewer than %d of %d nodes serving",
				formatDuration(r.cfg.ReadyTimeout), strings.Join(notReady, ", "), n-k, n),
			Hint: "Nothing was changed on this node. Bring those nodes back to health 200 and re-run terraform apply."}
	case err != nil:
		return err
	}
	return nil
}

// preflightQuiescePort checks that quiesce_url answers health 200 and,
// when the gateway can read the node's quiesce-port setting, that it is that
// port and that the gateway would accept it for quiesce mode for all. A
// suspended port or one in access mode deny does not answer 200 either;
// the setting then says why. A setting that cannot be read is no refusal:
// the health check on quiesce_url stands.
func (r *run) preflightQuiescePort(ctx context.Context, j *job) error {
	code, herr := r.gw.Health(ctx, j.node.QuiesceURL)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var st QuiescePortSetting
	known := false
	if qr, ok := r.gw.(QuiescePortReader); ok {
		var err error
		st, err = qr.QuiescePort(ctx, j.node.URL)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		known = err == nil
	}
	refuse := func(hint string, format string, args ...any) error {
		return &StepError{Node: j.node.Name, Step: StepPreflight, Err: fmt.Errorf(format, args...), Hint: "Nothing was changed on this node. " + hint}
	}
	want := urlPort(j.node.QuiesceURL)
	switch {
	case known && st.Set && st.Unfit != "":
		port := "its quiesce port"
		if st.Port != 0 {
			port = fmt.Sprintf("its quiesce port %d", st.Port)
		}
		return refuse("Resume the port and set its access mode to allow: terraform apply of the node's apigw_quiesce_port does both "+
			"(its plan shows the repair), or do it in the gateway's port settings; then re-run terraform apply.",
			"%s is %s (quiesce_url %s: %s): the gateway refuses quiesce mode for all unless the quiesce port is enabled, not suspended and in access mode allow",
			port, st.Unfit, j.node.QuiesceURL, describeHealth(code, herr))
	case IsHealthCredentials(herr):
		return refuse(credentialsFix,
			"quiesce_url %s refused the health probe, so it could not show when the node has drained: %v", j.node.QuiesceURL, herr)
	case herr != nil || code != 200:
		return refuse("Create its quiesce port with apigw_quiesce_port and set quiesce_url to that resource's quiesce_url, then re-run terraform apply.",
			"quiesce_url %s did not answer health 200 (%s), so the node has no live quiesce port", j.node.QuiesceURL, describeHealth(code, herr))
	case known && !st.Set:
		return refuse("Create its quiesce port with apigw_quiesce_port (re-apply it if the node was restarted on a new container) "+
			"and set quiesce_url to that resource's quiesce_url, then re-run terraform apply.",
			"the node has no quiesce port set, although quiesce_url %s answers health 200: the gateway would refuse quiesce mode for all, and that URL would not show when the node has drained", j.node.QuiesceURL)
	case known && st.Port != 0 && want != 0 && st.Port != want:
		return refuse(fmt.Sprintf("Set its quiesce_url to the node's quiesce port (port %d; use apigw_quiesce_port's quiesce_url), then re-run terraform apply.", st.Port),
			"quiesce_url %s points at port %d, but the node's quiesce port is %d: after quiescing, port %d would not show when the node has drained", j.node.QuiesceURL, want, st.Port, want)
	}
	return nil
}

// urlPort is the port of an http(s) URL, explicit or by scheme; 0 when the
// URL does not parse.
func urlPort(raw string) int {
	u, err := url.Parse(raw)
	if err != nil {
		return 0
	}
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	switch u.Scheme {
	case "http":
		return 80
	case "https":
		return 443
	}
	return 0
}

// peersOutOfFlight lists the nodes other than j that no goroutine is working on.
func (r *run) peersOutOfFlight(j *job) []Node {
	r.mu.Lock()
	defer r.mu.Unlock()
	var peers []Node
	for _, n := range r.cfg.Nodes {
		if n.Name != j.node.Name && !r.inFlight[n.Name] {
			peers = append(peers, n)
		}
	}
	return peers
}

// unreadyPeers probes the peers without a fresh "ready" and describes those
// that are not ready; refused is a peer's probe refused for credentials
// (then nothing else counts).
func (r *run) unreadyPeers(ctx context.Context, peers []Node) (notReady []string, refused error) {
	now := r.clock.Now()
	var stale []Node
	r.mu.Lock()
	for _, p := range peers {
		m, ok := r.ready[p.Name]
		if !ok || !m.ready || now.Sub(m.at) > r.cfg.PollInterval {
			stale = append(stale, p)
		}
	}
	r.mu.Unlock()
	why := make([]string, len(stale))
	refusals := make([]error, len(stale))
	forEach(len(stale), SurveyConcurrency, func(i int) {
		if ok, failed, rerr := r.probe(ctx, stale[i]); !ok {
			why[i] = fmt.Sprintf("%q (%s)", stale[i].Name, failed)
			if rerr != nil {
				refusals[i] = fmt.Errorf("node %q: %w", stale[i].Name, rerr)
			}
		}
	})
	if err := errors.Join(refusals...); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(why, func(s string) bool { return s == "" }), nil
}

// probe asks a node's primary health once and records the answer for the
// pre-flight checks of other nodes; why describes a failed probe. refused
// is set when the node refused the probe (HealthCredentials): no wait ends
// that, so callers stop.
func (r *run) probe(ctx context.Context, n Node) (ok bool, why string, refused error) {
	code, err := r.gw.Health(ctx, n.URL)
	ok = err == nil && code == 200
	r.markReady(n.Name, ok)
	if !ok {
		why = describeHealth(code, err)
	}
	if IsHealthCredentials(err) {
		refused = err
	}
	return ok, why, refused
}

// credentialsFix is the end of the hint for a health probe refused for
// credentials.
const credentialsFix = "Set health_probe_credentials = true in the provider configuration if the gateways require a user for health " +
	"(or fix the credentials or the user's privileges, as the error says), then re-run terraform apply."

// waitReady polls until the node answers health 200 with a version that
// want accepts, ReadySuccesses times in a row. The first success is
// confirmed at the fastest poll rate, so the streak adds little delay.
//
// A node that answers health 200 with a version want does not accept has
// restarted (it was drained, or down, before the command ran: the old
// process no longer answers on its primary port), but may still be loading
// its packages. Once it has reported the same version with health 200
// ReadySuccesses times in a row, over at least one poll_interval, it is
// taken as healthy on that version: the wait ends with an *OffTargetError
// rather than running on to ready_timeout. It does so at ready_timeout too
// when the last poll saw such a node.
func (r *run) waitReady(ctx context.Context, j *job, want func(string) bool, wantDesc string, exp *expectation) (string, error) {
	var (
		streak      int
		version     string
		last, wrong string
		wrongPolls  int
		wrongSince  time.Time
		settled     bool
	)
	var refused error
	err := r.waitUntil(ctx, r.cfg.ReadyTimeout, exp, func() pollResult {
		if ok, why, rerr := r.probe(ctx, j.node); !ok {
			if rerr != nil {
				refused = rerr
				return pollEnd
			}
			streak, wrong, last = 0, "", why
			return pollAgain
		}
		v, err := r.gw.Version(ctx, j.node.URL)
		if err != nil {
			streak, wrong, last = 0, "", "health 200 but its version could not be read: "+err.Error()
			return pollAgain
		}
		r.setVersion(j.node.Name, v)
		if !want(v) {
			streak = 0
			if v != wrong {
				wrong, wrongPolls, wrongSince = v, 0, r.clock.Now()
			}
			wrongPolls++
			if wrongPolls >= r.cfg.ReadySuccesses && r.since(wrongSince) >= r.cfg.PollInterval {
				settled = true
				return pollEnd
			}
			return pollAgain
		}
		streak, wrong, version = streak+1, "", v
		if streak >= r.cfg.ReadySuccesses {
			return pollDone
		}
		return pollConfirm
	})
	switch {
	case err == nil && refused != nil:
		return "", fmt.Errorf("the node refused its health probe, so whether it is ready on %s cannot be seen: %w", wantDesc, refused)
	case err == nil && settled:
		return "", &OffTargetError{Version: wrong, Want: wantDesc, Polls: wrongPolls, Held: r.since(wrongSince)}
	case err == nil:
		return version, nil
	case !errors.Is(err, errWaitTimeout):
		return "", interrupted(err)
	case wrong != "":
		return "", &OffTargetError{Version: wrong, Want: wantDesc, Polls: wrongPolls, Held: r.since(wrongSince), AtTimeout: r.cfg.ReadyTimeout}
	case last == "":
		last = "health 200 on target, but not " + fmt.Sprint(r.cfg.ReadySuccesses) + " times in a row"
	}
	return "", fmt.Errorf("the node was not ready on %s within ready_timeout %s (last check: %s)", wantDesc, formatDuration(r.cfg.ReadyTimeout), last)
}

// OffTargetError is a node that came back healthy (health 200) but reports
// another version than the one waited for.
type OffTargetError struct {
	Version string // what it reports
	Want    string // what was waited for, e.g. "target_version 10.15.0.7"
	// Polls is how many health-200 polls in a row reported Version, over
	// Held.
	Polls int
	Held  time.Duration
	// AtTimeout is ready_timeout when the wait ran out with the node in
	// that state before the streak was complete.
	AtTimeout time.Duration
}

func (e *OffTargetError) Error() string {
	if e.AtTimeout > 0 {
		return fmt.Sprintf("the node answers health 200 but reports version %s, not %s, at ready_timeout %s", e.Version, e.Want, formatDuration(e.AtTimeout))
	}
	return fmt.Sprintf("the node came back healthy (health 200 on %d checks in a row over %s) but reports version %s, not %s",
		e.Polls, e.Held.Round(time.Millisecond), e.Version, e.Want)
}

// soak re-checks health every PollInterval for SoakDuration; one failure
// fails the node, since a new fix that flaps is not one to roll further.
func (r *run) soak(ctx context.Context, j *job) error {
	start := r.clock.Now()
	end := start.Add(r.cfg.SoakDuration)
	for {
		left := end.Sub(r.clock.Now())
		if left <= 0 {
			return nil
		}
		if err := r.clock.Sleep(ctx, min(r.cfg.PollInterval, left)); err != nil {
			return interrupted(err)
		}
		ok, why, refused := r.probe(ctx, j.node)
		if ctx.Err() != nil {
			return interrupted(ctx.Err())
		}
		if refused != nil {
			return fmt.Errorf("the node refused its health probe %s into soak_duration %s: %w", r.since(start), formatDuration(r.cfg.SoakDuration), refused)
		}
		if !ok {
			return fmt.Errorf("health check failed %s into soak_duration %s (%s)", r.since(start), formatDuration(r.cfg.SoakDuration), why)
		}
	}
}
