package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"

	"github.com/gwops/terraform-provider-apigw/internal/apigw"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// TestSchemaDefaultsDescribed: every attribute with a default says that
// default in its description, as the schema applies it: both come from one
// constant, so a changed constant changes both.
func TestSchemaDefaultsDescribed(t *testing.T) {
	ctx := context.Background()
	for _, r := range []resource.Resource{NewRollingUpgradeResource(), NewQuiescePortResource()} {
		var resp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &resp)
		for name, a := range resp.Schema.Attributes {
			def, ok := defaultText(ctx, a)
			if !ok {
				continue
			}
			desc := a.GetMarkdownDescription()
			if !strings.Contains(desc, "default") || !strings.Contains(desc, def) && !strings.Contains(desc, "`\""+strings.Trim(def, "`")+"\"`") {
				t.Errorf("%s: default %s is not in its description %q", name, def, desc)
			}
		}
	}
	var resp provider.SchemaResponse
	New("test")().Schema(ctx, provider.SchemaRequest{}, &resp)
	for name, want := range map[string]string{
		"request_timeout": fmt.Sprintf("default `%q`", rollout.FormatDuration(apigw.DefaultRequestTimeout)),
		"max_retries":     fmt.Sprintf("default `%d`", defaultMaxRetries),
	} {
		if desc := resp.Schema.Attributes[name].GetMarkdownDescription(); !strings.Contains(desc, want) {
			t.Errorf("provider %s: description %q does not say %s", name, desc, want)
		}
	}
}

// defaultText is an attribute's default as its description writes it.
func defaultText(ctx context.Context, a any) (string, bool) {
	switch a := a.(type) {
	case schema.StringAttribute:
		if a.Default == nil {
			return "", false
		}
		var resp defaults.StringResponse
		a.Default.DefaultString(ctx, defaults.StringRequest{}, &resp)
		return "`" + resp.PlanValue.ValueString() + "`", true // written `QuiescePort`, or `"15m"` for a duration
	case schema.Int64Attribute:
		if a.Default == nil {
			return "", false
		}
		var resp defaults.Int64Response
		a.Default.DefaultInt64(ctx, defaults.Int64Request{}, &resp)
		return fmt.Sprint(resp.PlanValue.ValueInt64()), true
	case schema.BoolAttribute:
		if a.Default == nil {
			return "", false
		}
		var resp defaults.BoolResponse
		a.Default.DefaultBool(ctx, defaults.BoolRequest{}, &resp)
		return fmt.Sprintf("`%t`", resp.PlanValue.ValueBool()), true
	case schema.SetAttribute:
		if a.Default == nil {
			return "", false
		}
		var resp defaults.SetResponse
		a.Default.DefaultSet(ctx, defaults.SetRequest{}, &resp)
		var parts []string
		for _, e := range resp.PlanValue.Elements() {
			parts = append(parts, strings.Trim(e.String(), `"`))
		}
		return strings.Join(parts, "`, `"), true
	}
	return "", false
}
