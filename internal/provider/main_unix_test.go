//go:build unix

package provider

import (
	"testing"

	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
)

// TestMain lets the test binary serve as the fake docker, kubectl and ssh
// that the example scripts call (see example_scripts_test.go), and removes
// the binaries the tests built.
func TestMain(m *testing.M) { tfharness.MainWithFakes(m) }
