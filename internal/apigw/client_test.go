package apigw

import (
	"testing"
	"time"
)

func TestNewDefaults(t *testing.T) {
	c, err := New(Config{RequestTimeout: -1, MaxRetries: -3, RetryWaitMin: time.Second, RetryWaitMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.RequestTimeout != 30*time.Second || c.admin.HTTPClient.Timeout != 30*time.Second {
		t.Errorf("timeout %s", c.cfg.RequestTimeout)
	}
	if c.admin.RetryMax != 0 || c.probe.RetryMax != 0 {
		t.Errorf("retries %d", c.admin.RetryMax)
	}
	if c.cfg.RetryWaitMax != time.Second {
		t.Errorf("max wait below min not raised: %s", c.cfg.RetryWaitMax)
	}
	if c.cfg.UserAgent != DefaultUserAgent {
		t.Errorf("user agent %q", c.cfg.UserAgent)
	}
	c, _ = New(Config{MaxRetries: 4})
	if c.admin.RetryMax != 4 || c.probe.RetryMax != 0 || c.cfg.RetryWaitMin != 200*time.Millisecond || c.cfg.RetryWaitMax != 3*time.Second {
		t.Errorf("%+v", c.cfg)
	}
}

func TestUserAgentSent(t *testing.T) {
	g := newFakeGateway(t, answer(200, `{}`))
	c := newTestClient(t, func(c *Config) { c.UserAgent = "terraform-provider-apigw/1.2.3" })
	_, _ = c.GetQuiesceMode(ctxT(t), g.URL)
	_, _ = c.Health(ctxT(t), g.URL)
	for _, s := range g.requests() {
		if s.Header.Get("User-Agent") != "terraform-provider-apigw/1.2.3" {
			t.Errorf("%s: User-Agent %q", s.Path, s.Header.Get("User-Agent"))
		}
	}
}
