package tfharness

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWriteCLIConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cli.tfrc")
	if err := WriteCLIConfig(path, "/opt/provider"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "provider_installation {\n  dev_overrides {\n    \"gwops/apigw\" = \"/opt/provider\"\n  }\n  direct {}\n}\n"
	if string(b) != want {
		t.Errorf("CLI config:\n%s\nwant:\n%s", b, want)
	}
}

// TestEnv: the caller's Terraform and provider settings stay out, the CLI
// configuration and the quiet flags go in, and extra comes last.
func TestEnv(t *testing.T) {
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("APIGW_PASSWORD", "from-the-caller")
	t.Setenv("H10_KEPT", "yes")
	env := Env("/tmp/cli.tfrc", "APIGW_USERNAME=u")
	for _, kv := range env {
		if strings.HasPrefix(kv, "TF_LOG=") || strings.HasPrefix(kv, "APIGW_PASSWORD=") {
			t.Errorf("env keeps the caller's %s", kv)
		}
	}
	for _, want := range []string{"H10_KEPT=yes", "TF_CLI_CONFIG_FILE=/tmp/cli.tfrc", "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1"} {
		if !slices.Contains(env, want) {
			t.Errorf("env lacks %s", want)
		}
	}
	if env[len(env)-1] != "APIGW_USERNAME=u" {
		t.Errorf("extra is not last: %v", env[len(env)-3:])
	}
}

func TestNewWorkdir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	w, err := NewWorkdir("/usr/bin/terraform", dir, "/opt/provider", "K=V")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteConfig(`provider "apigw" {}`); err != nil {
		t.Fatal(err)
	}
	main, err := os.ReadFile(filepath.Join(dir, "main.tf"))
	if err != nil || !strings.HasPrefix(string(main), requiredProviders) || !strings.HasSuffix(string(main), `provider "apigw" {}`) {
		t.Errorf("main.tf = %q, %v; want required_providers, then the config", main, err)
	}
	cmd := w.Command(t.Context(), "plan")
	if cmd.Dir != dir || cmd.Args[0] != "/usr/bin/terraform" || cmd.Args[1] != "plan" || !slices.Contains(cmd.Env, "TF_CLI_CONFIG_FILE="+filepath.Join(dir, "cli.tfrc")) || !slices.Contains(cmd.Env, "K=V") {
		t.Errorf("command %v in %s with env %v", cmd.Args, cmd.Dir, cmd.Env)
	}
}

func TestRunSaysWhatFailed(t *testing.T) {
	w, err := NewWorkdir("sh", t.TempDir(), "/opt/provider")
	if err != nil {
		t.Fatal(err)
	}
	err = w.Run(t.Context(), "-c", "echo head-$((1+1)); head -c 5000 /dev/zero | tr '\\0' x; echo; echo the-end; exit 3")
	if err == nil || !strings.Contains(err.Error(), "terraform -c") || !strings.Contains(err.Error(), "exit status 3") ||
		!strings.Contains(err.Error(), "the-end") || strings.Contains(err.Error(), "head-2") {
		t.Errorf("Run error = %.300s...; want the command, its exit status and the end of its output only", err)
	}
}

func TestTail(t *testing.T) {
	if got := Tail("abcdef", 3); got != "...def" {
		t.Errorf("Tail = %q", got)
	}
	if got := Tail("abc", 3); got != "abc" {
		t.Errorf("Tail = %q", got)
	}
}

func TestRepoFile(t *testing.T) {
	p, err := RepoFile("examples/provider/provider.tf")
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.Abs("../../examples/provider/provider.tf"); p != want {
		t.Errorf("RepoFile = %s, want %s", p, want)
	}
	if _, err := RepoFile("no/such/file"); err == nil {
		t.Error("RepoFile found a file that is not there")
	}
}
