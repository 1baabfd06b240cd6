//go:build !unix

package portreserve

import (
	"errors"
	"net"
	"os"
)

// socket holds the port with a listener: where the simulator and its tests
// do not run (no unix sockets API), connections to a reserved port queue
// instead of being refused.
type socket struct{ ln net.Listener }

func bindAny(host string) (*socket, int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, 0, err
	}
	return &socket{ln: ln}, ln.Addr().(*net.TCPAddr).Port, nil
}

func (s *socket) listen() (net.Listener, error) { return s.ln, nil }

func (s *socket) file() (*os.File, error) {
	_ = s.ln.Close()
	return nil, errors.New("portreserve: File is only available on unix")
}

func (s *socket) close() error { return s.ln.Close() }
