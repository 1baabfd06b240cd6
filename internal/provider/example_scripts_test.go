//go:build unix

package provider

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/fakeops"
	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
)

// The example scripts under examples/ run for real here: terraform apply
// with the provider binary runs them as its commands, against a simulated
// cluster, with fakes of the tools they drive (docker, kubectl, ssh; see
// dev/fakeops) first on PATH. The fakes act on the cluster the way the
// real tools act on real nodes, so a script that calls a tool wrongly, out
// of order, or that cannot run again on a resumed apply fails here.

// scriptTest is a simulated cluster, the fake tools, and a Terraform
// working directory whose commands find the fakes first on PATH.
type scriptTest struct {
	*upgradeTest
	w    *tfWorkdir
	fake string // the fakes' directory: world.json, calls.jsonl
}

// newScriptTest starts the cluster and the fakes' world, which knows the
// two fix levels the examples roll between unless it says otherwise.
func newScriptTest(t *testing.T, opts gwsim.Options, world *fakeops.World) *scriptTest {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("the example scripts need bash")
	}
	if world.Versions == nil {
		world.Versions = map[string]string{"10.15.0.5": fromVersion, target: toVersion}
	}
	u := newUpgradeTest(t, opts)
	world.Gwsim, world.ControlURL = u.gwsim, u.cluster.ControlURL()
	dir := t.TempDir()
	bin, err := fakeops.Setup(dir, world)
	if err != nil {
		t.Fatal(err)
	}
	w := newTFWorkdir(t, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), fakeops.EnvDir+"="+dir)
	return &scriptTest{upgradeTest: u, w: w, fake: dir}
}

// perNode builds a map of the fakes' world with one entry for each node of
// an example's three-node cluster: f gives the entry's key (the node's
// host, say) and value.
func perNode[V any](f func(node string) (string, V)) map[string]V {
	out := map[string]V{}
	for i := 1; i <= 3; i++ {
		k, v := f(fmt.Sprintf("gw-%d", i))
		out[k] = v
	}
	return out
}

// exampleScript is the absolute path of a file under examples/.
func exampleScript(t *testing.T, rel string) string {
	t.Helper()
	p, err := tfharness.RepoFile("examples/" + rel)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// calls returns the fakes' record, only the calls of tool when given.
func (s *scriptTest) calls(tool string) []fakeops.Call {
	s.t.Helper()
	all, err := fakeops.Calls(s.fake)
	if err != nil {
		s.t.Fatal(err)
	}
	return slices.DeleteFunc(all, func(c fakeops.Call) bool { return tool != "" && c.Tool != tool })
}

// world changes the fakes' world between two applies.
func (s *scriptTest) world(f func(*fakeops.World)) {
	s.t.Helper()
	if err := fakeops.Update(s.fake, func(w *fakeops.World) error { f(w); return nil }); err != nil {
		s.t.Fatal(err)
	}
}

// readWorld returns the fakes' world as it is now.
func (s *scriptTest) readWorld() *fakeops.World {
	s.t.Helper()
	var out fakeops.World
	s.world(func(w *fakeops.World) { out = *w })
	return &out
}

// applyFails runs terraform apply, which must fail with every one of want
// in its output.
func (s *scriptTest) applyFails(want ...string) string {
	s.t.Helper()
	out, code := s.w.run(applyArgs...)
	if code == 0 {
		s.t.Fatalf("apply succeeded, want it to fail:\n%s", out)
	}
	for _, w := range want {
		if !wrapped(regexp.QuoteMeta(w)).MatchString(out) {
			s.t.Errorf("the failed apply's output lacks %q:\n%s", w, out)
		}
	}
	return out
}

// firstQuiesce is when the first node was asked to quiesce after since.
func (s *scriptTest) firstQuiesce(since time.Time) time.Time {
	for _, e := range s.cluster.Events() {
		if e.Kind == gwsim.EventQuiesceRequested && e.At.After(since) {
			return e.At
		}
	}
	return time.Time{}
}

// checkAllOn fails unless every node reports version.
func (s *scriptTest) checkAllOn(version string) {
	s.t.Helper()
	for n, v := range nodeVersions(s.cluster) {
		if v != version {
			s.t.Errorf("%s runs %s, want %s", n, v, version)
		}
	}
}

// callsMatching are the calls whose line contains every one of subs.
func callsMatching(calls []fakeops.Call, subs ...string) []fakeops.Call {
	return slices.DeleteFunc(slices.Clone(calls), func(c fakeops.Call) bool {
		for _, s := range subs {
			if !strings.Contains(c.Line(), s) {
				return true
			}
		}
		return false
	})
}

// callsSince are the calls made after t.
func callsSince(calls []fakeops.Call, t time.Time) []fakeops.Call {
	return slices.DeleteFunc(slices.Clone(calls), func(c fakeops.Call) bool { return !c.At.After(t) })
}
