package provider

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/gwops/terraform-provider-apigw/internal/gwsim"
)

// testCA makes a throw-away CA and a server certificate for 127.0.0.1 signed
// by it; it returns the CA's PEM and the server's TLS configuration.
func testCA(t *testing.T) (caPEM string, server *tls.Config) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "apigw test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})),
		&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
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
