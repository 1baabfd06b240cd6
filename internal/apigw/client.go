package apigw

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Defaults applied by New when the Config leaves a field at its zero value.
const (
	DefaultRequestTimeout = 30 * time.Second
	DefaultRetryWaitMin   = 200 * time.Millisecond //nolint:revive // Min is minimum (retryablehttp's RetryWaitMin), not minutes.
	DefaultRetryWaitMax   = 3 * time.Second
	DefaultUserAgent      = "terraform-provider-apigw"
)

// maxBodySize bounds what is read from one answer; gateway answers here are
// small, and an endless body must not exhaust memory.
const maxBodySize = 8 << 20

// Logger receives one debug record per HTTP attempt (health probes, which
// are polls, excepted). It is never given headers, credentials or request
// bodies.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
}

// Config holds what every node of a cluster shares: credentials, TLS trust
// and request policy.
type Config struct {
	Username, Password string
	InsecureSkipVerify bool
	CACertPEM          string // PEM bundle trusted in addition to system roots
	// HealthProbeCredentials sends Username and Password with health probes
	// too, for gateways whose health endpoint requires a user. Off, probes
	// go without credentials, as load balancers and the vendor's scripts
	// call health.
	HealthProbeCredentials bool
	RequestTimeout         time.Duration // one HTTP attempt; 0 => 30s
	MaxRetries             int           // retries of retry-safe calls on connection errors, 429, 5xx; negative => 0
	UserAgent              string        // "" => DefaultUserAgent
	Logger                 Logger        // nil => silent

	// Bounds of the exponential backoff between retries; 0 => 200ms / 3s.
	// A Retry-After header is honoured up to RetryWaitMax.
	RetryWaitMin, RetryWaitMax time.Duration
}

// Client talks to any number of gateway nodes. It is safe for concurrent use.
type Client struct {
	cfg   Config
	admin *retryablehttp.Client // authenticated calls, retried when safe
	probe *retryablehttp.Client // health probes: fresh connection, one attempt
}

// New checks cfg and builds a client. The only error is an unusable
// CACertPEM.
func New(cfg Config) (*Client, error) {
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.RetryWaitMin <= 0 {
		cfg.RetryWaitMin = DefaultRetryWaitMin
	}
	if cfg.RetryWaitMax <= 0 {
		cfg.RetryWaitMax = DefaultRetryWaitMax
	}
	if cfg.RetryWaitMax < cfg.RetryWaitMin {
		cfg.RetryWaitMax = cfg.RetryWaitMin
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	tlsCfg, err := tlsConfig(cfg.CACertPEM, cfg.InsecureSkipVerify)
	if err != nil {
		return nil, err
	}

	base := defaultTransport()
	base.TLSClientConfig = tlsCfg
	// Drain detection reads "no answer" as "node finished quiescing", so a
	// probe must never ride on a pooled connection the node already dropped.
	probeTransport := base.Clone()
	probeTransport.DisableKeepAlives = true

	c := &Client{cfg: cfg}
	c.admin = c.retryClient(base, cfg.MaxRetries)
	c.probe = c.retryClient(probeTransport, 0)
	return c, nil
}

func (c *Client) retryClient(t *http.Transport, retries int) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient: &http.Client{
			Transport: &loggingTransport{next: t, log: c.cfg.Logger},
			Timeout:   c.cfg.RequestTimeout, // per attempt: each retry gets its own
		},
		Logger:       nil, // silenced; attempts are logged by loggingTransport
		RetryWaitMin: c.cfg.RetryWaitMin,
		RetryWaitMax: c.cfg.RetryWaitMax,
		RetryMax:     retries,
		CheckRetry:   checkRetry,
		Backoff:      backoff,
		ErrorHandler: keepLastAnswer,
	}
}

