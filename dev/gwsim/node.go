package gwsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// Node states as reported by State and the control API.
const (
	StateReady     = "ready"
	StateStarting  = "starting"
	StateQuiescing = "quiescing"
	StateQuiesced  = "quiesced"
	StateStopping  = "stopping"
	StateStopped   = "stopped"
)

// ErrClosed is returned by lifecycle calls once the cluster is closed.
var ErrClosed = errors.New("gwsim: cluster is closed")

// restartStopBound bounds how long a restart lets running requests finish
// before it cuts them off.
const restartStopBound = 5 * time.Second

// Node is one simulated API Gateway server.
type Node struct {
	c           *Cluster
	name        string
	primaryPort int

	// opMu serialises lifecycle work (restart, stop, shutdown, the end of
	// a quiesce) so ports are always closed before they are bound again.
	// HTTP handlers of the node never take it.
	opMu sync.Mutex

	mu            sync.Mutex
	state         string
	version       string
	ports         []*port // primary first, then in creation order
	quiesceAlias  string
	designBlocked bool
	startQuiesced bool
	lastOp        *quiesceStatus // what GET quiescemode reports
	listeners     map[string]*server
	draining      map[*server]bool // taken from listeners, letting running requests finish
	gen           uint64           // bumped when an incarnation ends
	life          chan struct{}    // closed when the current incarnation ends
	gate          bool             // runtime traffic refused (quiesce done or stopping)
	booted        bool             // RestartTime has elapsed in this incarnation
	flapsLeft     int
	startsLeft    int // primary probes a SlowStartProbes fault keeps the node starting for
	flapIndex     int
	blipsLeft     int // 500s a QuiescingHealth500 fault still gives in this quiesce
	blipIndex     int
	inflight      int
	served        int64
	lost          int64
	mem           [3]int64 // unflushed license, performance, quota records
	faults        Faults
	admin503Acc   float64
}

// RestartOptions describe what the upgrade command does to a node.
type RestartOptions struct {
	Version  string        // version to come back on; empty keeps the current one
	Downtime time.Duration // time between stop and start (applying the fix)
	// Fresh starts a new container: every port but the primary and the
	// quiesce-port setting are gone.
	Fresh bool
}

func newNode(c *Cluster, name, version string) *Node {
	life := make(chan struct{})
	close(life)
	return &Node{c: c, name: name, version: version, state: StateStopped,
		listeners: map[string]*server{}, draining: map[*server]bool{}, life: life}
}

// Name is the node's name, "gw-1" to "gw-N".
func (n *Node) Name() string { return n.name }

// URL is the primary base URL; it stays the same across restarts.
func (n *Node) URL() string { return n.c.baseURL(n.c.primaryProtocol(), n.primaryPort) }

// PrimaryPort is the primary port number.
func (n *Node) PrimaryPort() int { return n.primaryPort }

// locked returns what get reads while mu is held: the one form of the
// getters of state that changes while the node serves.
func locked[T any](mu *sync.Mutex, get func() T) T {
	mu.Lock()
	defer mu.Unlock()
	return get()
}

// Version is the version serverinfo reports (the last one when stopped).
func (n *Node) Version() string { return locked(&n.mu, func() string { return n.version }) }

// State is one of the State* constants.
func (n *Node) State() string { return locked(&n.mu, func() string { return n.state }) }

// Served counts runtime requests this node answered since the cluster
// started, across restarts.
func (n *Node) Served() int64 { return locked(&n.mu, func() int64 { return n.served }) }

// Unflushed counts served requests whose metrics are still only in memory.
func (n *Node) Unflushed() int64 { return locked(&n.mu, n.unflushedLocked) }

// unflushedLocked counts served requests whose metrics are only in memory:
// each kind of metric is flushed on its own, so the most behind one counts.
func (n *Node) unflushedLocked() int64 { return max(n.mem[0], n.mem[1], n.mem[2]) }

// Lost counts served requests whose metrics died with an incarnation of the
// node (stop, crash, restart or shutdown without a flush).
func (n *Node) Lost() int64 { return locked(&n.mu, func() int64 { return n.lost }) }

// QuiescePort is the number of the port set as quiesce port, 0 if none is
// set or it no longer exists.
func (n *Node) QuiescePort() int {
	return locked(&n.mu, func() int {
		if p := n.quiescePortLocked(); p != nil {
			return p.number
		}
		return 0
	})
}

// QuiesceURL is the base URL of the quiesce port, "" if none is set:
// http:// for the tutorial's webMethods/HTTP port whatever the primary
// port speaks.
func (n *Node) QuiesceURL() string {
	return locked(&n.mu, func() string {
		if p := n.quiescePortLocked(); p != nil {
			return p.url(n.c)
		}
		return ""
	})
}

// ReservePort returns a port number on the cluster's host for a port that
// a test creates later (a quiesce port in a Terraform configuration). The
// number stays taken until a port with that number is enabled on a node of
// this cluster, whose listener takes the reservation over, or the cluster
// closes: no other listener (a test proxy, another reservation) can get it
// in between. Connections to it are refused meanwhile, as to a closed port.
// It returns 0 when no port could be reserved.
func (n *Node) ReservePort() int { return n.c.reservePort() }

