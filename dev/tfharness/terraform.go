package tfharness

import (
	"context"
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// FindTerraform returns the CLI to use: the given path, else the one the
// acceptance tests use (TF_ACC_TERRAFORM_PATH), else terraform on PATH,
// else the Makefile's install location; "" when there is none.
func FindTerraform(given string) string {
	if given != "" {
		return given
	}
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	if p, err := exec.LookPath("terraform"); err == nil {
		return p
	}
	// build.Default.GOPATH is $GOPATH, or its default: where `make
	// terraform` installs the CLI ($(go env GOPATH)/bin).
	for _, gopath := range filepath.SplitList(build.Default.GOPATH) {
		p := filepath.Join(gopath, "bin", "terraform")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// WriteCLIConfig writes a Terraform CLI configuration that installs the
// provider from providerDir through dev_overrides, so that it runs as its
// own process exactly as for a user, without any registry.
func WriteCLIConfig(path, providerDir string) error {
	conf := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"gwops/apigw\" = %q\n  }\n  direct {}\n}\n", providerDir)
	return os.WriteFile(path, []byte(conf), 0o644)
}

// Env is the environment of a terraform run with the CLI configuration
// cliConfig: the caller's own, without its Terraform and provider settings
// (TF_*, APIGW_*: a run is the same on every machine), then extra ("K=V").
func Env(cliConfig string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TF_") || strings.HasPrefix(kv, "APIGW_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	return append(env, extra...)
}

// Workdir is a Terraform working directory whose runs install the provider
// from a dev_overrides directory: the provider runs as the CLI's child
// process, exactly as for a user.
type Workdir struct {
	Dir       string
	Terraform string   // the CLI
	Env       []string // of every run, and so of the provider it starts
}

// NewWorkdir makes dir (and its parents), writes the CLI configuration
// into it and returns the working directory; extraEnv ("K=V") is added to
// the environment of every run.
func NewWorkdir(terraform, dir, providerDir string, extraEnv ...string) (*Workdir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	rc := filepath.Join(dir, "cli.tfrc")
	if err := WriteCLIConfig(rc, providerDir); err != nil {
		return nil, err
	}
	return &Workdir{Dir: dir, Terraform: terraform, Env: Env(rc, extraEnv...)}, nil
}

// requiredProviders names the provider by the address dev_overrides
// installs it under.
const requiredProviders = `terraform {
  required_providers {
    apigw = { source = "gwops/apigw" }
  }
}
`

// WriteConfig writes main.tf: the required_providers block for the
// dev_overrides address, then config.
func (w *Workdir) WriteConfig(config string) error {
	return os.WriteFile(filepath.Join(w.Dir, "main.tf"), []byte(requiredProviders+config), 0o600)
}

// Command prepares terraform args in the directory.
func (w *Workdir) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, w.Terraform, args...)
	cmd.Dir, cmd.Env = w.Dir, w.Env
	return cmd
}

// Run runs terraform args to the end; its error ends with the end of the
// output.
func (w *Workdir) Run(ctx context.Context, args ...string) error {
	out, err := w.Command(ctx, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("terraform %s: %w\n%s", strings.Join(args, " "), err, Tail(string(out), 3000))
	}
	return nil
}

// Tail is the last n bytes of s, marked as cut when it is.
func Tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// RepoFile returns the absolute path of a file of the repository, found
// from the working directory upwards (tests run in their package's
// directory, the commands in the repository's root).
func RepoFile(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if mod, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(mod), "module "+Module+"\n") {
			p := filepath.Join(dir, filepath.FromSlash(rel))
			_, err := os.Stat(p)
			return p, err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s: the working directory is not inside the module %s", rel, Module)
		}
		dir = parent
	}
}
