package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// Secrets: with TF_LOG=TRACE, neither the provider password nor any
// command_secret_env value shows up where it should not, while command_env
// values (plain settings) stay visible. The provider runs out of process
// (see terraform_cli_test.go), so TF_LOG_PATH collects the CLI's and the
// provider's logs in one file.

// Distinctive secrets, easy to grep for.
const (
	secretPassword = "pw-9f3b2c-SECRET"
	secretToken    = "tok-7d1e4a-SECRET"
	secretDBPass   = "db-51c9e0-SECRET"
	// plainUser is a command_env value: shown in plans and error tails.
	plainUser = "sag-4e8a1b-plain"
)

// leaks returns the secrets found in text.
func leaks(text string, secrets ...string) []string {
	var found []string
	for _, s := range secrets {
		if strings.Contains(text, s) {
			found = append(found, s)
		}
	}
	return found
}

// assertNoSecrets fails when any secret, or an Authorization header, shows
// up in what (a log, a state file, an output).
func assertNoSecrets(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	if found := leaks(text, secrets...); len(found) > 0 {
		i := strings.Index(text, found[0])
		t.Errorf("%s contains %v, e.g. …%s…", what, found, text[max(i-200, 0):min(i+100, len(text))])
	}
	if m := regexp.MustCompile(`(?i)authorization|Basic [A-Za-z0-9+/=]{8,}`).FindString(text); m != "" {
		i := strings.Index(text, m)
		t.Errorf("%s contains an Authorization header or Basic credentials: …%s…", what, text[max(i-200, 0):min(i+100, len(text))])
	}
}

// secretsConfig makes u's upgrade command one that prints the plain value,
// both secrets, APIGW_PASSWORD (not passed on from the provider's
// environment) and the admin password read from a file (as a script might)
// on every node, and fails on gw-2; it returns the usual configuration with
// the provider block, command_env (one plain value) and command_secret_env
// (two secrets) given.
func secretsConfig(u *upgradeTest, providerBlock string) string {
	pwFile := filepath.Join(u.t.TempDir(), "admin-password")
	writeFile(u.t, pwFile, secretPassword)
	u.upgrade = []string{"sh", "-c", `echo "ssh user is $SSH_USER"; echo "token is $API_TOKEN"; echo "db password is $DB_PASS" >&2; echo "gw password is [$APIGW_PASSWORD]" >&2; ` +
		`echo "password file holds $(cat ` + pwFile + `)" >&2; ` +
		`if [ "$APIGW_NODE_NAME" = gw-2 ]; then echo "cannot reach the registry with token $API_TOKEN" >&2; exit 3; fi; ` + u.restartScript(toVersion)}
	cfg := u.config(target, fmt.Sprintf("command_env = { SSH_USER = %q }\n  command_secret_env = { API_TOKEN = %q, DB_PASS = %q }", plainUser, secretToken, secretDBPass))
	return strings.Replace(cfg, providerConfig(""), providerBlock, 1)
}

