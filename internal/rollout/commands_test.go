package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCommandEnvironment(t *testing.T) {
	simulate(t, []string{oldV, oldV, oldV}, func(t *testing.T, h *harness) {
		h.cfg.CommandEnv = map[string]string{"SSH_USER": "sag", "IMAGE": "gw:10.15.0.7"}
		h.cfg.CommandSecretEnv = map[string]string{"REGISTRY_TOKEN": "abc"}
		h.cfg.CommandTimeout = 7 * time.Minute
		h.runOK("gw-1:upgraded gw-2:upgraded gw-3:upgraded")
		var c Command
		for _, x := range h.r.commands() {
			if envOf(x, "APIGW_NODE_NAME") == "gw-2" {
				c = x
			}
		}
		want := map[string]string{
			"APIGW_NODE_NAME": "gw-2", "APIGW_NODE_URL": "http://gw-2:5555", "APIGW_QUIESCE_URL": "http://gw-2:4444",
			"APIGW_FROM_VERSION": oldV, "APIGW_TARGET_VERSION": target, "APIGW_NODE_INDEX": "1", "APIGW_NODE_COUNT": "3",
			"SSH_USER": "sag", "IMAGE": "gw:10.15.0.7", "REGISTRY_TOKEN": "abc",
		}
		for k, v := range want {
			if got := envOf(c, k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if c.Step != "upgrade" || c.Timeout != 7*time.Minute || !slices.Equal(c.Argv, []string{"/opt/upgrade.sh"}) {
			t.Errorf("command %+v", c)
		}
	})
}

func TestSecretsNeverShown(t *testing.T) {
	const secret = "s3cr3t-t0ken"
	simulate(t, []string{oldV, oldV}, func(t *testing.T, h *harness) {
		// command_env is plain: its values stay readable in errors.
		h.cfg.CommandEnv = map[string]string{"REGISTRY_USER": "deployer"}
		h.cfg.CommandSecretEnv = map[string]string{"TOKEN": secret}
		h.cfg.RollbackCommand = []string{"/opt/rollback.sh"}
		h.r.exit["upgrade/gw-1"] = CommandResult{ExitCode: 1, Tail: "docker login -u deployer -p " + secret + ": denied"}
		h.r.errs["rollback/gw-1"] = fmt.Errorf("rollback saw %s: %w", secret, context.DeadlineExceeded)
		_, _, err := h.run(t.Context())
		wantError(t, err, "docker login -u deployer -p (sensitive): denied")
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error shows the secret: %v", err)
		}
		if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "rollback saw (sensitive)") {
			t.Errorf("rollback error lost: %v", err)
		}
		for _, e := range h.ev.all() {
			if strings.Contains(e.Message, secret) {
				t.Errorf("event shows the secret: %+v", e)
			}
		}
	})
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Minute: "30m", 2 * time.Hour: "2h", 90 * time.Minute: "1h30m",
		90 * time.Second: "1m30s", 300 * time.Millisecond: "300ms", 0: "0s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
