package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/gwops/terraform-provider-apigw/internal/apigw"
)

var (
	_ datasource.DataSource              = (*nodeDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*nodeDataSource)(nil)
)

// nodeDataSource reports what one gateway node runs: version, fixes,
// readiness and its quiesce-port setting.
type nodeDataSource struct {
	data *providerData
}

// NewNodeDataSource is the constructor registered with the provider.
func NewNodeDataSource() datasource.DataSource { return &nodeDataSource{} }

type nodeModel struct {
	ID               types.String `tfsdk:"id"`
	URL              types.String `tfsdk:"url"`
	Version          types.String `tfsdk:"version"`
	Build            types.String `tfsdk:"build"`
	Fixes            types.List   `tfsdk:"fixes"`
	ProductVersion   types.String `tfsdk:"product_version"`
	Ready            types.Bool   `tfsdk:"ready"`
	QuiescePortAlias types.String `tfsdk:"quiesce_port_alias"`
}

func (d *nodeDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_node"
}

func (d *nodeDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads what one API Gateway node runs: everything `/rest/apigateway/is/serverinfo` says about its version " +
			"(`version`, `build`, `fixes`, `product_version`), its readiness (health 200) and the alias of its quiesce port. Look at it before " +
			"the first `apigw_rolling_upgrade` apply: when `version` reads `X.Y.0.0.<build>` while `fixes` lists a fix, serverinfo's version " +
			"does not show the fix level on this gateway, and the upgrade resource needs `version_command`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, MarkdownDescription: "The node URL."},
			"url": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The node's primary (admin) URL, e.g. `https://gw-1:5555`.",
				Validators:          []validator.String{urlValidator},
			},
			"version": schema.StringAttribute{Computed: true, MarkdownDescription: "Serverinfo's `version`: the API Gateway package version, " +
				"e.g. `10.15.0.7.1234` (fix 7, build 1234). Whether a fix changes its fourth segment is not confirmed for every gateway: " +
				"the vendor's own sample reads `10.5.0.0.5015`. This is what `apigw_rolling_upgrade` compares with `target_version` unless `version_command` is set."},
			"build": schema.StringAttribute{Computed: true, MarkdownDescription: "Serverinfo's `build`."},
			"fixes": schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Installed fixes (the names in serverinfo's `patch_nums`), sorted."},
			"product_version": schema.StringAttribute{Computed: true, MarkdownDescription: "The licence's \"Product Version\" (serverinfo's " +
				"`LicenseDetails`), e.g. `10.15`: the release, which fixes do not change. Empty when the node reports none."},
			"ready":              schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the node answers its health check with 200. A health probe the node refuses (401 or 403) is an error, not `false`: see the provider's `health_probe_credentials`."},
			"quiesce_port_alias": schema.StringAttribute{Computed: true, MarkdownDescription: "Alias of the node's quiesce port, empty when none is set."},
		},
	}
}

func (d *nodeDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *nodeDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	m, ok := getModel[nodeModel](ctx, req.Config, &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(d.read(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// read fills m with what the node at m.URL reports.
func (d *nodeDataSource) read(ctx context.Context, m *nodeModel) diag.Diagnostics {
	var diags diag.Diagnostics
	c := d.data.client
	url := m.URL.ValueString()
	info, err := c.ServerInfo(ctx, url)
	if err != nil {
		diags.AddError("Cannot read the node's server info", err.Error())
		return diags
	}
	qp, err := c.GetQuiescePort(ctx, url)
	if err != nil {
		diags.AddError("Cannot read the node's quiesce port setting", err.Error())
		return diags
	}
	if shown, ok := plainHTTP(url); ok {
		diags.Append(d.data.plainHTTPCredentials(path.Root("url"), []string{shown})...)
	}
	status, err := c.Health(ctx, url)
	if apigw.IsHealthRefused(err) {
		// Not "not ready": the node would not say.
		diags.AddAttributeError(path.Root("url"), "Health probe refused", err.Error()+".")
		return diags
	}
	fixes, fdiags := types.ListValueFrom(ctx, types.StringType, nonNil(info.Fixes))
	diags.Append(fdiags...)

	m.ID = m.URL
	m.Version = types.StringValue(info.Version)
	m.Build = types.StringValue(info.Build)
	m.Fixes = fixes
	m.ProductVersion = types.StringValue(info.ProductVersion)
	m.Ready = types.BoolValue(err == nil && status == 200)
	m.QuiescePortAlias = types.StringValue(qp.PortAlias)
	return diags
}

// nonNil turns a nil slice into an empty one so Terraform shows [] not null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
