package tfharness

import (
	"os"
	"testing"
)

// TestMain removes the binaries the tests built, as every package that
// uses the shared builds does.
func TestMain(m *testing.M) { os.Exit(RunTests(m)) }
