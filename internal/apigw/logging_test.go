package apigw

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestLoggerGetsAttemptsButNeverCredentials(t *testing.T) {
	g := newFakeGateway(t, failThen(1, answer(500, ``), answer(200, `{"version":"1"}`)))
	log := &recLogger{}
	c := newTestClient(t, func(c *Config) { c.Logger = log })
	// Credentials in the URL must be dropped too.
	nodeURL := strings.Replace(g.URL, "http://", "http://urluser:urlpass@", 1)
	if _, err := c.ServerInfo(ctxT(t), nodeURL); err != nil {
		t.Fatal(err)
	}
	_ = c.EnablePort(ctxT(t), nodeURL, PortRef{ListenerKey: "HTTPListener@4444"})
	_, _ = c.Health(ctxT(t), nodeURL)

	recs := log.all()
	if len(recs) != 3 { // the health probe is not logged: it is a poll
		t.Fatalf("%d records: %v", len(recs), recs)
	}
	for _, r := range recs {
		if r["op"] == "health check" {
			t.Errorf("health probe logged: %v", r)
		}
	}
	if len(recs) != 3 {
		t.Fatalf("%d records: %v", len(recs), recs)
	}
	first, second := recs[0], recs[1]
	if first["attempt"] != 1 || second["attempt"] != 2 || first["status"] != 500 || second["status"] != 200 ||
		first["method"] != "GET" || first["op"] != "get server info" {
		t.Errorf("records: %v / %v", first, second)
	}
	if _, ok := first["duration_ms"].(int64); !ok {
		t.Errorf("duration missing: %v", first)
	}
	if first["url"] != g.URL+"/rest/apigateway/is/serverinfo" {
		t.Errorf("url %v", first["url"])
	}
	basic := base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPass))
	for _, r := range recs {
		text := fmt.Sprint(r)
		for _, secret := range []string{testPass, basic, "Basic ", "Authorization", "urlpass", "urluser"} {
			if strings.Contains(text, secret) {
				t.Errorf("log record leaks %q: %s", secret, text)
			}
		}
	}
	// The gateway never sees URL credentials either: Config wins.
	for _, s := range g.requests() {
		if s.Path != "/rest/apigateway/health" && s.User != testUser {
			t.Errorf("user %q", s.User)
		}
		if s.Path == "/rest/apigateway/health" && s.HasAuth {
			t.Error("URL credentials leaked into the health probe")
		}
	}
}

func TestErrorsNeverCarryCredentials(t *testing.T) {
	c := newTestClient(t)
	_, err := c.ServerInfo(ctxT(t), "http://user:topsecret@"+deadAddress(t))
	if err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("%v", err)
	}
	_, err = c.ServerInfo(ctxT(t), "ftp://user:topsecret@host")
	if err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("%v", err)
	}
	g := newFakeGateway(t, answer(http.StatusUnauthorized, ``))
	_, err = c.ServerInfo(ctxT(t), strings.Replace(g.URL, "http://", "http://u:topsecret@", 1))
	if !IsUnauthorized(err) || strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), testPass) {
		t.Errorf("%v", err)
	}
}

func TestSilentWithoutLogger(t *testing.T) {
	g := newFakeGateway(t, answer(500, ``))
	// No Logger: nothing may panic, and retryablehttp's own logger is off
	// (it would print to stderr).
	c := newTestClient(t)
	if c.admin.Logger != nil || c.probe.Logger != nil {
		t.Error("retryablehttp logger not silenced")
	}
	_, _ = c.GetQuiesceMode(ctxT(t), g.URL)
}
