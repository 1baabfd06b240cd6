package apigw

import (
	"net/url"
	"testing"
)

func TestEndpoint(t *testing.T) {
	cases := []struct{ base, path, want string }{
		{"https://gw-1:5555", "/rest/apigateway/health", "https://gw-1:5555/rest/apigateway/health"},
		{"https://gw-1:5555/", "/rest/apigateway/health", "https://gw-1:5555/rest/apigateway/health"},
		{" HTTPS://gw-1:5555// ", "/x", "https://gw-1:5555/x"},
		{"http://proxy/gw1/", "/x", "http://proxy/gw1/x"},
		{"http://u:p@gw:5555?a=b#f", "/x", "http://gw:5555/x"},
	}
	for _, tc := range cases {
		target, shown, err := endpoint(tc.base, tc.path, nil)
		if err != nil || target != tc.want || shown != tc.want {
			t.Errorf("%q: %q %q %v", tc.base, target, shown, err)
		}
	}
	target, _, _ := endpoint("http://gw", "/p", url.Values{"listenerKey": {"HTTPListener@4444"}, "pkg": {"WmRoot"}})
	if target != "http://gw/p?listenerKey=HTTPListener%404444&pkg=WmRoot" {
		t.Errorf("query: %s", target)
	}
	for _, bad := range []string{"", "gw-1:5555", "ftp://gw", "http://", "://x", "http://u:pw@[::1"} {
		if _, _, err := endpoint(bad, "/x", nil); err == nil {
			t.Errorf("%q accepted", bad)
		} else {
			checkErrorStyle(t, err)
		}
	}
}

func TestRedactRaw(t *testing.T) {
	cases := map[string]string{
		"http://u:pw@[::1":    "http://redacted@[::1",
		"http://host/a@b":     "http://host/a@b",
		"no scheme":           "no scheme",
		"http://u:p@h/x%zz@y": "http://redacted@h/x%zz@y",
	}
	for in, want := range cases {
		if got := redactRaw(in); got != want {
			t.Errorf("%q: got %q want %q", in, got, want)
		}
	}
}
