package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// TestAccHealthProbeCredentials: the gateways require a user for health
// (the 10.15 monitoring page's reading). Without health_probe_credentials
// the plan stops with an error that names the attribute, before any
// quiesce port exists or any node is touched: a 401 is neither "not ready"
// nor "drained". With it, the probes carry the credentials and the whole
// rolling upgrade goes through, quiesce ports included.
func TestAccHealthProbeCredentials(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3, Variants: gwsim.Variants{HealthNeedsCredentials: true}})
	with := `health_probe_credentials = true`
	accTest(t, []resource.TestStep{
		{
			Config:      u.config(target, ""),
			ExpectError: wrapped(`Health probe refused.*HTTP 401 Unauthorized.*set health_probe_credentials = true`),
		},
		{
			PreConfig: func() {
				for _, kind := range []string{gwsim.EventPortCreated, gwsim.EventQuiesceRequested, gwsim.EventRestartRequested, gwsim.EventShutdownRequested} {
					if n := countEvents(u.cluster, kind); len(n) != 0 {
						t.Fatalf("%s %v after the refused plan, want nothing touched", kind, n)
					}
				}
			},
			Config: u.proxiedConfig(target, with, nil),
			Check:  allOnTarget(u.cluster, quiescedOnce(u.cluster)),
		},
	})
}

// TestAccNodeDataSource_healthProbeCredentials: apigw_node's ready is not
// "false" when the node refuses the probe: it is an error naming
// health_probe_credentials, and with that set the node reads as ready.
func TestAccNodeDataSource_healthProbeCredentials(t *testing.T) {
	url := startNode(t, gwsim.Options{Variants: gwsim.Variants{HealthNeedsCredentials: true}}).URL()
	accTest(t, []resource.TestStep{
		{
			Config:      nodeDataConfig("", url),
			ExpectError: wrapped(`Health probe refused.*HTTP 401.*set health_probe_credentials = true`),
		},
		{
			Config: nodeDataConfig(`health_probe_credentials = true`, url),
			Check:  resource.TestCheckResourceAttr("data.apigw_node.n", "ready", "true"),
		},
	})
}

// TestPlainHTTPCredentialsWarning: with health_probe_credentials on, the
// plan warns about every plain-HTTP URL health probes go to, quiesce URLs
// not known yet included; without it, or with HTTPS only, it stays quiet.
func TestPlainHTTPCredentialsWarning(t *testing.T) {
	nodeType := map[string]attr.Type{"name": types.StringType, "url": types.StringType, "quiesce_url": types.StringType}
	// list builds nodes from url/quiesce_url pairs; "" is a quiesce URL not
	// known yet.
	list := func(urls ...string) types.List {
		var elems []attr.Value
		for i := 0; i < len(urls); i += 2 {
			q := types.StringValue(urls[i+1])
			if urls[i+1] == "" {
				q = types.StringUnknown()
			}
			elems = append(elems, types.ObjectValueMust(nodeType, map[string]attr.Value{
				"name": types.StringValue(fmt.Sprintf("gw-%d", i/2+1)), "url": types.StringValue(urls[i]), "quiesce_url": q,
			}))
		}
		return types.ListValueMust(types.ObjectType{AttrTypes: nodeType}, elems)
	}
	nodes := list("https://gw-1:5555", "http://gw-1:4444", "http://user:secret@gw-2:5555", "")
	on := &providerData{healthCredentials: true}
	diags := on.plainHTTPCredentials(path.Root("nodes"), plainHTTPNodeURLs(nodes))
	if len(diags) != 1 || diags.HasError() {
		t.Fatalf("diagnostics %v, want one warning", diags)
	}
	detail := diags[0].Detail()
	for _, want := range []string{"http://gw-1:4444", "http://user:xxxxx@gw-2:5555", "nodes[1].quiesce_url (known after apply"} {
		if !strings.Contains(detail, want) {
			t.Errorf("warning %q lacks %q", detail, want)
		}
	}
	if strings.Contains(detail, "secret") || strings.Contains(detail, "https://gw-1") {
		t.Errorf("warning %q shows a password or an HTTPS URL", detail)
	}
	if d := (&providerData{}).plainHTTPCredentials(path.Root("nodes"), plainHTTPNodeURLs(nodes)); len(d) != 0 {
		t.Errorf("without health_probe_credentials: %v, want no warning", d)
	}
	if d := on.plainHTTPCredentials(path.Root("nodes"), plainHTTPNodeURLs(list("https://gw-1:5555", "https://gw-1:4444"))); len(d) != 0 {
		t.Errorf("HTTPS only: %v, want no warning", d)
	}
}
