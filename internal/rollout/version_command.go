package rollout

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Bounds of version_command. A version read runs for every node at plan,
// refresh and in every ready poll, so one run gets a minute (or
// command_timeout when that is shorter), not a whole command_timeout, and
// at most VersionCommandConcurrency of them run at once, however many
// nodes a survey reads side by side.
const (
	VersionCommandTimeout     = time.Minute
	VersionCommandConcurrency = 16
)

// VersionCommandError is a version_command that failed for one node: it
// did not run, failed, or printed no version.
type VersionCommandError struct {
	Node string
	Err  error
}

func (e *VersionCommandError) Error() string {
	return fmt.Sprintf("version_command for node %q: %v", e.Node, e.Err)
}

func (e *VersionCommandError) Unwrap() error { return e.Err }

// WithVersionCommand returns gw with Version served by cfg.VersionCommand
// run through runner, or gw itself when cfg has none. Everything that needs
// a node's version (Survey for plan and refresh, the engine's survey at
// apply start and its ready waits) then gets what the command prints for
// that node, trimmed, with the node's APIGW_NODE_* variables, command_env
// and command_secret_env (APIGW_FROM_VERSION is empty: the version is what
// the command tells). Output and errors have cfg.CommandSecretEnv's values
// redacted; runner should redact them too. Only cfg's nodes can be asked.
func WithVersionCommand(gw Gateway, runner Runner, cfg Config) Gateway {
	if len(cfg.VersionCommand) == 0 {
		return gw
	}
	cfg = cfg.withDefaults()
	g := &commandVersions{
		Gateway: gw,
		cfg:     cfg,
		runner:  runner,
		redact:  newRedactor(slices.Collect(maps.Values(cfg.CommandSecretEnv))),
		index:   make(map[string]int, len(cfg.Nodes)),
		slots:   make(chan struct{}, VersionCommandConcurrency),
	}
	for i, n := range cfg.Nodes {
		g.index[n.URL] = i
	}
	return g
}

// commandVersions is a Gateway whose Version runs version_command. It
// forwards the optional interfaces of the Gateway it wraps (today
// QuiescePortReader): one added to the engine must be forwarded here too.
type commandVersions struct {
	Gateway
	cfg    Config
	runner Runner
	redact *redactor
	index  map[string]int // node URL → position in cfg.Nodes
	slots  chan struct{}
}

var (
	_ Gateway           = (*commandVersions)(nil)
	_ QuiescePortReader = (*commandVersions)(nil)
)

// errNoQuiescePortReader: the wrapped Gateway cannot read the setting;
// pre-flight then relies on the health check alone, as without the wrapper.
var errNoQuiescePortReader = errors.New("the gateway cannot read the quiesce-port setting")

func (g *commandVersions) QuiescePort(ctx context.Context, nodeURL string) (QuiescePortSetting, error) {
	if qr, ok := g.Gateway.(QuiescePortReader); ok {
		return qr.QuiescePort(ctx, nodeURL)
	}
	return QuiescePortSetting{}, errNoQuiescePortReader
}

// Version runs version_command for the node at nodeURL and returns what it
// printed on stdout, trimmed; it must be a dotted numeric version.
func (g *commandVersions) Version(ctx context.Context, nodeURL string) (string, error) {
	i, ok := g.index[nodeURL]
	if !ok {
		return "", fmt.Errorf("version_command: %s is not the url of any node in nodes", nodeURL)
	}
	n := g.cfg.Nodes[i]
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return "", &VersionCommandError{Node: n.Name, Err: interrupted(ctx.Err())}
	}
	defer func() { <-g.slots }()
	c := Command{
		Step:          "version",
		Argv:          g.cfg.VersionCommand,
		Env:           nodeEnv(g.cfg, n, i, ""),
		Timeout:       min(VersionCommandTimeout, g.cfg.CommandTimeout),
		CaptureStdout: true,
	}
	res, err := runRedacted(ctx, g.runner, g.redact, c)
	if err != nil {
		return "", &VersionCommandError{Node: n.Name, Err: err}
	}
	v := strings.TrimSpace(res.Stdout)
	switch {
	case v == "":
		return "", &VersionCommandError{Node: n.Name, Err: errors.New("it printed nothing on stdout; it must print the node's version alone, e.g. 10.15.0.7")}
	case ValidateVersion(v) != nil:
		return "", &VersionCommandError{Node: n.Name, Err: fmt.Errorf("it printed %q, which is not a dotted numeric version; it must print the node's version alone, e.g. 10.15.0.7", lastBytes(v, 200))}
	}
	return v, nil
}
