package gwsim

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestPortLifecycle(t *testing.T) {
	c, n := startNode(t, Options{})
	api := n.URL() + "/rest/apigateway/ports"
	p := n.ReservePort()
	key := "HTTPListener@" + itoa(p)

	a := do("POST", api, map[string]string{"factoryKey": "webMethods/HTTP", "pkg": "WmRoot", "port": itoa(p), "portAlias": "QuiescePort"}, true)
	expectStatus(t, a, http.StatusCreated)
	m := a.json(t)
	if m["status"] != "success" || m["listenerKey"] != key || m["key"] != key || m["port"] != itoa(p) || m["enabled"] != "false" {
		t.Fatalf("create answer: %s", a.body)
	}

	// A created port does not listen until enabled.
	if a := health(c.urlFor(p)); !refused(a) {
		t.Fatalf("disabled port answers: %v", a)
	}
	a = do("GET", api+"?listenerKey="+url.QueryEscape(key), nil, true)
	expectStatus(t, a, http.StatusOK)
	if m := a.json(t); m["uniqueID"] == nil || m["enabled"] != "false" || m["portAlias"] != "QuiescePort" {
		t.Fatalf("get by key: %s", a.body)
	}

	// Duplicates are refused with the ports API's error body.
	a = do("POST", api, map[string]any{"factoryKey": "webMethods/HTTP", "pkg": "WmRoot", "port": p, "portAlias": "Other"}, true)
	expectStatus(t, a, http.StatusBadRequest)
	if m := a.json(t); m["message"] == nil || m["listenerKey"] != key {
		t.Fatalf("duplicate port answer: %s", a.body)
	}
	a = do("POST", api, map[string]string{"port": itoa(n.ReservePort()), "portAlias": "QuiescePort"}, true)
	expectStatus(t, a, http.StatusBadRequest)

	// Enable opens a real listener serving health.
	a = do("PUT", api+"/enable", map[string]string{"listenerKey": key, "pkg": "WmRoot", "requestServiceStatus": ""}, true)
	expectStatus(t, a, http.StatusOK)
	if m := a.json(t); m["listenerKey"] != key || m["pkg"] != "WmRoot" || len(m) != 2 {
		t.Fatalf("enable answer: %s", a.body)
	}
	expectStatus(t, health(c.urlFor(p)), http.StatusOK)
	expectStatus(t, do("PUT", api+"/enable", map[string]string{"listenerKey": key, "pkg": "WmRoot"}, true), http.StatusOK)

	// List, filters and get by path.
	a = do("GET", api, nil, true)
	expectStatus(t, a, http.StatusOK)
	if l, _ := a.json(t)["listeners"].([]any); len(l) != 2 {
		t.Fatalf("list: %s", a.body)
	}
	a = do("GET", api+"?pkg=WmPublic", nil, true)
	if l, _ := a.json(t)["listeners"].([]any); len(l) != 0 {
		t.Fatalf("pkg filter: %s", a.body)
	}
	a = do("GET", api+"/"+key, nil, true)
	expectStatus(t, a, http.StatusOK)
	if a.json(t)["enabled"] != "true" || a.json(t)["listening"] != "true" {
		t.Fatalf("get by path: %s", a.body)
	}
	expectStatus(t, do("GET", api+"/HTTPListener@1", nil, true), http.StatusNotFound)
	a = do("GET", api+"/primary", nil, true)
	expectStatus(t, a, http.StatusOK)
	if a.json(t)["listenerKey"] != "HTTPListener@"+itoa(n.PrimaryPort()) {
		t.Fatalf("primary: %s", a.body)
	}

	// Delete needs a disabled port; disable closes the listener.
	expectStatus(t, do("DELETE", api+"?pkg=WmRoot&listenerKey="+url.QueryEscape(key), nil, true), http.StatusBadRequest)
	expectStatus(t, do("PUT", api+"/disable", map[string]string{"listenerKey": key, "pkg": "WmRoot"}, true), http.StatusOK)
	waitFor(t, "disabled port to close", func() bool { return refused(health(c.urlFor(p))) })
	expectStatus(t, do("DELETE", api+"?pkg=WmRoot&listenerKey="+url.QueryEscape(key), nil, true), http.StatusOK)
	expectStatus(t, do("GET", api+"?listenerKey="+url.QueryEscape(key), nil, true), http.StatusBadRequest)
	expectStatus(t, do("DELETE", api+"?pkg=WmRoot&listenerKey="+url.QueryEscape(key), nil, true), http.StatusBadRequest)

	kinds := kinds(c.Events(), n.Name())
	want := []string{EventPortCreated, EventPortEnabled, EventPortDisabled, EventPortDeleted}
	j := 0
	for _, k := range kinds {
		if j < len(want) && k == want[j] {
			j++
		}
	}
	if j != len(want) {
		t.Fatalf("events %v do not contain %v in order", kinds, want)
	}
}