// boot brings the node up for the first time on a fresh primary port,
// ready at once.
func (n *Node) boot() error {
	ln, err := n.c.bind(0)
	if err != nil {
		return err
	}
	n.mu.Lock()
	if a, ok := ln.Addr().(*net.TCPAddr); ok { // a TCP listener: Start made it
		n.primaryPort = a.Port
	}
	n.ports = []*port{n.primaryConfig()}
	n.mu.Unlock()
	return n.start(n.Version(), ln)
}

// start opens a new incarnation: the primary port and every enabled port
// listen again; health answers 500 until RestartTime has passed. primary
// is an already bound primary listener or nil.
func (n *Node) start(version string, primary net.Listener) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.c.ctx.Err() != nil {
		if primary != nil {
			_ = primary.Close()
		}
		return ErrClosed
	}
	if n.state != StateStopped {
		return fmt.Errorf("gwsim: %s is %s, not stopped", n.name, n.state)
	}
	n.life = make(chan struct{})
	n.version = version
	n.gate, n.booted, n.inflight = false, false, 0
	n.flapsLeft, n.flapIndex, n.startsLeft = 0, 0, 0
	if n.lastOp != nil && n.lastOp.Block == "all" {
		n.lastOp = nil // a restart is how quiesce for all ends
	}
	quiesced := n.startQuiesced
	n.startQuiesced = false
	for _, p := range n.ports {
		if !p.listens() || (quiesced && p != n.quiescePortLocked()) {
			continue
		}
		var ln net.Listener
		if p.primary && primary != nil {
			ln = primary
		} else {
			var err error
			ln, err = n.c.bind(p.number)
			if err != nil {
				if p.primary {
					n.abortAllLocked()
					close(n.life)
					n.c.emit(n.name, EventFault, "start failed: "+err.Error())
					return fmt.Errorf("gwsim: %s: bind primary port: %w", n.name, err)
				}
				n.c.emit(n.name, EventFault, fmt.Sprintf("port %s could not be bound: %v", p.key, err))
				continue
			}
		}
		n.listenLocked(p, ln)
	}
	n.c.emit(n.name, EventStarted, "version "+version)
	if quiesced {
		n.state, n.gate, n.booted = StateQuiesced, true, true
		n.c.emit(n.name, EventQuiesceCompleted, "started in quiesce mode")
		return nil
	}
	n.state = StateStarting
	if primary != nil {
		// The cluster's first boot: ready at once.
		n.booted = true
		n.state = StateReady
		n.c.emit(n.name, EventReady, "")
		return nil
	}
	g, life := n.gen, n.life
	n.c.work.Go(func() {
		if n.c.sleep(n.c.opts.RestartTime, life) {
			n.booting(g)
		}
	})
	return nil
}

// booting runs once RestartTime has passed: the node becomes ready unless a
// SlowStartProbes fault keeps it starting or a HealthFlaps fault makes
// health flap first.
func (n *Node) booting(g uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.gen != g || n.state != StateStarting {
		return
	}
	n.booted = true
	n.startsLeft = n.faults.SlowStartProbes
	if n.startsLeft > 0 {
		n.c.emit(n.name, EventFault, fmt.Sprintf("still starting for %d health probes", n.startsLeft))
	}
	if f := n.faults.HealthFlaps; f > 0 {
		n.flapsLeft, n.flapIndex = f, 0
		n.c.emit(n.name, EventFault, fmt.Sprintf("health flaps for %d polls", f))
	}
	if n.startsLeft > 0 || n.flapsLeft > 0 {
		return
	}
	n.state = StateReady
	n.c.emit(n.name, EventReady, "")
}

// abortAllLocked closes every listener at once. Closing does not wait for
// handlers, so it is safe under n.mu.
func (n *Node) abortAllLocked() {
	for k, s := range n.listeners {
		s.abort()
		delete(n.listeners, k)
	}
	for s := range n.draining {
		s.abort()
		delete(n.draining, s)
	}
}

// takeListenersLocked removes and returns the open listeners that keep
// returns false for.
func (n *Node) takeListenersLocked(keep func(key string) bool) []*server {
	var out []*server
	for k, s := range n.listeners {
		if keep != nil && keep(k) {
			continue
		}
		out = append(out, s)
		delete(n.listeners, k)
		n.draining[s] = true
	}
	return out
}

