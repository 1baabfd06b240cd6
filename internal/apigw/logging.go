package apigw

import (
	"net/http"
	"time"
)

// loggingTransport records every HTTP attempt, retries included. It logs
// method, redacted URL, status or error, attempt number and duration, and
// never looks at headers or bodies, so credentials cannot leak into logs.
type loggingTransport struct {
	next http.RoundTripper
	log  Logger
}

// CloseIdleConnections passes http.Client.CloseIdleConnections on to the
// transport that holds the connections.
func (t *loggingTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (t *loggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	attempt := 0
	op := ""
	quiet := false
	if st := stateFrom(req.Context()); st != nil {
		attempt = int(st.attempts.Add(1))
		op, quiet = st.op, st.quiet
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if t.log == nil || quiet {
		return resp, err
	}
	fields := map[string]any{
		"op":          op,
		"method":      req.Method,
		"url":         redactURL(req.URL),
		"attempt":     attempt,
		"duration_ms": time.Since(start).Milliseconds(),
	}
	if err != nil {
		fields["error"] = err.Error()
	} else {
		fields["status"] = resp.StatusCode
	}
	t.log.Debug(req.Context(), "apigw http attempt", fields)
	return resp, err
}
