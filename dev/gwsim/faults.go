package gwsim

import (
	"encoding/json"
	"fmt"
	"time"
)

// Faults make one node misbehave the way real upgrades go wrong. The zero
// value means a healthy node. SetFaults replaces the whole set.
type Faults struct {
	// QuiesceRefused: PUT quiescemode {"block":"all"} answers 500.
	QuiesceRefused bool
	// QuiesceFailure: PUT quiescemode {"block":"all"} answers 200 with
	// "status": "failure" and a failureReason, and the node does nothing
	// (the quiescemode model allows a failure inside a 200).
	QuiesceFailure bool
	// DrainNeverEnds: quiesce for all never completes, so the quiesce port
	// keeps answering health 200.
	DrainNeverEnds bool
	// NeverReturns: after a restart the node stays down.
	NeverReturns bool
	// WrongVersion: after a restart the node reports this version instead of
	// the requested one.
	WrongVersion string
	// Admin503Rate is the share (0..1) of authenticated admin calls answered
	// 503 before doing anything, so they are safe to retry. Deterministic:
	// with 0.5 every second call fails, with 1 every call.
	Admin503Rate float64
	// AdminDelay is extra latency on every authenticated admin call.
	AdminDelay time.Duration
	// RefuseMidDrain: halfway through quiescing every listener of the node
	// closes abruptly and the node ends stopped (its metrics are lost).
	RefuseMidDrain bool
	// HealthFlaps: after a restart, once RestartTime has elapsed, primary
	// health answers 200, 500, 200, ... for this many polls before it
	// settles on 200. The node only counts as ready once it has settled.
	HealthFlaps int
	// SlowStartProbes: after a restart, once RestartTime has elapsed, the
	// node stays starting (primary health 500) for this many more probes
	// on its primary port before it is ready (or starts flapping): a start
	// measured in probes rather than time, so a test can count on a node
	// still starting when the next apply reads it, however busy the
	// machine is.
	SlowStartProbes int
	// Unresponsive: every listener of the node accepts connections and
	// reads requests but answers none while the fault lasts, as a node
	// behind a partition or a firewall that drops its answers looks to a
	// client: the node itself keeps running and serving nobody.
	Unresponsive bool
	// HealthRed: the node's data store is red. Health answers 500 on every
	// port (and /health/engine reports red) while the node is up, where it
	// would answer 200; the node is not down: serverinfo, admin calls and
	// API traffic still work.
	HealthRed bool
	// QuiescingHealth500: while quiesce for all is in progress, every
	// second health answer on any of the node's ports is 500 (200, 500,
	// 200, ...) until this many 500s were given: a data store passing
	// through red while the node is still flushing. The quiesce goes on.
	QuiescingHealth500 int
}

// faultsJSON is the wire form: durations as Go duration strings.
type faultsJSON struct {
	QuiesceRefused     bool            `json:"quiesceRefused,omitempty"`
	QuiesceFailure     bool            `json:"quiesceFailure,omitempty"`
	DrainNeverEnds     bool            `json:"drainNeverEnds,omitempty"`
	NeverReturns       bool            `json:"neverReturns,omitempty"`
	WrongVersion       string          `json:"wrongVersion,omitempty"`
	Admin503Rate       float64         `json:"admin503Rate,omitempty"`
	AdminDelay         json.RawMessage `json:"adminDelay,omitempty"`
	RefuseMidDrain     bool            `json:"refuseMidDrain,omitempty"`
	HealthFlaps        int             `json:"healthFlaps,omitempty"`
	SlowStartProbes    int             `json:"slowStartProbes,omitempty"`
	Unresponsive       bool            `json:"unresponsive,omitempty"`
	HealthRed          bool            `json:"healthRed,omitempty"`
	QuiescingHealth500 int             `json:"quiescingHealth500,omitempty"`
}

// MarshalJSON writes AdminDelay as a Go duration string ("250ms").
func (f Faults) MarshalJSON() ([]byte, error) {
	j := faultsJSON{
		QuiesceRefused:     f.QuiesceRefused,
		QuiesceFailure:     f.QuiesceFailure,
		DrainNeverEnds:     f.DrainNeverEnds,
		NeverReturns:       f.NeverReturns,
		WrongVersion:       f.WrongVersion,
		Admin503Rate:       f.Admin503Rate,
		RefuseMidDrain:     f.RefuseMidDrain,
		HealthFlaps:        f.HealthFlaps,
		SlowStartProbes:    f.SlowStartProbes,
		Unresponsive:       f.Unresponsive,
		HealthRed:          f.HealthRed,
		QuiescingHealth500: f.QuiescingHealth500,
	}
	if f.AdminDelay != 0 {
		j.AdminDelay, _ = json.Marshal(f.AdminDelay.String())
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads AdminDelay as a Go duration string or as nanoseconds,
// and rejects unknown fields so a typo in a fault spec is not silently
// ignored.
func (f *Faults) UnmarshalJSON(b []byte) error {
	var j faultsJSON
	if err := decodeStrict(b, &j); err != nil {
		return err
	}
	d, err := parseDurationJSON(j.AdminDelay)
	if err != nil {
		return fmt.Errorf("adminDelay: %w", err)
	}
	if j.Admin503Rate < 0 || j.Admin503Rate > 1 {
		return fmt.Errorf("admin503Rate must be between 0 and 1, got %v", j.Admin503Rate)
	}
	if j.HealthFlaps < 0 {
		return fmt.Errorf("healthFlaps must not be negative")
	}
	if j.SlowStartProbes < 0 {
		return fmt.Errorf("slowStartProbes must not be negative")
	}
	if j.QuiescingHealth500 < 0 {
		return fmt.Errorf("quiescingHealth500 must not be negative")
	}
	*f = Faults{
		QuiesceRefused:     j.QuiesceRefused,
		QuiesceFailure:     j.QuiesceFailure,
		DrainNeverEnds:     j.DrainNeverEnds,
		NeverReturns:       j.NeverReturns,
		WrongVersion:       j.WrongVersion,
		Admin503Rate:       j.Admin503Rate,
		AdminDelay:         d,
		RefuseMidDrain:     j.RefuseMidDrain,
		HealthFlaps:        j.HealthFlaps,
		SlowStartProbes:    j.SlowStartProbes,
		Unresponsive:       j.Unresponsive,
		HealthRed:          j.HealthRed,
		QuiescingHealth500: j.QuiescingHealth500,
	}
	return nil
}

// SetFaults replaces the node's faults; they stay until replaced.
func (n *Node) SetFaults(f Faults) {
	n.mu.Lock()
	n.faults = f
	n.admin503Acc = 0
	n.mu.Unlock()
	b, _ := json.Marshal(f)
	n.c.emit(n.name, EventFault, "faults set: "+string(b))
}

// Faults returns the node's current faults.
func (n *Node) Faults() Faults { return locked(&n.mu, func() Faults { return n.faults }) }

// admin503 decides whether this admin call is one of the failing share.
func (n *Node) admin503() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	r := n.faults.Admin503Rate
	if r <= 0 {
		return false
	}
	n.admin503Acc += r
	if n.admin503Acc >= 1-1e-9 {
		n.admin503Acc--
		return true
	}
	return false
}
