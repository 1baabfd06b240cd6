package rollout

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func validConfig() Config {
	return Config{
		Nodes: []Node{
			{Name: "gw-1", URL: "https://gw-1:5555", QuiesceURL: "http://gw-1:4444"},
			{Name: "gw-2", URL: "https://gw-2:5555", QuiesceURL: "http://gw-2:4444"},
		},
		Target:         "10.15.0.7",
		UpgradeCommand: []string{"/opt/upgrade.sh"},
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

func TestStepErrorFormat(t *testing.T) {
	err := error(&StepError{Node: "gw-2", Step: StepDrain, Err: errors.New("still answering"), Hint: "Do X."})
	if got, want := err.Error(), `node "gw-2": drain failed: still answering. Do X.`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	inner := &CommandError{Step: "upgrade", Program: "/opt/u.sh", ExitCode: 3, Tail: "a\nb\n"}
	err = &StepError{Node: "gw-2", Step: StepUpgradeCommand, Err: inner, Hint: "Do X."}
	if got, want := err.Error(), `node "gw-2": upgrade_command failed: command "upgrade" (/opt/u.sh) exited with status 3: a`+"\nb.\nDo X."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 3 {
		t.Error("StepError does not unwrap to its cause")
	}
}

func TestRedactor(t *testing.T) {
	r := newRedactor([]string{"abc", "abcdef", "", "abc"})
	if got := r.String("x abcdef y abc z"); got != "x (sensitive) y (sensitive) z" {
		t.Errorf("got %q", got)
	}
	err := r.Error(errors.Join(errors.New("token abc"), context.Canceled))
	if strings.Contains(err.Error(), "abc") || !errors.Is(err, context.Canceled) {
		t.Errorf("redacted error %q, is canceled: %v", err, errors.Is(err, context.Canceled))
	}
	plain := errors.New("nothing to hide")
	if r.Error(plain) != plain { //nolint:errorlint // identity is the point: the same error must come back unwrapped
		t.Error("an error without secrets was rewrapped")
	}
	if got := newRedactor(nil).String("abc"); got != "abc" {
		t.Errorf("empty redactor changed text: %q", got)
	}
}

// slowGateway answers after a delay and counts concurrent calls.
type slowGateway struct {
	*fakeCluster
	mu       sync.Mutex
	now, max int
}

func (g *slowGateway) enter() func() {
	g.mu.Lock()
	g.now++
	g.max = max(g.max, g.now)
	g.mu.Unlock()
	time.Sleep(time.Second)
	return func() { g.mu.Lock(); g.now--; g.mu.Unlock() }
}

func (g *slowGateway) Version(ctx context.Context, url string) (string, error) {
	defer g.enter()()
	return g.fakeCluster.Version(ctx, url)
}

func (g *slowGateway) Health(ctx context.Context, url string) (int, error) {
	time.Sleep(time.Second)
	return g.fakeCluster.Health(ctx, url)
}

func TestSurveyKeepsOrderAndBoundsConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		versions := make([]string, SurveyConcurrency+44)
		for i := range versions {
			versions[i] = oldV
		}
		c := newCluster(versions...)
		c.node("gw-7").ph = phDown
		c.node("gw-9").ph = phStarting
		c.node("gw-9").until = time.Now().Add(time.Hour)
		c.node("gw-9").startTime = 4 * time.Hour // past half of its start: serverinfo up, health 500
		g := &slowGateway{fakeCluster: c}
		start := time.Now()
		st := Survey(t.Context(), g, c.Nodes())
		if g.max != SurveyConcurrency {
			t.Errorf("max nodes read at once %d, want %d", g.max, SurveyConcurrency)
		}
		// Two rounds; a node's version read and health probe (1s each)
		// run side by side.
		if took := time.Since(start); took != 2*time.Second {
			t.Errorf("%d nodes, %d at a time, two 1s reads each took %s, want 2s", len(versions), SurveyConcurrency, took)
		}
		for i, s := range st {
			if s.Node.Name != c.nodes[i].Name {
				t.Fatalf("result %d is %s", i, s.Node.Name)
			}
		}
		if s := st[0]; !s.Ready || s.Version != oldV || s.Err != nil {
			t.Errorf("gw-1: %+v", s)
		}
		if s := st[6]; s.Ready || s.Version != "" || s.Err == nil {
			t.Errorf("down gw-7: %+v", s)
		}
		if s := st[8]; s.Ready || s.Version != oldV || s.Err != nil {
			t.Errorf("starting gw-9: %+v", s)
		}
	})
}
