package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
)

// terraformDir is a working directory holding a copy of examples/demo, its
// variables and a CLI configuration that points Terraform at the freshly
// built provider.
type terraformDir struct {
	*tfharness.Workdir
}

func newTerraformDir(work, terraform string, bin tfharness.Binaries, repo string, cluster *gwsim.Cluster) (*terraformDir, error) {
	w, err := tfharness.NewWorkdir(terraform, filepath.Join(work, "demo"), bin.ProviderDir,
		"APIGW_USERNAME="+demoUser,
		"APIGW_PASSWORD="+demoPassword,
		"GWSIM_CONTROL_URL="+cluster.ControlURL(),
		// upgrade.sh calls gwsim.
		"PATH="+filepath.Dir(bin.Gwsim)+string(os.PathListSeparator)+os.Getenv("PATH"),
	)
	if err != nil {
		return nil, err
	}
	dir := w.Dir
	for _, f := range []string{"main.tf", "upgrade.sh"} {
		b, err := os.ReadFile(filepath.Join(repo, "examples", "demo", f))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o755); err != nil {
			return nil, err
		}
	}
	type node struct {
		Name        string `json:"name"`
		URL         string `json:"url"`
		QuiescePort int    `json:"quiesce_port"`
	}
	vars := struct {
		Nodes []node `json:"nodes"`
	}{}
	for _, n := range cluster.Nodes() {
		vars.Nodes = append(vars.Nodes, node{n.Name(), n.URL(), n.ReservePort()})
	}
	b, _ := json.MarshalIndent(vars, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "terraform.tfvars.json"), b, 0o644); err != nil {
		return nil, err
	}
	return &terraformDir{w}, nil
}

// run runs one Terraform command in the directory, its output to out.
func (t *terraformDir) run(ctx context.Context, out io.Writer, args ...string) error {
	return t.runSplit(ctx, out, out, args...)
}

// runSplit is run with stdout and stderr apart, for machine-read output.
func (t *terraformDir) runSplit(ctx context.Context, stdout, stderr io.Writer, args ...string) error {
	cmd := t.Command(ctx, args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return cmd.Run()
}

// RolloutEntry is one element of last_rollout as `terraform output` shows it.
type RolloutEntry struct {
	Node           string  `json:"node"`
	FromVersion    string  `json:"from_version"`
	ToVersion      string  `json:"to_version"`
	Outcome        string  `json:"outcome"`
	DrainSeconds   float64 `json:"drain_seconds"`
	CommandSeconds float64 `json:"command_seconds"`
	ReadySeconds   float64 `json:"ready_seconds"`
}

// outputs reads node_versions and last_rollout with `terraform output -json`.
func (t *terraformDir) outputs(ctx context.Context, res *Result) error {
	var stdout, stderr bytes.Buffer
	if err := t.runSplit(ctx, &stdout, &stderr, "output", "-json"); err != nil {
		return fmt.Errorf("terraform output: %w\n%s", err, stderr.String())
	}
	var outs struct {
		NodeVersions struct {
			Value map[string]string `json:"value"`
		} `json:"node_versions"`
		LastRollout struct {
			Value []RolloutEntry `json:"value"`
		} `json:"last_rollout"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &outs); err != nil {
		return fmt.Errorf("decode terraform output: %w", err)
	}
	res.Versions = outs.NodeVersions.Value
	res.Rollout = outs.LastRollout.Value
	return nil
}
