package rollout

import (
	"strings"
	"testing"
	"time"
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

func TestValidateAcceptsDefaults(t *testing.T) {
	if err := validConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	c := validConfig().withDefaults()
	if c.Strategy != StrategyQuiesceAll || c.MaxUnavailable != 1 || c.DrainTimeout != 15*time.Minute ||
		c.CommandTimeout != 30*time.Minute || c.ReadyTimeout != 20*time.Minute || c.PollInterval != 2*time.Second ||
		c.ReadySuccesses != 2 || len(c.Flush) != 3 || c.SoakDuration != 0 || c.OnInterrupt != InterruptFinishNode || c.MaxNodesPerApply != 0 {
		t.Errorf("defaults: %+v", c)
	}
}

func TestValidateNamesTheAttribute(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		attr   string
		text   string
	}{
		{"no nodes", func(c *Config) { c.Nodes = nil }, "nodes", "at least one"},
		{"empty name", func(c *Config) { c.Nodes[1].Name = " " }, "nodes[1].name", "the name is empty"},
		{"duplicate name", func(c *Config) { c.Nodes[1].Name = "gw-1" }, "nodes[1].name", `"gw-1" is also nodes[0].name`},
		{"missing url", func(c *Config) { c.Nodes[0].URL = "" }, "nodes[0].url", "required"},
		{"bad scheme", func(c *Config) { c.Nodes[0].URL = "gw-1:5555" }, "nodes[0].url", "http:// or https://"},
		{"no host", func(c *Config) { c.Nodes[0].URL = "https://:5555" }, "nodes[0].url", "no host"},
		{"query", func(c *Config) { c.Nodes[0].URL = "https://gw-1:5555/?x=1" }, "nodes[0].url", "has a query or fragment"},
		{"duplicate url", func(c *Config) { c.Nodes[1].URL = "HTTPS://gw-1:5555/" }, "nodes[1].url", `"HTTPS://gw-1:5555/" is also nodes[0].url`},
		{"quiesce url is primary", func(c *Config) { c.Nodes[0].QuiesceURL = "https://gw-1:5555" }, "nodes[0].quiesce_url", "not at the primary port"},
		{"missing quiesce url", func(c *Config) { c.Nodes[0].QuiesceURL = "" }, "nodes[0].quiesce_url", "apigw_quiesce_port"},
		{"no target", func(c *Config) { c.Target = "" }, "target_version", "required"},
		{"bad target", func(c *Config) { c.Target = "10.15.x" }, "target_version", "dotted numeric"},
		{"short target", func(c *Config) { c.Target = "10" }, "target_version", "release"},
		{"strategy", func(c *Config) { c.Strategy = "yolo" }, "strategy", `"quiesce_all" or "drain_shutdown"`},
		{"empty flush", func(c *Config) { c.Flush = []string{} }, "flush", "at least one"},
		{"bad flush", func(c *Config) { c.Flush = []string{"cache"} }, "flush", "allowed: license_metrics"},
		{"duplicate flush", func(c *Config) { c.Flush = []string{"license_metrics", "license_metrics"} }, "flush", "twice"},
		{"max_unavailable negative", func(c *Config) { c.MaxUnavailable = -1 }, "max_unavailable", "at least 1"},
		{"on_interrupt", func(c *Config) { c.OnInterrupt = "abort" }, "on_interrupt", `"finish_node" or "rollback"`},
		{"max_nodes_per_apply negative", func(c *Config) { c.MaxNodesPerApply = -1 }, "max_nodes_per_apply", "at least 1"},
		{"max_unavailable all", func(c *Config) { c.MaxUnavailable = 2 }, "max_unavailable", "every one of the 2 nodes out of service at once; it must be at least 1 and less than 2"},
		{"single node k", func(c *Config) { c.Nodes = c.Nodes[:1]; c.MaxUnavailable = 2 }, "max_unavailable", "single-node"},
		{"drain_timeout", func(c *Config) { c.DrainTimeout = -time.Second }, "drain_timeout", "positive"},
		{"command_timeout", func(c *Config) { c.CommandTimeout = -time.Second }, "command_timeout", "positive"},
		{"ready_timeout", func(c *Config) { c.ReadyTimeout = -time.Second }, "ready_timeout", "positive"},
		{"soak", func(c *Config) { c.SoakDuration = -time.Second }, "soak_duration", "zero or positive"},
		{"poll_interval", func(c *Config) { c.PollInterval = time.Millisecond }, "poll_interval", "at least 10ms"},
		{"ready_successes", func(c *Config) { c.ReadySuccesses = -1 }, "ready_successes", "at least 1"},
		{"no upgrade command", func(c *Config) { c.UpgradeCommand = nil }, "upgrade_command", "required"},
		{"empty program", func(c *Config) { c.RollbackCommand = []string{""} }, "rollback_command", "must not be empty"},
		{"reserved env", func(c *Config) { c.CommandEnv = map[string]string{"APIGW_NODE_INDEX": "9"} }, "command_env", "set by the provider"},
		{"bad env name", func(c *Config) { c.CommandEnv = map[string]string{"A=B": "x"} }, "command_env", "not a valid"},
		{"reserved secret env", func(c *Config) { c.CommandSecretEnv = map[string]string{"APIGW_NODE_NAME": "x"} }, "command_secret_env", "set by the provider"},
		{"bad secret env name", func(c *Config) { c.CommandSecretEnv = map[string]string{"": "x"} }, "command_secret_env", "not a valid"},
		{"env in both maps", func(c *Config) {
			c.CommandEnv = map[string]string{"TOKEN": "a"}
			c.CommandSecretEnv = map[string]string{"TOKEN": "b"}
		}, "command_secret_env", "TOKEN is also in command_env"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.mutate(&c)
			err := c.Validate()
			found := false
			for _, ae := range AttrErrors(err) {
				if ae.Path() == tc.attr && strings.Contains(ae.Message, tc.text) {
					found = true
				}
			}
			if !found {
				t.Errorf("want %s: ...%s..., got %v", tc.attr, tc.text, err)
			}
		})
	}
}

func TestValidateDrainShutdownNeedsNoQuiesceURL(t *testing.T) {
	c := validConfig()
	c.Strategy = StrategyDrainShutdown
	c.Nodes[0].QuiesceURL, c.Nodes[1].QuiesceURL = "", ""
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateNeverShowsSecrets(t *testing.T) {
	c := validConfig()
	c.CommandSecretEnv = map[string]string{"APIGW_NODE_NAME": "topsecret", "": "alsosecret", "TOKEN": "clash-secret"}
	c.CommandEnv = map[string]string{"TOKEN": "plain"}
	err := c.Validate()
	if err == nil || strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), "alsosecret") || strings.Contains(err.Error(), "clash-secret") {
		t.Fatalf("error %v", err)
	}
}
