package bench

import (
	"context"
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gwops/terraform-provider-apigw/internal/gwsim"
)

// Tools are the binaries a benchmark runs: built once per run, so that
// neither a compile nor `go run` is inside any measured time.
type Tools struct {
	Gwsim       string // the simulator's command, used as upgrade_command
	ProviderDir string // holds terraform-provider-apigw, for dev_overrides
	Terraform   string // the Terraform CLI; "" skips the sections that need it
}

const module = "github.com/gwops/terraform-provider-apigw"

// BuildTools compiles the gwsim command and the provider into dir.
func BuildTools(ctx context.Context, dir, terraform string) (Tools, error) {
	t := Tools{
		Gwsim:       filepath.Join(dir, "gwsim"),
		ProviderDir: filepath.Join(dir, "provider"),
		Terraform:   terraform,
	}
	builds := [][2]string{
		{t.Gwsim, module + "/cmd/gwsim"},
		{filepath.Join(t.ProviderDir, "terraform-provider-apigw"), module},
	}
	for _, b := range builds {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b[0], b[1])
		if out, err := cmd.CombinedOutput(); err != nil {
			return t, fmt.Errorf("go build %s: %w\n%s", b[1], err, out)
		}
	}
	return t, nil
}

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

// tfDir is a Terraform working directory using the freshly built provider
// through dev_overrides, so the provider runs as its own process exactly as
// for a user, without any registry.
type tfDir struct {
	tools Tools
	dir   string
	env   []string
}

func newTFDir(tools Tools, dir string) (*tfDir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	rc := filepath.Join(dir, "cli.tfrc")
	if err := WriteCLIConfig(rc, tools.ProviderDir); err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+rc,
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
		"APIGW_USERNAME="+gwsim.DefaultUsername,
		"APIGW_PASSWORD="+gwsim.DefaultPassword,
	)
	return &tfDir{tools: tools, dir: dir, env: env}, nil
}

// command prepares a terraform command in the directory.
func (d *tfDir) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, d.tools.Terraform, args...)
	cmd.Dir, cmd.Env = d.dir, d.env
	return cmd
}

// run runs terraform and returns an error with the end of its output.
func (d *tfDir) run(ctx context.Context, args ...string) error {
	out, err := d.command(ctx, args...).CombinedOutput()
	if err != nil {
		s := string(out)
		if len(s) > 3000 {
			s = "..." + s[len(s)-3000:]
		}
		return fmt.Errorf("terraform %s: %w\n%s", strings.Join(args, " "), err, s)
	}
	return nil
}

// clusterConfig is one apigw_rolling_upgrade with the nodes given
// literally, so no other resource is involved.
type clusterConfig struct {
	target, strategy, poll string
	maxUnavailable         int
	command                []string
	nodes                  []nodeLit
}

type nodeLit struct{ name, url, quiesceURL string }

func (d *tfDir) writeConfig(c clusterConfig) error {
	var b strings.Builder
	b.WriteString("terraform {\n  required_providers {\n    apigw = { source = \"gwops/apigw\" }\n  }\n}\n\nprovider \"apigw\" {}\n\n")
	b.WriteString("resource \"apigw_rolling_upgrade\" \"bench\" {\n")
	fmt.Fprintf(&b, "  target_version  = %q\n  strategy        = %q\n  max_unavailable = %d\n  poll_interval   = %q\n",
		c.target, c.strategy, c.maxUnavailable, c.poll)
	b.WriteString("  upgrade_command = [")
	for i, a := range c.command {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", a)
	}
	b.WriteString("]\n  nodes = [\n")
	for _, n := range c.nodes {
		fmt.Fprintf(&b, "    { name = %q, url = %q", n.name, n.url)
		if n.quiesceURL != "" {
			fmt.Fprintf(&b, ", quiesce_url = %q", n.quiesceURL)
		}
		b.WriteString(" },\n")
	}
	b.WriteString("  ]\n}\n")
	return os.WriteFile(filepath.Join(d.dir, "main.tf"), []byte(b.String()), 0o644)
}
