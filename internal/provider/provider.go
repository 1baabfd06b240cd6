// Package provider is the Terraform glue of the apigw provider: schemas,
// models, plan logic and the mapping of resources onto the gateway client
// (internal/apigw) and the rolling-upgrade engine (internal/rollout).
package provider

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/gwops/terraform-provider-apigw/internal/apigw"
	"github.com/gwops/terraform-provider-apigw/internal/apigwadapter"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// Address is the provider's source address, written once here and used by
// main.go and the acceptance tests.
const Address = "registry.terraform.io/gwops/apigw"

// defaultMaxRetries is max_retries when unset, for the schema description
// and Configure. (request_timeout's default is apigw.DefaultRequestTimeout.)
const defaultMaxRetries = 4

var _ provider.Provider = (*apigwProvider)(nil)

// apigwProvider holds nothing but its version: every node address is given
// per resource, and the configured client is handed to resources through
// ProviderData.
type apigwProvider struct {
	version string
	// ownEnv names variables the provider set in its own environment (see
	// SilenceUncollectedLogs); the commands it runs do not inherit them.
	ownEnv []string
}

// New returns a constructor of the provider for providerserver.Serve.
// ownEnv names variables main set for the provider process alone.
func New(version string, ownEnv ...string) func() provider.Provider {
	return func() provider.Provider { return &apigwProvider{version: version, ownEnv: ownEnv} }
}

func (p *apigwProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "apigw"
	resp.Version = p.version
}

func (p *apigwProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages zero-downtime rolling upgrades of webMethods API Gateway clusters. " +
			"Credentials apply to every node; node addresses are given per resource.",
		Attributes: map[string]schema.Attribute{
			"username": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Administrator user for the gateways' admin REST API. May also be set with `APIGW_USERNAME`.",
			},
			"password": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "Password of `username`. May also be set with `APIGW_PASSWORD`, which is recommended: " +
					"values written in the configuration appear in Terraform's JSON plan files. Never logged, never stored in state.",
			},
			"insecure_skip_verify": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Skip TLS certificate verification (default `false`). May also be set with `APIGW_INSECURE_SKIP_VERIFY`. Prefer `ca_cert_pem`.",
			},
			"ca_cert_pem": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "PEM bundle of CA certificates trusted in addition to the system roots.",
			},
			"request_timeout": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: fmt.Sprintf("Timeout of one HTTP request, as a Go duration (default `%q`).", rollout.FormatDuration(apigw.DefaultRequestTimeout)),
				Validators:          []validator.String{durationValidator(true)},
			},
			"max_retries": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: fmt.Sprintf("Retries of idempotent calls on connection errors, HTTP 429 and 5xx (default `%d`). ", defaultMaxRetries) +
					"Calls that change state and are not idempotent are never repeated blindly.",
				Validators: []validator.Int64{int64validator.Between(0, 20)},
			},
			"health_probe_credentials": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Send `username` and `password` with health probes too (default `false`), for gateways whose health endpoint " +
					"requires a user: the vendor's pages disagree on whether it does. Without it, health is probed without credentials, as load balancers " +
					"and the vendor's scripts do, and a gateway that answers such a probe with 401 or 403 stops plan and apply with an error that names this " +
					"attribute. Health is also probed on the quiesce port, which speaks plain HTTP: with this set, the credentials cross the network " +
					"unencrypted there, and plans warn about every plain-HTTP URL they would be sent to.",
			},
		},
	}
}

// providerModel is the provider block, which Configure reads.
type providerModel struct {
	Username           types.String `tfsdk:"username"`
	Password           types.String `tfsdk:"password"`
	InsecureSkipVerify types.Bool   `tfsdk:"insecure_skip_verify"`
	CACertPEM          types.String `tfsdk:"ca_cert_pem"`
	RequestTimeout     types.String `tfsdk:"request_timeout"`
	MaxRetries         types.Int64  `tfsdk:"max_retries"`
	// HealthProbeCredentials sends the credentials with health probes.
	HealthProbeCredentials types.Bool `tfsdk:"health_probe_credentials"`
}