func TestPortErrors(t *testing.T) {
	_, n := startNode(t, Options{})
	api := n.URL() + "/rest/apigateway/ports"
	primary := "HTTPListener@" + itoa(n.PrimaryPort())
	cases := []struct {
		name, method, url string
		body              any
		want              int
	}{
		{"bad JSON", "POST", api, "{not json", 400},
		{"empty body", "POST", api, "", 400},
		{"no port", "POST", api, map[string]string{"portAlias": "A"}, 400},
		{"port not a number", "POST", api, map[string]string{"port": "44x", "portAlias": "A"}, 400},
		{"port out of range", "POST", api, map[string]any{"port": 70000, "portAlias": "A"}, 400},
		{"no alias", "POST", api, map[string]any{"port": n.ReservePort()}, 400},
		{"unknown package", "POST", api, map[string]any{"port": n.ReservePort(), "portAlias": "A", "pkg": "Nope"}, 400},
		{"https without keystore", "POST", api, map[string]any{"port": n.ReservePort(), "portAlias": "A", "factoryKey": "webMethods/HTTPS"}, 400},
		{"unknown factory", "POST", api, map[string]any{"port": n.ReservePort(), "portAlias": "A", "factoryKey": "webMethods/FTP"}, 400},
		{"duplicate primary", "POST", api, map[string]any{"port": n.PrimaryPort(), "portAlias": "A"}, 400},
		{"enable unknown", "PUT", api + "/enable", map[string]string{"listenerKey": "HTTPListener@1", "pkg": "WmRoot"}, 400},
		{"enable without key", "PUT", api + "/enable", map[string]string{"pkg": "WmRoot"}, 400},
		{"enable wrong package", "PUT", api + "/enable", map[string]string{"listenerKey": primary, "pkg": "WmPublic"}, 400},
		{"disable primary", "PUT", api + "/disable", map[string]string{"listenerKey": primary, "pkg": "WmRoot"}, 400},
		{"delete primary", "DELETE", api + "?pkg=WmRoot&listenerKey=" + url.QueryEscape(primary), nil, 400},
		{"delete without key", "DELETE", api, nil, 400},
		{"unknown listenerKey", "GET", api + "?listenerKey=HTTPListener@1", nil, 400},
		{"update without key", "PUT", api, map[string]string{}, 400},
		{"update unknown", "PUT", api, map[string]string{"key": "HTTPListener@1", "suspended": "true"}, 400},
		{"suspend primary", "PUT", api, map[string]string{"key": primary, "pkg": "WmRoot", "suspended": "true"}, 400},
		{"update changes the number", "PUT", api, map[string]string{"key": primary, "port": "1"}, 400},
		{"update enables", "PUT", api, map[string]string{"key": primary, "enabled": "false"}, 400},
		{"update changes access mode", "PUT", api, map[string]string{"key": primary, "accessMode": "deny"}, 400},
		{"update suspended not a bool", "PUT", api, map[string]string{"key": primary, "suspended": "maybe"}, 400},
		{"access mode of unknown", "POST", api + "/HTTPListener@1/accessMode", map[string]string{"accessMode": "allow"}, 404},
		{"invalid access mode", "POST", api + "/" + primary + "/accessMode", map[string]string{"accessMode": "sometimes"}, 500},
		{"get access mode of unknown", "GET", api + "/HTTPListener@1/accessMode", nil, 404},
	}
	for _, tc := range cases {
		a := do(tc.method, tc.url, tc.body, true)
		if a.err != nil || a.status != tc.want {
			t.Errorf("%s: want %d, got %d %v %s", tc.name, tc.want, a.status, a.err, a.body)
			continue
		}
		if m := a.json(t); m["message"] == nil && m["errorDetails"] == nil {
			t.Errorf("%s: no message in %s", tc.name, a.body)
		}
	}
	// The port answers carry listenerKey, pkg and message.
	a := do("GET", api+"?listenerKey=HTTPListener@1&pkg=WmRoot", nil, true)
	if m := a.json(t); m["listenerKey"] != "HTTPListener@1" || m["pkg"] != "WmRoot" || m["message"] == nil {
		t.Errorf("unknown key answer: %s", a.body)
	}
}

