package apigw

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestErrorMessage(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"errorDetails with leading space", `{"errorDetails":" Quiesce port is not set"}`, "Quiesce port is not set"},
		{"errorDetails wins", `{"message":"m","errorDetails":"d","failureReason":"f"}`, "d"},
		{"message", `{"listenerKey":"HTTPListener@4444","pkg":"WmRoot","message":"Port exists "}`, "Port exists"},
		{"message before failureReason", `{"failureReason":"f","message":"m"}`, "m"},
		{"failureReason", `{"status":"failure","failureReason":"  flush failed\n"}`, "flush failed"},
		{"empty errorDetails falls through", `{"errorDetails":"  ","message":"m"}`, "m"},
		{"null errorDetails falls through", `{"errorDetails":null,"failureReason":"f"}`, "f"},
		{"non-string errorDetails", `{"errorDetails":{"code":7}}`, `{"code":7}`},
		{"integration server $error", `{"$error":"service failed"}`, "service failed"},
		{"raw text", "  Internal error occurred\n", "Internal error occurred"},
		{"raw html", "<html><body>Bad Gateway</body></html>", "<html><body>Bad Gateway</body></html>"},
		{"json without known fields", `{"status":"error"}`, `{"status":"error"}`},
		{"json array", `[1,2]`, `[1,2]`},
		{"empty", "", ""},
		{"whitespace", " \n\t", ""},
	}
	for _, tc := range cases {
		if got := ErrorMessage([]byte(tc.body)); got != tc.want {
			t.Errorf("%s: ErrorMessage(%q) = %q, want %q", tc.name, tc.body, got, tc.want)
		}
	}
}

// Every error shape reaches APIError.Message through a real call.
func TestAPIErrorShapesOverHTTP(t *testing.T) {
	cases := []struct {
		status          int
		body, msg, text string
	}{
		{400, `{"errorDetails":" Invalid JSON payload."}`, "Invalid JSON payload.", "HTTP 400 Bad Request: Invalid JSON payload"},
		{409, `{"message":"Quiesce mode is already enabled"}`, "Quiesce mode is already enabled", "HTTP 409 Conflict: Quiesce mode is already enabled"},
		{500, `{"status":"failure","failureReason":"No valid quiesce port"}`, "No valid quiesce port", "HTTP 500 Internal Server Error: No valid quiesce port"},
		{502, `upstream broke`, "upstream broke", "HTTP 502 Bad Gateway: upstream broke"},
		{503, ``, "", "HTTP 503 Service Unavailable"},
		{401, ``, "", "HTTP 401 Unauthorized; check username and password (or APIGW_USERNAME and APIGW_PASSWORD)"},
		{403, `{"message":"denied"}`, "denied", "HTTP 403 Forbidden: denied; the user lacks"},
	}
	for _, tc := range cases {
		g := newFakeGateway(t, answer(tc.status, tc.body))
		// SetQuiesceMode is never retried, so each shape costs one request.
		_, err := newTestClient(t).SetQuiesceMode(ctxT(t), g.URL, QuiesceMode{Block: "all", Enable: true})
		var ae *APIError
		if !errors.As(err, &ae) {
			t.Fatalf("%d: want *APIError, got %T %v", tc.status, err, err)
		}
		if ae.Message != tc.msg || ae.StatusCode != tc.status || ae.Op != "set quiesce mode" || ae.Method != "PUT" ||
			ae.URL != g.URL+"/rest/apigateway/quiescemode" {
			t.Errorf("%d: %+v", tc.status, ae)
		}
		want := "set quiesce mode: PUT " + g.URL + "/rest/apigateway/quiescemode: " + tc.text
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%d: error text\n got %s\nwant %s...", tc.status, err, want)
		}
		checkErrorStyle(t, err)
	}
}

func TestErrorPredicates(t *testing.T) {
	mk := func(code int) error { return fmt.Errorf("wrapped: %w", &APIError{Op: "x", StatusCode: code}) }
	if !IsConflict(mk(409)) || IsConflict(mk(400)) {
		t.Error("IsConflict")
	}
	if !IsUnauthorized(mk(401)) || IsUnauthorized(mk(403)) {
		t.Error("IsUnauthorized")
	}
	if !IsNotFound(mk(404)) || IsNotFound(mk(400)) {
		t.Error("IsNotFound")
	}
	if StatusCode(mk(502)) != 502 || StatusCode(errors.New("x")) != 0 || StatusCode(nil) != 0 {
		t.Error("StatusCode")
	}
	if IsNotFound(nil) || IsConflict(nil) || IsUnauthorized(nil) {
		t.Error("nil error matched")
	}
	if !IsNotFound(&APIError{StatusCode: 200, notFound: true}) {
		t.Error("notFound flag ignored")
	}
	refused := &TransportError{Op: "get port", Err: &url.Error{Op: "Get", URL: "http://gw-1:5555",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}}
	if !IsConnectionRefused(fmt.Errorf("wrapped: %w", refused)) {
		t.Error("IsConnectionRefused missed a refused connection")
	}
	if IsConnectionRefused(&TransportError{Err: context.DeadlineExceeded}) || IsConnectionRefused(mk(503)) ||
		IsConnectionRefused(syscall.ECONNREFUSED) || IsConnectionRefused(nil) {
		t.Error("IsConnectionRefused matched something else than a call refused by the node")
	}
}

func TestUnauthorizedIsNotRetriedAndHints(t *testing.T) {
	g := newFakeGateway(t, answer(http.StatusUnauthorized, ``))
	_, err := newTestClient(t).ServerInfo(ctxT(t), g.URL)
	if !IsUnauthorized(err) || len(g.requests()) != 1 {
		t.Fatalf("err %v after %d requests", err, len(g.requests()))
	}
	if !strings.Contains(err.Error(), "APIGW_USERNAME") || strings.Contains(err.Error(), testPass) {
		t.Errorf("401 text: %s", err)
	}
}

func TestTransportErrorUnwraps(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := newFakeGateway(t, answer(200, `{}`))
	_, err := newTestClient(t).GetQuiesceMode(ctx, g.URL)
	var te *TransportError
	if !errors.As(err, &te) || !errors.Is(err, context.Canceled) {
		t.Fatalf("want TransportError wrapping context.Canceled, got %T %v", err, err)
	}
	if te.Hint != "" {
		t.Errorf("a cancellation needs no hint, got %q", te.Hint)
	}
	checkErrorStyle(t, err)
}

// checkErrorStyle enforces Go error conventions on the client's own text.
func checkErrorStyle(t *testing.T, err error) {
	t.Helper()
	s := err.Error()
	if s == "" || strings.ToLower(s[:1]) != s[:1] {
		t.Errorf("error should start lower-case: %q", s)
	}
	if strings.ContainsAny(s[len(s)-1:], ".!:; \n") {
		t.Errorf("error should not end with punctuation: %q", s)
	}
}
