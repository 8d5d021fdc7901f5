package layers

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/critsweep/critsweep"

// moduleRoot returns the directory of go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

var backticked = regexp.MustCompile("`([^`]+)`")

// rule is one row of the design's package table.
type rule struct {
	any     bool            // may import any project package
	allowed map[string]bool // else: these, and no other
}

// designRules reads the package table of docs/design.md: for each package, the project
// packages it may import directly or not.
func designRules(t *testing.T, root string) map[string]rule {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "docs", "design.md"))
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]rule{}
	for _, line := range strings.Split(string(data), "\n") {
		cols := strings.Split(line, "|")
		if len(cols) != 5 || !strings.HasPrefix(strings.TrimSpace(cols[1]), "`") {
			continue
		}
		r := rule{allowed: map[string]bool{}}
		switch may := strings.TrimSpace(cols[3]); may {
		case "any":
			r.any = true
		case "none":
		default:
			for _, m := range backticked.FindAllStringSubmatch(may, -1) {
				r.allowed[m[1]] = true
			}
			if len(r.allowed) == 0 {
				t.Fatalf("docs/design.md: cannot read the imports allowed in row %q", line)
			}
		}
		for _, m := range backticked.FindAllStringSubmatch(cols[1], -1) {
			rules[m[1]] = r
		}
	}
	if len(rules) < 10 {
		t.Fatalf("docs/design.md: found %d packages in its table, want the whole module", len(rules))
	}
	return rules
}

// TestImportGraphFollowsDesign checks every package of the module against the design's
// table: each is listed, and imports (directly or through others, test files aside) only
// the project packages its row allows.
func TestImportGraphFollowsDesign(t *testing.T) {
	root := moduleRoot(t)
	rules := designRules(t, root)
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		seen[pkg] = true
		r, ok := rules[pkg]
		if !ok {
			t.Errorf("package %s is not in the package table of docs/design.md: add its row", pkg)
			continue
		}
		if r.any {
			continue
		}
		var bad []string
		for _, dep := range fields[1:] {
			d, ok := strings.CutPrefix(dep, module+"/")
			if ok && !r.allowed[d] {
				bad = append(bad, d)
			}
		}
		if len(bad) > 0 {
			sort.Strings(bad)
			t.Errorf("%s imports %s, which docs/design.md does not allow it (allowed: %s)", pkg, strings.Join(bad, ", "), keys(r.allowed))
		}
	}
	for pkg := range rules {
		if !seen[pkg] {
			t.Errorf("docs/design.md lists %s, which is not a package of the module", pkg)
		}
	}
}

func keys(m map[string]bool) string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	if len(k) == 0 {
		return "none"
	}
	slices.Sort(k)
	return strings.Join(k, ", ")
}
