package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// loadConfig shapes the client traffic sent through HAProxy. The load is
// bounded both in time and in count so a stuck test cannot flood anything.
type loadConfig struct {
	URL         string        // full request URL (loopback only)
	Workers     int           // concurrent clients, each with keep-alive
	Rate        int           // requests per second, all workers together
	MaxDuration time.Duration // the generator stops by itself after this
	MaxRequests int64         // ... or after this many requests
	Timeout     time.Duration // per request
}

// sample is one client request as the client saw it.
type sample struct {
	Start   time.Time
	Latency time.Duration
	Status  int    // 0 when no response arrived
	Failure string // empty when the request succeeded (200)
}

// loadGen runs the workers until stopped or out of budget.
type loadGen struct {
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	mu       sync.Mutex
	samples  []sample
	sent     atomic.Int64
	stopOnce sync.Once
	client   *http.Client
}

// startLoad starts the workers. It refuses any target that is not on the
// loopback interface.
func startLoad(cfg loadConfig) (*loadGen, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("load target %q is not a loopback address", cfg.URL)
	}
	if cfg.Workers < 1 || cfg.Rate < 1 || cfg.MaxDuration <= 0 || cfg.MaxRequests < 1 || cfg.Timeout <= 0 {
		return nil, fmt.Errorf("incomplete load config %+v", cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.MaxDuration)
	transport := &http.Transport{
		MaxIdleConnsPerHost: cfg.Workers,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	l := &loadGen{cancel: cancel, client: &http.Client{Transport: transport, Timeout: cfg.Timeout}}
	interval := time.Duration(cfg.Workers) * time.Second / time.Duration(cfg.Rate)
	for w := range cfg.Workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			// Spread the workers over one interval so requests arrive
			// evenly rather than in bursts of cfg.Workers.
			offset := interval * time.Duration(w) / time.Duration(cfg.Workers)
			select {
			case <-ctx.Done():
				return
			case <-time.After(offset):
			}
			l.work(ctx, cfg, interval)
		}()
	}
	return l, nil
}

// work sends one request per tick; a slow response skips ticks rather than
// piling requests up.
func (l *loadGen) work(ctx context.Context, cfg loadConfig, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var mine []sample
	defer func() {
		l.mu.Lock()
		l.samples = append(l.samples, mine...)
		l.mu.Unlock()
	}()
	for {
		if l.sent.Add(1) > cfg.MaxRequests {
			return
		}
		mine = append(mine, l.once(cfg.URL))
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// once sends one GET and reads the whole answer (so the connection is
// reused). The request is not tied to the generator's context: stopping it
// lets the requests in flight finish rather than counting them as failures.
func (l *loadGen) once(target string) sample {
	s := sample{Start: time.Now()}
	resp, err := l.client.Get(target)
	if err != nil {
		s.Latency = time.Since(s.Start)
		s.Failure = describeError(err)
		return s
	}
	_, err = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	s.Latency = time.Since(s.Start)
	s.Status = resp.StatusCode
	switch {
	case err != nil:
		s.Failure = "body: " + describeError(err)
	case resp.StatusCode != http.StatusOK:
		s.Failure = fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return s
}

// describeError shortens a client error to something that groups well.
func describeError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg, "127.0.0.1") {
		msg = msg[i+2:]
	}
	return msg
}

// stop ends the load, waits for the workers and returns every sample. It
// may be called more than once; later calls return the same samples.
func (l *loadGen) stop() []sample {
	l.stopOnce.Do(func() {
		l.cancel()
		l.wg.Wait()
		l.client.CloseIdleConnections()
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]sample(nil), l.samples...)
}
