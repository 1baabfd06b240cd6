package apigw

import (
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func newTLSGateway(t *testing.T, h http.HandlerFunc) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // expected handshake failures
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	return srv, caPEM
}

func TestTLSWithCustomCA(t *testing.T) {
	srv, caPEM := newTLSGateway(t, answer(200, `{"version":"10.15.0.7"}`))
	c := newTestClient(t, func(c *Config) { c.CACertPEM = "# our test CA\n" + caPEM })
	info, err := c.ServerInfo(ctxT(t), srv.URL)
	if err != nil || info.Version != "10.15.0.7" {
		t.Fatalf("%+v %v", info, err)
	}
	if status, err := c.Health(ctxT(t), srv.URL); err != nil || status != 200 {
		t.Errorf("health over TLS: %d %v", status, err)
	}
}

// TestHealthProbesResumeTLSSessions: every probe opens a new connection
// (drain detection must not ride on a pooled one), but after the first the
// TLS session is resumed rather than negotiated in full.
func TestHealthProbesResumeTLSSessions(t *testing.T) {
	var (
		mu      sync.Mutex
		conns   = map[string]bool{} // client address: one per connection
		resumed int
	)
	srv, caPEM := newTLSGateway(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		conns[r.RemoteAddr] = true
		if r.TLS.DidResume {
			resumed++
		}
	})
	c := newTestClient(t, func(c *Config) { c.CACertPEM = caPEM })
	for range 3 {
		if status, err := c.Health(ctxT(t), srv.URL); err != nil || status != 200 {
			t.Fatalf("health over TLS: %d %v", status, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(conns) != 3 || resumed != 2 {
		t.Errorf("3 probes: %d connections, %d resumed sessions; want 3 and 2", len(conns), resumed)
	}
}

func TestTLSUnknownAuthorityHintAndNoRetry(t *testing.T) {
	var calls atomic.Int32
	srv, _ := newTLSGateway(t, func(w http.ResponseWriter, r *http.Request) { calls.Add(1) })
	_, err := newTestClient(t).ServerInfo(ctxT(t), srv.URL)
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("%T %v", err, err)
	}
	if !strings.Contains(err.Error(), "ca_cert_pem") || !strings.Contains(err.Error(), "insecure_skip_verify") {
		t.Errorf("hint missing: %s", err)
	}
	if te.Attempts != 1 {
		t.Errorf("a TLS trust failure will not heal; %d attempts", te.Attempts)
	}
	if calls.Load() != 0 {
		t.Error("a request got through an untrusted TLS connection")
	}
	checkErrorStyle(t, err)
}

func TestTLSInsecureSkipVerify(t *testing.T) {
	srv, _ := newTLSGateway(t, answer(200, `{"version":"1"}`))
	c := newTestClient(t, func(c *Config) { c.InsecureSkipVerify = true })
	if _, err := c.ServerInfo(ctxT(t), srv.URL); err != nil {
		t.Fatal(err)
	}
}

func TestTLSConfigDefaults(t *testing.T) {
	cfg, err := tlsConfig("", false)
	if err != nil || cfg.InsecureSkipVerify || cfg.RootCAs != nil || cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("%+v %v", cfg, err)
	}
}

func TestHTTPSURLOnPlainHTTPNode(t *testing.T) {
	g := newFakeGateway(t, answer(200, `{}`))
	_, err := newTestClient(t).GetQuiesceMode(ctxT(t), strings.Replace(g.URL, "http://", "https://", 1))
	if err == nil || !strings.Contains(err.Error(), "use an http:// URL") {
		t.Errorf("%v", err)
	}
}

func TestBadPEM(t *testing.T) {
	_, caPEM := newTLSGateway(t, answer(200, ``))
	key := "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
	broken := "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
	for name, pemText := range map[string]string{
		"not pem":     "hello",
		"private key": key,
		"broken cert": caPEM + broken,
	} {
		_, err := New(Config{CACertPEM: pemText})
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "ca_cert_pem: ") || !strings.Contains(err.Error(), "BEGIN CERTIFICATE") {
			t.Errorf("%s: %s", name, err)
		}
		checkErrorStyle(t, err)
	}
	if _, err := New(Config{CACertPEM: "  \n"}); err != nil {
		t.Errorf("blank PEM means none: %v", err)
	}
}

func TestTLSHostnameMismatchHint(t *testing.T) {
	srv, caPEM := newTLSGateway(t, answer(200, `{}`))
	c := newTestClient(t, func(c *Config) { c.CACertPEM = caPEM })
	// The test certificate names 127.0.0.1 and example.com, not localhost.
	u := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	_, err := c.GetQuiesceMode(ctxT(t), u)
	if err == nil || !strings.Contains(err.Error(), "does not name this host") {
		t.Errorf("%v", err)
	}
}
