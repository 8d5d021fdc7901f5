package spec

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Run the fuzz target with
//
//	go test -run '^$' -fuzz FuzzParseSpec -fuzztime 5m ./spec
//
// Its seed corpus lives in testdata/fuzz/FuzzParseSpec.

// FuzzParseSpec parses arbitrary YAML as a sweep spec. An accepted spec must validate
// and expand; a refused one must wrap ErrInvalid.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{
		"name: x\nmodel: {kind: ising}\ngrid: {beta: [0.44], size: [4], tau: [1.0]}\ntraining: {steps: 10, batch: 16, learning_rate: 1e-3}\n",
		"name: ising-critical\nmodel: {kind: ising}\nboundary: [periodic, twisted]\ngrid:\n  beta: {from: 0.40, to: 0.48, step: 0.005}\n  size: [6, 8, 10, 12, 16]\n  tau: [1.0]\nnetwork: {hidden: [32, 32]}\ntraining: {objective: default, steps: 4000, batch: 256, learning_rate: 1e-3, seed: 1}\n",
		"name: potts\nmodel: {kind: potts, q: 3}\nboundary: twisted\ngrid: {beta: 1.0, size: {from: 4, to: 8, step: 2}, tau: 0.5}\ntraining: {objective: gumbel-rkl, steps: 5, batch: 4, learning_rate: 1e-2}\n",
		"name: c\nmodel: {kind: custom, bond_weight: [[2.0, 0.5], [0.5, 2.0]]}\ngrid: {beta: [1], size: [3], tau: [1]}\ntraining: {steps: 1, batch: 1, learning_rate: 1}\nmax_attempts: 5\n",
		"{\"name\": \"json\", \"model\": {\"kind\": \"clock\", \"q\": 4}, \"grid\": {\"beta\": [0.5], \"size\": [2], \"tau\": [1]}, \"training\": {\"steps\": 1, \"batch\": 1, \"learning_rate\": 0.1}}",
		"name: bad\nmodel: {kind: ising}\ngrid: {beta: [], size: [1], tau: [-1, 2]}\ntraining: {steps: 0}\n",
		"a: &a [*a]\n",
		"---\n---\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse error does not wrap ErrInvalid: %v", err)
			}
			if spec != nil {
				t.Fatalf("Parse returned a spec with its error %v", err)
			}
			return
		}
		if err := Validate(spec, 0); err != nil {
			t.Fatalf("Parse accepted a spec that Validate refuses: %v", err)
		}
		specs, err := Expand(spec)
		if err != nil {
			t.Fatalf("Expand of an accepted spec: %v", err)
		}
		if b := len(Boundaries(spec)); len(specs) == 0 || len(specs) > MaxTasks*b {
			t.Fatalf("accepted spec expands to %d tasks", len(specs))
		}
	})
}

// TestFuzzSeedCorpusExists keeps the committed corpus directory from being dropped
// unnoticed: the fuzz target's regression inputs live there.
func TestFuzzSeedCorpusExists(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", "FuzzParseSpec"))
	if err != nil || len(entries) == 0 {
		t.Errorf("testdata/fuzz/FuzzParseSpec: no committed seed corpus (%v)", err)
	}
}