// providerEnv names the environment variable that can stand in for a
// provider attribute.
var providerEnv = map[string]string{
	"username": "APIGW_USERNAME", "password": "APIGW_PASSWORD", "insecure_skip_verify": "APIGW_INSECURE_SKIP_VERIFY",
}

func (p *apigwProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	cfg, ok := getModel[providerModel](ctx, req.Config, &resp.Diagnostics)
	if !ok {
		return
	}
	for name, v := range map[string]interface{ IsUnknown() bool }{
		"username": cfg.Username, "password": cfg.Password, "insecure_skip_verify": cfg.InsecureSkipVerify,
		"ca_cert_pem": cfg.CACertPEM, "request_timeout": cfg.RequestTimeout, "max_retries": cfg.MaxRetries,
		"health_probe_credentials": cfg.HealthProbeCredentials,
	} {
		if v.IsUnknown() {
			fix := "Set it to a value known at plan time"
			if env := providerEnv[name]; env != "" {
				fix += ", or leave it out and set " + env
			}
			resp.Diagnostics.AddAttributeError(path.Root(name), "Unknown provider attribute",
				"The provider cannot connect to the gateways while "+name+" is unknown. "+fix+".")
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	conf := apigw.Config{
		Username:       stringOr(cfg.Username, os.Getenv("APIGW_USERNAME")),
		Password:       stringOr(cfg.Password, os.Getenv("APIGW_PASSWORD")),
		CACertPEM:      cfg.CACertPEM.ValueString(),
		RequestTimeout: apigw.DefaultRequestTimeout,
		MaxRetries:     defaultMaxRetries,
		UserAgent:      "terraform-provider-apigw/" + p.version,
		Logger:         tflogLogger{},

		HealthProbeCredentials: cfg.HealthProbeCredentials.ValueBool(),
	}
	if !cfg.MaxRetries.IsNull() {
		conf.MaxRetries = int(cfg.MaxRetries.ValueInt64())
	}
	if !cfg.RequestTimeout.IsNull() {
		conf.RequestTimeout = mustDuration(cfg.RequestTimeout) // checked by its validator
	}
	switch {
	case !cfg.InsecureSkipVerify.IsNull():
		conf.InsecureSkipVerify = cfg.InsecureSkipVerify.ValueBool()
	case os.Getenv("APIGW_INSECURE_SKIP_VERIFY") != "":
		b, err := strconv.ParseBool(os.Getenv("APIGW_INSECURE_SKIP_VERIFY"))
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("insecure_skip_verify"), "Invalid APIGW_INSECURE_SKIP_VERIFY",
				"The environment variable APIGW_INSECURE_SKIP_VERIFY must be true or false, got "+strconv.Quote(os.Getenv("APIGW_INSECURE_SKIP_VERIFY"))+".")
			return
		}
		conf.InsecureSkipVerify = b
	}
	if conf.InsecureSkipVerify {
		resp.Diagnostics.AddAttributeWarning(path.Root("insecure_skip_verify"), "TLS verification is disabled",
			"insecure_skip_verify is set: the provider does not check the gateways' certificates, so a machine in the middle could read the admin password. Trust the gateways' CA with ca_cert_pem instead.")
	}

	client, err := apigw.New(conf)
	if err != nil {
		resp.Diagnostics.AddError("Invalid provider configuration", err.Error())
		return
	}
	data := &providerData{client: client, password: conf.Password,
		gw: apigwadapter.New(client),
		// The admin password stays with the provider: a command that
		// needs it gets it through command_secret_env.
		commandUnset:      append([]string{"APIGW_PASSWORD"}, p.ownEnv...),
		healthCredentials: conf.HealthProbeCredentials}
	resp.ResourceData = data
	resp.DataSourceData = data
}

func (p *apigwProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewQuiescePortResource,
		NewRollingUpgradeResource,
	}
}

func (p *apigwProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewNodeDataSource,
	}
}

// stringOr returns v's value when set in the configuration, else fallback
// (the environment variable).
func stringOr(v types.String, fallback string) string {
	if !v.IsNull() {
		return v.ValueString()
	}
	return fallback
}
