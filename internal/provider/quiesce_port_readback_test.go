package provider

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// TestAccQuiescePort_unconfirmedReadBack: a gateway whose
// getQuiescePortDetails answer does not show the alias just set (its shape
// is only inferred from the vendor's material) gets an error that names the
// node, the alias and what to report, not Terraform's "inconsistent result".
func TestAccQuiescePort_unconfirmedReadBack(t *testing.T) {
	node := startNode(t, gwsim.Options{})
	target, _ := url.Parse(node.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.URL.Path == "/invoke/wm.server.quiesce/getQuiescePortDetails" {
			body := []byte(`{"quiescePort":{"alias":"QuiescePort"}}`) // another shape
			resp.Body = io.NopCloser(bytes.NewReader(body))
			resp.ContentLength = int64(len(body))
			resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		}
		return nil
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	accTest(t, []resource.TestStep{{
		Config:      quiescePortConfig(srv.URL, node.ReservePort()),
		ExpectError: regexp.MustCompile(`(?s)Quiesce port not confirmed.*"QuiescePort".*getQuiescePortDetails`),
	}})
}
