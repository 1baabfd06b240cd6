package gwsim

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestTLSCluster(t *testing.T) {
	cfg, pemCert, err := SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	c, n := startNode(t, Options{TLS: cfg})
	if !strings.HasPrefix(n.URL(), "https://127.0.0.1:") || !strings.HasPrefix(c.ControlURL(), "http://") {
		t.Fatalf("URLs %s %s", n.URL(), c.ControlURL())
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemCert)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}}
	expectStatus(t, doWith(client, "GET", n.URL()+"/rest/apigateway/health", nil, false), http.StatusOK)
	// Plain HTTP is not served on a TLS port.
	if a := do("GET", strings.Replace(n.URL(), "https", "http", 1)+"/rest/apigateway/health", nil, false); a.err == nil && a.status == 200 {
		t.Fatal("plain HTTP answered on a TLS port")
	}
	a := doWith(client, "GET", n.URL()+"/rest/apigateway/ports/primary", nil, true)
	if key, _ := a.json(t)["listenerKey"].(string); !strings.HasPrefix(key, "HTTPSListener@") {
		t.Fatalf("primary %s", a.body)
	}
	// addPort creates and enables a port of the factory webMethods/<protocol>
	// through the TLS client; its listener key follows the factory.
	addPort := func(protocol, alias string) int {
		t.Helper()
		p := n.ReservePort()
		key := protocol + "Listener@" + itoa(p)
		a := doWith(client, "POST", n.URL()+"/rest/apigateway/ports", map[string]any{"factoryKey": "webMethods/" + protocol, "port": itoa(p), "portAlias": alias}, true)
		expectStatus(t, a, http.StatusCreated)
		if a.json(t)["listenerKey"] != key || a.json(t)["protocol"] != protocol {
			t.Fatalf("create %s", a.body)
		}
		expectStatus(t, doWith(client, "PUT", n.URL()+"/rest/apigateway/ports/enable", map[string]string{"listenerKey": key, "pkg": "WmRoot"}, true), http.StatusOK)
		return p
	}
	// The tutorial's webMethods/HTTP port is a plain-HTTP listener even on
	// a node whose primary port speaks TLS, and so is its quiesce URL.
	p := addPort("HTTP", "QuiescePort")
	expectStatus(t, doWith(client, "PUT", n.URL()+"/invoke/wm.server.quiesce/setQuiescePort", map[string]string{"portAlias": "QuiescePort"}, true), http.StatusOK)
	if want := "http://127.0.0.1:" + itoa(p); n.QuiesceURL() != want || n.Status().QuiesceURL != want {
		t.Fatalf("quiesce URL %s (status %s), want %s", n.QuiesceURL(), n.Status().QuiesceURL, want)
	}
	expectStatus(t, do("GET", n.QuiesceURL()+"/rest/apigateway/health", nil, false), http.StatusOK)
	if a := doWith(client, "GET", "https://127.0.0.1:"+itoa(p)+"/rest/apigateway/health", nil, false); a.err == nil {
		t.Fatalf("TLS answered on a webMethods/HTTP port: %d", a.status)
	}
	// Only webMethods/HTTPS ports speak TLS.
	s := addPort("HTTPS", "Secure")
	expectStatus(t, doWith(client, "GET", "https://127.0.0.1:"+itoa(s)+"/rest/apigateway/health", nil, false), http.StatusOK)
	if a := do("GET", "http://127.0.0.1:"+itoa(s)+"/rest/apigateway/health", nil, false); a.err == nil && a.status == 200 {
		t.Fatal("plain HTTP answered on a webMethods/HTTPS port")
	}
	// Without the certificate a client refuses the node.
	if a := do("GET", n.URL()+"/rest/apigateway/health", nil, false); a.err == nil {
		t.Fatal("untrusted certificate accepted")
	}
}
