package rollout

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Node is one gateway of the cluster, as the user lists it.
type Node struct {
	Name string
	// URL is the primary (admin) URL, e.g. https://gw-1:5555.
	URL string
	// QuiesceURL is the same host on the quiesce port, e.g. http://gw-1:4444
	// (the tutorial's quiesce port is plain HTTP whatever the primary speaks).
	// Required for quiesce_all, unused by drain_shutdown.
	QuiesceURL string
}

// Strategy is how a node is taken out of service before its upgrade command.
type Strategy string

const (
	// StrategyQuiesceAll is the tutorial: quiesce for all, wait until the
	// quiesce port stops answering 200, then the command restarts the node.
	StrategyQuiesceAll Strategy = "quiesce_all"
	// StrategyDrainShutdown is the 10.11+ procedure: shutdown with option
	// drain, wait until the primary URL stops answering.
	StrategyDrainShutdown Strategy = "drain_shutdown"
)

// Flush values accepted by quiesce mode for all.
const (
	FlushLicenseMetrics     = "license_metrics"
	FlushPerformanceMetrics = "performance_metrics"
	FlushSubscriptionQuota  = "subscription_quota"
)

// InterruptPolicy is what a rollout does with the nodes in flight when its
// context ends: Ctrl-C, a cancelled Terraform Cloud run (both reach the
// provider as a cancellation) or the apply's deadline.
type InterruptPolicy string

const (
	// InterruptFinishNode starts no new node and lets every node in flight
	// go through its procedure (drain, command, ready on target), each step
	// within its own timeout: killing a local ssh does not stop an
	// installer on the node, so stopping half-way could roll back a node
	// while its fix is still being installed.
	InterruptFinishNode InterruptPolicy = "finish_node"
	// InterruptRollback stops the nodes in flight at once (a running
	// command is killed after a grace period) and runs rollback_command.
	InterruptRollback InterruptPolicy = "rollback"
)

// InterruptPolicies lists the accepted values, the default first.
func InterruptPolicies() []string {
	return []string{string(InterruptFinishNode), string(InterruptRollback)}
}

// AllFlush is the default flush set: everything the vendor lets us flush.
func AllFlush() []string {
	return []string{FlushLicenseMetrics, FlushPerformanceMetrics, FlushSubscriptionQuota}
}

// Defaults from the provider contract; a zero value in Config means these.
const (
	DefaultDrainTimeout   = 15 * time.Minute
	DefaultCommandTimeout = 30 * time.Minute
	DefaultReadyTimeout   = 20 * time.Minute
	DefaultPollInterval   = 2 * time.Second
	DefaultReadySuccesses = 2
	// DefaultPrepareParallelism is how many prepare commands run at once.
	DefaultPrepareParallelism = 4
	// DefaultNotifyTimeout bounds one run of notify_command, and how long
	// the end of a rollout waits for notifications still queued.
	DefaultNotifyTimeout = 30 * time.Second
	// MinPollInterval keeps a misconfigured poll_interval from hammering nodes.
	MinPollInterval = 10 * time.Millisecond
	// DrainShutdownGrace is how long, beyond the timeout a drain shutdown
	// gave the gateway (ShutdownTimeout), the engine waits for the node to
	// stop: once its client sessions have ended or that timeout has
	// passed, the server still has to stop its packages and close its
	// ports.
	DrainShutdownGrace = 2 * time.Minute
)

// ShutdownTimeout is drain_timeout as a drain shutdown gives it to the
// gateway, whose API takes whole minutes: rounded up, at least one minute.
// The gateway may wait that long for client sessions to end.
func ShutdownTimeout(drain time.Duration) time.Duration {
	return max(time.Minute, (drain+time.Minute-1)/time.Minute*time.Minute)
}

