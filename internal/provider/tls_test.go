package provider

import (
	"crypto/tls"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/internal/apigw"
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

// TestAccTLS covers the three ways to meet a gateway with a private CA:
// trusted through ca_cert_pem, refused without it, and accepted with
// insecure_skip_verify (with a warning).
func TestAccTLS(t *testing.T) {
	caPEM, serverTLS := testCA(t)
	url := startNode(t, gwsim.Options{TLS: serverTLS}).URL()

	t.Run("custom CA", func(t *testing.T) {
		accTest(t, []resource.TestStep{{
			Config: nodeDataConfig(fmt.Sprintf("ca_cert_pem = %q", caPEM), url),
			Check:  resource.TestCheckResourceAttr("data.apigw_node.n", "ready", "true"),
		}})
	})
	t.Run("no CA", func(t *testing.T) {
		accTest(t, []resource.TestStep{{
			Config:      nodeDataConfig("max_retries = 0", url),
			ExpectError: regexp.MustCompile(`(?s)certificate.*ca_cert_pem`),
		}})
	})
	t.Run("insecure", func(t *testing.T) {
		accTest(t, []resource.TestStep{{
			Config: nodeDataConfig("insecure_skip_verify = true", url),
			Check:  resource.TestCheckResourceAttr("data.apigw_node.n", "ready", "true"),
		}})
	})
}

// TestAccRollingUpgrade_httpsCluster: on nodes whose primary port speaks
// TLS (trusted through ca_cert_pem), apigw_quiesce_port creates plain-HTTP
// ports (webMethods/HTTP, as the vendor's tutorial does) and computes
// http:// quiesce URLs, through which the rolling upgrade checks and
// watches every node while it talks to the primaries over HTTPS.
func TestAccRollingUpgrade_httpsCluster(t *testing.T) {
	caPEM, serverTLS := testCA(t)
	u := newUpgradeTest(t, gwsim.Options{Nodes: 2, TLS: serverTLS})
	u.provider = fmt.Sprintf("ca_cert_pem = %q", caPEM)
	var checks []resource.TestCheckFunc
	for _, n := range u.cluster.Nodes() {
		if !strings.HasPrefix(n.URL(), "https://") {
			t.Fatalf("%s primary URL %s: want https", n.Name(), n.URL())
		}
		addr := "apigw_quiesce_port." + strings.ReplaceAll(n.Name(), "-", "_")
		checks = append(checks,
			resource.TestCheckResourceAttr(addr, "quiesce_url", "http://127.0.0.1:"+strconv.Itoa(u.ports[n.Name()])),
			resource.TestCheckResourceAttr(addr, "listener_key", apigw.ListenerKey("HTTP", u.ports[n.Name()])))
	}
	checks = append(checks,
		allOnTarget(u.cluster),
		resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.0.outcome", "upgraded"),
		resource.TestCheckResourceAttr(upgradeAddr, "last_rollout.1.outcome", "upgraded"),
		checkSim(func() error {
			if got := countEvents(u.cluster, gwsim.EventQuiesceCompleted); got["gw-1"] != 1 || got["gw-2"] != 1 {
				return errorf("completed quiesces per node = %v, want one each", got)
			}
			for _, n := range u.cluster.Nodes() {
				if want := "http://127.0.0.1:" + strconv.Itoa(u.ports[n.Name()]); n.QuiesceURL() != want {
					return errorf("%s: the simulator's quiesce URL is %s, want %s", n.Name(), n.QuiesceURL(), want)
				}
			}
			return nil
		}))
	accTest(t, []resource.TestStep{
		{Config: u.config(target, ""), Check: resource.ComposeAggregateTestCheckFunc(checks...)},
		{Config: u.config(target, ""), PlanOnly: true},
	})
}

// TestAccTLS_defaults: certificates are verified unless
// insecure_skip_verify (or APIGW_INSECURE_SKIP_VERIFY) is set, and that
// setting prints a warning in terraform's output.
func TestAccTLS_defaults(t *testing.T) {
	caPEM, serverTLS := testCA(t)
	url := startNode(t, gwsim.Options{TLS: serverTLS}).URL()
	const warning = `Warning: TLS verification is disabled`
	const why = `insecure_skip_verify is set: the provider does not check the gateways' certificates, so a machine in the middle could read the admin password. Trust the gateways' CA with ca_cert_pem instead.`

	cases := []struct {
		name, providerExtra string
		env                 []string
		wantExit            int
		want, notWant       []string
	}{
		{"verified by default", "max_retries = 0", nil, 1,
			[]string{`certificate is signed by an unknown authority: set ca_cert_pem to the signing CA`}, []string{warning}},
		{"ca_cert_pem", fmt.Sprintf("ca_cert_pem = %q", caPEM), nil, 0, nil, []string{warning}},
		{"insecure_skip_verify", "insecure_skip_verify = true", nil, 0, []string{warning, why}, nil},
		{"APIGW_INSECURE_SKIP_VERIFY", "", []string{"APIGW_INSECURE_SKIP_VERIFY=true"}, 0, []string{warning, why}, nil},
		{"insecure_skip_verify = false wins over the environment", "insecure_skip_verify = false\n  max_retries = 0", []string{"APIGW_INSECURE_SKIP_VERIFY=true"}, 1,
			[]string{`certificate is signed by an unknown authority`}, []string{warning}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newTFWorkdir(t, append([]string{"APIGW_USERNAME=" + testUser, "APIGW_PASSWORD=" + testPassword}, tc.env...)...)
			w.setConfig(fmt.Sprintf("provider \"apigw\" {\n  %s\n}\n\ndata \"apigw_node\" \"n\" {\n  url = %q\n}\n\noutput \"ready\" {\n  value = data.apigw_node.n.ready\n}\n", tc.providerExtra, url))
			out, code := w.run("plan", "-input=false", "-no-color")
			if code != tc.wantExit {
				t.Fatalf("plan: exit %d, want %d\n%s", code, tc.wantExit, out)
			}
			for _, s := range tc.want {
				if !wrapped(regexp.QuoteMeta(s)).MatchString(out) {
					t.Errorf("terraform's output does not show %q:\n%s", s, out)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(out, s) {
					t.Errorf("terraform's output shows %q:\n%s", s, out)
				}
			}
			if tc.wantExit == 0 && !strings.Contains(out, "ready = true") {
				t.Errorf("the node was not read as ready:\n%s", out)
			}
		})
	}
}
