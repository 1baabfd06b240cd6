package tfharness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// Module is the repository's Go module; the binaries are built by package
// path, so a build works from any directory inside the repository.
const Module = "github.com/gwops/terraform-provider-apigw"

// ProviderBinary is the provider's executable name, the one Terraform
// looks for in a dev_overrides directory.
const ProviderBinary = "terraform-provider-apigw"

// Binaries are the programs a Terraform run of this repository needs.
type Binaries struct {
	ProviderDir string // holds ProviderBinary, for dev_overrides
	Gwsim       string // the simulator's command, used as upgrade_command
}

// Provider is the path of the provider executable.
func (b Binaries) Provider() string { return filepath.Join(b.ProviderDir, ProviderBinary) }

// Build compiles the provider and the gwsim command into dir, so that
// neither a compile nor `go run` is inside what a run measures.
func Build(ctx context.Context, dir string) (Binaries, error) {
	b := Binaries{ProviderDir: filepath.Join(dir, "provider"), Gwsim: filepath.Join(dir, "gwsim")}
	if err := goBuild(ctx, b.Provider(), Module); err != nil {
		return b, err
	}
	return b, goBuild(ctx, b.Gwsim, Module+"/dev/cmd/gwsim")
}

// BuildGwsim compiles only the gwsim command into dir and returns its path.
func BuildGwsim(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "gwsim")
	return bin, goBuild(ctx, bin, Module+"/dev/cmd/gwsim")
}

func goBuild(ctx context.Context, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// shared holds the binaries built once per test process: many tests of a
// package need them, and a build is seconds. RemoveShared removes them.
var shared struct {
	mu       sync.Mutex
	dir      string
	provider onceBuild
	gwsim    onceBuild
}

type onceBuild struct {
	once sync.Once
	path string
	err  error
}

// get builds with build into the shared directory, once.
func (b *onceBuild) get(build func(dir string) (string, error)) (string, error) {
	b.once.Do(func() {
		dir, err := sharedDir()
		if err == nil {
			b.path, err = build(dir)
		}
		b.err = err
	})
	return b.path, b.err
}

// SharedProviderDir builds the provider at most once per process and
// returns the directory holding it, for dev_overrides.
func SharedProviderDir() (string, error) {
	return shared.provider.get(func(dir string) (string, error) {
		pd := filepath.Join(dir, "provider")
		return pd, goBuild(context.Background(), filepath.Join(pd, ProviderBinary), Module)
	})
}

// SharedGwsim builds the gwsim command at most once per process and
// returns its path.
func SharedGwsim() (string, error) {
	return shared.gwsim.get(func(dir string) (string, error) { return BuildGwsim(context.Background(), dir) })
}

func sharedDir() (string, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.dir == "" {
		dir, err := os.MkdirTemp("", "apigw-tfharness-")
		if err != nil {
			return "", err
		}
		shared.dir = dir
	}
	return shared.dir, nil
}

// RemoveShared removes what SharedProviderDir and SharedGwsim built, once
// the tests are done (RunTests does it).
func RemoveShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
}

// RunTests runs a package's tests (m is its *testing.M), then removes the
// shared binaries, and returns the exit code for TestMain's os.Exit.
func RunTests(m interface{ Run() int }) int {
	code := m.Run()
	RemoveShared()
	return code
}

// TB is the part of testing.TB the Must helpers use, so that this package
// does not import testing (the benchmark and the demo import it too).
type TB interface {
	Helper()
	Fatal(args ...any)
}

// MustProviderDir is SharedProviderDir for a test: a failed build fails it.
func MustProviderDir(t TB) string {
	t.Helper()
	return must(t, SharedProviderDir)
}

// MustGwsim is SharedGwsim for a test: a failed build fails it.
func MustGwsim(t TB) string {
	t.Helper()
	return must(t, SharedGwsim)
}

func must(t TB, get func() (string, error)) string {
	t.Helper()
	p, err := get()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
