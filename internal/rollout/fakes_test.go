package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// phase is where a fake node is in its life.
type phase int

const (
	phRunning   phase = iota
	phQuiescing       // quiesce for all in progress: both ports still answer 200
	phQuiesced        // quiesced: primary port disabled, quiesce port no longer 200
	phDraining        // shutdown with option drain in progress: primary answers 503
	phDown
	phStarting // first half no answer, then health 500 with serverinfo up
)

// How a fake node gives no answer, classified as the gateway adapter does.
var (
	errRefused = Silent(SilenceRefused, errors.New("connection refused"))
	errClosed  = Silent(SilenceClosed, errors.New("connection reset by peer"))
	errTimeout = Silent(SilenceTimeout, errors.New("Client.Timeout exceeded while awaiting headers"))
	errNoHost  = Silent(SilenceDNS, errors.New("no such host"))
)

// fakeNode is one simulated gateway with fault switches.
type fakeNode struct {
	Node
	version   string
	ph        phase
	until     time.Time // end of the current phase, zero when it does not end by itself
	drainTime time.Duration
	startTime time.Duration
	upgradeTo string // what the upgrade command installs

	noQuiescePort bool
	// quiescePortUnfit makes the quiesce port one the gateway would not
	// accept: "suspended" refuses connections, "deny" answers 403.
	quiescePortUnfit string
	quiesceErr       error
	neverDrains      bool
	primaryClosed    bool          // while quiescing, the primary port is already closed
	crashed          bool          // once quiesced, the quiesce port stops answering instead of answering 503
	unhealthyAfter   time.Duration // after an upgrade, health 500 once running this long
	runningSince     time.Time
	upgraded         bool
	// interim is reported instead of version for interimFor after the node
	// starts running: a restarted node that briefly shows another version.
	interim    string
	interimFor time.Duration

	// How a node that may be serving can look to the machine running
	// Terraform: unreachable (every call times out), unknown to DNS, up with
	// a red data store (health 500 where it would be 200), behind a proxy
	// that closes connections to a closed primary port instead of refusing
	// them, and a data store passing through red while quiescing (every
	// second health answer is 500 until this many were given).
	unreachable, unknownHost, red, closesPrimary bool
	quiescingBlips, blipIndex                    int
	// refuseHealth, when it says so, makes a health probe of the node (on
	// its quiesce port or its primary) answer 401, as a gateway that
	// requires credentials for health does.
	refuseHealth func(n *fakeNode, quiescePort bool) bool

	quiesceCalls    int
	flush           []string
	shutdownTimeout time.Duration
}

// fakeCluster simulates the gateways; its clock is time.Now, which inside a
// synctest bubble is the bubble's fake clock.
type fakeCluster struct {
	mu     sync.Mutex
	target string
	nodes  []*fakeNode
	byURL  map[string]*fakeNode
	byQURL map[string]*fakeNode
	maxOut int
	log    []string // gateway writes and commands, in order
	health map[string][]time.Time
	// hideFix makes Version report X.Y.0.0.<build> whatever fix a node
	// runs, as a gateway whose serverinfo version does not show the fix
	// level; the "version" command of fakeRunner still tells the truth.
	hideFix bool

	// quiesceLatency is how long the gateway takes to answer a quiesce
	// request. A quiesce request that arrives while another is still being
	// answered fails: the vendor asks for one at a time.
	quiesceLatency  time.Duration
	quiesceInFlight int
	overlaps        int
}

func newCluster(versions ...string) *fakeCluster {
	c := &fakeCluster{target: target, byURL: map[string]*fakeNode{}, byQURL: map[string]*fakeNode{}, health: map[string][]time.Time{}}
	for i, v := range versions {
		n := &fakeNode{
			Node: Node{
				Name:       fmt.Sprintf("gw-%d", i+1),
				URL:        fmt.Sprintf("http://gw-%d:5555", i+1),
				QuiesceURL: fmt.Sprintf("http://gw-%d:4444", i+1),
			},
			version:   v,
			drainTime: 60 * time.Second,
			startTime: 80 * time.Second,
			upgradeTo: target + ".1234",
		}
		c.nodes = append(c.nodes, n)
		c.byURL[n.URL] = n
		c.byQURL[n.QuiesceURL] = n
	}
	return c
}