// Config is one rollout. Zero values mean the contract's defaults: Strategy
// quiesce_all, Flush all three (nil only: an empty non-nil Flush is refused,
// because the gateway reads "empty" as "all"), MaxUnavailable 1, the default
// timeouts and poll interval, ReadySuccesses 2.
type Config struct {
	Nodes          []Node
	Target         string
	Strategy       Strategy
	Flush          []string
	MaxUnavailable int

	DrainTimeout, CommandTimeout, ReadyTimeout, SoakDuration, PollInterval time.Duration

	UpgradeCommand, BeforeNodeCommand, AfterNodeCommand, RollbackCommand []string
	// PrepareCommand, when set, runs for every node that will get
	// UpgradeCommand, PrepareParallelism at a time (default 4), before the
	// first node is taken out of service: downloads and image pulls happen
	// while every node still serves. A failure stops the run with no node
	// touched.
	PrepareCommand     []string
	PrepareParallelism int
	// NotifyCommand, when set, runs at every milestone users subscribe to
	// (NotifyKinds), one at a time and in order, on a goroutine of its own:
	// each run is bounded by NotifyTimeout (default 30s) and its failures
	// are only reported (Report.NotifyFailures), never a reason to stop.
	NotifyCommand []string
	NotifyTimeout time.Duration
	// VersionCommand, when set, is how a node's version is read instead of
	// serverinfo's version (see WithVersionCommand): for gateways whose
	// serverinfo version does not show the fix level.
	VersionCommand []string
	// CommandEnv is added to every command's environment as it is: plain
	// settings (SSH_USER, an image name) that errors may show.
	CommandEnv map[string]string
	// CommandSecretEnv is added to every command's environment too, after
	// CommandEnv. Its values are secrets: they never appear in errors,
	// events or command output tails.
	CommandSecretEnv map[string]string

	AllowDowngrade bool
	// TakenDown names the nodes an earlier run of the same caller took out
	// of service and did not bring back (Report.TakenDown of that run). At
	// apply time such a node is finished without a drain whatever its
	// probes show; any other node that is not ready needs evidence that it
	// is out of service (see Engine.Run).
	TakenDown []string
	// ReadySuccesses is how many health 200s in a row, each with serverinfo on
	// target, make a node ready. One 200 can come from a node that is still
	// loading packages.
	ReadySuccesses int

	// OnInterrupt is what happens to the nodes in flight when the context
	// ends; default InterruptFinishNode.
	OnInterrupt InterruptPolicy
	// MaxNodesPerApply, when above 0, is how many nodes one Run brings to
	// target at most; the rest are left for the next Run (Report.Deferred)
	// and Run ends without error.
	MaxNodesPerApply int
	// DeadlineFromSteps bounds the Run by Budget of the nodes it found to
	// work on, counted from the end of its survey, for callers that give
	// no deadline of their own. The deadline takes the OnInterrupt path.
	DeadlineFromSteps bool
}

// AttrError is one configuration problem, named by its Terraform attribute
// path (e.g. "nodes[1].url", "max_unavailable") so the resource can attach it.
type AttrError struct {
	Attribute string
	Message   string
}

func (e *AttrError) Error() string { return e.Attribute + ": " + e.Message }

