package gwsim

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// tracker counts running goroutines. Unlike sync.WaitGroup it may gain
// members while someone waits, which happens when a handler starts just as
// the cluster closes.
type tracker struct {
	mu sync.Mutex
	n  int
}

func (t *tracker) add()  { t.mu.Lock(); t.n++; t.mu.Unlock() }
func (t *tracker) done() { t.mu.Lock(); t.n--; t.mu.Unlock() }

func (t *tracker) count() int { return locked(&t.mu, func() int { return t.n }) }

// Go runs f in a tracked goroutine.
func (t *tracker) Go(f func()) {
	t.add()
	go func() {
		defer t.done()
		f()
	}()
}

// wait polls until nothing runs or the timeout passes.
func (t *tracker) wait(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for t.count() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

// server is one real listener with its HTTP server.
type server struct {
	srv *http.Server
	ln  net.Listener
	// conns counts the client connections open on the listener, idle
	// keep-alive ones included: a drain shutdown waits for them as client
	// sessions.
	conns atomic.Int64
}

var quietLog = log.New(io.Discard, "", 0)

// bind listens on host:port, taking over a reservation of that port made by
// ReservePort; 0 picks a free port.
func (c *Cluster) bind(port int) (net.Listener, error) {
	if r := c.takeReservation(port); r != nil {
		return r.Listen()
	}
	var lc net.ListenConfig
	return lc.Listen(context.Background(), "tcp", net.JoinHostPort(c.opts.Host, strconv.Itoa(port)))
}

// serve answers h on ln, over TLS when the cluster has a TLS config and
// useTLS is set.
func (c *Cluster) serve(ln net.Listener, useTLS bool, h http.Handler) *server {
	if useTLS && c.opts.TLS != nil {
		ln = tls.NewListener(ln, c.opts.TLS)
	}
	s := &server{
		ln: ln,
		srv: &http.Server{
			Handler:           c.trackHandler(h),
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          quietLog,
		},
	}
	s.srv.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			s.conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			s.conns.Add(-1)
		}
	}
	c.work.Go(func() { _ = s.srv.Serve(ln) })
	return s
}

// trackHandler counts handlers so Close can wait for them, and refuses new
// ones once the cluster is closing.
func (c *Cluster) trackHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.work.add()
		defer c.work.done()
		if c.ctx.Err() != nil {
			panic(http.ErrAbortHandler)
		}
		h.ServeHTTP(w, r)
	})
}

// abort closes the listener and every connection at once, like a crash.
// The listener is closed directly too: Serve may not have taken it over yet.
func (s *server) abort() {
	_ = s.ln.Close()
	_ = s.srv.Close()
}

// drain stops accepting connections, lets running requests finish (until ctx
// ends) and then closes what is left.
func (s *server) drain(ctx context.Context) {
	_ = s.ln.Close()
	_ = s.srv.Shutdown(ctx)
	_ = s.srv.Close()
}

// closeAfter is deferred by handlers that take a listener away under the
// node's lock: it closes *s (when set) once the handler is done with it.
func (c *Cluster) closeAfter(s **server) {
	if *s != nil {
		c.closeSoon(*s)
	}
}

// closeSoon refuses new connections now and drains the open ones in the
// background; used when a handler disables the port it may be served on.
func (c *Cluster) closeSoon(s *server) {
	_ = s.ln.Close()
	c.work.Go(func() {
		ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
		defer cancel()
		s.drain(ctx)
	})
}
