package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// prepareTest is a cluster whose upgrade command installs only a fix that
// prepare_command staged, as a real one that finds no download would fail.
type prepareTest struct {
	*upgradeTest
	w            *tfWorkdir
	stage, trace string // staged fixes; the commands' record, one line each
}

func newPrepareTest(t *testing.T) *prepareTest {
	u := newUpgradeTest(t, gwsim.Options{Nodes: 3})
	dir := t.TempDir()
	p := &prepareTest{upgradeTest: u, w: newTFWorkdir(t), stage: filepath.Join(dir, "stage"), trace: filepath.Join(dir, "trace")}
	if err := os.Mkdir(p.stage, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// config renders the resource with prepare_command; failOn names a node
// whose download fails.
func (p *prepareTest) config(failOn string) string {
	prepare := fmt.Sprintf(`echo "prepare $APIGW_NODE_NAME $APIGW_TARGET_VERSION" >> %q; `+
		`if [ "$APIGW_NODE_NAME" = %q ]; then echo "GET fix-7.zip: 404 Not Found" >&2; exit 4; fi; `+
		`echo "$APIGW_TARGET_VERSION" > %q/"$APIGW_NODE_NAME"`, p.trace, failOn, p.stage)
	p.upgrade = []string{"sh", "-c", fmt.Sprintf(`[ -f %q/"$APIGW_NODE_NAME" ] || { echo "fix not staged" >&2; exit 9; }; echo "upgrade $APIGW_NODE_NAME" >> %q; `,
		p.stage, p.trace) + p.restartScript(toVersion)}
	return p.upgradeTest.config(target, fmt.Sprintf(`
  prepare_command     = %s
  prepare_parallelism = 2
`, hclList([]string{"sh", "-c", prepare})))
}

// TestAccRollingUpgrade_prepareCommand: prepare_command stages the fix on
// every node, with the node's variables, before the first node is
// upgraded; upgrade_command then only installs.
func TestAccRollingUpgrade_prepareCommand(t *testing.T) {
	p := newPrepareTest(t)
	p.w.setConfig(p.config(""))
	p.w.mustRun(applyArgs...)

	lines := strings.Split(strings.TrimSpace(readFile(t, p.trace)), "\n")
	if len(lines) != 6 {
		t.Fatalf("commands %q, want 3 prepares and 3 upgrades", lines)
	}
	prepares := slices.Clone(lines[:3])
	slices.Sort(prepares)
	want := []string{"prepare gw-1 " + target, "prepare gw-2 " + target, "prepare gw-3 " + target}
	if !slices.Equal(prepares, want) || !slices.Equal(lines[3:], []string{"upgrade gw-1", "upgrade gw-2", "upgrade gw-3"}) {
		t.Errorf("commands ran in this order: %q; want every prepare before the first upgrade", lines)
	}
	for n, v := range nodeVersions(p.cluster) {
		if v != toVersion {
			t.Errorf("%s runs %s, want %s", n, v, toVersion)
		}
	}
}

// TestAccRollingUpgrade_prepareFailure: the download fails for gw-2. The
// apply stops before any node is quiesced, and the error names the node,
// the attribute and the command's output.
func TestAccRollingUpgrade_prepareFailure(t *testing.T) {
	p := newPrepareTest(t)
	p.w.setConfig(p.config("gw-2"))
	out, code := p.w.run(applyArgs...)
	if code == 0 {
		t.Fatalf("apply succeeded, want prepare_command to fail on gw-2:\n%s", out)
	}
	for _, want := range []string{
		`Error: Rolling upgrade stopped: prepare_command failed, no node was touched`,
		`prepare_command = [`, // Terraform shows the attribute the error is attached to
		`node "gw-2": prepare_command failed: command "prepare" (sh) exited with status 4: GET fix-7.zip: 404 Not Found`,
		`No node was taken out of service`,
		`gw-1: not started`,
	} {
		if !wrapped(regexp.QuoteMeta(want)).MatchString(out) {
			t.Errorf("the failed apply's output lacks %q:\n%s", want, out)
		}
	}
	if n := countEvents(p.cluster, gwsim.EventQuiesceRequested); len(n) != 0 {
		t.Errorf("nodes were quiesced: %v", n)
	}
	if strings.Contains(readFile(t, p.trace), "upgrade ") {
		t.Errorf("upgrade_command ran:\n%s", readFile(t, p.trace))
	}
	for n, v := range nodeVersions(p.cluster) {
		if v != fromVersion {
			t.Errorf("%s runs %s, want it untouched on %s", n, v, fromVersion)
		}
	}
}
