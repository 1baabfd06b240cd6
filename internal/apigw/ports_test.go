package apigw

import (
	"errors"
	"net/http"
	"testing"
)

func TestCreatePortSendsVendorBodyAndReadsKey(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusCreated} {
		g := newFakeGateway(t, answer(status, `{"status":"success","listenerKey":"HTTPListener@4444@0.0.0.0"}`))
		c := newTestClient(t)
		key, err := c.CreatePort(ctxT(t), g.URL+"/", NewPort{Port: 4444, Alias: "QuiescePort"})
		if err != nil {
			t.Fatalf("status %d: %v", status, err)
		}
		if key != "HTTPListener@4444@0.0.0.0" {
			t.Errorf("key = %q", key)
		}
		s := g.only(t)
		if s.Method != http.MethodPost || s.Path != "/rest/apigateway/ports" {
			t.Errorf("request %s %s", s.Method, s.Path)
		}
		wantAdminHeaders(t, s, true)
		wantBody(t, s.Body, `{"factoryKey":"webMethods/HTTP","pkg":"WmRoot","port":"4444","portAlias":"QuiescePort"}`)
	}
}

func TestCreatePortKeyFallbacks(t *testing.T) {
	cases := []struct{ body, proto, want string }{
		{`{"status":"success","key":"HTTPListener@5000"}`, "", "HTTPListener@5000"},
		{``, "", "HTTPListener@5000"},
		{`{"status":"success"}`, "https", "HTTPSListener@5000"},
		{`not json`, "HTTP", "HTTPListener@5000"},
	}
	for _, tc := range cases {
		g := newFakeGateway(t, answer(http.StatusCreated, tc.body))
		c := newTestClient(t)
		key, err := c.CreatePort(ctxT(t), g.URL, NewPort{Port: 5000, Alias: "Q", Pkg: "WmPublic", Protocol: tc.proto})
		if err != nil {
			t.Fatalf("%q: %v", tc.body, err)
		}
		if key != tc.want {
			t.Errorf("%q: key = %q, want %q", tc.body, key, tc.want)
		}
		if tc.proto == "https" {
			wantBody(t, g.only(t).Body, `{"factoryKey":"webMethods/HTTPS","pkg":"WmPublic","port":"5000","portAlias":"Q"}`)
		}
	}
}

func TestCreatePortRejectsBadInput(t *testing.T) {
	c := newTestClient(t)
	for _, p := range []NewPort{{Port: 0}, {Port: 70000}, {Port: 80, Protocol: "FTP"}} {
		if _, err := c.CreatePort(ctxT(t), "http://127.0.0.1:1", p); err == nil {
			t.Errorf("%+v: no error", p)
		}
	}
}

func TestCreatePortErrors(t *testing.T) {
	g := newFakeGateway(t, answer(http.StatusBadRequest,
		`{"listenerKey":"HTTPListener@4444","pkg":"WmRoot","message":"Port 4444 already exists."}`))
	c := newTestClient(t)
	_, err := c.CreatePort(ctxT(t), g.URL, NewPort{Port: 4444, Alias: "QuiescePort"})
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want *APIError, got %T %v", err, err)
	}
	if ae.Op != "create port" || ae.StatusCode != 400 || ae.Message != "Port 4444 already exists." || ae.Method != "POST" {
		t.Errorf("APIError = %+v", ae)
	}
	if IsNotFound(err) || IsConflict(err) {
		t.Error("400 on create is neither not-found nor conflict")
	}
	want := "create port: POST " + g.URL + "/rest/apigateway/ports: HTTP 400 Bad Request: Port 4444 already exists"
	if err.Error() != want {
		t.Errorf("error text\n got %s\nwant %s", err, want)
	}

	g2 := newFakeGateway(t, answer(http.StatusOK, `{"status":"failure","message":"no free port"}`))
	if _, err := c.CreatePort(ctxT(t), g2.URL, NewPort{Port: 4444}); err == nil || ErrorMessage([]byte(`{"message":"no free port"}`)) != "no free port" {
		t.Errorf("status failure in a 200: err = %v", err)
	}
}

func TestEnableDisablePortBodies(t *testing.T) {
	g := newFakeGateway(t, answer(http.StatusOK, `{"listenerKey":"HTTPListener@4444","pkg":"WmRoot"}`))
	c := newTestClient(t)
	ref := PortRef{ListenerKey: "HTTPListener@4444"}
	if err := c.EnablePort(ctxT(t), g.URL, ref); err != nil {
		t.Fatal(err)
	}
	if err := c.DisablePort(ctxT(t), g.URL, PortRef{ListenerKey: "HTTPListener@4444", Pkg: "WmPublic"}); err != nil {
		t.Fatal(err)
	}
	rs := g.requests()
	if len(rs) != 2 {
		t.Fatalf("%d requests", len(rs))
	}
	if rs[0].Method != "PUT" || rs[0].Path != "/rest/apigateway/ports/enable" {
		t.Errorf("enable: %s %s", rs[0].Method, rs[0].Path)
	}
	wantBody(t, rs[0].Body, `{"listenerKey":"HTTPListener@4444","pkg":"WmRoot","requestServiceStatus":""}`)
	wantAdminHeaders(t, rs[0], true)
	if rs[1].Method != "PUT" || rs[1].Path != "/rest/apigateway/ports/disable" {
		t.Errorf("disable: %s %s", rs[1].Method, rs[1].Path)
	}
	wantBody(t, rs[1].Body, `{"listenerKey":"HTTPListener@4444","pkg":"WmPublic"}`)
}

