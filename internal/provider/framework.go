package provider

// What the resources and the data source share of the framework's methods.

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// resourceBase is embedded by the provider's resources for the two framework
// methods that are the same for each: Metadata names the resource type after
// the provider's, Configure keeps the data the provider hands over.
type resourceBase struct {
	name string // the type name after the provider's, e.g. "quiesce_port"
	data *providerData
}

func (b *resourceBase) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + b.name
}

func (b *resourceBase) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	b.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// getModel decodes a request's plan, state or config into a model M, adding
// what goes wrong to diags; ok is false then. The framework's methods open
// with it instead of each writing out the same four lines.
func getModel[M any](ctx context.Context, from modelSource, diags *diag.Diagnostics) (m M, ok bool) {
	diags.Append(from.Get(ctx, &m)...)
	return m, !diags.HasError()
}

// modelSource is a request's tfsdk.Plan, tfsdk.State or tfsdk.Config.
type modelSource interface {
	Get(ctx context.Context, target any) diag.Diagnostics
}

// planAndState decodes an update's plan and state, adding what goes wrong to
// diags; ok is false then. Both resources' Update open with it.
func planAndState[M any](ctx context.Context, req resource.UpdateRequest, diags *diag.Diagnostics) (plan, state M, ok bool) {
	diags.Append(req.Plan.Get(ctx, &plan)...)
	diags.Append(req.State.Get(ctx, &state)...)
	return plan, state, !diags.HasError()
}
