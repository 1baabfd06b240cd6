//go:build unix

package tfharness

import (
	"os"

	"github.com/gwops/terraform-provider-apigw/dev/fakeops"
)

// MainWithFakes is the TestMain of a package whose tests run commands that
// call the fake tools of dev/fakeops: a test binary started under a tool's
// name serves as that fake and exits; otherwise it runs the tests (RunTests)
// and exits with their code.
func MainWithFakes(m interface{ Run() int }) {
	fakeops.Main()
	os.Exit(RunTests(m))
}
