package demo

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
)

// buildBinaries builds the provider and the gwsim command into dir: the
// provider for Terraform's dev_overrides, gwsim for the upgrade script.
func buildBinaries(ctx context.Context, repo, dir string) error {
	for _, b := range []struct{ out, pkg string }{
		{"terraform-provider-apigw", "."},
		{"gwsim", "./cmd/gwsim"},
	} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return nil
}