func (c *fakeCluster) node(name string) *fakeNode {
	for _, n := range c.nodes {
		if n.Name == name {
			return n
		}
	}
	panic("no fake node " + name)
}

func (c *fakeCluster) Nodes() []Node {
	var out []Node
	for _, n := range c.nodes {
		out = append(out, n.Node)
	}
	return out
}

// advance moves n through the phases whose end has passed.
func (n *fakeNode) advance(now time.Time) {
	for !n.until.IsZero() && !now.Before(n.until) {
		end := n.until
		n.until = time.Time{}
		switch n.ph {
		case phQuiescing:
			n.ph = phQuiesced
		case phDraining:
			n.ph = phDown
		case phStarting:
			n.ph, n.runningSince = phRunning, end
		}
	}
}

// countOut records how many nodes are out of service right now.
func (c *fakeCluster) countOut(now time.Time) {
	out := 0
	for _, n := range c.nodes {
		n.advance(now)
		if n.ph != phRunning {
			out++
		}
	}
	c.maxOut = max(c.maxOut, out)
}

func (c *fakeCluster) record(format string, args ...any) {
	c.log = append(c.log, fmt.Sprintf(format, args...))
}

func (c *fakeCluster) Version(ctx context.Context, url string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.byURL[url]
	if n == nil {
		return "", errNoHost
	}
	now := time.Now()
	n.advance(now)
	if err := n.silence(); err != nil {
		return "", err
	}
	v := n.version
	if n.interim != "" && n.ph == phRunning && now.Sub(n.runningSince) < n.interimFor {
		v = n.interim
	}
	if c.hideFix {
		s := strings.Split(v, ".")
		v = s[0] + "." + s[1] + ".0.0." + s[len(s)-1]
	}
	switch n.ph {
	case phQuiescing:
		if !n.primaryClosed {
			return v, nil
		}
	case phRunning, phDraining:
		return v, nil
	case phStarting:
		if now.After(n.until.Add(-n.startTime / 2)) {
			return v, nil
		}
	}
	return "", errRefused
}

func (c *fakeCluster) Health(ctx context.Context, url string) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	c.health[url] = append(c.health[url], now)
	n, quiescePort := c.byQURL[url], true
	if n == nil {
		n, quiescePort = c.byURL[url], false
	}
	if n == nil {
		return 0, errNoHost
	}
	n.advance(now)
	if err := n.silence(); err != nil {
		return 0, err
	}
	if n.refuseHealth != nil && n.refuseHealth(n, quiescePort) {
		return 401, HealthCredentials(fmt.Errorf("health check: GET %s/rest/apigateway/health: HTTP 401 Unauthorized: "+
			"the gateway requires credentials for its health endpoint; set health_probe_credentials = true", url))
	}
	var code int
	var err error
	if quiescePort {
		code, err = n.quiescePortHealth()
	} else {
		code, err = n.primaryHealth(now)
	}
	if errors.Is(err, errRefused) && !quiescePort && n.closesPrimary {
		err = errClosed
	}
	if code == 200 && (n.red || n.blip()) {
		code = 500
	}
	return code, err
}

// silence is the no-answer a node that cannot be reached gives every call.
func (n *fakeNode) silence() error {
	switch {
	case n.unknownHost:
		return errNoHost
	case n.unreachable:
		return errTimeout
	}
	return nil
}

// blip reports whether this health answer of a quiescing node is one of
// the 500s of quiescingBlips.
func (n *fakeNode) blip() bool {
	if n.ph != phQuiescing || n.quiescingBlips <= 0 {
		return false
	}
	i := n.blipIndex
	n.blipIndex++
	if i%2 == 0 {
		return false
	}
	n.quiescingBlips--
	return true
}

