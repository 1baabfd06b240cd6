//go:build unix

package e2e

import (
	"os"
	"testing"

	"github.com/gwops/terraform-provider-apigw/internal/fakeops"
)

// TestMain lets the test binary serve as the fake ssh that the hook script
// calls for HAProxy on other machines (hook_script_ssh_test.go).
func TestMain(m *testing.M) {
	fakeops.Main()
	os.Exit(m.Run())
}
