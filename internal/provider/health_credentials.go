package provider

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// plainHTTPCredentials warns, when health_probe_credentials is on, that
// health probes to the plain-HTTP URLs listed in plain carry the username
// and password unencrypted. at is the attribute the URLs come from.
func (d *providerData) plainHTTPCredentials(at path.Path, plain []string) diag.Diagnostics {
	var diags diag.Diagnostics
	if d == nil || !d.healthCredentials || len(plain) == 0 {
		return diags
	}
	diags.AddAttributeWarning(at, "Credentials sent over plain HTTP",
		fmt.Sprintf("health_probe_credentials = true sends the provider's username and password with every health probe, and these URLs use plain HTTP, "+
			"so the credentials cross the network unencrypted: %s. A quiesce port as the vendor's procedure creates it (apigw_quiesce_port) is always plain HTTP. "+
			"Keep that traffic on a network only trusted machines can see and give the user no more privileges than the provider needs, "+
			"or leave health_probe_credentials unset if the gateways answer health without credentials.", strings.Join(plain, ", ")))
	return diags
}

// plainHTTP reports whether raw is an http:// URL, shown without any user
// information.
func plainHTTP(raw string) (shown string, ok bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || !strings.EqualFold(u.Scheme, "http") {
		return "", false
	}
	return u.Redacted(), true
}

// plainHTTPNodeURLs lists the URLs of nodes that health probes go to over
// plain HTTP. A quiesce URL not known yet (fed from an apigw_quiesce_port
// created in the same apply) will be one: a quiesce port's URL is http://.
func plainHTTPNodeURLs(nodes types.List) []string {
	var out []string
	for i, s := range nodeSpecs(nodes) {
		for _, v := range []types.String{s.URL, s.QuiesceURL} {
			if v.IsNull() || v.IsUnknown() {
				continue
			}
			if shown, ok := plainHTTP(v.ValueString()); ok {
				out = append(out, shown)
			}
		}
		if s.QuiesceURL.IsUnknown() {
			out = append(out, fmt.Sprintf("nodes[%d].quiesce_url (known after apply; an apigw_quiesce_port's is http://)", i))
		}
	}
	return out
}