func (n *fakeNode) quiescePortHealth() (int, error) {
	switch {
	case n.noQuiescePort, n.quiescePortUnfit == "suspended":
	case n.quiescePortUnfit == "deny":
		return 403, nil
	case n.ph == phRunning || n.ph == phQuiescing:
		return 200, nil
	case n.ph == phQuiesced && !n.crashed:
		return 503, nil // the package is disabled; the port stays open
	}
	return 0, errRefused
}

func (n *fakeNode) primaryHealth(now time.Time) (int, error) {
	switch n.ph {
	case phRunning:
		if n.upgraded && n.unhealthyAfter > 0 && now.Sub(n.runningSince) >= n.unhealthyAfter {
			return 500, nil
		}
		return 200, nil
	case phQuiescing:
		if !n.primaryClosed {
			return 200, nil
		}
	case phDraining:
		return 503, nil
	case phStarting:
		if now.After(n.until.Add(-n.startTime / 2)) {
			return 500, nil
		}
	}
	return 0, errRefused
}

func (c *fakeCluster) QuiesceAll(ctx context.Context, url string, flush []string) error {
	c.mu.Lock()
	if c.quiesceInFlight > 0 {
		c.overlaps++
		c.record("overlapping quiesce %s", c.byURL[url].Name)
		c.mu.Unlock()
		return errors.New("quiesce requested while another node's quiesce request was still being answered")
	}
	c.quiesceInFlight++
	latency := c.quiesceLatency
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.quiesceInFlight--
		c.mu.Unlock()
	}()
	if err := sleepCtx(ctx, latency); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.byURL[url]
	now := time.Now()
	n.advance(now)
	n.quiesceCalls++
	c.record("quiesce %s", n.Name)
	switch {
	case n.quiesceErr != nil:
		return n.quiesceErr
	case n.ph == phQuiescing || n.ph == phQuiesced:
		return ErrAlreadyQuiesced
	case n.ph != phRunning:
		return errRefused
	}
	n.ph, n.flush = phQuiescing, slices.Clone(flush)
	if !n.neverDrains {
		n.until = now.Add(n.drainTime)
	}
	c.countOut(now)
	return nil
}

func (c *fakeCluster) DrainShutdown(ctx context.Context, url string, timeout time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.byURL[url]
	now := time.Now()
	n.advance(now)
	c.record("drain_shutdown %s", n.Name)
	if n.ph != phRunning {
		return errRefused
	}
	n.ph, n.shutdownTimeout = phDraining, timeout
	if !n.neverDrains {
		n.until = now.Add(n.drainTime)
	}
	c.countOut(now)
	return nil
}

// stop is what an upgrade or rollback command does first; whatever kept
// the node from answering or made it red ends with it.
func (c *fakeCluster) stop(url string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.byURL[url]
	n.ph, n.until = phDown, time.Time{}
	n.unreachable, n.red = false, false
	c.countOut(time.Now())
}

// boot starts the node on version; it is ready startTime later.
func (c *fakeCluster) boot(url, version string, upgraded bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.byURL[url]
	n.ph, n.until, n.version, n.upgraded = phStarting, time.Now().Add(n.startTime), version, upgraded
}

// fakeRunner "runs" commands against the fake cluster: upgrade stops the
// node, takes cmdTime and boots it on its upgradeTo version; rollback boots
// it on the version it had at the start; version prints the version the
// node runs (or was last started on), as read from its installation.
type fakeRunner struct {
	c        *fakeCluster
	cmdTime  time.Duration
	original map[string]string // node name → version at the start

	mu    sync.Mutex
	cmds  []Command
	exit  map[string]CommandResult // "step/node" → a failing result (no error)
	errs  map[string]error         // "step/node" → a runner error
	hang  map[string]bool          // "step/node" → runs until cancelled or timed out
	out   map[string]string        // "step/node" → output of a successful run
	onRun func(Command)
}

func newRunner(c *fakeCluster) *fakeRunner {
	r := &fakeRunner{c: c, cmdTime: 10 * time.Second, original: map[string]string{},
		exit: map[string]CommandResult{}, errs: map[string]error{}, hang: map[string]bool{}, out: map[string]string{}}
	for _, n := range c.nodes {
		r.original[n.Name] = n.version
	}
	return r
}

