// Package portreserve hands out TCP port numbers that no other listener can
// take before the one they are meant for opens. A test that must write a
// port number into a configuration before anything listens on it (the
// quiesce port a Terraform configuration creates on a simulated node, the
// frontend of an HAProxy the test starts) reserves it here instead of
// asking the system for a "free" port and binding it later: in between, a
// listener opened meanwhile (a test proxy on :0) could get the same port.
//
// A reservation is a socket bound to the port but not listening, so
// connections to a reserved port are refused, as to a closed port, until
// Listen turns it into the listener (or File hands it to a child process).
package portreserve

import (
	"errors"
	"net"
	"os"
	"strconv"
	"sync"
)

// ErrUsed is returned by Listen and File once the reservation was used or
// closed.
var ErrUsed = errors.New("portreserve: the reservation was already used or closed")

// Port is one reserved port. It is safe for concurrent use.
type Port struct {
	host   string
	number int

	mu sync.Mutex
	s  *socket // nil once used or closed
}

// Reserve binds a port chosen by the system on host (an IP address or a
// name that resolves to one) and keeps it until Listen, File or Close.
func Reserve(host string) (*Port, error) {
	s, number, err := bindAny(host)
	if err != nil {
		return nil, err
	}
	return &Port{host: host, number: number, s: s}, nil
}

// Number is the reserved port number.
func (p *Port) Number() int { return p.number }

// Addr is host:port.
func (p *Port) Addr() string { return net.JoinHostPort(p.host, strconv.Itoa(p.number)) }

// take hands the socket over once.
func (p *Port) take() (*socket, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.s
	if s == nil {
		return nil, ErrUsed
	}
	p.s = nil
	return s, nil
}

// Listen turns the reservation into a listener on the same socket, so the
// port never is free in between.
func (p *Port) Listen() (net.Listener, error) {
	s, err := p.take()
	if err != nil {
		return nil, err
	}
	return s.listen()
}

// File hands the bound socket over as a file, e.g. for a child process's
// ExtraFiles (HAProxy's "bind fd@3"), which then listens on it. The caller
// closes the file once the child has it.
func (p *Port) File() (*os.File, error) {
	s, err := p.take()
	if err != nil {
		return nil, err
	}
	return s.file()
}

// Close gives the port up unless it was used; it may be called more than
// once, also after Listen or File.
func (p *Port) Close() error {
	s, err := p.take()
	if err != nil {
		return nil //nolint:nilerr // used or closed already: nothing to give up
	}
	return s.close()
}
