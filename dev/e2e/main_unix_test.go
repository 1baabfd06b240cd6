//go:build unix

package e2e

import (
	"testing"

	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
)

// TestMain lets the test binary serve as the fake ssh that the hook script
// calls for HAProxy on other machines (hook_script_ssh_test.go), and
// removes the binaries the tests built.
func TestMain(m *testing.M) { tfharness.MainWithFakes(m) }
