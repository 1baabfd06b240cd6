package gwsim

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/portreserve"
)

// Options configure a simulated cluster. The zero value is a usable
// three-node plain-HTTP cluster.
type Options struct {
	Nodes    int    // default 3; names "gw-1".."gw-N"
	Version  string // initial version reported by serverinfo, default DefaultVersion
	Username string // Basic auth for admin calls, default "Administrator"
	Password string // default "manage"
	// TLS, when set, makes every node's primary port serve HTTPS and is the
	// keystore of the ports created with factoryKey webMethods/HTTPS (the
	// only ones that speak TLS: a webMethods/HTTP port, such as the
	// tutorial's quiesce port, stays plain HTTP). Without it, HTTPS port
	// creation is refused. The control API stays plain HTTP.
	TLS *tls.Config
	// DrainTime runs from a quiesce-for-all request until the flush is done
	// and the ports close; the node also waits for requests in flight.
	// Default 200ms.
	DrainTime time.Duration
	// RestartTime runs from a node's start until health answers 200.
	// Default 200ms.
	RestartTime time.Duration
	// AdminLatency is added to every authenticated admin call (not to
	// health or runtime traffic).
	AdminLatency time.Duration
	// ShutdownMinute is how long one minute of a drain shutdown's timeout
	// lasts, default one minute; tests shorten it.
	ShutdownMinute time.Duration
	Host           string // default "127.0.0.1"
	// SerialQuiesce refuses (500, before any work) a quiesce-for-all
	// request that arrives while another node's is still being answered:
	// the vendor asks for one node at a time and does not say what a
	// gateway does otherwise. Overlaps are counted either way
	// (QuiesceOverlaps, event quiesce_overlap).
	SerialQuiesce bool
	// Variants select the other documented answer where the vendor's
	// material disagrees, so clients can be tested against both.
	Variants Variants
	// OnRequest, when set, is called as every request reaches a node
	// listener (health, admin or runtime, on any port), so a benchmark can
	// measure the load a client puts on the gateway from the gateway's side.
	// It runs on the request's goroutine: keep it quick and concurrency-safe.
	OnRequest func(node string, port int, path string)
}

// Variants switch between answers the vendor material gives in two forms.
// The zero value follows the Swagger files.
type Variants struct {
	// PortCreatedOK makes POST /ports answer 200 (seen by the vendor's
	// Ansible role) instead of 201 (Swagger).
	PortCreatedOK bool
	// UnknownPortEmpty makes GET /ports?listenerKey= for an unknown key
	// answer 200 with a port object lacking uniqueID instead of 400.
	UnknownPortEmpty bool
	// QuiescedHealthStatus is the status health answers on the quiesce
	// port once quiesce for all is complete (the API Gateway package is
	// disabled then). Default 503.
	QuiescedHealthStatus int
	// VersionWithoutFix makes serverinfo report "version" as
	// X.Y.0.0.<build> whatever fix is installed, as the vendor's one real
	// sample reads ("10.5.0.0.5015", build "5015"); the fix level then
	// shows only in patch_nums. The default reports it in the fourth
	// segment ("10.15.0.7.1234"). Which one a real gateway does is not
	// confirmed. The installed version (Node.Version, the control API,
	// gwsim version) carries the fix level either way.
	VersionWithoutFix bool
	// HealthNeedsCredentials makes every health endpoint (on any port,
	// the quiesce port included, whatever the node's state) answer 401 to
	// a request without valid credentials, as the 10.15 monitoring page
	// says ("a valid user is required"). The default follows the pages
	// that call health without authentication.
	HealthNeedsCredentials bool
}

// Defaults used when Options leave a field empty.
const (
	DefaultVersion     = "10.15.0.5.120"
	DefaultUsername    = "Administrator"
	DefaultPassword    = "manage"
	DefaultDrainTime   = 200 * time.Millisecond
	DefaultRestartTime = 200 * time.Millisecond
	maxNodes           = 256 // the benchmark rolls 200
)