// drainServers lets the running requests of servers taken by
// takeListenersLocked finish (until ctx ends); a crash meanwhile cuts them.
func (n *Node) drainServers(ctx context.Context, ls []*server) {
	for _, s := range ls {
		s.drain(ctx)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, s := range ls {
		delete(n.draining, s)
	}
}

// endLocked finishes the current incarnation: in-memory metrics are lost,
// background work of the incarnation stops.
func (n *Node) endLocked(reason string) {
	close(n.life)
	n.gen++
	lost := n.unflushedLocked()
	n.mem = [3]int64{}
	n.lost += lost
	n.c.store.addLost(n.name, lost)
	n.state = StateStopped
	n.gate, n.booted, n.inflight = false, false, 0
	n.c.emit(n.name, EventStopped, reason)
	if lost > 0 {
		n.c.emit(n.name, EventMetricsLost, fmt.Sprintf("%d requests' metrics were never flushed", lost))
	}
}

// crash closes every listener abruptly, cutting running requests (also
// those a drain is waiting for), and loses unflushed metrics. It needs no
// opMu: work in progress sees the new incarnation and ends.
func (n *Node) crash(reason string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.state == StateStopped {
		return
	}
	n.abortAllLocked()
	n.endLocked(reason)
}

// stopGracefully refuses new work, lets running requests finish within
// bound, then stops. flush first writes the in-memory metrics to the store
// (shutdown with quiesce=true). The caller holds opMu.
func (n *Node) stopGracefully(bound time.Duration, reason string, flush bool) {
	n.mu.Lock()
	if n.state == StateStopped {
		n.mu.Unlock()
		return
	}
	n.state, n.gate = StateStopping, true
	ls := n.takeListenersLocked(nil)
	g := n.gen
	n.mu.Unlock()

	ctx, cancel := context.WithTimeout(n.c.ctx, bound)
	n.drainServers(ctx, ls)
	cancel()
	n.stopNow(g, reason, flush)
}

// stopNow ends incarnation g unless it has ended already: flush first
// writes the in-memory metrics to the store, then every listener closes,
// cutting what still runs.
func (n *Node) stopNow(g uint64, reason string, flush bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.gen != g {
		return
	}
	if flush {
		n.flushLocked(allFlush)
	}
	n.abortAllLocked()
	n.endLocked(reason)
}

// Stop crashes the node: every listener closes at once, running requests
// are cut and unflushed metrics are lost, as when a real server dies. It
// does not wait for a quiesce or shutdown in progress (pulling the plug
// does not); that work sees the crash and ends.
func (n *Node) Stop() error {
	if n.c.ctx.Err() != nil {
		return ErrClosed
	}
	n.crash("stop")
	return nil
}

// Restart does what an upgrade command does: shut the node down if it is
// running (running requests may finish, unflushed metrics are lost), wait
// Downtime, and start it on opts.Version. It returns once the node listens
// again; health answers 500 until RestartTime has passed.
func (n *Node) Restart(opts RestartOptions) error {
	if opts.Downtime < 0 {
		return errors.New("gwsim: negative downtime")
	}
	n.opMu.Lock()
	defer n.opMu.Unlock()
	if n.c.ctx.Err() != nil {
		return ErrClosed
	}
	if n.State() != StateStopped {
		n.c.emit(n.name, EventRestartRequested, "restart of a running node")
		n.stopGracefully(restartStopBound, "restart", false)
	}
	if !n.c.sleep(opts.Downtime, nil) {
		return ErrClosed
	}
	f := n.Faults()
	if f.NeverReturns {
		n.c.emit(n.name, EventFault, "node never returns after restart")
		return nil
	}
	version := opts.Version
	if version == "" {
		version = n.Version()
	}
	if f.WrongVersion != "" {
		n.c.emit(n.name, EventFault, fmt.Sprintf("came back on %s instead of %s", f.WrongVersion, version))
		version = f.WrongVersion
	}
	if opts.Fresh {
		n.mu.Lock()
		n.ports = n.ports[:1]
		n.quiesceAlias = ""
		n.designBlocked = false
		n.startQuiesced = false
		n.lastOp = nil
		n.mu.Unlock()
	}
	return n.start(version, nil)
}

// closeForGood is the node's part of Cluster.Close.
func (n *Node) closeForGood() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.abortAllLocked()
}

// runtimeAllowedLocked reports whether the package serves API traffic.
func (n *Node) runtimeAllowedLocked() bool {
	switch n.state {
	case StateReady, StateQuiescing:
		return true
	case StateStarting:
		return n.booted
	}
	return false
}

// NodeStatus is a node as the control API shows it.
type NodeStatus struct {
	Name        string `json:"name"`
	URL         string `json:"url"`
	Version     string `json:"version"`
	State       string `json:"state"`
	QuiescePort int    `json:"quiescePort"`
	QuiesceURL  string `json:"quiesceURL,omitempty"`
	Served      int64  `json:"served"`
	Unflushed   int64  `json:"unflushed"`
	Lost        int64  `json:"lost"`
	Faults      Faults `json:"faults"`
}

// Status is a consistent snapshot of the node.
func (n *Node) Status() NodeStatus {
	n.mu.Lock()
	defer n.mu.Unlock()
	st := NodeStatus{
		Name:      n.name,
		URL:       n.c.baseURL(n.c.primaryProtocol(), n.primaryPort),
		Version:   n.version,
		State:     n.state,
		Served:    n.served,
		Unflushed: n.unflushedLocked(),
		Lost:      n.lost,
		Faults:    n.faults,
	}
	if p := n.quiescePortLocked(); p != nil {
		st.QuiescePort = p.number
		st.QuiesceURL = p.url(n.c)
	}
	return st
}

func itoa(i int) string { return strconv.Itoa(i) }
