package provider

import (
	"testing"
)

// TestAccProvider_refusals: the provider block and its environment
// variables. The provider is configured for a resource that needs no
// network at plan time.
func TestAccProvider_refusals(t *testing.T) {
	testAccPreCheck(t)
	cases := []struct {
		name, attrs string
		env         map[string]string
		want        string
	}{
		{"request_timeout unparsable", `request_timeout = "soon"`, nil, `request_timeout: "soon" is not a duration; it must be a positive Go duration such as`},
		{"request_timeout negative", `request_timeout = "-5s"`, nil, `request_timeout: "-5s" is negative`},
		{"request_timeout zero", `request_timeout = "0s"`, nil, `request_timeout: "0s" is zero; it must be a positive Go duration such as`},
		{"max_retries negative", `max_retries = -1`, nil, `max_retries value must be between 0 and 20, got: -1`},
		{"max_retries too high", `max_retries = 21`, nil, `max_retries value must be between 0 and 20, got: 21`},
		{"ca_cert_pem not PEM", `ca_cert_pem = "my-ca.crt"`, nil, `ca_cert_pem: no PEM certificate found`},
		{"ca_cert_pem a key", `ca_cert_pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"`, nil, `ca_cert_pem: PEM block 1 is a "PRIVATE KEY", not a CERTIFICATE`},
		{"APIGW_INSECURE_SKIP_VERIFY=maybe", ``, map[string]string{"APIGW_INSECURE_SKIP_VERIFY": "maybe"}, `APIGW_INSECURE_SKIP_VERIFY must be true or false, got "maybe"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			refusedAtPlan(t, providerConfig(tc.attrs)+`
resource "apigw_quiesce_port" "q" {
  node_url = "http://127.0.0.1:5555"
  port     = 4444
}
`, wrapped(tc.want))
		})
	}
}
