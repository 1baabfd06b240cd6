package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// ValidateConfig refuses what no single attribute validator can see, with
// the engine's own rules: the nodes (rollout.ValidateNodes), max_unavailable
// against their number, the two env maps together, poll_interval's floor;
// and timeouts that leave no time. It judges only the values known before
// plan, without network access; Terraform calls it again during apply, when
// values fed from other resources are known.
func (r *rollingUpgradeResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	cfg, ok := getModel[rollingUpgradeModel](ctx, req.Config, &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(engineChecks(&cfg)...)
	resp.Diagnostics.Append(checkTimeouts(ctx, cfg.Timeouts)...)
}

// engineChecks runs the engine's checks on the known values of m and
// attaches each problem to its attribute. The rules of one attribute alone
// (target_version, strategy, flush, durations, argv lists) are its schema
// validators', built on the engine's functions and constants.
func engineChecks(m *rollingUpgradeModel) diag.Diagnostics {
	var diags diag.Diagnostics
	var specs []nodeSpecModel
	var errs []*rollout.AttrError
	if known(m.Nodes) && len(m.Nodes.Elements()) > 0 { // an empty list is the list validator's
		if diags = nullNodes(m.Nodes); diags.HasError() {
			return diags
		}
		specs = nodeSpecs(m.Nodes)
		errs = rollout.ValidateNodes(nodeValues(specs), strategyToCheck(m.Strategy))
		if known(m.MaxUnavailable) {
			errs = append(errs, rollout.ValidateMaxUnavailable(int(m.MaxUnavailable.ValueInt64()), len(specs))...)
		}
	}
	if d, ok := knownDuration(m.PollInterval); ok && d > 0 { // unparsable, negative and zero are durationValidator's
		errs = append(errs, rollout.ValidatePollInterval(d)...)
	}
	env, envKnown := mapKeys(m.CommandEnv)
	secret, secretKnown := mapKeys(m.CommandSecretEnv)
	if envKnown && secretKnown {
		errs = append(errs, rollout.ValidateEnv(env, secret)...)
	}
	for _, e := range errs {
		if e.Field != "" && specs[e.Node].field(e.Field).IsUnknown() {
			continue // not known yet: judged when it is
		}
		diags.AddAttributeError(attrPath(e), e.Title(), e.Error()+".")
	}
	return diags
}

// nullNodes refuses null elements of nodes, which the engine cannot see.
func nullNodes(nodes types.List) diag.Diagnostics {
	var diags diag.Diagnostics
	for i, e := range nodes.Elements() {
		if e.IsNull() {
			diags.AddAttributeError(path.Root("nodes").AtListIndex(i), "Null node",
				fmt.Sprintf("nodes[%d] is null; every element of nodes needs a name and a url.", i))
		}
	}
	return diags
}

// nodeValues is the node list for the engine's checks: a value not known
// yet reads as "", and what the checks say of it is dropped.
func nodeValues(specs []nodeSpecModel) []rollout.Node {
	nodes := make([]rollout.Node, len(specs))
	for i, s := range specs {
		nodes[i] = rollout.Node{Name: s.Name.ValueString(), URL: s.URL.ValueString(), QuiesceURL: s.QuiesceURL.ValueString()}
	}
	return nodes
}

// strategyToCheck is the strategy the node checks assume: null is the
// default; an unknown one requires no quiesce URL until it is known.
func strategyToCheck(s types.String) rollout.Strategy {
	if s.IsUnknown() {
		return rollout.StrategyDrainShutdown
	}
	return rollout.Strategy(s.ValueString())
}

// field is the value of the nodes field named as the engine names it.
func (s nodeSpecModel) field(name string) types.String {
	switch name {
	case "name":
		return s.Name
	case "url":
		return s.URL
	default:
		return s.QuiesceURL
	}
}

// attrPath is the schema path of the attribute an engine error concerns.
func attrPath(e *rollout.AttrError) path.Path {
	p := path.Root(e.Attribute)
	if e.Field != "" {
		p = p.AtListIndex(e.Node).AtName(e.Field)
	}
	return p
}

// known reports whether v is neither null nor unknown.
func known(v interface {
	IsNull() bool
	IsUnknown() bool
}) bool {
	return !v.IsNull() && !v.IsUnknown()
}

// knownDuration parses a known duration string.
func knownDuration(v types.String) (time.Duration, bool) {
	if !known(v) {
		return 0, false
	}
	d, err := time.ParseDuration(v.ValueString())
	return d, err == nil
}

// mapKeys is the set of keys of a map attribute (values are never read:
// they may be secrets, or unknown); ok is false while the map is unknown.
// A null map has no keys.
func mapKeys(m types.Map) (keys map[string]string, ok bool) {
	if m.IsUnknown() {
		return nil, false
	}
	keys = map[string]string{}
	for k := range m.Elements() {
		keys[k] = ""
	}
	return keys, true
}

// checkTimeouts refuses timeouts.create and timeouts.update values that the
// timeouts library accepts but that leave an apply no time at all (zero or
// negative durations). Unparsable values are the library's to report.
func checkTimeouts(ctx context.Context, t timeouts.Value) diag.Diagnostics {
	var diags diag.Diagnostics
	if t.IsNull() || t.IsUnknown() {
		return diags
	}
	for _, c := range []struct {
		name string
		get  func(context.Context, time.Duration) (time.Duration, diag.Diagnostics)
	}{{"create", t.Create}, {"update", t.Update}} {
		d, parse := c.get(ctx, time.Hour) // any positive stand-in for "not set"
		if parse.HasError() || d > 0 {
			continue
		}
		diags.AddAttributeError(path.Root("timeouts").AtName(c.name), "Invalid timeout",
			fmt.Sprintf(`timeouts.%s is %s: the apply would stop before touching a node; it must be a positive Go duration such as "2h".`, c.name, d))
	}
	return diags
}