func TestEnablePortErrorMessage(t *testing.T) {
	g := newFakeGateway(t, answer(http.StatusBadRequest, `{"listenerKey":"HTTPListener@4444","pkg":"WmRoot","message":"Port is not found"}`))
	c := newTestClient(t)
	err := c.EnablePort(ctxT(t), g.URL, PortRef{ListenerKey: "HTTPListener@4444"})
	if StatusCode(err) != 400 || len(g.requests()) != 1 {
		t.Fatalf("err %v after %d requests", err, len(g.requests()))
	}
	var ae *APIError
	errors.As(err, &ae)
	if ae.Op != "enable port" || ae.Message != "Port is not found" {
		t.Errorf("%+v", ae)
	}
}

func TestGetPortDecodesStringlyTypedPort(t *testing.T) {
	g := newFakeGateway(t, answer(http.StatusOK, `{"uniqueID":"u-1","key":"HTTPListener@4444","port":"4444",
		"portAlias":"QuiescePort","pkg":"WmRoot","enabled":"true","suspended":"false","protocol":"HTTP",
		"factoryKey":"webMethods/HTTP","accessMode":"allow"}`))
	c := newTestClient(t)
	p, err := c.GetPort(ctxT(t), g.URL, "HTTPListener@4444")
	if err != nil {
		t.Fatal(err)
	}
	want := Port{UniqueID: "u-1", ListenerKey: "HTTPListener@4444", Pkg: "WmRoot", PortAlias: "QuiescePort",
		Protocol: "HTTP", FactoryKey: "webMethods/HTTP", AccessMode: "allow", Port: 4444, Enabled: true}
	if *p != want {
		t.Errorf("got  %+v\nwant %+v", *p, want)
	}
	s := g.only(t)
	if s.Method != "GET" || s.Path != "/rest/apigateway/ports" || s.Query["listenerKey"][0] != "HTTPListener@4444" {
		t.Errorf("request %+v", s)
	}
	wantAdminHeaders(t, s, false)
}

func TestGetPortNativeTypesAndBindSuffix(t *testing.T) {
	g := newFakeGateway(t, answer(http.StatusOK,
		`{"uniqueID":"u-2","listenerKey":"HTTPSListener@4443@10.0.0.5","enabled":false,"suspended":true}`))
	c := newTestClient(t)
	p, err := c.GetPort(ctxT(t), g.URL, "HTTPSListener@4443")
	if err != nil {
		t.Fatal(err)
	}
	if p.Port != 4443 || p.Protocol != "HTTPS" || p.Enabled || !p.Suspended {
		t.Errorf("derived fields wrong: %+v", p)
	}
}

func TestGetPortMissing(t *testing.T) {
	cases := map[string]http.HandlerFunc{
		"400":               answer(400, `{"listenerKey":"HTTPListener@4444","pkg":"WmRoot","message":"Port not found"}`),
		"404":               answer(404, `{"message":"Resource not found"}`),
		"200 no uniqueID":   answer(200, `{"listenerKey":"HTTPListener@4444","pkg":"WmRoot"}`),
		"200 empty":         answer(200, ``),
		"200 other port":    answer(200, `{"uniqueID":"x","listenerKey":"HTTPListener@5555"}`),
		"200 list, no hit":  answer(200, `{"listeners":[{"uniqueID":"x","listenerKey":"HTTPListener@5555"}]}`),
		"200 empty listing": answer(200, `{"listeners":[]}`),
	}
	for name, h := range cases {
		g := newFakeGateway(t, h)
		c := newTestClient(t)
		p, err := c.GetPort(ctxT(t), g.URL, "HTTPListener@4444")
		if !IsNotFound(err) || p != nil {
			t.Errorf("%s: want not-found, got %v, %v", name, p, err)
		}
		if len(g.requests()) != 1 {
			t.Errorf("%s: %d requests, want 1 (4xx is never retried)", name, len(g.requests()))
		}
	}
}