// Cluster is a running simulated cluster. All methods are safe for
// concurrent use.
type Cluster struct {
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc

	nodes  []*Node
	byName map[string]*Node
	store  *store
	hooks  *webhooks
	// quiesce watches that quiesce for all is asked of one node at a time.
	quiesce quiesceTurns

	evMu   sync.Mutex
	events []Event

	control    *server
	controlURL string

	resMu    sync.Mutex
	reserved map[int]*portreserve.Port // by ReservePort, until bind takes them

	// work tracks every goroutine the cluster starts (servers, handlers,
	// background jobs) so Close can wait for all of them.
	work      tracker
	closeOnce sync.Once
}

// Start brings up a cluster whose nodes are ready at once.
func Start(opts Options) (*Cluster, error) {
	if err := fillDefaults(&opts); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cluster{
		opts:     opts,
		ctx:      ctx,
		cancel:   cancel,
		byName:   map[string]*Node{},
		store:    newStore(),
		hooks:    newWebhooks(),
		reserved: map[int]*portreserve.Port{},
	}
	for i := 1; i <= opts.Nodes; i++ {
		n := newNode(c, fmt.Sprintf("gw-%d", i), opts.Version)
		c.nodes = append(c.nodes, n)
		c.byName[n.name] = n
	}
	for _, n := range c.nodes {
		if err := n.boot(); err != nil {
			c.Close()
			return nil, fmt.Errorf("gwsim: start %s: %w", n.name, err)
		}
	}
	if err := c.startControl(); err != nil {
		c.Close()
		return nil, fmt.Errorf("gwsim: start control API: %w", err)
	}
	return c, nil
}

func fillDefaults(o *Options) error {
	switch {
	case o.Nodes == 0:
		o.Nodes = 3
	case o.Nodes < 0 || o.Nodes > maxNodes:
		return fmt.Errorf("gwsim: Nodes must be between 1 and %d, got %d", maxNodes, o.Nodes)
	}
	o.Version = cmp.Or(o.Version, DefaultVersion)
	o.Username = cmp.Or(o.Username, DefaultUsername)
	o.Password = cmp.Or(o.Password, DefaultPassword)
	o.DrainTime = cmp.Or(o.DrainTime, DefaultDrainTime)
	o.RestartTime = cmp.Or(o.RestartTime, DefaultRestartTime)
	o.ShutdownMinute = cmp.Or(o.ShutdownMinute, time.Minute)
	if o.DrainTime < 0 || o.RestartTime < 0 || o.AdminLatency < 0 || o.ShutdownMinute < 0 {
		return errors.New("gwsim: durations must not be negative")
	}
	o.Host = cmp.Or(o.Host, "127.0.0.1")
	o.Variants.QuiescedHealthStatus = cmp.Or(o.Variants.QuiescedHealthStatus, 503)
	if s := o.Variants.QuiescedHealthStatus; s < 100 || s > 599 || s == 200 {
		return fmt.Errorf("gwsim: Variants.QuiescedHealthStatus must be an HTTP status other than 200, got %d", s)
	}
	return nil
}

// Close stops every node and the control API, frees all ports and waits for
// the cluster's goroutines to end. It is safe to call more than once.
func (c *Cluster) Close() {
	c.closeOnce.Do(func() {
		c.cancel()
		for _, n := range c.nodes {
			n.closeForGood()
		}
		if c.control != nil {
			c.control.abort()
		}
		c.releaseReservations()
		c.work.wait(10 * time.Second)
	})
}

// Nodes returns the nodes in name order (gw-1 first).
func (c *Cluster) Nodes() []*Node { return append([]*Node(nil), c.nodes...) }

// Node returns the node with that name, or nil.
func (c *Cluster) Node(name string) *Node { return c.byName[name] }

// ControlURL is the base URL of the control API (plain HTTP, no auth).
func (c *Cluster) ControlURL() string { return c.controlURL }

// Options returns the options the cluster runs with, defaults filled in.
func (c *Cluster) Options() Options { return c.opts }

// baseURL is the URL of a listener on port: https for HTTPS listeners.
func (c *Cluster) baseURL(protocol string, port int) string {
	scheme := "http"
	if protocol == protoHTTPS {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(c.opts.Host, strconv.Itoa(port))
}

// sleep waits d unless the cluster closes or done is closed first; it
// reports whether the full time passed.
func (c *Cluster) sleep(d time.Duration, done <-chan struct{}) bool {
	if d <= 0 {
		select {
		case <-c.ctx.Done():
			return false
		case <-done:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	case <-done:
		return false
	}
}
