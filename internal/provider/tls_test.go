package provider

import (
	"crypto/tls"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/gwops/terraform-provider-apigw/internal/gwsim"
)

// testCA returns the PEM of a throw-away self-signed certificate for
// 127.0.0.1 (trusted through ca_cert_pem) and the server configuration
// that serves it.
func testCA(t *testing.T) (caPEM string, server *tls.Config) {
	t.Helper()
	cfg, pem, err := gwsim.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	return string(pem), cfg
}

func nodeDataConfig(providerExtra, url string) string {
	return providerConfig(providerExtra) + fmt.Sprintf(`
data "apigw_node" "n" {
  url = %q
}
`, url)
}

// TestAccTLS covers the three ways to meet a gateway with a private CA:
// trusted through ca_cert_pem, refused without it, and accepted with
// insecure_skip_verify (with a warning).
func TestAccTLS(t *testing.T) {
	testAccPreCheck(t)
	caPEM, serverTLS := testCA(t)
	cluster := startCluster(t, gwsim.Options{Nodes: 1, TLS: serverTLS})
	url := cluster.Nodes()[0].URL()

	t.Run("custom CA", func(t *testing.T) {
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: protoV6Providers,
			Steps: []resource.TestStep{{
				Config: nodeDataConfig(fmt.Sprintf("ca_cert_pem = %q", caPEM), url),
				Check:  resource.TestCheckResourceAttr("data.apigw_node.n", "ready", "true"),
			}},
		})
	})
	t.Run("no CA", func(t *testing.T) {
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: protoV6Providers,
			Steps: []resource.TestStep{{
				Config:      nodeDataConfig("max_retries = 0", url),
				ExpectError: regexp.MustCompile(`(?s)certificate.*ca_cert_pem`),
			}},
		})
	})
	t.Run("insecure", func(t *testing.T) {
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: protoV6Providers,
			Steps: []resource.TestStep{{
				Config: nodeDataConfig("insecure_skip_verify = true", url),
				Check:  resource.TestCheckResourceAttr("data.apigw_node.n", "ready", "true"),
			}},
		})
	})
}
