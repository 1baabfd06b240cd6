package rollout

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Engine runs rollouts. Gateway is required; Runner nil means an ExecRunner
// that redacts the config's CommandSecretEnv values; Clock nil means the wall
// clock. OnEvent, when set, is called for every milestone, one call at a time.
type Engine struct {
	Gateway Gateway
	Runner  Runner
	Clock   Clock
	OnEvent func(Event)
}

// jobKind is how a node that needs work is brought to target.
type jobKind int

const (
	kindPending    jobKind = iota // serving an old version: the full procedure
	kindLeftBehind                // not on target and provably out of service: left quiesced or down by an earlier run
	kindStarting                  // on target but not ready yet: restarted by an earlier run
)

// progress is how far a node got; it decides rollback and the hint.
type progress int

const (
	stUntouched      progress = iota
	stBeforeRan               // before_node_command ran (or partly ran)
	stTakingDown              // quiesce or drain shutdown requested
	stDown                    // drained: quiesced or shut down
	stCommandRunning          // upgrade command started
	stCommandDone             // upgrade command succeeded, not ready on target yet
	stUpgraded                // ready on target; soak next
	stAfterCommand            // after_node_command started
	stRollingBack             // rollback_command started: the node is down until it is ready again
)

// job is one node that needs work in this run.
type job struct {
	node  Node
	index int // position in Config.Nodes, for APIGW_NODE_INDEX
	kind  jobKind
	from  string // version before this run; "" when it was down
	// evidence says why a kindLeftBehind node is known to be out of service.
	evidence string
	state    progress
	// refused: the gateway refused to quiesce (or shut down) the node and
	// did nothing; state is what it was before the request.
	refused bool
	// offTarget is the version a node reports that came back healthy after
	// upgrade_command, but on another version than the target: it serves,
	// so it is not rolled back.
	offTarget string
	// blind: the node refused a health probe (HealthCredentials) after it
	// was taken out of service, so its state cannot be seen: it is not
	// rolled back, and the hint says so.
	blind bool
	res   NodeResult
	slot  int // index in Report.Results
	// output is the end of the last successful command's output, until
	// the milestone that reports the command takes it (decorate).
	output string
}

// run is the state of one Engine.Run.
type run struct {
	cfg    Config
	gw     Gateway
	runner Runner
	clock  Clock
	ev     *emitter
	redact *redactor

	notify *notifier
	began  time.Time
	// budget is the deadline Run derived (DeadlineFromSteps), for messages.
	budget time.Duration

	mu       sync.Mutex
	report   *Report
	ready    map[string]readyMark // last primary health per node name
	inFlight map[string]bool
	jobs     map[string]*job // by node name, for decorate
	order    []*job          // the work in the order roll starts it
	halted   bool            // a node failed, or the run was interrupted: roll starts no further node
	// takenDown: nodes out of service because of this caller (this run or
	// Config.TakenDown), for Report.TakenDown.
	takenDown map[string]bool

	// drained and restarted shape the polls of later nodes' waits.
	drained, restarted expectation

	// quiesceTurn holds one token: the node whose quiesce request is out.
	quiesceTurn chan struct{}
}

// Run brings every node in cfg to cfg.Target. It always returns a Report of
// what it did. The error is a config or plan-time refusal (nothing touched),
// a *StepError, or several StepErrors joined when nodes in flight together
// failed together; use errors.As to get at one.
func (e *Engine) Run(ctx context.Context, cfg Config) (*Report, error) {
	report := &Report{Versions: map[string]string{}, TakenDown: slices.Clone(cfg.TakenDown)}
	if e.Gateway == nil {
		return report, errors.New("rollout: Engine.Gateway is required")
	}
	if err := cfg.Validate(); err != nil {
		return report, err
	}
	cfg = cfg.withDefaults()
	secrets := slices.Collect(maps.Values(cfg.CommandSecretEnv))
	r := &run{
		cfg:       cfg,
		gw:        e.Gateway,
		runner:    e.Runner,
		clock:     e.Clock,
		redact:    newRedactor(secrets),
		report:    report,
		ready:     map[string]readyMark{},
		inFlight:  map[string]bool{},
		jobs:      map[string]*job{},
		takenDown: map[string]bool{},

		quiesceTurn: make(chan struct{}, 1),
	}
	for _, name := range cfg.TakenDown {
		r.takenDown[name] = true
	}
	if r.runner == nil {
		r.runner = ExecRunner{Redact: secrets}
	}
	if r.clock == nil {
		r.clock = systemClock{}
	}
	// With version_command every version read below (survey, ready waits,
	// rollback) runs the command.
	r.gw = WithVersionCommand(r.gw, r.runner, cfg)
	r.began = r.clock.Now()
	r.notify = newNotifier(ctx, r)
	r.ev = &emitter{clock: r.clock, redact: r.redact, decorate: r.decorate, fn: func(ev Event) {
		if e.OnEvent != nil {
			e.OnEvent(ev)
		}
		r.notify.send(ev)
	}}

	jobs, err := r.plan(ctx)
	if err == nil {
		r.announce(jobs)
	}
	if err == nil && cfg.DeadlineFromSteps && len(jobs) > 0 {
		r.budget = cfg.Budget(len(jobs))
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.budget)
		defer cancel()
	}
	if err == nil {
		// Only the nodes this run will take on (max_nodes_per_apply).
		err = r.prepare(ctx, jobs[:cfg.NodesThisApply(len(jobs))])
	}
	if err == nil {
		err = r.roll(ctx, jobs)
	}
	r.conclude(jobs, err)
	report.NotifyFailures = r.notify.close()
	report.TakenDown = r.takenDownList()
	return report, err
}

