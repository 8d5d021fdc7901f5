package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSpecInitIsAValidSpec checks that spec init's template passes spec check.
func TestSpecInitIsAValidSpec(t *testing.T) {
	code, out, errOut := runCLI(t, "spec", "init")
	if code != 0 || errOut != "" {
		t.Fatalf("spec init: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"name:", "model:", "grid:", "# boundary:", "# training:", "steps:", "learning_rate:", "max_attempts:"} {
		if !strings.Contains(out, want) {
			t.Errorf("the template lacks %q:\n%s", want, out)
		}
	}
	path := writeFile(t, "template.yaml", out)
	code, out, errOut = runCLI(t, "spec", "check", path, "--json")
	if code != 0 {
		t.Fatalf("spec check of the template: exit %d, stderr %q", code, errOut)
	}
	var got specCheckResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	// 4 β × 3 L × both seams.
	if got.Tasks != 24 || len(got.Sizes) != 3 || got.FLOP <= 0 || got.CoreHours <= 0 {
		t.Errorf("spec check of the template = %+v, want 24 tasks over 3 sizes with a cost", got)
	}
}

// TestSpecCheck checks the minimal spec and a bad one.
func TestSpecCheck(t *testing.T) {
	minimal := writeFile(t, "minimal.yaml", "name: minimal\nmodel: {kind: ising}\ngrid: {beta: [0.44], size: [4]}\n")
	code, out, errOut := runCLI(t, "spec", "check", minimal)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"valid sweep spec", "2 tasks", "periodic twisted", "core-minutes", "τ = 0 means"} {
		if !strings.Contains(out, want) {
			t.Errorf("spec check output lacks %q:\n%s", want, out)
		}
	}
	bad := writeFile(t, "bad.yaml", "name: bad\nmodel: {kind: ising}\ngrid: {beta: [0.44], size: [1]}\n")
	code, out, errOut = runCLI(t, "spec", "check", bad)
	if code != 2 || out != "" || !strings.Contains(errOut, "grid.size[0]") {
		t.Errorf("spec check of a bad spec: exit %d, stdout %q, stderr %q; want exit 2 naming grid.size[0]", code, out, errOut)
	}
}

// TestSpecCheckExamples checks the worked specs of docs/examples: each is valid, and the
// anisotropic Ising one makes 378 tasks in 3 slices along its coupling_ratio axis.
func TestSpecCheckExamples(t *testing.T) {
	for _, tc := range []struct {
		file          string
		tasks, slices int
	}{
		{"../../docs/examples/anisotropic-ising.yaml", 378, 3},
		{"../../docs/examples/anisotropic-ising-tiny.yaml", 108, 3},
	} {
		code, out, errOut := runCLI(t, "spec", "check", tc.file, "--json")
		if code != 0 {
			t.Fatalf("spec check %s: exit %d, stderr %q", tc.file, code, errOut)
		}
		var got specCheckResult
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		if got.Tasks != tc.tasks || got.Slices != tc.slices || len(got.Axes["coupling_ratio"]) != 3 {
			t.Errorf("%s: %d tasks, %d slices, axes %v; want %d tasks in %d slices along coupling_ratio", tc.file, got.Tasks, got.Slices, got.Axes, tc.tasks, tc.slices)
		}
	}
}
