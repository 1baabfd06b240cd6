package provider

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
)

// TestAccExamples checks that every example under examples/ (the snippets the
// generated docs show) is formatted and valid against the provider's real
// schema, with the Terraform (or OpenTofu) CLI at TF_ACC_TERRAFORM_PATH.
//
// How: the provider is built once with `go build` into a temporary directory,
// and a CLI configuration with a dev_overrides block points gwops/apigw at
// that directory, so neither `terraform init` nor the network is needed
// (validate launches the overridden provider only to read its schema).
//
// The docs' examples are fragments: only examples/provider declares
// required_providers. Each example directory is therefore copied into a
// temporary directory, together with examples/provider/provider.tf unless it
// is a complete configuration of its own (it declares required_providers, as
// examples/provider and examples/demo do), and validated there; `fmt -check`
// runs on the directory in the repository.
func TestAccExamples(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("set TF_ACC=1 (and TF_ACC_TERRAFORM_PATH) to validate the examples with the Terraform CLI")
	}
	tfBin := tfharness.FindTerraform("")
	if tfBin == "" {
		t.Fatal("TF_ACC_TERRAFORM_PATH is not set and no terraform is on PATH")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	examples := filepath.Join(root, "examples")
	dirs := exampleDirs(t, examples)

	t.Run("coverage", func(t *testing.T) {
		checkExampleCoverage(t, dirs)
	})

	cliConfig := filepath.Join(t.TempDir(), "terraformrc")
	if err := tfharness.WriteCLIConfig(cliConfig, tfharness.MustProviderDir(t)); err != nil {
		t.Fatal(err)
	}
	env := tfharness.Env(cliConfig)
	providerTF, err := os.ReadFile(filepath.Join(examples, "provider", "provider.tf"))
	if err != nil {
		t.Fatal(err)
	}

	for _, dir := range dirs {
		rel, _ := filepath.Rel(examples, dir)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			run := func(dir string, args ...string) {
				t.Helper()
				cmd := exec.CommandContext(t.Context(), tfBin, args...)
				cmd.Dir = dir
				cmd.Env = slices.Concat(env, []string{"TF_DATA_DIR=" + filepath.Join(t.TempDir(), ".terraform")})
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Errorf("%s %s in %s: %v\n%s", filepath.Base(tfBin), strings.Join(args, " "), dir, err, out)
				}
			}
			run(dir, "fmt", "-check", "-recursive", "-diff")

			work := t.TempDir()
			if standalone := copyExampleFiles(t, dir, work); !standalone {
				writeFile(t, filepath.Join(work, "provider.tf"), string(providerTF))
			}
			run(work, "validate", "-no-color")
		})
	}
}

// exampleDirs lists the directories under examples/ that hold .tf files.
func exampleDirs(t *testing.T, examples string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(examples, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && filepath.Ext(path) == ".tf" && !slices.Contains(dirs, filepath.Dir(path)) {
			dirs = append(dirs, filepath.Dir(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatalf("no examples found under %s", examples)
	}
	return dirs
}

// checkExampleCoverage wants an example directory for the provider and for
// every resource and data source it serves, where the docs look for them.
func checkExampleCoverage(t *testing.T, dirs []string) {
	ctx := context.Background()
	p := New("test")()
	want := []string{"provider"}
	for _, newResource := range p.Resources(ctx) {
		var resp resource.MetadataResponse
		newResource().Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "apigw"}, &resp)
		want = append(want, filepath.Join("resources", resp.TypeName))
	}
	for _, newDataSource := range p.DataSources(ctx) {
		var resp datasource.MetadataResponse
		newDataSource().Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: "apigw"}, &resp)
		want = append(want, filepath.Join("data-sources", resp.TypeName))
	}
	for _, w := range want {
		if !slices.ContainsFunc(dirs, func(d string) bool { return strings.HasSuffix(d, string(filepath.Separator)+w) }) {
			t.Errorf("no example for %s: add examples/%s with a .tf file (the docs show it)", w, filepath.ToSlash(w))
		}
	}
}

// copyExampleFiles copies the regular files of src (not its subdirectories)
// to dst and reports whether a .tf file among them declares required_providers.
func copyExampleFiles(t *testing.T, src, dst string) (standalone bool) {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dst, e.Name()), string(b))
		if filepath.Ext(e.Name()) == ".tf" && strings.Contains(string(b), "required_providers") {
			standalone = true
		}
	}
	return standalone
}
