//go:build unix

package provider

import (
	"os"
	"testing"

	"github.com/gwops/terraform-provider-apigw/internal/fakeops"
)

// TestMain lets the test binary serve as the fake docker, kubectl and ssh
// that the example scripts call (see example_scripts_test.go).
func TestMain(m *testing.M) {
	fakeops.Main()
	os.Exit(m.Run())
}