// TestAccSecrets_neverShown: the password comes from APIGW_PASSWORD (the
// documented recommendation), command_secret_env holds two secrets and
// command_env one plain value, and the upgrade command prints them all and
// fails on gw-2. Then:
//   - the TRACE log (CLI and provider) holds no secret and no Authorization
//     header;
//   - the saved plan (terraform show -json) holds no password;
//     command_secret_env is in it, marked sensitive (Terraform keeps
//     sensitive values in plan files), and terraform's own plan output hides
//     it while it shows command_env's value;
//   - the failed apply's output shows the command's output with both secrets
//     redacted and the plain value as it is;
//   - the state holds no password; command_secret_env is in it in plain text
//     (as Terraform stores every sensitive attribute; the schema marks it
//     sensitive, so terraform show hides it), and nothing else holds a
//     secret.
func TestAccSecrets_neverShown(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3, Username: testUser, Password: secretPassword})
	logPath := filepath.Join(t.TempDir(), "trace.log")
	w := newTFWorkdir(t, "TF_LOG=TRACE", "TF_LOG_PATH="+logPath,
		"APIGW_USERNAME="+testUser, "APIGW_PASSWORD="+secretPassword)
	w.setConfig(secretsConfig(u, "provider \"apigw\" {}\n"))

	planOut, code := w.run("plan", "-input=false", "-no-color", "-out=plan.out")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, planOut)
	}
	assertNoSecrets(t, "plan output", planOut, secretPassword, secretToken, secretDBPass)
	if !regexp.MustCompile(`command_secret_env\s+= \(sensitive value\)`).MatchString(planOut) {
		t.Errorf("the plan output does not show command_secret_env as a sensitive value:\n%s", planOut)
	}
	if !regexp.MustCompile(`"SSH_USER"\s+= "` + plainUser + `"`).MatchString(planOut) {
		t.Errorf("the plan output does not show command_env's plain value:\n%s", planOut)
	}

	plan, planJSONText := w.showPlan("plan.out")
	assertNoSecrets(t, "saved plan (terraform show -json)", planJSONText, secretPassword)
	_, _, after := upgradeChange(t, plan)
	env, _ := after["command_secret_env"].(map[string]any)
	// What SECURITY.md says about plan files: Terraform keeps sensitive
	// values in them, only marked.
	if env["API_TOKEN"] != secretToken {
		t.Logf("note: this Terraform no longer shows command_secret_env values in `terraform show -json` of a plan (got %v); SECURITY.md can say so", env)
	}
	var sens struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Change  struct {
				AfterSensitive map[string]any `json:"after_sensitive"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(planJSONText), &sens); err != nil {
		t.Fatal(err)
	}
	for _, rc := range sens.ResourceChanges {
		if rc.Address != upgradeAddr {
			continue
		}
		if rc.Change.AfterSensitive["command_secret_env"] != true {
			t.Errorf("the saved plan does not mark command_secret_env sensitive: after_sensitive = %v", rc.Change.AfterSensitive)
		}
		if rc.Change.AfterSensitive["command_env"] == true {
			t.Errorf("the saved plan marks the plain command_env sensitive: after_sensitive = %v", rc.Change.AfterSensitive)
		}
	}

	applyOut, code := w.run("apply", "-input=false", "-no-color", "plan.out")
	if code == 0 {
		t.Fatalf("apply succeeded, want the upgrade command to fail on gw-2:\n%s", applyOut)
	}
	assertNoSecrets(t, "apply output", applyOut, secretPassword, secretToken, secretDBPass)
	for _, want := range []string{
		`node "gw-2": upgrade_command failed`,
		`ssh user is ` + plainUser, // command_env is not redacted
		`token is (sensitive)`,
		`db password is (sensitive)`,
		`gw password is []`, // the password in the environment is not passed on
		`password file holds (sensitive)`,
		`cannot reach the registry with token (sensitive)`,
	} {
		if !wrapped(regexp.QuoteMeta(want)).MatchString(applyOut) {
			t.Errorf("the failed apply's output does not show %q:\n%s", want, applyOut)
		}
	}

	// A later plan and a refresh-only run log through the same file.
	w.mustRun("plan", "-input=false", "-no-color", "-refresh-only")

	logText, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logText), "apigw http attempt") || !strings.Contains(string(logText), "gw-1: upgrading from") {
		t.Fatalf("the TRACE log holds no provider lines; is TF_LOG_PATH collecting the provider's log? (%d bytes)", len(logText))
	}
	assertNoSecrets(t, "TRACE log", string(logText), secretPassword, secretToken, secretDBPass)

	stateText, err := os.ReadFile(filepath.Join(w.Dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Resources []struct {
			Type      string `json:"type"`
			Instances []struct {
				Attributes map[string]any `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(stateText, &state); err != nil {
		t.Fatal(err)
	}
	assertNoSecrets(t, "state file", string(stateText), secretPassword)
	var schemas struct {
		ProviderSchemas map[string]struct {
			ResourceSchemas map[string]struct {
				Block struct {
					Attributes map[string]struct {
						Sensitive bool `json:"sensitive"`
					} `json:"attributes"`
				} `json:"block"`
			} `json:"resource_schemas"`
		} `json:"provider_schemas"`
	}
	if err := json.Unmarshal([]byte(w.mustRun("providers", "schema", "-json")), &schemas); err != nil {
		t.Fatal(err)
	}
	if len(schemas.ProviderSchemas) == 0 {
		t.Fatal("terraform providers schema -json listed no provider")
	}
	for addr, ps := range schemas.ProviderSchemas {
		attrs := ps.ResourceSchemas["apigw_rolling_upgrade"].Block.Attributes
		if a, ok := attrs["command_secret_env"]; !ok || !a.Sensitive {
			t.Errorf("%s: apigw_rolling_upgrade.command_secret_env is missing or not marked sensitive in the schema", addr)
		}
		if a, ok := attrs["command_env"]; !ok || a.Sensitive {
			t.Errorf("%s: apigw_rolling_upgrade.command_env is missing or marked sensitive in the schema", addr)
		}
	}
	showOut := w.mustRun("show", "-no-color")
	assertNoSecrets(t, "terraform show", showOut, secretPassword, secretToken, secretDBPass)
	if !regexp.MustCompile(`command_secret_env\s+= \(sensitive value\)`).MatchString(showOut) {
		t.Errorf("terraform show does not hide command_secret_env:\n%s", showOut)
	}
	if !strings.Contains(showOut, plainUser) {
		t.Errorf("terraform show hides command_env's plain value:\n%s", showOut)
	}
	upgrades := 0
	for _, r := range state.Resources {
		for _, inst := range r.Instances {
			attrs, _ := json.Marshal(inst.Attributes)
			if r.Type != "apigw_rolling_upgrade" {
				assertNoSecrets(t, r.Type+" in state", string(attrs), secretToken, secretDBPass)
				continue
			}
			// Terraform stores sensitive attribute values in state as they
			// are; the schema, not the state, marks them sensitive.
			if env, _ := inst.Attributes["command_secret_env"].(map[string]any); env["API_TOKEN"] != secretToken {
				t.Errorf("command_secret_env in state = %v; Terraform was expected to store it as configured", inst.Attributes["command_secret_env"])
			}
			upgrades++
			delete(inst.Attributes, "command_secret_env")
			rest, _ := json.Marshal(inst.Attributes)
			assertNoSecrets(t, "apigw_rolling_upgrade in state (command_secret_env aside)", string(rest), secretToken, secretDBPass)
		}
	}
	if upgrades != 1 {
		t.Errorf("state holds %d apigw_rolling_upgrade instances, want 1 to check", upgrades)
	}
}