func TestPortEnableBindFailure(t *testing.T) {
	c, n := startNode(t, Options{Nodes: 2})
	// gw-2's primary port is taken: the port can be configured but not opened.
	busy := c.Nodes()[1].PrimaryPort()
	expectStatus(t, do("POST", n.URL()+"/rest/apigateway/ports", map[string]any{"port": busy, "portAlias": "Busy"}, true), http.StatusCreated)
	a := do("PUT", n.URL()+"/rest/apigateway/ports/enable", map[string]string{"listenerKey": "HTTPListener@" + itoa(busy)}, true)
	expectStatus(t, a, http.StatusInternalServerError)
	if a.json(t)["message"] == nil {
		t.Fatalf("bind failure answer: %s", a.body)
	}
}

func TestPortVariants(t *testing.T) {
	_, n := startNode(t, Options{Variants: Variants{PortCreatedOK: true, UnknownPortEmpty: true}})
	expectStatus(t, do("POST", n.URL()+"/rest/apigateway/ports", map[string]any{"port": itoa(n.ReservePort()), "portAlias": "Q"}, true), http.StatusOK)
	a := do("GET", n.URL()+"/rest/apigateway/ports?listenerKey=HTTPListener@1", nil, true)
	expectStatus(t, a, http.StatusOK)
	if _, has := a.json(t)["uniqueID"]; has {
		t.Fatalf("missing port should lack uniqueID: %s", a.body)
	}
}

func TestPortWithBindAddress(t *testing.T) {
	c, n := startNode(t, Options{})
	p := n.ReservePort()
	a := do("POST", n.URL()+"/rest/apigateway/ports", map[string]any{"port": itoa(p), "portAlias": "Q", "bindAddress": "127.0.0.1"}, true)
	expectStatus(t, a, http.StatusCreated)
	key := "HTTPListener@" + itoa(p) + "@127.0.0.1"
	if a.json(t)["listenerKey"] != key {
		t.Fatalf("listener key with bind address: %s", a.body)
	}
	expectStatus(t, do("PUT", n.URL()+"/rest/apigateway/ports/enable", map[string]string{"listenerKey": key, "pkg": "WmRoot"}, true), http.StatusOK)
	expectStatus(t, health(c.urlFor(p)), http.StatusOK)
}

func TestQuiescePortSetting(t *testing.T) {
	c, n := startNode(t, Options{})
	details := func() map[string]any {
		a := do("GET", n.URL()+"/invoke/wm.server.quiesce/getQuiescePortDetails", nil, true)
		expectStatus(t, a, http.StatusOK)
		return a.json(t)
	}
	if d := details(); len(d) != 0 {
		t.Fatalf("no quiesce port yet, got %v", d)
	}
	a := do("PUT", n.URL()+"/invoke/wm.server.quiesce/setQuiescePort", map[string]string{"portAlias": "Missing"}, true)
	expectStatus(t, a, http.StatusInternalServerError)
	if d, _ := a.json(t)["errorDetails"].(string); d == "" || d[0] != ' ' {
		t.Fatalf("unknown alias answer: %s", a.body)
	}
	expectStatus(t, do("PUT", n.URL()+"/invoke/wm.server.quiesce/setQuiescePort", "{}", true), http.StatusBadRequest)

	p := setupQuiescePort(t, n)
	d := details()
	if d["portAlias"] != "QuiescePort" || d["portKey"] != "HTTPListener@"+itoa(p) || d["portPackage"] != "WmRoot" {
		t.Fatalf("details: %v", d)
	}
	if n.QuiescePort() != p || n.QuiesceURL() != c.urlFor(p) {
		t.Fatalf("QuiescePort %d QuiesceURL %s", n.QuiescePort(), n.QuiesceURL())
	}
	// The query-string form of the service works too.
	expectStatus(t, do("GET", n.URL()+"/invoke/wm.server.quiesce/setQuiescePort?portAlias=DefaultPrimary", nil, true), http.StatusOK)
	if details()["portAlias"] != "DefaultPrimary" {
		t.Fatal("query-string setQuiescePort ignored")
	}
	if kinds := kinds(c.Events(), n.Name()); kinds[len(kinds)-1] != EventQuiescePortSet {
		t.Fatalf("events: %v", kinds)
	}
}

