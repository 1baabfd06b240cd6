package rollout

import (
	"strings"
	"testing"
)

// TestValidateNodesNamesNodeAndField: every node problem carries the node's
// index and the field, so the resource attaches it without reading text.
func TestValidateNodesNamesNodeAndField(t *testing.T) {
	ok := func(i int) Node {
		n := string(rune('1' + i))
		return Node{Name: "gw-" + n, URL: "https://gw-" + n + ":5555", QuiesceURL: "http://gw-" + n + ":4444"}
	}
	for _, tc := range []struct {
		name     string
		strategy Strategy
		mutate   func([]Node)
		node     int
		field    string
		summary  string
		text     string
	}{
		{"blank name", "", func(n []Node) { n[1].Name = " " }, 1, "name", "Empty node name", "the name is empty"},
		{"unknown (empty) name", "", func(n []Node) { n[0].Name = "" }, 0, "name", "Empty node name", "the name is empty"},
		{"duplicate name", "", func(n []Node) { n[1].Name = "gw-1" }, 1, "name", "Duplicate node name", `"gw-1" is also nodes[0].name`},
		{"missing url", "", func(n []Node) { n[1].URL = "" }, 1, "url", "", "required"},
		{"no scheme", "", func(n []Node) { n[0].URL = "gw-1:5555" }, 0, "url", "Invalid URL", `"gw-1:5555" has no http:// or https:// scheme; it must be ` + URLForm},
		{"user information", "", func(n []Node) { n[0].QuiesceURL = "http://admin:pw@gw-1:4444" }, 0, "quiesce_url", "Invalid URL", `"http://admin:xxxxx@gw-1:4444" contains user information`},
		{"same URL spelt twice", "", func(n []Node) { n[1].URL = "HTTPS://GW-1:443/"; n[0].URL = "https://gw-1" }, 1, "url", "Duplicate node URL", `"HTTPS://GW-1:443/" is also nodes[0].url`},
		{"quiesce URL of another node", "", func(n []Node) { n[1].QuiesceURL = n[0].QuiesceURL }, 1, "quiesce_url", "Duplicate node URL", "is also nodes[0].quiesce_url"},
		{"quiesce URL is the node's URL", "", func(n []Node) { n[1].QuiesceURL = n[1].URL + "/" }, 1, "quiesce_url", "Quiesce URL equals the node URL", "not at the primary port"},
		{"missing quiesce URL", StrategyQuiesceAll, func(n []Node) { n[1].QuiesceURL = "" }, 1, "quiesce_url", "Missing quiesce URL", "apigw_quiesce_port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nodes := []Node{ok(0), ok(1), ok(2)}
			tc.mutate(nodes)
			errs := ValidateNodes(nodes, tc.strategy)
			if len(errs) != 1 {
				t.Fatalf("ValidateNodes = %v, want one problem", errs)
			}
			e := errs[0]
			if e.Attribute != "nodes" || e.Node != tc.node || e.Field != tc.field || !strings.Contains(e.Message, tc.text) {
				t.Errorf("got %+v, want nodes[%d].%s: ...%s...", e, tc.node, tc.field, tc.text)
			}
			if tc.summary != "" && e.Title() != tc.summary {
				t.Errorf("Title() = %q, want %q", e.Title(), tc.summary)
			}
			if want := "nodes[" + string(rune('0'+tc.node)) + "]." + tc.field + ": "; !strings.HasPrefix(e.Error(), want) {
				t.Errorf("Error() = %q, want it to start with %q", e.Error(), want)
			}
			if strings.Contains(e.Error(), "pw@") {
				t.Errorf("Error() shows a password: %q", e.Error())
			}
		})
	}
	if errs := ValidateNodes([]Node{{Name: "a", URL: "http://a:5555"}}, StrategyDrainShutdown); len(errs) != 0 {
		t.Errorf("drain_shutdown needs no quiesce URL, got %v", errs)
	}
}

func TestAttrErrorPathAndTitle(t *testing.T) {
	for _, tc := range []struct {
		e           AttrError
		path, title string
	}{
		{AttrError{Attribute: "max_unavailable"}, "max_unavailable", "Invalid max_unavailable"},
		{AttrError{Attribute: "nodes", Node: 0, Field: "url"}, "nodes[0].url", "Invalid nodes[0].url"},
		{AttrError{Attribute: "nodes", Node: 12, Field: "quiesce_url", Summary: "Missing quiesce URL"}, "nodes[12].quiesce_url", "Missing quiesce URL"},
	} {
		if got := tc.e.Path(); got != tc.path {
			t.Errorf("Path() = %q, want %q", got, tc.path)
		}
		if got := tc.e.Title(); got != tc.title {
			t.Errorf("Title() = %q, want %q", got, tc.title)
		}
	}
}

func TestValidateMaxUnavailable(t *testing.T) {
	for _, tc := range []struct {
		k, nodes int
		want     string // "" when accepted
	}{
		{1, 1, ""}, {1, 3, ""}, {2, 3, ""},
		{0, 3, "must be at least 1, got 0"},
		{3, 3, "3 would take every one of the 3 nodes out of service at once; it must be at least 1 and less than 3"},
		{2, 1, "must be 1 for a single-node cluster, got 2"},
	} {
		errs := ValidateMaxUnavailable(tc.k, tc.nodes)
		switch {
		case tc.want == "" && len(errs) != 0:
			t.Errorf("ValidateMaxUnavailable(%d, %d) = %v, want none", tc.k, tc.nodes, errs)
		case tc.want != "" && (len(errs) != 1 || errs[0].Message != tc.want || errs[0].Path() != "max_unavailable"):
			t.Errorf("ValidateMaxUnavailable(%d, %d) = %v, want %q", tc.k, tc.nodes, errs, tc.want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"https://gw-1:5555", ""},
		{"http://gw-1:5555/prefix/", ""},
		{"gw-1:5555", "has no http:// or https:// scheme"},
		{"ftp://gw-1", "has no http:// or https:// scheme"},
		{"http://:5555", "has no host"},
		{"http://gw-1:5555/?x=1", "has a query or fragment"},
		{"http://gw-1:5555/#top", "has a query or fragment"},
		{"http://u:secret@gw-1:5555", `"http://u:xxxxx@gw-1:5555" contains user information`},
		{"http://gw-1:5555/%zz", "does not parse as a URL"},
	} {
		err := CheckURL(tc.url)
		if tc.want == "" {
			if err != nil {
				t.Errorf("CheckURL(%q) = %v", tc.url, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("CheckURL(%q) = %v, want ...%s...", tc.url, err, tc.want)
		}
	}
}

func TestNormaliseURLComparesSpellings(t *testing.T) {
	for _, pair := range [][2]string{
		{"https://gw-1", "HTTPS://GW-1:443/"},
		{"http://gw-1", "http://gw-1:80"},
		{"https://gw-1:5555/api/", "https://gw-1:5555/api"},
	} {
		a, errA := NormaliseURL(pair[0])
		b, errB := NormaliseURL(pair[1])
		if errA != nil || errB != nil || a != b {
			t.Errorf("NormaliseURL(%q) = %q, %v; NormaliseURL(%q) = %q, %v; want equal", pair[0], a, errA, pair[1], b, errB)
		}
	}
}