// TestAccSecrets_passwordInProviderBlock: the password written in the provider
// block (not recommended) still never reaches the TRACE log, the state or
// terraform's output. It does reach the saved plan file, which holds the
// configuration: the documented reason to prefer APIGW_PASSWORD.
func TestAccSecrets_passwordInProviderBlock(t *testing.T) {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 2, Username: testUser, Password: secretPassword})
	logPath := filepath.Join(t.TempDir(), "trace.log")
	w := newTFWorkdir(t, "TF_LOG=TRACE", "TF_LOG_PATH="+logPath)
	block := fmt.Sprintf("provider \"apigw\" {\n  username = %q\n  password = %q\n}\n", testUser, secretPassword)
	w.setConfig(strings.Replace(u.config(target, ""), providerConfig(""), block, 1))

	out := w.mustRun("plan", "-input=false", "-no-color", "-out=plan.out")
	assertNoSecrets(t, "plan output", out, secretPassword)
	out = w.mustRun(applyArgs...)
	assertNoSecrets(t, "apply output", out, secretPassword)
	for name, v := range nodeVersions(u.cluster) {
		if v != toVersion {
			t.Fatalf("%s on %s after the apply", name, v)
		}
	}
	logText, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecrets(t, "TRACE log", string(logText), secretPassword)
	stateText, err := os.ReadFile(filepath.Join(w.Dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecrets(t, "state file", string(stateText), secretPassword)

	planFile, err := os.ReadFile(filepath.Join(w.Dir, "plan.out"))
	if err != nil {
		t.Fatal(err)
	}
	// The plan file is a zip archive that carries the configuration files.
	if !strings.Contains(string(planFile), "tfconfig/") {
		t.Fatalf("plan.out does not look like a Terraform plan file")
	}
	_, showJSON := w.showPlan("plan.out")
	t.Logf("password in `terraform show -json plan.out` when written in the provider block: %v", strings.Contains(showJSON, secretPassword))
}
