package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// runner is how the provider runs the user's commands for cfg: as real
// processes that do not inherit the provider's own variables, with the
// secret values and the gateway password redacted from their output.
func (d *providerData) runner(cfg rollout.Config) rollout.Runner {
	secrets := slices.Collect(maps.Values(cfg.CommandSecretEnv))
	if d.password != "" {
		secrets = append(secrets, d.password)
	}
	return &rollout.ExecRunner{Redact: secrets, Unset: d.commandUnset}
}

// versionSource is how the nodes of one apigw_rolling_upgrade are read:
// serverinfo's version, or what version_command prints. key tells the
// survey cache which one (and with which settings) a cached answer came
// from, so that a plan that adds or changes version_command does not reuse
// the refresh's answers read the old way.
type versionSource struct {
	gw      rollout.Gateway
	key     string
	command bool
}

// versionSource returns how m's nodes are read; ok is false when m's
// version_command or the settings it runs with are not known yet.
func (d *providerData) versionSource(ctx context.Context, m *rollingUpgradeModel) (src versionSource, ok bool, diags diag.Diagnostics) {
	if m.VersionCommand.IsUnknown() {
		return src, false, nil
	}
	if m.VersionCommand.IsNull() {
		return versionSource{gw: d.gw}, true, nil
	}
	if m.CommandEnv.IsUnknown() || m.CommandSecretEnv.IsUnknown() || m.CommandTimeout.IsUnknown() {
		return src, false, nil
	}
	cfg, diags := m.rolloutConfig(ctx)
	if diags.HasError() {
		return src, false, diags
	}
	b, _ := json.Marshal([]any{cfg.VersionCommand, cfg.Nodes, cfg.Target, cfg.CommandEnv, cfg.CommandSecretEnv, cfg.CommandTimeout})
	sum := sha256.Sum256(b)
	return versionSource{
		gw:      rollout.WithVersionCommand(d.gw, d.runner(cfg), cfg),
		key:     "version_command:" + hex.EncodeToString(sum[:]),
		command: true,
	}, true, diags
}