// call describes one logical API call; do turns it into HTTP attempts.
type call struct {
	op     string // lower-case verb phrase for error messages
	method string
	path   string
	query  url.Values
	body   any  // JSON-encoded when non-nil
	retry  bool // safe to repeat (GET or idempotent write)
	noAuth bool // without credentials
	// probe goes on a fresh connection, exactly once (health probes).
	probe bool
	// quiet keeps the attempt out of the log: health probes are polls, a
	// rollout makes thousands, and a log line each would cost more CPU in
	// the provider and in Terraform than the rollout itself; the engine's
	// events say what each wait saw.
	quiet bool

	// anyStatus takes every HTTP status as the answer rather than an error
	// (health: 500 means not ready).
	anyStatus bool
	// holdNoSession leaves the node no connection of this client: idle
	// pooled connections are closed first and the node is asked to close
	// this one after its answer (shutdown: a node that drains its client
	// sessions must not wait for the provider's own keep-alive).
	holdNoSession bool
}

// reply is a successful (or accepted) answer.
type reply struct {
	status int
	body   []byte
	url    string // redacted, for messages
}

// do performs c and returns the answer, an *APIError for a non-success
// status, or a *TransportError when no answer arrived.
func (c *Client) do(ctx context.Context, nodeURL string, cl call) (*reply, error) {
	target, shown, err := endpoint(nodeURL, cl.path, cl.query)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cl.op, err)
	}
	var body any // must stay a nil interface when there is no body
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return nil, fmt.Errorf("%s: encoding request: %w", cl.op, err)
		}
		body = b
	}
	st := &callState{op: cl.op, retry: cl.retry, quiet: cl.quiet}
	req, err := retryablehttp.NewRequestWithContext(withState(ctx, st), cl.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("%s: building request for %s: %w", cl.op, shown, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.admin
	if cl.probe {
		hc = c.probe
	}
	if !cl.noAuth {
		req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	}
	if cl.holdNoSession {
		hc.HTTPClient.CloseIdleConnections()
		req.Close = true
	}

	resp, err := hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, cl, shown, st.attemptCount(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodySize))
	if err != nil {
		return nil, c.transportError(ctx, cl, shown, st.attemptCount(), err)
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	// Integration Server services (/invoke/...) may report a failure inside
	// a 2xx answer.
	if ok && strings.HasPrefix(cl.path, "/invoke/") && hasField(data, "$error") {
		return nil, newAPIError(cl.op, cl.method, shown, resp.StatusCode, data)
	}
	if !ok && !cl.anyStatus {
		return nil, newAPIError(cl.op, cl.method, shown, resp.StatusCode, data)
	}
	return &reply{status: resp.StatusCode, body: bytes.TrimSpace(data), url: shown}, nil
}

func (c *Client) transportError(ctx context.Context, cl call, shown string, attempts int, err error) error {
	return &TransportError{
		Op:       cl.op,
		Method:   cl.method,
		URL:      shown,
		Attempts: attempts,
		Err:      err,
		Hint:     transportHint(ctx, err, c.cfg.RequestTimeout),
	}
}

// decode unmarshals a successful answer, naming the call when it is not
// the JSON the client expects.
func (r *reply) decode(cl call, v any) error {
	if err := json.Unmarshal(r.body, v); err != nil {
		return r.decodeError(cl, err)
	}
	return nil
}

// fetch sends cl and decodes its answer with decode, naming the call when
// the answer is not what decode expects: the read calls whose answer is
// one value go through it instead of each writing out the same steps.
func fetch[T any](ctx context.Context, c *Client, nodeURL string, cl call, decode func([]byte) (T, error)) (T, error) {
	var zero T
	r, err := c.do(ctx, nodeURL, cl)
	if err != nil {
		return zero, err
	}
	v, err := decode(r.body)
	if err != nil {
		return zero, r.decodeError(cl, err)
	}
	return v, nil
}

// decodeJSON is fetch's decoder of an answer that is T as JSON.
func decodeJSON[T any](data []byte) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, err
	}
	return v, nil
}

func (r *reply) decodeError(cl call, err error) error {
	return fmt.Errorf("%s: %s %s: unexpected answer (HTTP %d): %w: %s",
		cl.op, cl.method, r.url, r.status, err, truncate(string(r.body), 200))
}

// defaultTransport is a copy of net/http's default transport, or a new one
// with the same proxy setting if a program replaced it with another type.
func defaultTransport() *http.Transport {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		return t.Clone()
	}
	return &http.Transport{Proxy: http.ProxyFromEnvironment}
}
