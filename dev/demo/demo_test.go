package demo

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemo runs `make demo`'s program end to end with the real Terraform
// CLI: every node upgraded, no request failed, no metric lost.
func TestDemo(t *testing.T) {
	terraform := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if os.Getenv("TF_ACC") == "" || terraform == "" {
		t.Skip("acceptance test: set TF_ACC=1 and TF_ACC_TERRAFORM_PATH (make test does)")
	}
	repo, _ := filepath.Abs("../..")
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := Run(ctx, Options{Terraform: terraform, RepoDir: repo, Out: &out,
		DrainTime: 300 * time.Millisecond, RestartTime: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	if len(res.Rollout) != 3 {
		t.Fatalf("last_rollout has %d entries, want 3\n%s", len(res.Rollout), out.String())
	}
	for _, e := range res.Rollout {
		if e.Outcome != "upgraded" || !strings.HasPrefix(e.ToVersion, "10.15.0.7") {
			t.Errorf("node %s: %s to %s, want upgraded to 10.15.0.7", e.Node, e.Outcome, e.ToVersion)
		}
	}
	if res.Traffic.Sent == 0 || res.Traffic.Failed != 0 || res.Lost != 0 || res.Stored == 0 {
		t.Errorf("traffic %+v, stored %d, lost %d: want requests, none failed, metrics flushed, none lost", res.Traffic, res.Stored, res.Lost)
	}
	for _, want := range []string{"Rolling upgrade, node by node", "requests sent:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}
