//go:build unix

package portreserve

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// reserve reserves a loopback port for the test and gives it up when the
// test ends (nothing to give up once Listen or File used it).
func reserve(t *testing.T) *Port {
	t.Helper()
	p, err := Reserve("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// TestReservationRefusesThenListens: a reserved port refuses connections
// and cannot be bound by anyone else; Listen serves on it; a reservation is
// used once.
func TestReservationRefusesThenListens(t *testing.T) {
	p := reserve(t)
	if p.Number() <= 0 || p.Addr() != "127.0.0.1:"+strconv.Itoa(p.Number()) {
		t.Fatalf("number %d addr %s", p.Number(), p.Addr())
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial a reserved port: %v, want connection refused", err)
	}
	if ln, err := net.Listen("tcp", p.Addr()); err == nil {
		ln.Close()
		t.Fatal("another listener bound a reserved port")
	}
	ln, err := p.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + p.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Fatalf("body %q", body)
	}
	if _, err := p.Listen(); !errors.Is(err, ErrUsed) {
		t.Errorf("second Listen: %v, want ErrUsed", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close after Listen: %v", err)
	}
}

// TestReservationsNeverCollide: while ports are reserved, neither another
// reservation nor a listener on :0 gets one of them.
func TestReservationsNeverCollide(t *testing.T) {
	seen := map[int]bool{}
	for range 200 {
		p := reserve(t)
		if seen[p.Number()] {
			t.Fatalf("port %d reserved twice", p.Number())
		}
		seen[p.Number()] = true
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ln.Close() })
		addr, ok := ln.Addr().(*net.TCPAddr)
		if !ok {
			t.Fatalf("listener address %v is not TCP", ln.Addr())
		}
		if n := addr.Port; seen[n] {
			t.Fatalf("a listener on :0 got reserved port %d", n)
		}
	}
}

// TestFileHandsOverTheBoundSocket: File gives the bound socket away (for a
// child process to listen on); the reservation is then used.
func TestFileHandsOverTheBoundSocket(t *testing.T) {
	p := reserve(t)
	f, err := p.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sa, err := syscall.Getsockname(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := sa.(*syscall.SockaddrInet4); !ok || a.Port != p.Number() {
		t.Fatalf("file's socket is bound to %v, want port %d", sa, p.Number())
	}
	if _, err := p.File(); !errors.Is(err, ErrUsed) {
		t.Errorf("second File: %v", err)
	}
}

func TestReserveResolvesNames(t *testing.T) {
	p, err := Reserve("localhost")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Number() <= 0 {
		t.Fatalf("number %d", p.Number())
	}
	if _, err := Reserve("no-such-host.invalid"); err == nil {
		t.Error("an unknown host was reserved")
	}
}

// TestPortBindsAgainAfterConnections: once the listener made from a
// reservation served a connection and closed, the port can be bound again
// at once (as a simulated node does when it restarts), although the
// server side of the connection is in TIME_WAIT.
func TestPortBindsAgainAfterConnections(t *testing.T) {
	p := reserve(t)
	ln, err := p.Listen()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		c, err := ln.Accept()
		if err == nil {
			_ = c.Close() // the server closes first: its side goes to TIME_WAIT
		}
	}()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Read(make([]byte, 1))
	c.Close()
	ln.Close()
	again, err := net.Listen("tcp", p.Addr())
	if err != nil {
		t.Fatalf("bind again after close: %v", err)
	}
	again.Close()
}
