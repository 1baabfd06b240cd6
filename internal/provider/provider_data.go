package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/gwops/terraform-provider-apigw/internal/apigw"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// providerData is what resources and data sources receive from Configure.
type providerData struct {
	client *apigw.Client
	// gw is the client as the engine sees it, for surveys and rollouts.
	gw    rollout.Gateway
	cache surveyCache
	// password is only kept to be redacted from command output: commands
	// do not inherit APIGW_PASSWORD, but a script may read the password
	// from elsewhere or be handed it through command_secret_env.
	password string
	// commandUnset lists the provider's environment variables commands do
	// not inherit.
	commandUnset []string
	// healthCredentials: health probes carry the credentials
	// (health_probe_credentials), which plain-HTTP URLs expose.
	healthCredentials bool
}

// providerDataFrom unpacks the data Configure handed to a resource or data
// source: the API client and the engine's view of it.
// It returns nil without error before the provider is configured (Terraform
// calls Configure on resources early, with nil data, during validation).
func providerDataFrom(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", data))
		return nil
	}
	return pd
}
