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
	c := startCluster(t, Options{Nodes: 1, TLS: cfg})
	n := c.Nodes()[0]
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
	// The tutorial's webMethods/HTTP port is a plain-HTTP listener even on
	// a node whose primary port speaks TLS, and so is its quiesce URL.
	p := n.ReservePort()
	a = doWith(client, "POST", n.URL()+"/rest/apigateway/ports", map[string]any{"factoryKey": "webMethods/HTTP", "port": itoa(p), "portAlias": "QuiescePort"}, true)
	expectStatus(t, a, http.StatusCreated)
	if a.json(t)["listenerKey"] != "HTTPListener@"+itoa(p) || a.json(t)["protocol"] != "HTTP" {
		t.Fatalf("create %s", a.body)
	}
	expectStatus(t, doWith(client, "PUT", n.URL()+"/rest/apigateway/ports/enable", map[string]string{"listenerKey": "HTTPListener@" + itoa(p), "pkg": "WmRoot"}, true), http.StatusOK)
	expectStatus(t, doWith(client, "PUT", n.URL()+"/invoke/wm.server.quiesce/setQuiescePort", map[string]string{"portAlias": "QuiescePort"}, true), http.StatusOK)
	if want := "http://127.0.0.1:" + itoa(p); n.QuiesceURL() != want || n.Status().QuiesceURL != want {
		t.Fatalf("quiesce URL %s (status %s), want %s", n.QuiesceURL(), n.Status().QuiesceURL, want)
	}
	expectStatus(t, do("GET", n.QuiesceURL()+"/rest/apigateway/health", nil, false), http.StatusOK)
	if a := doWith(client, "GET", "https://127.0.0.1:"+itoa(p)+"/rest/apigateway/health", nil, false); a.err == nil {
		t.Fatalf("TLS answered on a webMethods/HTTP port: %d", a.status)
	}
	// Only webMethods/HTTPS ports speak TLS; their key follows the factory.
	s := n.ReservePort()
	a = doWith(client, "POST", n.URL()+"/rest/apigateway/ports", map[string]any{"factoryKey": "webMethods/HTTPS", "port": itoa(s), "portAlias": "Secure"}, true)
	expectStatus(t, a, http.StatusCreated)
	if a.json(t)["listenerKey"] != "HTTPSListener@"+itoa(s) || a.json(t)["protocol"] != "HTTPS" {
		t.Fatalf("create %s", a.body)
	}
	expectStatus(t, doWith(client, "PUT", n.URL()+"/rest/apigateway/ports/enable", map[string]string{"listenerKey": "HTTPSListener@" + itoa(s), "pkg": "WmRoot"}, true), http.StatusOK)
	expectStatus(t, doWith(client, "GET", "https://127.0.0.1:"+itoa(s)+"/rest/apigateway/health", nil, false), http.StatusOK)
	if a := do("GET", "http://127.0.0.1:"+itoa(s)+"/rest/apigateway/health", nil, false); a.err == nil && a.status == 200 {
		t.Fatal("plain HTTP answered on a webMethods/HTTPS port")
	}
	// Without the certificate a client refuses the node.
	if a := do("GET", n.URL()+"/rest/apigateway/health", nil, false); a.err == nil {
		t.Fatal("untrusted certificate accepted")
	}
}
