package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestShipsNoDevTools: the provider binary is built from main.go and
// internal/ alone; dev/ (the simulator, the harnesses and their commands)
// never ships, so nothing the binary links may come from there.
func TestShipsNoDevTools(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps .: %v\n%s", err, out)
	}
	const module = "github.com/gwops/terraform-provider-apigw"
	var own int
	for _, pkg := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(pkg, module+"/dev/"):
			t.Errorf("the provider binary links %s: shipped code must not import dev/", pkg)
		case pkg == module+"/internal/provider":
			own++
		}
	}
	if own != 1 {
		t.Fatalf("go list -deps . does not list %s/internal/provider: the check read the wrong package list\n%s", module, out)
	}
}

// TestArchitectureMatchesTheTree: ARCHITECTURE.md names every package
// under internal/ and dev/, and every such path it names exists, so its
// picture of the tree cannot drift from the tree.
func TestArchitectureMatchesTheTree(t *testing.T) {
	doc, err := os.ReadFile("ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, p := range regexp.MustCompile(`\b(?:internal|dev)/[a-z0-9_/-]*[a-z0-9_-]`).FindAllString(string(doc), -1) {
		named[p] = true
		if _, err := os.Stat(filepath.FromSlash(p)); err != nil {
			t.Errorf("ARCHITECTURE.md names %s, which is not in the tree", p)
		}
	}
	for _, root := range []string{"internal", "dev"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if gofiles, _ := filepath.Glob(filepath.Join(path, "*.go")); len(gofiles) > 0 && !named[filepath.ToSlash(path)] {
				t.Errorf("ARCHITECTURE.md does not name the package %s", filepath.ToSlash(path))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
