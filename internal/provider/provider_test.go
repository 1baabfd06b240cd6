package provider

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/gwops/terraform-provider-apigw/internal/apigw"
	"github.com/gwops/terraform-provider-apigw/internal/gwsim"
)

// Credentials of every simulated cluster in these tests.
const (
	testUser     = "Administrator"
	testPassword = "manage-S3cr3t-pw"
)

// protoV6Providers serves the provider in-process, so acceptance tests reach
// the simulated gateway the test started on loopback.
var protoV6Providers = map[string]func() (tfprotov6.ProviderServer, error){
	"apigw": providerserver.NewProtocol6WithError(New("test")()),
}

// testAccPreCheck skips acceptance tests unless TF_ACC is set (make testacc
// sets it and points TF_ACC_TERRAFORM_PATH at the pinned Terraform CLI).
func testAccPreCheck(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make testacc does)")
	}
}

// startCluster starts a simulated cluster that the test closes.
func startCluster(t *testing.T, opts gwsim.Options) *gwsim.Cluster {
	t.Helper()
	if opts.Username == "" {
		opts.Username, opts.Password = testUser, testPassword
	}
	c, err := gwsim.Start(opts)
	if err != nil {
		t.Fatalf("start simulated cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// providerConfig is the provider block with the test credentials and extra
// attributes.
func providerConfig(extra string) string {
	return fmt.Sprintf(`
provider "apigw" {
  username = %q
  password = %q
  %s
}
`, testUser, testPassword, extra)
}

// testClient talks to the simulated gateway behind Terraform's back.
func testClient(t *testing.T) *apigw.Client {
	t.Helper()
	c, err := apigw.New(apigw.Config{Username: testUser, Password: testPassword, RequestTimeout: 5 * time.Second, MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