// plan surveys the cluster, refuses what must not be rolled, records skipped
// nodes and returns the work in order: nodes that are already out of service
// first (they cost no further capacity), then the serving ones in node order.
// A node that is neither ready nor on target is work only with evidence that
// it is out of service (outOfService); without, the run is refused.
func (r *run) plan(ctx context.Context) ([]*job, error) {
	statuses := Survey(ctx, r.gw, r.cfg.Nodes)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("rollout interrupted while reading the nodes, before any node was touched: %w", err)
	}
	now := r.clock.Now()
	var (
		refusals       []error
		unready, ready []*job
		skipped        []NodeStatus
		unreadyWhy     []string
		known          = map[string]string{}
	)
	for i, st := range statuses {
		name := st.Node.Name
		r.report.Versions[name] = st.Version
		r.ready[name] = readyMark{ready: st.Ready, at: now}
		if st.Ready {
			delete(r.takenDown, name) // back in service, by whatever means
		}
		if st.Version != "" {
			known[name] = st.Version
		}
		j := &job{node: st.Node, index: i, from: st.Version}
		onTarget := st.Version != "" && OnTarget(st.Version, r.cfg.Target)
		switch {
		case IsHealthCredentials(st.HealthErr):
			refusals = append(refusals, credentialsRefusal(name, st.HealthErr))
			continue
		case st.Version == "" && st.Ready:
			refusals = append(refusals, unreadableVersion(name, st.Err))
			continue
		case onTarget && st.Ready:
			skipped = append(skipped, st)
			continue
		case st.Ready:
			j.kind = kindPending
			ready = append(ready, j)
			continue
		case onTarget:
			j.kind = kindStarting
		default:
			evidence, err := r.outOfService(ctx, st)
			if err != nil {
				refusals = append(refusals, err)
				continue
			}
			j.kind, j.evidence = kindLeftBehind, evidence
		}
		unready = append(unready, j)
		why := "health not 200"
		if st.Err != nil {
			why = "no answer: " + st.Err.Error()
		}
		unreadyWhy = append(unreadyWhy, fmt.Sprintf("%q (%s)", name, why))
	}
	refusals = append(refusals, CheckVersions(r.cfg.Nodes, known, r.cfg.Target, r.cfg.AllowDowngrade, len(r.cfg.VersionCommand) > 0)...)
	if k := r.cfg.MaxUnavailable; len(unready) > k {
		n := len(r.cfg.Nodes)
		refusals = append(refusals, fmt.Errorf("%d nodes are not ready: %s; max_unavailable is %d, so touching any node could leave fewer than %d of %d nodes serving: bring them back to health 200 (or raise max_unavailable) and re-run terraform apply",
			len(unready), strings.Join(unreadyWhy, ", "), k, n-k, n))
	}
	if len(refusals) > 0 {
		return nil, errors.Join(refusals...)
	}
	for _, st := range skipped {
		r.report.Results = append(r.report.Results, NodeResult{
			Node: st.Node.Name, FromVersion: st.Version, ToVersion: st.Version,
			Outcome: OutcomeSkipped, StartedAt: now, FinishedAt: now,
		})
		r.ev.emit(st.Node.Name, EventNodeSkipped, "already on %s and ready", st.Version)
	}
	return append(unready, ready...), nil
}

// unreadableVersion refuses a node that serves but whose version could not
// be read: whether it is on target is unknown.
func unreadableVersion(name string, err error) error {
	var vc *VersionCommandError
	if errors.As(err, &vc) {
		return fmt.Errorf("node %q answers health 200 but its version could not be read: %v; fix version_command (run it by hand with the node's APIGW_NODE_* variables) and re-run terraform apply", name, err)
	}
	return fmt.Errorf("node %q answers health 200 but its version could not be read (%v): check the provider credentials and that url points at the node's primary port", name, err)
}

