package apigw

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// maxMessageLen bounds the server text carried in an error, so that an HTML
// error page does not flood a Terraform diagnostic.
const maxMessageLen = 1024

// ErrNotFound is matched (errors.Is) by every error that reports a missing
// object, whatever status code the gateway used to say so.
var ErrNotFound = errors.New("not found")

// APIError is a gateway answer that was not a success.
type APIError struct {
	Op         string // what the client was doing, e.g. "create port"
	Method     string
	URL        string // without credentials
	StatusCode int
	Message    string // per ErrorMessage, possibly truncated

	notFound bool // the call defines this answer as "object missing"
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s: HTTP %d", e.Op, e.Method, e.URL, e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	if m := strings.TrimRight(e.Message, ".!;: \t\r\n"); m != "" {
		b.WriteString(": " + m)
	}
	if h := statusHint(e.StatusCode); h != "" {
		b.WriteString("; " + h)
	}
	return b.String()
}

// Is lets errors.Is(err, ErrNotFound) see missing objects.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && (e.notFound || e.StatusCode == http.StatusNotFound)
}

func statusHint(code int) string {
	switch code {
	case http.StatusUnauthorized:
		return "check username and password (or APIGW_USERNAME and APIGW_PASSWORD)"
	case http.StatusForbidden:
		return "the user lacks the privileges this call needs; use an API Gateway administrator"
	}
	return ""
}

// FailureAnswerError is a success status whose body reports that the
// operation failed: quiesce mode answers 200 with "status": "failure" and
// a failureReason. The gateway answered, and did not do what was asked.
type FailureAnswerError struct {
	Op         string
	Method     string
	URL        string // without credentials
	StatusCode int
	Reason     string // the answer's failureReason, possibly empty
}

func (e *FailureAnswerError) Error() string {
	reason := strings.TrimRight(e.Reason, ".!;: \t\r\n")
	if reason == "" {
		reason = "the answer gives no failureReason"
	}
	return fmt.Sprintf("%s: %s %s: HTTP %d with status failure: %s", e.Op, e.Method, e.URL, e.StatusCode, reason)
}

// IsFailureAnswer reports whether err is a success status whose body
// reported a failure.
func IsFailureAnswer(err error) bool {
	var fe *FailureAnswerError
	return errors.As(err, &fe)
}

// TransportError is a call that got no HTTP answer: refused connection,
// TLS failure, timeout, cancellation.
type TransportError struct {
	Op       string
	Method   string
	URL      string // without credentials
	Attempts int
	Err      error
	Hint     string // what the user can do about it; may be empty
}

func (e *TransportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s: %s", e.Op, e.Method, e.URL, causeText(e.Err))
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	return b.String()
}

func (e *TransportError) Unwrap() error { return e.Err }

// causeText drops the "Get \"url\":" prefix of *url.Error: the URL is
// already part of the message.
func causeText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		err = ue.Err
	}
	return strings.TrimRight(err.Error(), ". ")
}

// IsNotFound reports whether err says the object does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsConnectionRefused reports a call that got no answer because nothing
// listens on the port: a node that is down, or a quiesced node's closed
// primary port.
func IsConnectionRefused(err error) bool {
	var te *TransportError
	return errors.As(err, &te) && errors.Is(te.Err, syscall.ECONNREFUSED)
}

// IsConflict reports a 409, which quiesce mode uses for "already in effect".
func IsConflict(err error) bool { return StatusCode(err) == http.StatusConflict }

// IsUnauthorized reports a 401: wrong credentials or missing privileges.
func IsUnauthorized(err error) bool { return StatusCode(err) == http.StatusUnauthorized }

// StatusCode returns the HTTP status of an *APIError in err's chain, else 0.
func StatusCode(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

// ErrorMessage extracts the human text of a gateway error body: the
// errorDetails field, then message, then failureReason (then the $error of
// Integration Server services), else the raw body; always trimmed.
func ErrorMessage(body []byte) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) == nil {
		for _, k := range []string{"errorDetails", "message", "failureReason", "$error"} {
			if m := fieldText(fields[k]); m != "" {
				return m
			}
		}
	}
	return strings.TrimSpace(string(body))
}

// fieldText turns one JSON value into text: strings as they are, null as
// "", anything else as compact JSON.
func fieldText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s flexString
	if err := s.UnmarshalJSON(raw); err != nil {
		return ""
	}
	return strings.TrimSpace(string(s))
}

// newAPIError builds the error for an unsuccessful answer.
func newAPIError(op, method, u string, status int, body []byte) *APIError {
	return &APIError{
		Op:         op,
		Method:     method,
		URL:        u,
		StatusCode: status,
		Message:    truncate(ErrorMessage(body), maxMessageLen),
	}
}

// NoAnswer is how a call got no HTTP answer, coarsely: enough for a caller
// to tell a port that nothing listens on from a node it cannot reach.
type NoAnswer int

// The kinds of NoAnswerOf.
const (
	NoAnswerOther   NoAnswer = iota // e.g. a TLS failure, an unreachable network, a cancellation
	NoAnswerRefused                 // connection refused: nothing listens on the port
	NoAnswerClosed                  // accepted, then closed or reset before an answer
	NoAnswerTimeout                 // no answer in time
	NoAnswerDNS                     // the host name does not resolve
)

// NoAnswerOf classifies the cause of a call without an answer (a
// *TransportError or what it wraps).
func NoAnswerOf(err error) NoAnswer {
	var (
		dnsErr *net.DNSError
		netErr net.Error
	)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return NoAnswerRefused
	case errors.As(err, &dnsErr):
		return NoAnswerDNS
	case errors.As(err, &netErr) && netErr.Timeout():
		return NoAnswerTimeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return NoAnswerClosed
	}
	return NoAnswerOther
}

// transportHint says what to do about an error that produced no answer.
func transportHint(ctx context.Context, err error, timeout time.Duration) string {
	var (
		unknownCA   x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidCert x509.CertificateInvalidError
	)
	switch {
	case ctx.Err() != nil:
		return "" // the caller cancelled or its own deadline ran out
	case errors.As(err, &unknownCA):
		return "the node's certificate is signed by an unknown authority: set ca_cert_pem to the signing CA, or insecure_skip_verify = true for test systems"
	case errors.As(err, &hostErr):
		return "the node's certificate does not name this host: use the host name the certificate was issued for"
	case errors.As(err, &invalidCert):
		return "the node's certificate is not valid (expired or not yet valid?): renew it, or set insecure_skip_verify = true for test systems"
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "the node answers plain HTTP on this port: use an http:// URL"
	}
	switch NoAnswerOf(err) {
	case NoAnswerRefused:
		return "check node_url (host and port) and that the node is running"
	case NoAnswerDNS:
		return "check the host name in node_url"
	case NoAnswerTimeout:
		return fmt.Sprintf("no answer within request_timeout (%s): check the node, or raise request_timeout", timeout)
	case NoAnswerClosed:
		return "the node closed the connection: it may be restarting, or the URL's scheme (http/https) may be wrong"
	}
	if errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return "the node's network is unreachable from here: check node_url and routing"
	}
	return ""
}

// hasField reports whether a JSON object body has a non-empty value at key.
func hasField(body []byte, key string) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(bytes.TrimSpace(body), &fields) != nil {
		return false
	}
	return fieldText(fields[key]) != ""
}