// AttrErrors lists the *AttrError values inside an error from Validate.
func AttrErrors(err error) []*AttrError {
	var out []*AttrError
	var walk func(error)
	walk = func(err error) {
		if ae, ok := err.(*AttrError); ok { //nolint:errorlint // the walk below unwraps joined errors itself; As would stop at the first
			out = append(out, ae)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// withDefaults fills zero values with the contract's defaults.
func (c Config) withDefaults() Config {
	if c.Strategy == "" {
		c.Strategy = StrategyQuiesceAll
	}
	if c.Flush == nil {
		c.Flush = AllFlush()
	}
	if c.MaxUnavailable == 0 {
		c.MaxUnavailable = 1
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.CommandTimeout == 0 {
		c.CommandTimeout = DefaultCommandTimeout
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = DefaultReadyTimeout
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.ReadySuccesses == 0 {
		c.ReadySuccesses = DefaultReadySuccesses
	}
	if c.PrepareParallelism == 0 {
		c.PrepareParallelism = DefaultPrepareParallelism
	}
	if c.NotifyTimeout == 0 {
		c.NotifyTimeout = DefaultNotifyTimeout
	}
	if c.OnInterrupt == "" {
		c.OnInterrupt = InterruptFinishNode
	}
	return c
}

// reservedEnv are the variables the engine sets for every command.
var reservedEnv = []string{
	"APIGW_NODE_NAME", "APIGW_NODE_URL", "APIGW_QUIESCE_URL", "APIGW_FROM_VERSION",
	"APIGW_TARGET_VERSION", "APIGW_NODE_INDEX", "APIGW_NODE_COUNT",
	"APIGW_EVENT", "APIGW_EVENT_MESSAGE", // notify_command's
}

// Validate returns every problem in c (joined), each an *AttrError naming the
// attribute and what is allowed; nil when c can be run. Zero values are
// checked as their defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(attr, format string, args ...any) {
		errs = append(errs, &AttrError{Attribute: attr, Message: fmt.Sprintf(format, args...)})
	}

	errs = append(errs, validateNodes(c.Nodes, c.Strategy)...)

	if c.Target == "" {
		bad("target_version", "required: a dotted version such as 10.15.0.7")
	} else if err := ValidateTarget(c.Target); err != nil {
		bad("target_version", "%v", err)
	}

	switch c.Strategy {
	case StrategyQuiesceAll, StrategyDrainShutdown:
	default:
		bad("strategy", "must be %q or %q, got %q", StrategyQuiesceAll, StrategyDrainShutdown, c.Strategy)
	}

	if len(c.Flush) == 0 {
		bad("flush", "must name at least one of %s (the gateway reads an empty set as all three)", strings.Join(AllFlush(), ", "))
	}
	seen := map[string]bool{}
	for _, f := range c.Flush {
		switch f {
		case FlushLicenseMetrics, FlushPerformanceMetrics, FlushSubscriptionQuota:
		default:
			bad("flush", "%q is not allowed; allowed: %s", f, strings.Join(AllFlush(), ", "))
		}
		if seen[f] {
			bad("flush", "%q is listed twice", f)
		}
		seen[f] = true
	}

	switch n := len(c.Nodes); {
	case c.MaxUnavailable < 1:
		bad("max_unavailable", "must be at least 1, got %d", c.MaxUnavailable)
	case n > 1 && c.MaxUnavailable >= n:
		bad("max_unavailable", "must be fewer than the number of nodes (%d) so that some nodes keep serving, got %d", n, c.MaxUnavailable)
	case n == 1 && c.MaxUnavailable != 1:
		bad("max_unavailable", "must be 1 for a single-node cluster, got %d", c.MaxUnavailable)
	}

	switch c.OnInterrupt {
	case InterruptFinishNode, InterruptRollback:
	default:
		bad("on_interrupt", "must be %q or %q, got %q", InterruptFinishNode, InterruptRollback, c.OnInterrupt)
	}
	if c.MaxNodesPerApply < 0 {
		bad("max_nodes_per_apply", "must be at least 1, got %d", c.MaxNodesPerApply)
	}

	for _, d := range []struct {
		attr string
		v    time.Duration
	}{{"drain_timeout", c.DrainTimeout}, {"command_timeout", c.CommandTimeout}, {"ready_timeout", c.ReadyTimeout}} {
		if d.v < 0 {
			bad(d.attr, "must be a positive duration, got %s", d.v)
		}
	}
	if c.SoakDuration < 0 {
		bad("soak_duration", "must be zero or positive, got %s", c.SoakDuration)
	}
	if c.PollInterval < MinPollInterval {
		bad("poll_interval", "must be at least %s, got %s", MinPollInterval, c.PollInterval)
	}
	if c.ReadySuccesses < 1 {
		bad("ready_successes", "must be at least 1, got %d", c.ReadySuccesses)
	}
	if c.PrepareParallelism < 1 {
		bad("prepare_parallelism", "must be at least 1, got %d", c.PrepareParallelism)
	}
	if c.NotifyTimeout < 0 {
		bad("notify_command", "its timeout must be positive, got %s", c.NotifyTimeout)
	}

	if len(c.UpgradeCommand) == 0 {
		bad("upgrade_command", "required: the argv of a command that shuts the node down, applies the fix and starts it")
	}
	for _, cmd := range []struct {
		attr string
		argv []string
	}{{"upgrade_command", c.UpgradeCommand}, {"before_node_command", c.BeforeNodeCommand},
		{"after_node_command", c.AfterNodeCommand}, {"rollback_command", c.RollbackCommand},
		{"prepare_command", c.PrepareCommand}, {"notify_command", c.NotifyCommand},
		{"version_command", c.VersionCommand}} {
		if len(cmd.argv) > 0 && strings.TrimSpace(cmd.argv[0]) == "" {
			bad(cmd.attr, "the first element (the program) must not be empty")
		}
	}

	for _, env := range []struct {
		attr string
		m    map[string]string
	}{{"command_env", c.CommandEnv}, {"command_secret_env", c.CommandSecretEnv}} {
		for _, k := range sortedKeys(env.m) {
			switch {
			case k == "" || strings.ContainsAny(k, "=\x00"):
				bad(env.attr, "%q is not a valid environment variable name", k)
			case isReservedEnv(k):
				bad(env.attr, "%s is set by the provider for every command and cannot be overridden", k)
			}
		}
	}
	for _, k := range sortedKeys(c.CommandSecretEnv) {
		if _, ok := c.CommandEnv[k]; ok {
			bad("command_secret_env", "%s is also in command_env; give each variable in one of the two maps (secrets in command_secret_env)", k)
		}
	}
	return errors.Join(errs...)
}

func isReservedEnv(k string) bool {
	for _, r := range reservedEnv {
		if k == r {
			return true
		}
	}
	return false
}

// validateNodes checks names and URLs: present, well-formed and unique.
func validateNodes(nodes []Node, strategy Strategy) []error {
	var errs []error
	bad := func(attr, format string, args ...any) {
		errs = append(errs, &AttrError{Attribute: attr, Message: fmt.Sprintf(format, args...)})
	}
	if len(nodes) == 0 {
		bad("nodes", "at least one node is required")
		return errs
	}
	names := map[string]int{}
	urls := map[string]string{} // normalised URL → attribute that holds it
	for i, n := range nodes {
		at := fmt.Sprintf("nodes[%d]", i)
		if strings.TrimSpace(n.Name) == "" {
			bad(at+".name", "required")
		} else if j, dup := names[n.Name]; dup {
			bad(at+".name", "%q is also the name of nodes[%d]; names must be unique", n.Name, j)
		} else {
			names[n.Name] = i
		}
		checkURL := func(attr, raw string) {
			key, err := NormaliseURL(raw)
			if err != nil {
				bad(attr, "%v", err)
				return
			}
			if other, dup := urls[key]; dup {
				bad(attr, "%q is also used by %s; every URL must be unique", raw, other)
				return
			}
			urls[key] = attr
		}
		if n.URL == "" {
			bad(at+".url", "required: the node's primary URL, e.g. https://gw-1:5555")
		} else {
			checkURL(at+".url", n.URL)
		}
		switch {
		case n.QuiesceURL != "":
			checkURL(at+".quiesce_url", n.QuiesceURL)
		case strategy != StrategyDrainShutdown:
			bad(at+".quiesce_url", "required with strategy %q: the node's URL on its quiesce port (see apigw_quiesce_port.quiesce_url)", StrategyQuiesceAll)
		}
	}
	return errs
}

// NormaliseURL checks that raw is an absolute http(s) URL and returns a key
// under which two spellings of the same base URL compare equal.
func NormaliseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%q is not a valid URL: %v", raw, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("%q must start with http:// or https://", raw)
	}
	if u.Hostname() == "" {
		return "", fmt.Errorf("%q has no host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%q must be a plain base URL without credentials, query or fragment", raw)
	}
	host := strings.ToLower(u.Host)
	if p := u.Port(); p == "" {
		if scheme == "http" {
			host += ":80"
		} else {
			host += ":443"
		}
	}
	return scheme + "://" + host + strings.TrimRight(u.Path, "/"), nil
}