func TestGetPortFromListing(t *testing.T) {
	g := newFakeGateway(t, answer(200, `{"listeners":[{"uniqueID":"a","key":"HTTPListener@5555","port":5555},
		{"uniqueID":"b","key":"HTTPListener@4444@0.0.0.0","port":"4444","enabled":"true"}]}`))
	p, err := newTestClient(t).GetPort(ctxT(t), g.URL, "HTTPListener@4444")
	if err != nil || p.UniqueID != "b" || !p.Enabled {
		t.Fatalf("%+v %v", p, err)
	}
}

func TestGetPortBadJSON(t *testing.T) {
	g := newFakeGateway(t, answer(200, `{"uniqueID":`))
	_, err := newTestClient(t).GetPort(ctxT(t), g.URL, "HTTPListener@4444")
	if err == nil || IsNotFound(err) {
		t.Fatalf("want a decode error, got %v", err)
	}
}

func TestListPorts(t *testing.T) {
	g := newFakeGateway(t, answer(200, `{"listeners":[
		{"uniqueID":"a","listenerKey":"HTTPListener@5555","port":5555,"enabled":true,"pkg":"WmRoot"},
		{"uniqueID":"b","key":"HTTPListener@4444","port":"4444","enabled":"false","pkg":"WmRoot"}]}`))
	c := newTestClient(t)
	ports, err := c.ListPorts(ctxT(t), g.URL, "WmRoot")
	if err != nil {
		t.Fatal(err)
	}
	if len(ports) != 2 || ports[0].Port != 5555 || !ports[0].Enabled || ports[1].ListenerKey != "HTTPListener@4444" || ports[1].Enabled {
		t.Errorf("%+v", ports)
	}
	if q := g.only(t).Query["pkg"]; len(q) != 1 || q[0] != "WmRoot" {
		t.Errorf("pkg query = %v", q)
	}

	g2 := newFakeGateway(t, answer(200, `[{"uniqueID":"a","key":"HTTPListener@5555"}]`))
	ports, err = c.ListPorts(ctxT(t), g2.URL, "")
	if err != nil || len(ports) != 1 || ports[0].Port != 5555 {
		t.Errorf("bare array: %+v %v", ports, err)
	}
	if g2.only(t).RawQuery != "" {
		t.Errorf("no pkg should mean no query, got %q", g2.only(t).RawQuery)
	}

	g3 := newFakeGateway(t, answer(200, `{"listeners":"nope"}`))
	if _, err := c.ListPorts(ctxT(t), g3.URL, ""); err == nil {
		t.Error("want decode error")
	}
}

func TestDeletePort(t *testing.T) {
	g := newFakeGateway(t, answer(200, ``))
	c := newTestClient(t)
	if err := c.DeletePort(ctxT(t), g.URL, PortRef{ListenerKey: "HTTPListener@4444"}); err != nil {
		t.Fatal(err)
	}
	s := g.only(t)
	if s.Method != "DELETE" || s.Path != "/rest/apigateway/ports" ||
		s.Query["pkg"][0] != "WmRoot" || s.Query["listenerKey"][0] != "HTTPListener@4444" || s.Body != "" {
		t.Errorf("%+v", s)
	}
	wantAdminHeaders(t, s, false)

	g2 := newFakeGateway(t, answer(400, `{"message":"The primary port cannot be deleted"}`))
	err := c.DeletePort(ctxT(t), g2.URL, PortRef{ListenerKey: "HTTPListener@5555", Pkg: "WmRoot"})
	if StatusCode(err) != 400 || IsNotFound(err) {
		t.Errorf("%v", err)
	}
}

func TestListenerKeyHelpers(t *testing.T) {
	if ListenerKey("", 4444) != "HTTPListener@4444" || ListenerKey("https", 4444) != "HTTPSListener@4444" ||
		ListenerKey("HTTP", 1) != "HTTPListener@1" {
		t.Error("ListenerKey")
	}
	proto, port, bind, ok := ParseListenerKey("HTTPSListener@4443@10.0.0.1")
	if !ok || proto != "HTTPS" || port != 4443 || bind != "10.0.0.1" {
		t.Errorf("parse: %v %v %v %v", proto, port, bind, ok)
	}
	for _, bad := range []string{"", "HTTPListener", "HTTPListener@x", "Listener@4444", "HTTP@4444", "HTTPListener@0"} {
		if _, _, _, ok := ParseListenerKey(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	same := [][2]string{{"HTTPListener@4444", "HTTPListener@4444@0.0.0.0"}, {"HTTPListener@4444@a", "httplistener@4444@A"}}
	for _, p := range same {
		if !SameListener(p[0], p[1]) {
			t.Errorf("%v should match", p)
		}
	}
	diff := [][2]string{{"HTTPListener@4444", "HTTPSListener@4444"}, {"HTTPListener@4444@a", "HTTPListener@4444@b"}, {"", ""}, {"x", "HTTPListener@4444"}}
	for _, p := range diff {
		if SameListener(p[0], p[1]) {
			t.Errorf("%v should not match", p)
		}
	}
}