func envOf(c Command, key string) string {
	for _, kv := range c.Env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	return ""
}

func (r *fakeRunner) commands() []Command {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.cmds)
}

func (r *fakeRunner) Run(ctx context.Context, c Command) (CommandResult, error) {
	name, url := envOf(c, "APIGW_NODE_NAME"), envOf(c, "APIGW_NODE_URL")
	key := c.Step + "/" + name
	r.mu.Lock()
	r.cmds = append(r.cmds, c)
	res, failing := r.exit[key]
	runErr := r.errs[key]
	hang := r.hang[key]
	tail := r.out[key]
	onRun := r.onRun
	r.mu.Unlock()
	r.c.mu.Lock()
	r.c.record("%s %s", c.Step, name)
	r.c.mu.Unlock()
	if onRun != nil {
		onRun(c)
	}
	wait := func(d time.Duration) error {
		if c.Timeout > 0 && d > c.Timeout {
			if err := sleepCtx(ctx, c.Timeout); err != nil {
				return err
			}
			return fmt.Errorf("command %q timed out after %s", c.Step, c.Timeout)
		}
		return sleepCtx(ctx, d)
	}
	if runErr != nil {
		return CommandResult{ExitCode: 1}, runErr
	}
	if hang {
		if err := wait(1000 * time.Hour); err != nil {
			return CommandResult{ExitCode: -1}, err
		}
	}
	switch c.Step {
	case "version":
		if failing {
			return res, nil
		}
		r.c.mu.Lock()
		v := r.c.byURL[url].version
		r.c.mu.Unlock()
		return CommandResult{Stdout: v + "\n", Tail: v + "\n"}, nil
	case "upgrade", "rollback":
		r.c.stop(url)
		if err := wait(r.cmdTime); err != nil {
			return CommandResult{ExitCode: -1}, err
		}
		if failing {
			return res, nil
		}
		v := r.c.byURL[url].upgradeTo
		if c.Step == "rollback" {
			v = r.original[name]
		}
		r.c.boot(url, v, c.Step == "upgrade")
	default:
		if err := wait(time.Second); err != nil {
			return CommandResult{ExitCode: -1}, err
		}
		if failing {
			return res, nil
		}
	}
	return CommandResult{Duration: r.cmdTime, Tail: tail}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	return systemClock{}.Sleep(ctx, d)
}

// eventLog collects events; it checks that OnEvent calls never overlap.
type eventLog struct {
	inCall atomic.Bool
	mu     sync.Mutex
	events []Event
	hook   func(Event)
}

func (l *eventLog) on(e Event) {
	if !l.inCall.CompareAndSwap(false, true) {
		panic("OnEvent called concurrently")
	}
	defer l.inCall.Store(false)
	l.mu.Lock()
	l.events = append(l.events, e)
	hook := l.hook
	l.mu.Unlock()
	if hook != nil {
		hook(e)
	}
}

func (l *eventLog) kinds(node string) []EventKind {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []EventKind
	for _, e := range l.events {
		if e.Node == node {
			out = append(out, e.Kind)
		}
	}
	return out
}

// last is node's last event of kind, the zero Event when there is none.
func (l *eventLog) last(node string, kind EventKind) Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range slices.Backward(l.events) {
		if e.Node == node && e.Kind == kind {
			return e
		}
	}
	return Event{}
}

func (l *eventLog) all() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// settingsCluster is the fake cluster with the optional QuiescePortReader:
// every node's quiesce port is 4444, and its quiescePortUnfit says why the
// gateway would refuse it.
type settingsCluster struct{ *fakeCluster }

func (c settingsCluster) QuiescePort(_ context.Context, url string) (QuiescePortSetting, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.byURL[url]
	if n == nil {
		return QuiescePortSetting{}, errNoHost
	}
	st := QuiescePortSetting{Set: !n.noQuiescePort, Port: 4444}
	switch n.quiescePortUnfit {
	case "suspended":
		st.Unfit = "suspended"
	case "deny":
		st.Unfit = `in access mode "deny"`
	}
	return st, nil
}
