package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/gwops/terraform-provider-apigw/internal/apigw"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// Defaults and choices of apigw_quiesce_port.
const (
	defaultPortAlias = "QuiescePort"
	// otherPortPackage is the package a port may belong to besides
	// apigw.DefaultPackage.
	otherPortPackage = "WmPublic"
)

var (
	_ resource.Resource                = (*quiescePortResource)(nil)
	_ resource.ResourceWithConfigure   = (*quiescePortResource)(nil)
	_ resource.ResourceWithImportState = (*quiescePortResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*quiescePortResource)(nil)
)

// quiescePortResource is the tutorial's prerequisite on one node: an HTTP
// port, enabled, set as the node's quiesce port.
type quiescePortResource struct{ resourceBase }

// NewQuiescePortResource is the constructor registered with the provider.
func NewQuiescePortResource() resource.Resource {
	return &quiescePortResource{resourceBase{name: "quiesce_port"}}
}

type quiescePortModel struct {
	ID          types.String `tfsdk:"id"`
	NodeURL     types.String `tfsdk:"node_url"`
	Port        types.Int64  `tfsdk:"port"`
	Alias       types.String `tfsdk:"alias"`
	Package     types.String `tfsdk:"package"`
	Enabled     types.Bool   `tfsdk:"enabled"`
	ListenerKey types.String `tfsdk:"listener_key"`
	QuiesceURL  types.String `tfsdk:"quiesce_url"`
}

// portRef is the port as m records it.
func (m *quiescePortModel) portRef() apigw.PortRef {
	return apigw.PortRef{ListenerKey: m.ListenerKey.ValueString(), Pkg: m.Package.ValueString()}
}

func (r *quiescePortResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Creates an HTTP port on one API Gateway node, enables it and makes it the node's quiesce port: " +
			"the prerequisite of quiesce mode for all, through which `apigw_rolling_upgrade` watches a node drain. " +
			"Create adopts an existing port with the same number, alias and package. The gateway accepts a quiesce port only when it is enabled, " +
			"not suspended and in access mode `allow`: create and update set access mode `allow` and resume a suspended port, " +
			"and a refresh that finds the port suspended or in another access mode plans that repair.",
		Attributes: map[string]schema.Attribute{
			"id": keptComputed("`<node_url>,<port>`, also the import ID."),
			"node_url": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The node's primary (admin) URL, e.g. `https://gw-1:5555`. Changing it replaces the port.",
				Validators:          []validator.String{urlValidator},
				PlanModifiers:       replace,
			},
			"port": schema.Int64Attribute{
				Required:            true,
				MarkdownDescription: "Port number, 1–65535. Changing it replaces the port.",
				Validators:          []validator.Int64{int64validator.Between(1, 65535)},
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.RequiresReplace()},
			},
			"alias": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(defaultPortAlias),
				MarkdownDescription: "Port alias, the name `setQuiescePort` refers to (default `" + defaultPortAlias + "`). Changing it replaces the port.",
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
				PlanModifiers:       replace,
			},
			"package": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(apigw.DefaultPackage),
				MarkdownDescription: "Integration Server package that owns the port: `" + apigw.DefaultPackage + "` (default) or `" + otherPortPackage + "`. Changing it replaces the port.",
				Validators:          []validator.String{stringvalidator.OneOf(apigw.DefaultPackage, otherPortPackage)},
				PlanModifiers:       replace,
			},
			"enabled": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
				MarkdownDescription: "Whether the port is enabled (default `true`). Quiesce mode for all needs an enabled quiesce port.",
			},
			"listener_key": keptComputed("The gateway's listener key, e.g. `HTTPListener@4444`."),
			"quiesce_url": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "`http://<node_url's host>:<port>`: the port is a plain-HTTP listener (`webMethods/HTTP`, as in the vendor's tutorial) " +
					"even when `node_url` is `https://`. Feed it to `apigw_rolling_upgrade`'s `nodes[*].quiesce_url`. " +
					"Empty in state when the node's quiesce port was pointed elsewhere, or the port is suspended or not in access mode `allow`; " +
					"the next apply repairs that and sets it again.",
			},
		},
	}
}

