//go:build unix

package portreserve

import (
	"context"
	"fmt"
	"net"
	"os"
	"syscall"
)

// socket is a TCP socket bound to a port and not listening.
type socket struct{ fd int }

// bindAny binds a socket to a port the system picks on host. The socket
// does not set SO_REUSEADDR, so no other socket can bind the port while it
// is held, and connections to it are refused since nothing listens.
func bindAny(host string) (*socket, int, error) {
	ip, err := resolve(host)
	if err != nil {
		return nil, 0, err
	}
	family := syscall.AF_INET6
	var sa syscall.Sockaddr = &syscall.SockaddrInet6{Addr: [16]byte(ip.To16())}
	if ip4 := ip.To4(); ip4 != nil {
		family, sa = syscall.AF_INET, &syscall.SockaddrInet4{Addr: [4]byte(ip4)}
	}
	syscall.ForkLock.RLock()
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, 0, fmt.Errorf("portreserve: socket: %w", err)
	}
	if err := syscall.Bind(fd, sa); err != nil {
		_ = syscall.Close(fd)
		return nil, 0, fmt.Errorf("portreserve: bind %s:0: %w", host, err)
	}
	got, err := syscall.Getsockname(fd)
	if err != nil {
		_ = syscall.Close(fd)
		return nil, 0, fmt.Errorf("portreserve: getsockname: %w", err)
	}
	var port int
	switch a := got.(type) {
	case *syscall.SockaddrInet4:
		port = a.Port
	case *syscall.SockaddrInet6:
		port = a.Port
	}
	return &socket{fd: fd}, port, nil
}

func resolve(host string) (net.IP, error) {
	if ip := net.ParseIP(host); ip != nil {
		return ip, nil
	}
	ips, err := net.DefaultResolver.LookupIP(context.Background(), "ip", host)
	if err != nil || len(ips) == 0 {
		return nil, fmt.Errorf("portreserve: resolve %q: %v", host, err)
	}
	return ips[0], nil
}

func (s *socket) listen() (net.Listener, error) {
	// Only now SO_REUSEADDR, as every Go listener has it: the connections
	// this listener accepts inherit it, and without it their TIME_WAIT
	// would keep the port from being bound again after the listener closes.
	if err := syscall.SetsockoptInt(s.fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		_ = syscall.Close(s.fd)
		return nil, fmt.Errorf("portreserve: SO_REUSEADDR: %w", err)
	}
	if err := syscall.Listen(s.fd, syscall.SOMAXCONN); err != nil {
		_ = syscall.Close(s.fd)
		return nil, fmt.Errorf("portreserve: listen: %w", err)
	}
	f := os.NewFile(uintptr(s.fd), "portreserve")
	defer f.Close() // the listener holds its own copy
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("portreserve: %w", err)
	}
	return ln, nil
}

func (s *socket) file() (*os.File, error) {
	if err := syscall.SetsockoptInt(s.fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		_ = syscall.Close(s.fd)
		return nil, fmt.Errorf("portreserve: SO_REUSEADDR: %w", err)
	}
	return os.NewFile(uintptr(s.fd), "portreserve"), nil
}

func (s *socket) close() error { return syscall.Close(s.fd) }
