package rollout

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// AttrError is one configuration problem and the attribute it concerns, so
// that a caller (the Terraform resource) attaches it to that attribute
// without reading the text: Attribute is a top-level attribute
// ("max_unavailable", "nodes"); for one field of one node, Field names the
// field ("url") and Node is the node's index in Config.Nodes.
type AttrError struct {
	Attribute string
	// Node is the index of the node in Config.Nodes; it means something
	// only when Field is set.
	Node int
	// Field is "name", "url" or "quiesce_url" for a node's field; "" when
	// the error concerns Attribute as a whole.
	Field string
	// Summary is a short title such as "Duplicate node URL"; "" when
	// "Invalid <Path>" says it.
	Summary string
	Message string
}

// Path is the attribute as users write it: "nodes[1].url", "max_unavailable".
func (e *AttrError) Path() string {
	if e.Field == "" {
		return e.Attribute
	}
	return fmt.Sprintf("%s[%d].%s", e.Attribute, e.Node, e.Field)
}

// Title is Summary, or "Invalid <Path>" when it has none.
func (e *AttrError) Title() string {
	if e.Summary != "" {
		return e.Summary
	}
	return "Invalid " + e.Path()
}

func (e *AttrError) Error() string { return e.Path() + ": " + e.Message }

// AttrErrors lists the *AttrError values inside an error from Validate.
func AttrErrors(err error) []*AttrError {
	var out []*AttrError
	var walk func(error)
	walk = func(err error) {
		if ae, ok := err.(*AttrError); ok { //nolint:errorlint // the walk below unwraps joined errors itself; As would stop at the first
			out = append(out, ae)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// problems collects AttrErrors.
type problems []*AttrError

// bad adds a problem with attribute attr as a whole.
func (p *problems) bad(attr, format string, args ...any) {
	*p = append(*p, &AttrError{Attribute: attr, Message: fmt.Sprintf(format, args...)})
}

// node adds a problem with one field of node i.
func (p *problems) node(i int, field, summary, format string, args ...any) {
	*p = append(*p, &AttrError{Attribute: "nodes", Node: i, Field: field, Summary: summary, Message: fmt.Sprintf(format, args...)})
}

// reservedEnv are the variables the engine sets for every command.
var reservedEnv = []string{
	"APIGW_NODE_NAME", "APIGW_NODE_URL", "APIGW_QUIESCE_URL", "APIGW_FROM_VERSION",
	"APIGW_TARGET_VERSION", "APIGW_NODE_INDEX", "APIGW_NODE_COUNT",
	"APIGW_EVENT", "APIGW_EVENT_MESSAGE", // notify_command's
}

// Validate returns every problem in c (joined), each an *AttrError naming the
// attribute and what is allowed; nil when c can be run. Zero values are
// checked as their defaults. Callers that see only part of a configuration
// (the resource at plan time) run the finer checks it is made of:
// ValidateNodes, ValidateMaxUnavailable, ValidatePollInterval, ValidateEnv
// and ValidateTarget.
func (c Config) Validate() error {
	c = c.withDefaults()
	p := problems(ValidateNodes(c.Nodes, c.Strategy))
	if c.Target == "" {
		p.bad("target_version", "required: a dotted version such as 10.15.0.7")
	} else if err := ValidateTarget(c.Target); err != nil {
		p.bad("target_version", "%v", err)
	}
	p.validateChoices(c)
	p = append(p, ValidateMaxUnavailable(c.MaxUnavailable, len(c.Nodes))...)
	p.validateTimings(c)
	p.validateCommands(c)
	p = append(p, ValidateEnv(c.CommandEnv, c.CommandSecretEnv)...)
	errs := make([]error, len(p))
	for i, e := range p {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// validateChoices checks the attributes that take one of a set of values.
func (p *problems) validateChoices(c Config) {
	switch c.Strategy {
	case StrategyQuiesceAll, StrategyDrainShutdown:
	default:
		p.bad("strategy", "must be %q or %q, got %q", StrategyQuiesceAll, StrategyDrainShutdown, c.Strategy)
	}
	if len(c.Flush) == 0 {
		p.bad("flush", "must name at least one of %s (the gateway reads an empty set as all three)", strings.Join(AllFlush(), ", "))
	}
	seen := map[string]bool{}
	for _, f := range c.Flush {
		switch f {
		case FlushLicenseMetrics, FlushPerformanceMetrics, FlushSubscriptionQuota:
		default:
			p.bad("flush", "%q is not allowed; allowed: %s", f, strings.Join(AllFlush(), ", "))
		}
		if seen[f] {
			p.bad("flush", "%q is listed twice", f)
		}
		seen[f] = true
	}
	switch c.OnInterrupt {
	case InterruptFinishNode, InterruptRollback:
	default:
		p.bad("on_interrupt", "must be %q or %q, got %q", InterruptFinishNode, InterruptRollback, c.OnInterrupt)
	}
	if c.MaxNodesPerApply < 0 {
		p.bad("max_nodes_per_apply", "must be at least 1, got %d", c.MaxNodesPerApply)
	}
}

// validateTimings checks the timeouts, waits and counts of a node's steps.
func (p *problems) validateTimings(c Config) {
	for _, d := range []struct {
		attr string
		v    time.Duration
	}{{"drain_timeout", c.DrainTimeout}, {"command_timeout", c.CommandTimeout}, {"ready_timeout", c.ReadyTimeout}} {
		if d.v < 0 {
			p.bad(d.attr, "must be a positive duration, got %s", d.v)
		}
	}
	if c.SoakDuration < 0 {
		p.bad("soak_duration", "must be zero or positive, got %s", c.SoakDuration)
	}
	*p = append(*p, ValidatePollInterval(c.PollInterval)...)
	if c.ReadySuccesses < 1 {
		p.bad("ready_successes", "must be at least 1, got %d", c.ReadySuccesses)
	}
	if c.PrepareParallelism < 1 {
		p.bad("prepare_parallelism", "must be at least 1, got %d", c.PrepareParallelism)
	}
	if c.NotifyTimeout < 0 {
		p.bad("notify_command", "its timeout must be positive, got %s", c.NotifyTimeout)
	}
}

// validateCommands checks the argv lists.
func (p *problems) validateCommands(c Config) {
	if len(c.UpgradeCommand) == 0 {
		p.bad("upgrade_command", "required: the argv of a command that shuts the node down, applies the fix and starts it")
	}
	for _, cmd := range []struct {
		attr string
		argv []string
	}{{"upgrade_command", c.UpgradeCommand}, {"before_node_command", c.BeforeNodeCommand},
		{"after_node_command", c.AfterNodeCommand}, {"rollback_command", c.RollbackCommand},
		{"prepare_command", c.PrepareCommand}, {"notify_command", c.NotifyCommand},
		{"version_command", c.VersionCommand}} {
		if len(cmd.argv) > 0 && strings.TrimSpace(cmd.argv[0]) == "" {
			p.bad(cmd.attr, "the first element (the program) must not be empty")
		}
	}
}

// ValidateMaxUnavailable checks max_unavailable against the number of
// nodes: at least 1 and, with several nodes, fewer than their number.
func ValidateMaxUnavailable(maxUnavailable, nodes int) []*AttrError {
	var p problems
	switch {
	case maxUnavailable < 1:
		p.bad("max_unavailable", "must be at least 1, got %d", maxUnavailable)
	case nodes > 1 && maxUnavailable >= nodes:
		p = append(p, &AttrError{Attribute: "max_unavailable", Summary: "max_unavailable too high",
			Message: fmt.Sprintf("%d would take every one of the %d nodes out of service at once; it must be at least 1 and less than %d",
				maxUnavailable, nodes, nodes)})
	case nodes == 1 && maxUnavailable != 1:
		p.bad("max_unavailable", "must be 1 for a single-node cluster, got %d", maxUnavailable)
	}
	return p
}

// ValidatePollInterval keeps a misconfigured poll_interval from hammering
// nodes.
func ValidatePollInterval(d time.Duration) []*AttrError {
	var p problems
	if d < MinPollInterval {
		p.bad("poll_interval", "must be at least %s, got %s", MinPollInterval, d)
	}
	return p
}

// ValidateEnv checks the names in command_env and command_secret_env: valid,
// not one the engine sets, and in one map only. It never shows a value.
func ValidateEnv(env, secret map[string]string) []*AttrError {
	var p problems
	for _, m := range []struct {
		attr string
		m    map[string]string
	}{{"command_env", env}, {"command_secret_env", secret}} {
		for _, k := range sortedKeys(m.m) {
			switch {
			case k == "" || strings.ContainsAny(k, "=\x00"):
				p.bad(m.attr, "%q is not a valid environment variable name", k)
			case isReservedEnv(k):
				p.bad(m.attr, "%s is set by the provider for every command and cannot be overridden", k)
			}
		}
	}
	for _, k := range sortedKeys(secret) {
		if _, ok := env[k]; ok {
			p.bad("command_secret_env", "%s is also in command_env; give each variable in one of the two maps (secrets in command_secret_env)", k)
		}
	}
	return p
}

func isReservedEnv(k string) bool {
	for _, r := range reservedEnv {
		if k == r {
			return true
		}
	}
	return false
}

// ValidateNodes checks names and URLs: present, well-formed and unique (a
// URL compared the way NormaliseURL spells it), a quiesce URL other than
// the node's own URL, and one for every node unless strategy is
// drain_shutdown. An empty name or URL is reported as missing, so a caller
// that does not know a value yet passes "" and ignores what is said of it.
func ValidateNodes(nodes []Node, strategy Strategy) []*AttrError {
	var p problems
	if len(nodes) == 0 {
		p.bad("nodes", "at least one node is required")
		return p
	}
	names := map[string]int{}
	urls := map[string]string{} // normalised URL → attribute that holds it
	for i, n := range nodes {
		if strings.TrimSpace(n.Name) == "" {
			p.node(i, "name", "Empty node name", "the name is empty; every node needs one, used in state, errors and APIGW_NODE_NAME")
		} else if j, dup := names[n.Name]; dup {
			p.node(i, "name", "Duplicate node name", "%q is also nodes[%d].name; every node needs its own name", n.Name, j)
		} else {
			names[n.Name] = i
		}
		own := ""
		if n.URL == "" {
			p.node(i, "url", "", "required: the node's primary URL, e.g. https://gw-1:5555")
		} else {
			own = p.uniqueURL(urls, i, "url", n.URL)
		}
		switch {
		case n.QuiesceURL != "":
			if key, err := NormaliseURL(n.QuiesceURL); err == nil && key == own {
				p.node(i, "quiesce_url", "Quiesce URL equals the node URL",
					"%q is the node's url; it must point at the quiesce port, not at the primary port", n.QuiesceURL)
				continue
			}
			p.uniqueURL(urls, i, "quiesce_url", n.QuiesceURL)
		case strategy != StrategyDrainShutdown:
			p.node(i, "quiesce_url", "Missing quiesce URL",
				"required with strategy = %q: the node has drained when health stops answering 200 there. "+
					"Create the port with apigw_quiesce_port and use its quiesce_url, or set strategy = %q",
				StrategyQuiesceAll, StrategyDrainShutdown)
		}
	}
	return p
}

// uniqueURL checks one URL of node i and records it in seen; it returns its
// normalised form ("" when it is refused).
func (p *problems) uniqueURL(seen map[string]string, i int, field, raw string) string {
	key, err := NormaliseURL(raw)
	if err != nil {
		p.node(i, field, "Invalid URL", "%v; it must be %s", err, URLForm)
		return ""
	}
	if other, dup := seen[key]; dup {
		p.node(i, field, "Duplicate node URL", "%q is also %s; list each node once, each with its own quiesce port", raw, other)
		return key
	}
	seen[key] = fmt.Sprintf("nodes[%d].%s", i, field)
	return key
}

// URLForm says what CheckURL accepts.
const URLForm = `an absolute http or https URL with a host, such as "https://gw-1:5555"`

// CheckURL refuses anything but an absolute http(s) URL with a host and no
// user information, query or fragment.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q does not parse as a URL", s)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q has no http:// or https:// scheme", s)
	case u.Hostname() == "":
		return fmt.Errorf("%q has no host", s)
	case u.User != nil:
		// The client would drop them, but the URL is stored in state and
		// shown in plans and messages: refuse, and do not repeat them.
		return fmt.Errorf("%q contains user information; give credentials with the provider's username and password (or APIGW_USERNAME and APIGW_PASSWORD), never in a URL", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q has a query or fragment", s)
	}
	return nil
}

// NormaliseURL checks raw with CheckURL and returns a key under which two
// spellings of the same base URL compare equal.
func NormaliseURL(raw string) (string, error) {
	if err := CheckURL(raw); err != nil {
		return "", err
	}
	u, _ := url.Parse(raw) // CheckURL parsed it
	host := strings.ToLower(u.Host)
	if u.Port() == "" {
		if u.Scheme == "http" {
			host += ":80"
		} else {
			host += ":443"
		}
	}
	return u.Scheme + "://" + host + strings.TrimRight(u.Path, "/"), nil
}
