//go:build unix

package provider

import (
	"os"
	"testing"

	"github.com/gwops/terraform-provider-apigw/dev/fakeops"
	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
)

// TestMain lets the test binary serve as the fake docker, kubectl and ssh
// that the example scripts call (see example_scripts_test.go), and removes
// the binaries the tests built.
func TestMain(m *testing.M) {
	fakeops.Main()
	os.Exit(tfharness.RunTests(m))
}
