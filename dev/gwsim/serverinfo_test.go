package gwsim

import (
	"net/http"
	"slices"
	"sort"
	"testing"
)

func TestServerInfo(t *testing.T) {
	_, n := startNode(t, Options{Version: "10.15.0.5.120"})
	get := func() map[string]any {
		a := do("GET", n.URL()+"/rest/apigateway/is/serverinfo", nil, true)
		expectStatus(t, a, http.StatusOK)
		return a.json(t)
	}
	m := get()
	if m["version"] != "10.15.0.5.120" || m["build"] != "120" {
		t.Fatalf("serverinfo %v", m)
	}
	if p, _ := m["patch_nums"].(map[string]any); len(p) == 0 {
		t.Fatalf("patch_nums %v", m["patch_nums"])
	}
	if si, _ := m["systemInfo"].(map[string]any); si["Hostname"] != "gw-1" {
		t.Fatalf("systemInfo %v", m["systemInfo"])
	}
	productVersion := func(m map[string]any) any {
		l, _ := m["LicenseDetails"].([]any)
		if len(l) == 0 {
			return nil
		}
		first, _ := l[0].(map[string]any)
		info, _ := first["productInformation"].(map[string]any)
		return info["Product Version"]
	}
	if productVersion(m) != "10.15" {
		t.Fatalf("Product Version %v", productVersion(m))
	}
	if err := n.Restart(RestartOptions{Version: "10.15.0.7.1234"}); err != nil {
		t.Fatal(err)
	}
	waitState(t, n, StateReady)
	m = get()
	if m["version"] != "10.15.0.7.1234" || productVersion(m) != "10.15" {
		t.Fatalf("after fix: version %v product version %v", m["version"], productVersion(m))
	}
	// A version without a fix level has no patches.
	if err := n.Restart(RestartOptions{Version: "10.15"}); err != nil {
		t.Fatal(err)
	}
	waitState(t, n, StateReady)
	if p, _ := get()["patch_nums"].(map[string]any); len(p) != 0 {
		t.Fatalf("patch_nums %v", p)
	}
}

func TestClusterInfo(t *testing.T) {
	c := startCluster(t, Options{Nodes: 3})
	a := do("GET", c.Nodes()[2].URL()+"/rest/apigateway/is/cluster", nil, true)
	expectStatus(t, a, http.StatusOK)
	m := a.json(t)
	if m["clusterAware"] != true {
		t.Fatalf("cluster %s", a.body)
	}
	if ig, _ := m["Ignite"].(map[string]any); ig["hostnames"] != "gw-1,gw-2,gw-3" {
		t.Fatalf("Ignite %v", m["Ignite"])
	}
}

func TestHealthEngine(t *testing.T) {
	c := startCluster(t, Options{Nodes: 2})
	n, other := c.Nodes()[0], c.Nodes()[1]
	engine := func() answer { return do("GET", n.URL()+"/rest/apigateway/health/engine", nil, false) }
	a := engine()
	expectStatus(t, a, http.StatusOK)
	m := a.json(t)
	if tc, _ := m["terracotta"].(map[string]any); m["status"] != "green" || tc["healthy_nodes"] != "2" {
		t.Fatalf("engine %s", a.body)
	}
	if err := other.Stop(); err != nil {
		t.Fatal(err)
	}
	if s := engine().json(t)["status"]; s != "yellow" {
		t.Fatalf("one node down: %v", s)
	}
	if err := n.Restart(RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	a = engine()
	expectStatus(t, a, http.StatusInternalServerError)
	if a.json(t)["status"] != "red" {
		t.Fatalf("starting: %s", a.body)
	}
	// Credentials are optional, wrong ones are refused.
	if a := getAs(n.URL()+"/rest/apigateway/health/engine", "x", "y"); a.err != nil || a.status != http.StatusUnauthorized {
		t.Fatalf("wrong credentials: %d %v", a.status, a.err)
	}
	expectStatus(t, do("GET", n.URL()+"/rest/apigateway/health/nothing", nil, false), http.StatusNotFound)
	expectStatus(t, do("POST", n.URL()+"/rest/apigateway/health", nil, false), http.StatusMethodNotAllowed)
}

// TestServerInfoVersionWithoutFix: with the variant, serverinfo's version
// keeps the fourth segment at 0 (the vendor's sample reads 10.5.0.0.5015)
// across a fix, and only patch_nums shows the fix level; the installed
// version, which the control API shows, carries it.
func TestServerInfoVersionWithoutFix(t *testing.T) {
	_, n := startNode(t, Options{Version: "10.5.0.9.5015", Variants: Variants{VersionWithoutFix: true}})
	get := func() map[string]any {
		a := do("GET", n.URL()+"/rest/apigateway/is/serverinfo", nil, true)
		expectStatus(t, a, http.StatusOK)
		return a.json(t)
	}
	fixes := func(m map[string]any) []string {
		var out []string
		nums, _ := m["patch_nums"].(map[string]any)
		for k := range nums {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	m := get()
	if m["version"] != "10.5.0.0.5015" || m["build"] != "5015" || n.ServerInfoVersion() != "10.5.0.0.5015" {
		t.Fatalf("serverinfo version %v build %v", m["version"], m["build"])
	}
	if got := fixes(m); !slices.Equal(got, []string{"APIGW_10.5_Fix9", "IS_10.5_Core_Fix9"}) {
		t.Fatalf("patch_nums %v", got)
	}
	if err := n.Restart(RestartOptions{Version: "10.5.0.11.5015"}); err != nil {
		t.Fatal(err)
	}
	waitState(t, n, StateReady)
	m = get()
	if m["version"] != "10.5.0.0.5015" || m["build"] != "5015" {
		t.Fatalf("after fix 11: version %v build %v, want unchanged", m["version"], m["build"])
	}
	if got := fixes(m); !slices.Equal(got, []string{"APIGW_10.5_Fix11", "IS_10.5_Core_Fix11"}) {
		t.Fatalf("patch_nums after fix 11 %v", got)
	}
	if n.Version() != "10.5.0.11.5015" || n.Status().Version != "10.5.0.11.5015" {
		t.Fatalf("installed version %q, status %q", n.Version(), n.Status().Version)
	}
	// The default reports the fix level in version.
	d := startCluster(t, Options{Nodes: 1, Version: "10.5.0.9.5015"})
	if v := d.Nodes()[0].ServerInfoVersion(); v != "10.5.0.9.5015" {
		t.Fatalf("default variant reports %q", v)
	}
}
