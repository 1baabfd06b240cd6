package rollout

import (
	"cmp"
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
	DefaultMaxUnavailable = 1
	DefaultDrainTimeout   = 15 * time.Minute
	DefaultCommandTimeout = 30 * time.Minute
	DefaultReadyTimeout   = 20 * time.Minute
	DefaultSoakDuration   = time.Duration(0) // no soak
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
	return max(time.Minute, (drain + time.Minute - 1).Truncate(time.Minute))
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

// withDefaults fills zero values with the contract's defaults.
func (c Config) withDefaults() Config {
	if c.Flush == nil {
		c.Flush = AllFlush()
	}
	c.Strategy = cmp.Or(c.Strategy, StrategyQuiesceAll)
	c.MaxUnavailable = cmp.Or(c.MaxUnavailable, DefaultMaxUnavailable)
	c.DrainTimeout = cmp.Or(c.DrainTimeout, DefaultDrainTimeout)
	c.CommandTimeout = cmp.Or(c.CommandTimeout, DefaultCommandTimeout)
	c.ReadyTimeout = cmp.Or(c.ReadyTimeout, DefaultReadyTimeout)
	c.PollInterval = cmp.Or(c.PollInterval, DefaultPollInterval)
	c.ReadySuccesses = cmp.Or(c.ReadySuccesses, DefaultReadySuccesses)
	c.PrepareParallelism = cmp.Or(c.PrepareParallelism, DefaultPrepareParallelism)
	c.NotifyTimeout = cmp.Or(c.NotifyTimeout, DefaultNotifyTimeout)
	c.OnInterrupt = cmp.Or(c.OnInterrupt, InterruptFinishNode)
	return c
}
