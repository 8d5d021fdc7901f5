package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/critsweep/critsweep/store"
)

func TestSubmitPrintsSweepID(t *testing.T) {
	tc := startTestCluster(t, "")
	spec := writeFile(t, "sweep.yaml", testSpec)

	code, out, errOut := runCLI(t, "submit", spec, "--coordinator", tc.addr)
	if code != 0 || out != "cli-test-1\n" {
		t.Fatalf("submit = (%d, %q), want (0, \"cli-test-1\\n\"); stderr %q", code, out, errOut)
	}
	if !strings.Contains(errOut, "4 tasks") {
		t.Errorf("stderr %q does not give the number of tasks", errOut)
	}

	code, out, errOut = runCLI(t, "submit", spec, "--coordinator", tc.addr, "--json")
	if code != 0 {
		t.Fatalf("submit --json: exit %d, stderr %q", code, errOut)
	}
	var got submitResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("submit --json printed %q: %v", out, err)
	}
	if got != (submitResult{SweepID: "cli-test-2", Tasks: 4}) {
		t.Errorf("submit --json = %+v, want sweep cli-test-2 with 4 tasks", got)
	}
}

func TestSubmitRefusesBadInput(t *testing.T) {
	tc := startTestCluster(t, "")
	good := writeFile(t, "good.yaml", testSpec)
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"learning rate", []string{"submit", writeFile(t, "s.yaml", strings.Replace(testSpec, "learning_rate: 1e-2", "learning_rate: -1e-2", 1)), "--coordinator", tc.addr}, "training.learning_rate"},
		{"unknown field", []string{"submit", writeFile(t, "u.yaml", testSpec+"colour: blue\n"), "--coordinator", tc.addr}, "colour"},
		{"beta range", []string{"submit", writeFile(t, "b.yaml", strings.Replace(testSpec, "beta: [0.40, 0.44]", "beta: {from: 0.5, to: 0.4, step: 0.01}", 1)), "--coordinator", tc.addr}, "grid.beta.to"},
		{"no such file", []string{"submit", "/no/such/spec.yaml", "--coordinator", tc.addr}, "no such file"},
		{"no coordinator", []string{"submit", good}, "--coordinator"},
		{"both", []string{"submit", good, "--coordinator", tc.addr, "--db", tc.dbPath}, "not both"},
		{"no spec", []string{"submit", "--coordinator", tc.addr}, "arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != 2 || !strings.Contains(errOut, tt.want) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and stderr naming %q", code, out, errOut, tt.want)
			}
		})
	}
}

func TestSubmitOfflineThenServe(t *testing.T) {
	tc := startTestCluster(t, "")
	tc.stop()
	spec := writeFile(t, "sweep.yaml", testSpec)
	code, out, errOut := runCLI(t, "submit", spec, "--db", tc.dbPath)
	if code != 0 || out != "cli-test-1\n" {
		t.Fatalf("submit --db = (%d, %q), stderr %q", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "status", "cli-test-1", "--db", tc.dbPath, "--json")
	if code != 0 || !strings.Contains(out, `"pending":4`) {
		t.Errorf("status --db after an offline submit = (%d, %q), stderr %q; want 4 pending", code, out, errOut)
	}
}

// TestSubmitMinimalSpecs submits the specs of issue 12 that a new user writes, to a
// coordinator and offline to a database: both are accepted with both seams.
func TestSubmitMinimalSpecs(t *testing.T) {
	tc := startTestCluster(t, "")
	offline := filepath.Join(t.TempDir(), "offline.db")
	db, err := store.Open(offline, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	for i, yaml := range []string{
		"name: minimal\nmodel: {kind: ising}\ngrid: {beta: [0.44], size: [4]}\n",
		"name: minimal\nmodel: {kind: ising}\ngrid: {beta: [0.44], size: [4]}\ntraining: {steps: 400, batch: 64, seed: 3}\n",
	} {
		path := writeFile(t, "minimal.yaml", yaml)
		for _, where := range [][]string{{"--coordinator", tc.addr}, {"--db", offline}} {
			code, out, errOut := runCLI(t, append([]string{"submit", path, "--json"}, where...)...)
			var got submitResult
			if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Tasks != 2 {
				t.Errorf("spec %d, submit %v: exit %d, stdout %q, stderr %q; want 2 tasks", i, where, code, out, errOut)
			}
		}
	}
}
