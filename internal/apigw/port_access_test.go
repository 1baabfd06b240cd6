package apigw

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

func TestSetPortAccessMode(t *testing.T) {
	g := newFakeGateway(t, answer(http.StatusOK, `{"accessMode":"allow"}`))
	if err := newTestClient(t).SetPortAccessMode(ctxT(t), g.URL, "HTTPListener@4444", AccessModeAllow); err != nil {
		t.Fatal(err)
	}
	s := g.only(t)
	if s.Method != http.MethodPost || s.Path != "/rest/apigateway/ports/HTTPListener@4444/accessMode" {
		t.Errorf("request %s %s", s.Method, s.Path)
	}
	wantBody(t, s.Body, `{"accessMode":"allow"}`)
	wantAdminHeaders(t, s, true)

	g = newFakeGateway(t, answer(http.StatusNotFound, `{"listenerKey":"HTTPListener@1","message":"Listener HTTPListener@1 does not exist"}`))
	err := newTestClient(t).SetPortAccessMode(ctxT(t), g.URL, "HTTPListener@1", AccessModeAllow)
	if !IsNotFound(err) {
		t.Errorf("404: %v", err)
	}
	checkErrorStyle(t, err)
}

// TestSetPortSuspended: the port object is read and sent back whole, with
// only "suspended" changed (as the string the gateway uses); nothing is
// sent when the port already is as asked; a listing answer works too.
func TestSetPortSuspended(t *testing.T) {
	const object = `{"uniqueID":"HTTPListener@4444","key":"HTTPListener@4444","port":"4444","portAlias":"QuiescePort","pkg":"WmRoot",` +
		`"enabled":"true","suspended":"true","accessMode":"allow","maxThread":"42"}`
	for name, body := range map[string]string{"object": object, "listing": `{"listeners":[{"key":"HTTPListener@5555","suspended":"false"},` + object + `]}`} {
		t.Run(name, func(t *testing.T) {
			g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					answer(http.StatusOK, body)(w, r)
					return
				}
				answer(http.StatusOK, object)(w, r)
			})
			ref := PortRef{ListenerKey: "HTTPListener@4444", Pkg: "WmRoot"}
			if err := newTestClient(t).SetPortSuspended(ctxT(t), g.URL, ref, false); err != nil {
				t.Fatal(err)
			}
			rs := g.requests()
			if len(rs) != 2 || rs[0].Method != http.MethodGet || rs[1].Method != http.MethodPut || rs[1].Path != "/rest/apigateway/ports" {
				t.Fatalf("requests %+v", rs)
			}
			var sent, want map[string]any
			if err := json.Unmarshal([]byte(rs[1].Body), &sent); err != nil {
				t.Fatal(err)
			}
			_ = json.Unmarshal([]byte(object), &want)
			want["suspended"] = "false"
			if !reflect.DeepEqual(sent, want) {
				t.Errorf("PUT body\n got %v\nwant %v", sent, want)
			}
			wantAdminHeaders(t, rs[1], true)

			// Already suspended: nothing to send.
			if err := newTestClient(t).SetPortSuspended(ctxT(t), g.URL, ref, true); err != nil {
				t.Fatal(err)
			}
			if n := len(g.requests()); n != 3 {
				t.Errorf("%d requests after a no-op suspend, want 3 (one more GET)", n)
			}
		})
	}
	g := newFakeGateway(t, answer(http.StatusBadRequest, `{"message":"Listener HTTPListener@1 does not exist"}`))
	if err := newTestClient(t).SetPortSuspended(ctxT(t), g.URL, PortRef{ListenerKey: "HTTPListener@1"}, false); !IsNotFound(err) {
		t.Errorf("missing port: %v", err)
	}
}

func TestQuiesceUnfit(t *testing.T) {
	for _, tc := range []struct {
		port Port
		want string
	}{
		{Port{Enabled: true, AccessMode: "allow"}, ""},
		{Port{Enabled: true, AccessMode: "ALLOW"}, ""},
		{Port{Enabled: true}, ""}, // not reported: nothing says otherwise
		{Port{Enabled: true, Suspended: true, AccessMode: "allow"}, "suspended"},
		{Port{Enabled: true, AccessMode: "deny"}, `in access mode "deny"`},
		{Port{Suspended: true, AccessMode: "deny"}, `disabled, suspended, in access mode "deny"`},
	} {
		if got := tc.port.QuiesceUnfit(); got != tc.want {
			t.Errorf("%+v: QuiesceUnfit() = %q, want %q", tc.port, got, tc.want)
		}
	}
}
