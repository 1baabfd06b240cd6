package tfharness

import (
	"os"
	"testing"
)

func TestUpgradeHCL(t *testing.T) {
	u := Upgrade{Name: "u", Target: "10.15.0.7", PollInterval: "50ms",
		UpgradeCommand: []string{"sh", "-c", `echo "$APIGW_NODE_NAME"`},
		Attributes:     "max_unavailable = 1\n  soak_duration   = \"1s\"",
		Nodes: []Node{
			{Name: "gw-1", URL: "http://127.0.0.1:5555", QuiescePort: 4444},
			{Name: "gw-2", URL: "http://127.0.0.1:5556", QuiesceURL: "http://127.0.0.1:4445"},
			{Name: "gw-3", URL: "http://127.0.0.1:5557"},
		}}
	want := `
resource "apigw_quiesce_port" "gw_1" {
  node_url = "http://127.0.0.1:5555"
  port     = 4444
}

resource "apigw_rolling_upgrade" "u" {
  target_version = "10.15.0.7"
  nodes = [
    { name = "gw-1", url = "http://127.0.0.1:5555", quiesce_url = apigw_quiesce_port.gw_1.quiesce_url },
    { name = "gw-2", url = "http://127.0.0.1:5556", quiesce_url = "http://127.0.0.1:4445" },
    { name = "gw-3", url = "http://127.0.0.1:5557" },
  ]
  upgrade_command = ["sh", "-c", "echo \"$APIGW_NODE_NAME\""]
  poll_interval   = "50ms"
  max_unavailable = 1
  soak_duration   = "1s"
}
`
	if got := u.HCL(); got != want {
		t.Errorf("HCL:\n%s\nwant:\n%s", got, want)
	}
}

func TestProviderHCL(t *testing.T) {
	for _, tc := range []struct{ user, pass, extra, want string }{
		{"", "", "", "\nprovider \"apigw\" {\n}\n"},
		{"Administrator", "p\"w", "insecure = true", "\nprovider \"apigw\" {\n  username = \"Administrator\"\n  password = \"p\\\"w\"\n  insecure = true\n}\n"},
	} {
		if got := Provider(tc.user, tc.pass, tc.extra); got != tc.want {
			t.Errorf("Provider(%q, %q, %q) = %q, want %q", tc.user, tc.pass, tc.extra, got, tc.want)
		}
	}
}

// TestRenderedConfigIsValid validates what the renderers write, with the
// real CLI and the built provider's schema, in a working directory of
// NewWorkdir: the harnesses' configurations and CLI setup are what
// Terraform accepts.
func TestRenderedConfigIsValid(t *testing.T) {
	terraform := FindTerraform("")
	if os.Getenv("TF_ACC") == "" || terraform == "" {
		t.Skip("set TF_ACC=1 and provide the Terraform CLI (TF_ACC_TERRAFORM_PATH)")
	}
	dir, err := SharedProviderDir()
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWorkdir(terraform, t.TempDir(), dir)
	if err != nil {
		t.Fatal(err)
	}
	u := Upgrade{Name: "u", Target: "10.15.0.7", UpgradeCommand: []string{"true"}, PollInterval: "1s",
		Attributes: `strategy = "quiesce_all"`,
		Nodes: []Node{
			{Name: "gw-1", URL: "http://127.0.0.1:5555", QuiescePort: 4444},
			{Name: "gw-2", URL: "http://127.0.0.1:5556", QuiesceURL: "http://127.0.0.1:4445"},
		}}
	if err := w.WriteConfig(Provider("u", "p", "") + u.HCL()); err != nil {
		t.Fatal(err)
	}
	if err := w.Run(t.Context(), "validate", "-no-color"); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteConfig(Provider("u", "p", "") + `resource "apigw_rolling_upgrade" "u" {}`); err != nil {
		t.Fatal(err)
	}
	if err := w.Run(t.Context(), "validate", "-no-color"); err == nil {
		t.Fatal("validate accepted a resource without its required attributes: the provider's schema was not used")
	}
}