// TestPortSuspendAndAccessMode: a suspended port refuses connections until
// it is resumed (PUT /ports with the port object, "suspended" changed); a
// port in access mode deny answers 403; a new port is in access mode allow;
// both make quiesce for all fail with the vendor's 500 until repaired.
func TestPortSuspendAndAccessMode(t *testing.T) {
	c, n := startNode(t, Options{})
	p := setupQuiescePort(t, n)
	key := "HTTPListener@" + itoa(p)
	api := n.URL() + "/rest/apigateway/ports"
	port := func() map[string]any {
		a := do("GET", api+"?listenerKey="+key, nil, true)
		expectStatus(t, a, http.StatusOK)
		return a.json(t)
	}
	if m := port(); m["accessMode"] != "allow" || m["suspended"] != "false" {
		t.Fatalf("new port %v: want access mode allow, not suspended", m)
	}

	// Suspend with the object as read, one field changed.
	obj := port()
	obj["suspended"] = "true"
	a := do("PUT", api, obj, true)
	expectStatus(t, a, http.StatusOK)
	if m := a.json(t); m["suspended"] != "true" || m["enabled"] != "true" || m["listening"] != "false" {
		t.Fatalf("suspend answer %s", a.body)
	}
	waitFor(t, "suspended port to refuse connections", func() bool { return refused(health(c.urlFor(p))) })
	a = quiesceAll(n)
	expectStatus(t, a, http.StatusInternalServerError)
	if !strings.Contains(string(a.body), "not suspended and have allow access mode") {
		t.Fatalf("quiesce with a suspended port: %s", a.body)
	}
	// A restart keeps the setting.
	if err := n.Restart(RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	waitState(t, n, StateReady)
	if m := port(); m["suspended"] != "true" || !refused(health(c.urlFor(p))) {
		t.Fatalf("after restart %v", m)
	}
	obj = port()
	obj["suspended"] = false
	expectStatus(t, do("PUT", api, obj, true), http.StatusOK)
	expectStatus(t, health(c.urlFor(p)), http.StatusOK)

	// Access mode deny: every request on the port answers 403.
	a = do("POST", api+"/"+key+"/accessMode", map[string]string{"accessMode": "deny"}, true)
	expectStatus(t, a, http.StatusOK)
	if m := a.json(t); m["accessMode"] != "deny" {
		t.Fatalf("access mode answer %s", a.body)
	}
	expectStatus(t, health(c.urlFor(p)), http.StatusForbidden)
	a = do("GET", api+"/"+key+"/accessMode", nil, true)
	expectStatus(t, a, http.StatusOK)
	if m := a.json(t); m["accessMode"] != "deny" {
		t.Fatalf("GET accessMode %s", a.body)
	}
	expectStatus(t, quiesceAll(n), http.StatusInternalServerError)
	expectStatus(t, do("POST", api+"/"+key+"/accessMode", map[string]string{"accessMode": "allow"}, true), http.StatusOK)
	expectStatus(t, health(c.urlFor(p)), http.StatusOK)
	expectStatus(t, quiesceAll(n), http.StatusOK)

	var got []string
	for _, e := range c.Events() {
		switch e.Kind {
		case EventPortSuspended, EventPortResumed, EventPortAccessMode:
			got = append(got, e.Kind+" "+e.Detail)
		}
	}
	want := []string{"port_suspended " + key, "port_resumed " + key, "port_access_mode " + key + " deny", "port_access_mode " + key + " allow"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}
