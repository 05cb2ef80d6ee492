package layering

import (
	"bufio"
	"go/build"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/hubedge/hubedge"

// exempt are trees of programs and test-only packages: they sit above every
// library package and are not part of the table.
var exempt = []string{"examples", "cmd", "bench", "e2e", "interop", "crashtest"}

func TestReadmeOrder(t *testing.T) {
	root := moduleRoot(t)
	order := readmeOrder(t, filepath.Join(root, "README.md"))
	rank := make(map[string]int, len(order))
	for i, p := range order {
		rank[p] = i
	}
	pkgs := libraryPackages(t, root)
	for _, p := range slices.Sorted(maps.Keys(pkgs)) {
		if isInternal(p) {
			continue
		}
		r, listed := rank[p]
		if !listed {
			t.Errorf("package %s is not in README.md's package table", p)
			continue
		}
		for _, imp := range expand(pkgs, p) {
			ri, ok := rank[imp]
			switch {
			case !ok:
				t.Errorf("%s imports %s, which README.md's package table does not list", p, imp)
			case ri >= r:
				t.Errorf("%s imports %s, which README.md's package table lists below it", p, imp)
			}
		}
	}
	for _, p := range order {
		if _, ok := pkgs[p]; !ok {
			t.Errorf("README.md's package table lists %s, which is not a package", p)
		}
	}
}

// expand returns p's module imports with internal packages replaced by
// what they import, transitively.
func expand(pkgs map[string][]string, p string) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(string)
	walk = func(q string) {
		for _, imp := range pkgs[q] {
			if seen[imp] {
				continue
			}
			seen[imp] = true
			if isInternal(imp) {
				walk(imp)
				continue
			}
			out = append(out, imp)
		}
	}
	walk(p)
	return out
}

func isInternal(p string) bool {
	return p == "internal" || strings.HasPrefix(p, "internal/") || strings.Contains(p, "/internal/") || strings.HasSuffix(p, "/internal")
}

var row = regexp.MustCompile("^\\| \\[`([^`]+)`\\]")

// readmeOrder returns the packages of the table under "## Packages".
func readmeOrder(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var order []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## Packages"
			continue
		}
		if m := row.FindStringSubmatch(line); in && m != nil {
			order = append(order, m[1])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(order) == 0 {
		t.Fatal("README.md has no package table under ## Packages")
	}
	return order
}

// libraryPackages maps each non-main package of the module (outside the
// exempt trees) to the module packages its non-test files import.
func libraryPackages(t *testing.T, root string) map[string][]string {
	pkgs := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if rel != "." && (strings.HasPrefix(name, ".") || name == "testdata" || slices.Contains(exempt, rel)) {
			return filepath.SkipDir
		}
		bp, err := build.ImportDir(path, 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			return err
		}
		if bp.Name == "main" || rel == "." {
			return nil
		}
		var imps []string
		for _, imp := range bp.Imports {
			if q, ok := strings.CutPrefix(imp, module+"/"); ok {
				imps = append(imps, q)
			}
		}
		pkgs[rel] = imps
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}
