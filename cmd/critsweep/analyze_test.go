package main

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/statmech"
)

// exactResults are task results carrying Kaufman's exact ln λ/L (stderr 1e-6) of the
// Ising model with coupling ratio r, on both seams, at sizes 6, 8, 10 and β from lo to
// hi, as a sweep with the given τ and coupling-ratio axis value would store them.
func exactResults(t *testing.T, tau, r float64, lo, hi float64) []*critsweepv1.TaskResult {
	var out []*critsweepv1.TaskResult
	for _, L := range []uint32{6, 8, 10} {
		for i := range 17 {
			beta := lo + (hi-lo)*float64(i)/16
			for _, b := range []statmech.Boundary{statmech.Periodic, statmech.Twisted} {
				v, err := statmech.KaufmanAnisotropicLogLambda(beta, beta*r, int(L), b)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, &critsweepv1.TaskResult{
					Spec: &critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "ising"}, Beta: beta, Size: L, Tau: tau,
						Boundary: b.String(), CouplingRatio: r, Training: &critsweepv1.TrainingSpec{Objective: "gumbel-rkl"}},
					Result: &critsweepv1.Result{LnLambdaPerSite: &critsweepv1.Estimate{Value: v / float64(L), Stderr: 1e-6}},
				})
			}
		}
	}
	return out
}

// TestAnalyzeSlices is the gumbel-rkl sweep of issue 14 over τ ∈ {0.3, 1.0} where one τ's
// curves do not cross: the table names that τ and why, the other τ gets its β_c, and the
// JSON has a slice per τ with its status.
func TestAnalyzeSlices(t *testing.T) {
	results := append(exactResults(t, 0.3, 1, 0.30, 0.38), exactResults(t, 1.0, 1, 0.42, 0.46)...)
	sw, err := analyzeResults(results)
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	writeAnalysisTable(&table, sw)
	text := table.String()
	t.Logf("table:\n%s", text)
	for _, want := range []string{"slice J_y/J_x = 1, τ = 0.3", "no β_c (no_crossing)", "σ_6 − σ_8", "stays positive",
		"slice J_y/J_x = 1, τ = 1", "β_c = 0.44", "from the exact β_c = 0.4406868", "ν = ", "c = ", "x = ", "phase boundary along τ"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	var js bytes.Buffer
	if err := writeAnalysisJSON(&js, "gumbel-1", sw, nil); err != nil {
		t.Fatal(err)
	}
	var got struct {
		SweepID string           `json:"sweep_id"`
		BetaC   *float64         `json:"beta_c"`
		Slices  []map[string]any `json:"slices"`
		Phase   map[string]any   `json:"phase_boundary"`
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.SweepID != "gumbel-1" || got.BetaC != nil || len(got.Slices) != 2 || got.Phase["parameter"] != "tau" {
		t.Fatalf("JSON: sweep %q, top-level beta_c %v, %d slices, boundary along %v", got.SweepID, got.BetaC, len(got.Slices), got.Phase["parameter"])
	}
	if s := got.Slices[0]; s["status"] != "no_crossing" || s["beta_c"] != nil || s["params"].(map[string]any)["tau"] != 0.3 {
		t.Errorf("τ = 0.3: %v", s)
	}
	if s := got.Slices[1]; s["status"] != "ok" || math.Abs(s["beta_c"].(float64)-statmech.IsingBetaC) > 1e-3 {
		t.Errorf("τ = 1: status %v, beta_c %v", s["status"], s["beta_c"])
	}

	// One slice: its fields at the top level too.
	sw, err = analyzeResults(exactResults(t, 0, 2, 0.29, 0.32))
	if err != nil {
		t.Fatal(err)
	}
	js.Reset()
	if err := writeAnalysisJSON(&js, "aniso-1", sw, nil); err != nil {
		t.Fatal(err)
	}
	var one map[string]any
	if err := json.Unmarshal(js.Bytes(), &one); err != nil {
		t.Fatal(err)
	}
	exact, _ := statmech.IsingCriticalBeta(2)
	if b, ok := one["beta_c"].(float64); !ok || math.Abs(b-exact) > 2*one["beta_c_error"].(float64) || one["beta_c_stderr"] == nil || one["slices"] == nil {
		t.Errorf("one slice: beta_c %v ± %v (exact %v), stderr %v", one["beta_c"], one["beta_c_error"], exact, one["beta_c_stderr"])
	}
	if one["anisotropy_factor"] == nil || math.Abs(one["central_charge"].(float64)-0.5) > 0.02 {
		t.Errorf("one slice: anisotropy %v, c %v; want ζ given and c ≈ 1/2", one["anisotropy_factor"], one["central_charge"])
	}
}