// roll works through jobs with at most MaxUnavailable nodes in flight and
// at most MaxNodesPerApply started. After the first failure, or when ctx
// ends (an interrupt or the deadline), it starts no new node; the nodes in
// flight finish or fail. Whether they finish after an interrupt is
// OnInterrupt's choice: finish_node runs them on a context that ignores
// ctx, each step bounded by its own timeout.
func (r *run) roll(ctx context.Context, jobs []*job) error {
	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	slots := make(chan struct{}, r.cfg.MaxUnavailable)
	var (
		wg         sync.WaitGroup
		failMu     sync.Mutex
		failures   []error
		notStarted []*job
	)
	addFailure := func(err error) {
		failMu.Lock()
		failures = append(failures, err)
		failMu.Unlock()
		r.halt()
		stop()
	}
	caught := r.watchInterrupt(ctx)
	nodeCtx := ctx
	if r.cfg.OnInterrupt == InterruptFinishNode {
		nodeCtx = context.WithoutCancel(ctx)
	}
	for i, j := range jobs {
		if limit := r.cfg.MaxNodesPerApply; limit > 0 && i >= limit {
			for _, d := range jobs[i:] {
				r.report.Deferred = append(r.report.Deferred, d.node.Name)
			}
			break
		}
		start, err := r.admit(stopCtx, slots, j)
		if err != nil {
			r.ev.emit(j.node.Name, EventNodeFailed, "%v", err)
			addFailure(err)
			break
		}
		if !start {
			notStarted = jobs[i:]
			break
		}
		r.start(j)
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Stop before freeing the slot, or the loop could start the
			// next node after a failure.
			if err := r.upgradeNode(nodeCtx, j); err != nil {
				addFailure(err)
			}
			<-slots
		}()
	}
	wg.Wait()
	return r.rollEnd(ctx, failures, notStarted, caught())
}

// admit waits for a free slot for j and, for a serving node, runs its
// pre-flight. start reports whether j may go ahead holding the slot; when
// it may not, the slot is free again, and err is the pre-flight failure
// (nil when stopCtx ended first).
func (r *run) admit(stopCtx context.Context, slots chan struct{}, j *job) (start bool, err error) {
	select {
	case slots <- struct{}{}:
	case <-stopCtx.Done():
		return false, nil
	}
	if stopCtx.Err() == nil && j.kind == kindPending {
		if err := r.preflight(stopCtx, j); err != nil && stopCtx.Err() == nil {
			<-slots
			return false, err
		}
	}
	if stopCtx.Err() == nil {
		return true, nil
	}
	<-slots // stopped while the slot was free or during pre-flight
	return false, nil
}

// rollEnd is roll's error: the failures of the nodes, or, when ctx ended
// before every node started, an *InterruptError that names the nodes
// finished in flight and the ones not started.
func (r *run) rollEnd(ctx context.Context, failures []error, notStarted []*job, inFlight []string) error {
	switch {
	case len(failures) == 1:
		return failures[0]
	case len(failures) > 1:
		return errors.Join(failures...)
	case ctx.Err() != nil && len(notStarted) > 0:
		ie := &InterruptError{Cause: ctx.Err(), Finished: inFlight}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			ie.Budget = r.budget
		}
		for _, j := range notStarted {
			ie.NotStarted = append(ie.NotStarted, j.node.Name)
		}
		return ie
	}
	return nil
}

// watchInterrupt tells the nodes in flight when ctx ends, in the log, what
// happens to them. The returned function, called once the rollout is over,
// names those nodes.
func (r *run) watchInterrupt(ctx context.Context) (inFlight func() []string) {
	over := make(chan struct{})
	var names []string
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-over:
			return
		case <-ctx.Done():
		}
		r.mu.Lock()
		names = slices.Sorted(maps.Keys(r.inFlight))
		r.halted = true // no "next: <node>" in the milestones from here
		r.mu.Unlock()
		why := "interrupted"
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			why = "out of time"
		}
		for _, n := range names {
			if r.cfg.OnInterrupt == InterruptFinishNode {
				r.ev.emit(n, EventInterrupted, "%s: finishing this node's upgrade, each step within its own timeout, and starting no new node (on_interrupt = %q)", why, InterruptFinishNode)
			} else {
				r.ev.emit(n, EventInterrupted, "%s: stopping this node and rolling it back if rollback_command is set (on_interrupt = %q)", why, InterruptRollback)
			}
		}
	}()
	return func() []string {
		close(over)
		<-watched
		return names
	}
}

// start marks j in flight and reserves its place in the report.
func (r *run) start(j *job) {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight[j.node.Name] = true
	j.res = NodeResult{Node: j.node.Name, FromVersion: j.from, StartedAt: now}
	j.slot = len(r.report.Results)
	r.report.Results = append(r.report.Results, j.res)
}

// finish records j's outcome in the report and takes j out of flight
// (start put it there), under one lock: an interrupt that comes after a
// node's outcome is known never names that node as finished in flight.
func (r *run) finish(j *job, o Outcome) {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.inFlight, j.node.Name)
	j.res.Outcome = o
	j.res.FinishedAt = now
	j.res.ToVersion = r.report.Versions[j.node.Name]
	r.report.Results[j.slot] = j.res
}

func (r *run) setVersion(name, v string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.report.Versions[name] = v
}

func (r *run) since(t time.Time) time.Duration { return r.clock.Now().Sub(t) }

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