// ModifyPlan plans quiesce_url from node_url and port, so that a quiesce port
// pointed elsewhere behind Terraform's back (state holds "") shows as an
// update that sets it again.
func (r *quiescePortResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	plan, ok := getModel[quiescePortModel](ctx, req.Plan, &resp.Diagnostics)
	if !ok || plan.NodeURL.IsUnknown() || plan.Port.IsUnknown() {
		return
	}
	qurl, err := quiesceURLOf(plan.NodeURL.ValueString(), plan.Port.ValueInt64())
	if err != nil {
		return // the node_url validator reports it
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("quiesce_url"), qurl)...)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), portID(plan.NodeURL.ValueString(), plan.Port.ValueInt64()))...)
}

func (r *quiescePortResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	plan, ok := getModel[quiescePortModel](ctx, req.Plan, &resp.Diagnostics)
	if !ok {
		return
	}
	ref, diags := r.adoptOrCreate(ctx, &plan)
	resp.Diagnostics.Append(diags...)
	if diags.HasError() {
		return
	}

	// From here on the port exists: record it so that a later failure
	// leaves it in state (tainted) instead of orphaned on the node.
	plan.ListenerKey = types.StringValue(ref.ListenerKey)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)

	resp.Diagnostics.Append(r.apply(ctx, &plan, ref)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(r.readBack(ctx, &plan)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// adoptOrCreate finds plan's port on the node or creates it. An existing
// port is adopted when its alias and package are the plan's, and refused
// otherwise.
func (r *quiescePortResource) adoptOrCreate(ctx context.Context, plan *quiescePortModel) (apigw.PortRef, diag.Diagnostics) {
	var diags diag.Diagnostics
	c := r.data.client
	node := plan.NodeURL.ValueString()
	port := int(plan.Port.ValueInt64())
	key := apigw.ListenerKey("HTTP", port)
	ref := apigw.PortRef{ListenerKey: key, Pkg: plan.Package.ValueString()}

	existing, err := c.GetPort(ctx, node, key)
	switch {
	case err == nil:
		if existing.PortAlias != plan.Alias.ValueString() || existing.Pkg != plan.Package.ValueString() {
			diags.AddAttributeError(path.Root("port"), "Port already exists on the node",
				fmt.Sprintf("Port %d already exists on %s with alias %q in package %q, which differs from this configuration (alias %q, package %q). "+
					"Either import it with: terraform import <address> '%s' and align alias and package, or choose another port.",
					port, node, existing.PortAlias, existing.Pkg, plan.Alias.ValueString(), plan.Package.ValueString(), portID(node, int64(port))))
			return ref, diags
		}
		ref.ListenerKey = existing.ListenerKey
	case apigw.IsNotFound(err):
		created, err := r.createPort(ctx, node, apigw.NewPort{Port: port, Alias: plan.Alias.ValueString(), Pkg: plan.Package.ValueString(), Protocol: "HTTP"}, key)
		if err != nil {
			diags.AddError("Cannot create the quiesce port", err.Error())
			return ref, diags
		}
		ref.ListenerKey = created
	default:
		diags.AddError("Cannot read the node's ports", err.Error())
	}
	return ref, diags
}

// readBack refreshes m after a create or update and checks that the node
// now reports this port as its quiesce port. The shape of the read-back
// answer is only inferred from the vendor's material; a gateway that
// answers otherwise gets an error that says so, instead of Terraform's
// "inconsistent result after apply" about quiesce_url.
func (r *quiescePortResource) readBack(ctx context.Context, m *quiescePortModel) diag.Diagnostics {
	unfit, err := r.read(ctx, m)
	diags := readFailure(err)
	if !diags.HasError() && unfit != "" {
		diags.AddError("Quiesce port still unusable after the repair",
			fmt.Sprintf("Port %d on %s is still %s after the provider resumed it and set its access mode to %s: "+
				"the gateway would refuse quiesce mode for all. Check the port in the gateway's port settings, then run terraform apply again.",
				m.Port.ValueInt64(), m.NodeURL.ValueString(), unfit, apigw.AccessModeAllow))
		return diags
	}
	if !diags.HasError() && !m.ID.IsNull() && m.QuiesceURL.ValueString() == "" {
		diags.AddError("Quiesce port not confirmed by the node",
			fmt.Sprintf("setQuiescePort with alias %q succeeded on %s, but getQuiescePortDetails does not report that alias afterwards. "+
				"Check the node's quiesce-port setting by hand; if it shows %q, please report the answer of "+
				"GET /invoke/wm.server.quiesce/getQuiescePortDetails so the provider can read it.",
				m.Alias.ValueString(), m.NodeURL.ValueString(), m.Alias.ValueString()))
	}
	return diags
}

// createPort creates the port. Creating is not idempotent (a second create
// of the same port is refused), so it is repeated only as Client.Repeat
// allows, after a look at the node: the port is adopted when the lost
// request did create it, and the create is sent again, at most max_retries
// times, only while the port is missing.
func (r *quiescePortResource) createPort(ctx context.Context, node string, np apigw.NewPort, key string) (string, error) {
	c := r.data.client
	var created string
	err := c.Repeat(ctx, func() (err error) {
		created, err = c.CreatePort(ctx, node, np)
		return err
	}, func(err error) (bool, error) {
		existing, gerr := c.GetPort(ctx, node, key)
		switch {
		case apigw.IsNotFound(gerr):
			return true, nil // the failed create did nothing: send it again
		case gerr != nil:
			return false, fmt.Errorf("%w; and the port could not be looked up afterwards to see whether it was created: %v", err, gerr)
		case existing.PortAlias == np.Alias && existing.Pkg == np.Pkg:
			created = existing.ListenerKey // the failed create did create it
			return false, nil
		default:
			return false, fmt.Errorf("%w; meanwhile port %d appeared on the node with alias %q in package %q: something else created it", err, np.Port, existing.PortAlias, existing.Pkg)
		}
	})
	if err != nil {
		return "", err
	}
	return created, nil
}

// apply brings the port's enabled flag and the node's quiesce-port setting
// to the plan, and makes the port one the gateway accepts as quiesce port:
// in access mode allow and not suspended. Each call is idempotent.
func (r *quiescePortResource) apply(ctx context.Context, plan *quiescePortModel, ref apigw.PortRef) diag.Diagnostics {
	var diags diag.Diagnostics
	c := r.data.client
	node := plan.NodeURL.ValueString()
	if err := c.SetPortAccessMode(ctx, node, ref.ListenerKey, apigw.AccessModeAllow); err != nil {
		diags.AddError("Cannot set the port's access mode to allow", err.Error())
		return diags
	}
	if err := c.SetPortSuspended(ctx, node, ref, false); err != nil {
		diags.AddError("Cannot resume the suspended port", err.Error())
		return diags
	}
	var err error
	if plan.Enabled.ValueBool() {
		err = c.EnablePort(ctx, node, ref)
	} else {
		err = c.DisablePort(ctx, node, ref)
	}
	if err != nil {
		diags.AddError("Cannot set the port's enabled flag", err.Error())
		return diags
	}
	if err := c.SetQuiescePort(ctx, node, plan.Alias.ValueString()); err != nil {
		diags.AddError("Cannot set the node's quiesce port", err.Error())
	}
	return diags
}

// read refreshes m from the node. It sets ID to null when the port is gone.
// A failed call comes back as diagnostics and as the error itself. unfit
// says why the gateway would refuse the port for quiesce mode for all
// although it exists ("suspended", an access mode other than allow, and
// "disabled" with them); quiesce_url is then empty, so that the plan shows
// the repair.
func (r *quiescePortResource) read(ctx context.Context, m *quiescePortModel) (unfit string, err error) {
	c := r.data.client
	node := m.NodeURL.ValueString()
	key := m.ListenerKey.ValueString()
	if key == "" {
		key = apigw.ListenerKey("HTTP", int(m.Port.ValueInt64()))
	}
	p, err := c.GetPort(ctx, node, key)
	if apigw.IsNotFound(err) {
		m.ID = types.StringNull()
		return "", nil
	}
	if err != nil {
		return "", &portReadError{summary: "Cannot read the quiesce port", err: err}
	}
	m.ID = types.StringValue(portID(node, m.Port.ValueInt64()))
	m.ListenerKey = types.StringValue(p.ListenerKey)
	m.Alias = types.StringValue(p.PortAlias)
	m.Package = types.StringValue(p.Pkg)
	m.Enabled = types.BoolValue(p.Enabled)

	qp, err := c.GetQuiescePort(ctx, node)
	if err != nil {
		return "", &portReadError{summary: "Cannot read the node's quiesce port setting", err: err}
	}
	if p.Suspended || !p.AccessAllowed() {
		unfit = p.QuiesceUnfit()
	}
	if qp.PortAlias == p.PortAlias && unfit == "" {
		qurl, err := quiesceURLOf(node, m.Port.ValueInt64())
		if err != nil {
			return "", &portReadError{summary: "Invalid node_url", attribute: "node_url", err: err}
		}
		m.QuiesceURL = types.StringValue(qurl)
	} else {
		m.QuiesceURL = types.StringValue("")
	}
	return unfit, nil
}

// portReadError is a failed read of a quiesce port, with the summary (and
// the attribute at fault, if one is) of the diagnostic it becomes.
type portReadError struct {
	summary, attribute string
	err                error
}

func (e *portReadError) Error() string { return e.err.Error() }
func (e *portReadError) Unwrap() error { return e.err }

// readFailure is the diagnostic of an error from read; none for nil.
func readFailure(err error) diag.Diagnostics {
	var diags diag.Diagnostics
	var re *portReadError
	switch {
	case err == nil:
	case errors.As(err, &re) && re.attribute != "":
		diags.AddAttributeError(path.Root(re.attribute), re.summary, re.err.Error())
	case errors.As(err, &re):
		diags.AddError(re.summary, re.err.Error())
	default:
		diags.AddError("Cannot read the quiesce port", err.Error())
	}
	return diags
}

func (r *quiescePortResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	state, ok := getModel[quiescePortModel](ctx, req.State, &resp.Diagnostics)
	if !ok {
		return
	}
	// A node that is quiesced (its admin port closed) or down cannot be
	// read, and that is exactly the node a resumed rolling upgrade must
	// finish: failing the refresh would block that plan. Keep the last
	// known state and say so; only an answer that the port is gone
	// removes it.
	unfit, err := r.read(ctx, &state)
	if err != nil && nodeOutOfService(err) {
		seen := err.Error()
		if quiesced, ok := r.quiescedNode(ctx, &state, err); ok {
			seen = quiesced
		}
		resp.Diagnostics.AddWarning("Node unreachable during refresh",
			fmt.Sprintf("The quiesce port on %s could not be read: %s. Its last known state is kept; "+
				"a node left quiesced or down by a rolling upgrade is finished by the next apply of apigw_rolling_upgrade.",
				state.NodeURL.ValueString(), seen))
		return
	}
	resp.Diagnostics.Append(readFailure(err)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if state.ID.IsNull() {
		resp.State.RemoveResource(ctx)
		return
	}
	if unfit != "" {
		resp.Diagnostics.AddWarning("Quiesce port needs a repair",
			fmt.Sprintf("Port %d on %s is %s: the gateway refuses quiesce mode for all unless its quiesce port is enabled, not suspended and in access mode %s, "+
				"and a rolling upgrade would stop at this node's pre-flight. The plan shows the repair (quiesce_url is set again): "+
				"terraform apply resumes the port and sets its access mode to %s.",
				state.Port.ValueInt64(), state.NodeURL.ValueString(), unfit, apigw.AccessModeAllow, apigw.AccessModeAllow))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *quiescePortResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	plan, state, ok := planAndState[quiescePortModel](ctx, req, &resp.Diagnostics)
	if !ok {
		return
	}
	plan.ListenerKey = state.ListenerKey
	ref := state.portRef()
	resp.Diagnostics.Append(r.apply(ctx, &plan, ref)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(r.readBack(ctx, &plan)...)
	if plan.ID.IsNull() {
		resp.Diagnostics.AddError("Quiesce port vanished during update",
			"The port was deleted on the node while Terraform updated it. Run terraform apply again to re-create it.")
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *quiescePortResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	state, ok := getModel[quiescePortModel](ctx, req.State, &resp.Diagnostics)
	if !ok {
		return
	}
	c := r.data.client
	node := state.NodeURL.ValueString()
	ref := state.portRef()
	fail := func(summary string, err error, why string) {
		if quiesced, ok := r.quiescedNode(ctx, &state, err); ok {
			resp.Diagnostics.AddError("Cannot delete the quiesce port of a quiesced node",
				"The node "+quiesced+". The gateway does not let the quiesce port be disabled or deleted while the node is in quiesce mode. "+
					"Finish the node's upgrade (the next terraform apply of the apigw_rolling_upgrade that quiesced it restarts it) or restart the node, "+
					"then run terraform destroy again.")
			return
		}
		resp.Diagnostics.AddError(summary, err.Error()+why)
	}
	if _, err := c.GetPort(ctx, node, ref.ListenerKey); apigw.IsNotFound(err) {
		return // already gone: nothing to delete
	} else if err != nil {
		fail("Cannot read the quiesce port before deleting it", err, "")
		return
	}
	if err := c.DisablePort(ctx, node, ref); err != nil && !apigw.IsNotFound(err) {
		fail("Cannot disable the quiesce port", err, whyRefused(err))
		return
	}
	if err := c.DeletePort(ctx, node, ref); err != nil && !apigw.IsNotFound(err) {
		fail("Cannot delete the quiesce port", err, whyRefused(err))
	}
}

// quiescedNode tells a quiesced node from a node that is down, after a call
// to its primary port failed with err: a node in quiesce mode for all closes
// every port but the quiesce port (and the diagnostic port), so its primary
// refuses connections while this resource's port still answers. ok is false
// for any other failure, or when the quiesce port does not answer either;
// what describes what was seen, for an error or warning.
func (r *quiescePortResource) quiescedNode(ctx context.Context, m *quiescePortModel, err error) (what string, ok bool) {
	if !apigw.IsConnectionRefused(err) {
		return "", false
	}
	qurl, uerr := quiesceURLOf(m.NodeURL.ValueString(), m.Port.ValueInt64())
	if uerr != nil {
		return "", false
	}
	code, herr := r.data.client.Health(ctx, qurl)
	if herr != nil {
		return "", false
	}
	return fmt.Sprintf("%s is in quiesce mode: its primary port refuses connections while its quiesce port %s still answers (health %d)",
		m.NodeURL.ValueString(), qurl, code), true
}

// whyRefused explains a refusal to disable or delete the port: when the
// gateway answered with an error of its own (not about credentials), the
// likely cause is a node in quiesce mode.
func whyRefused(err error) string {
	switch apigw.StatusCode(err) {
	case 0, 401, 403, 404:
		return ""
	}
	return ". The gateway refuses to disable or delete the quiesce port while the node is in quiesce mode; " +
		"finish or roll back the node's upgrade (restart it), then run terraform destroy again."
}

// ImportState takes "<node_url>,<port>".
func (r *quiescePortResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	node, port, err := parsePortID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import ID", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), portID(node, port))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("node_url"), node)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("port"), port)...)
}

// nodeOutOfService tells a node that is not serving (no answer, or a 5xx
// such as the disabled API Gateway package of a quiesced node) from one
// that answered and refused (401, 403, 4xx), which stays an error.
func nodeOutOfService(err error) bool {
	var te *apigw.TransportError
	return errors.As(err, &te) || apigw.StatusCode(err) >= 500
}

// portID is the resource ID and import ID: "<node_url>,<port>".
func portID(nodeURL string, port int64) string {
	return nodeURL + "," + strconv.FormatInt(port, 10)
}

// parsePortID splits an import ID made by portID and checks both halves.
func parsePortID(id string) (string, int64, error) {
	const want = `the import ID must be "<node_url>,<port>", e.g. "https://gw-1:5555,4444"`
	i := strings.LastIndex(id, ",")
	if i < 0 {
		return "", 0, fmt.Errorf("%q has no comma: %s", id, want)
	}
	node, portText := strings.TrimSpace(id[:i]), strings.TrimSpace(id[i+1:])
	if err := rollout.CheckURL(node); err != nil {
		return "", 0, fmt.Errorf("node_url %s: %s", err, want)
	}
	port, err := strconv.ParseInt(portText, 10, 64)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("port %q is not a number from 1 to 65535: %s", portText, want)
	}
	return node, port, nil
}

// quiesceURLOf is http://<node_url's host>:<port>: the port this resource
// creates (factoryKey webMethods/HTTP) is a plain-HTTP listener whatever the
// primary port speaks, and it serves at the root, whatever path node_url
// has.
func quiesceURLOf(nodeURL string, port int64) (string, error) {
	u, err := url.Parse(nodeURL)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("node_url %q is not an absolute URL with a host", nodeURL)
	}
	return (&url.URL{Scheme: "http", Host: net.JoinHostPort(u.Hostname(), strconv.FormatInt(port, 10))}).String(), nil
}
