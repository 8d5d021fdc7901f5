package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/critsweep/critsweep/statmech"
)

// execExact runs `critsweep exact` with args and returns its stdout and error.
func execExact(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newExactCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.Execute()
	return out.String(), err
}

func TestExactJSON(t *testing.T) {
	kaufman, _ := statmech.KaufmanLogLambda(0.44, 4, statmech.Periodic)
	tests := []struct {
		name   string
		args   []string
		model  string
		q      int
		method string
		// wantPerSite, if not zero, is the expected ln λ / L.
		wantPerSite float64
		bulk        bool
	}{
		{"ising", []string{"--model", "ising", "--beta", "0.44068679350977151", "-L", "8"}, "ising", 2, "kaufman", 0.9338245734, true},
		{"ising-twisted", []string{"--beta", "0.7", "--size", "6", "--boundary", "twisted"}, "ising", 2, "kaufman", 0, true},
		{"potts", []string{"--model", "potts", "--q", "3", "--beta", "1", "-L", "6"}, "potts", 3, "power", 0, true},
		{"clock", []string{"--model", "clock", "--q", "4", "--beta", "1.1", "-L", "5"}, "clock", 4, "power", 0, true},
		{"custom", []string{"--model", "custom", "--bond-weight", "2, 0.5; 0.7, 1.5", "-L", "6"}, "custom", 2, "power", 0, false},
		{"ising-anisotropic", []string{"--beta", "0.3", "--coupling-ratio", "2", "-L", "6", "--boundary", "twisted"}, "ising", 2, "kaufman", 0, true},
		// U = 0: two Ising models, ln λ twice Kaufman's.
		{"ashkin-teller", []string{"--model", "ashkin-teller", "--four-spin", "0", "--beta", "0.44", "-L", "4"}, "ashkin-teller", 4, "power", kaufman / 2, true},
		{"ashkin-teller-U", []string{"--model", "ashkin-teller", "--four-spin", "0.6", "--beta", "0.3", "-L", "4", "--boundary", "twisted"}, "ashkin-teller", 4, "power", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := execExact(t, append(tc.args, "--json")...)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			dec := json.NewDecoder(strings.NewReader(out))
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
			}
			if dec.More() {
				t.Fatalf("stdout holds more than one JSON value:\n%s", out)
			}
			for _, key := range []string{
				"model", "q", "beta", "size", "boundary", "method", "iterations", "seconds",
				"ln_lambda", "ln_lambda_per_site", "ln_lambda_power",
				"m2", "m4", "binder", "xi_over_l", "bulk_m2", "bulk_m4", "bulk_binder", "bulk_xi_over_l",
			} {
				if _, ok := got[key]; !ok {
					t.Errorf("field %q missing from %s", key, out)
				}
			}
			if got["model"] != tc.model || got["q"] != float64(tc.q) || got["method"] != tc.method {
				t.Errorf("model %v q %v method %v, want %s %d %s", got["model"], got["q"], got["method"], tc.model, tc.q, tc.method)
			}
			ll, _ := got["ln_lambda"].(float64)
			size, _ := got["size"].(float64)
			perSite, _ := got["ln_lambda_per_site"].(float64)
			if math.Abs(perSite-ll/size) > 1e-12 {
				t.Errorf("ln_lambda_per_site %v, ln_lambda/size %v", perSite, ll/size)
			}
			if power, _ := got["ln_lambda_power"].(float64); math.Abs(power-ll) > 1e-9 {
				t.Errorf("ln_lambda %v, power iteration %v", ll, power)
			}
			if tc.wantPerSite != 0 && math.Abs(perSite-tc.wantPerSite) > 1e-10 {
				t.Errorf("ln_lambda_per_site %.12f, want %.10f", perSite, tc.wantPerSite)
			}
			for _, key := range []string{"m2", "m4"} {
				if v, ok := got[key].(float64); !ok || v <= 0 || v > 1 {
					t.Errorf("%s = %v, want a number in (0, 1]", key, got[key])
				}
			}
			if v, ok := got["xi_over_l"].(float64); !ok || v <= 0 {
				t.Errorf("xi_over_l = %v, want a positive number", got["xi_over_l"])
			}
			if tc.bulk {
				if v, ok := got["bulk_m2"].(float64); !ok || v <= 0 || v > 1 {
					t.Errorf("bulk_m2 = %v", got["bulk_m2"])
				}
			} else if got["bulk_m2"] != nil {
				t.Errorf("bulk_m2 = %v for an asymmetric bond weight, want null", got["bulk_m2"])
			}
			if want := map[string]float64{"ising-anisotropic": 2}[tc.name]; want != 0 && got["coupling_ratio"] != want {
				t.Errorf("coupling_ratio %v, want %v", got["coupling_ratio"], want)
			}
			if (tc.model == "ashkin-teller") != (got["four_spin"] != nil) {
				t.Errorf("four_spin %v for model %s", got["four_spin"], tc.model)
			}
			if tc.model == "custom" && (got["beta"] != nil || got["bond_weight"] != "2,0.5;0.7,1.5") {
				t.Errorf("custom: beta %v (want null), bond_weight %v", got["beta"], got["bond_weight"])
			}
		})
	}
}

func TestExactTable(t *testing.T) {
	out, err := execExact(t, "--beta", "0.4", "-L", "6")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("critsweep exact --beta 0.4 -L 6:\n%s", out)
	for _, want := range []string{"ln λ / L", "(kaufman)", "Binder U", "bulk P ∝ Th·p²", "xi / L"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestExactUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-L", "8"}, "--beta is required"},
		{[]string{"--beta", "0", "-L", "8"}, "--beta must be > 0 and finite, got 0"},
		{[]string{"--beta", "-1", "-L", "8"}, "--beta must be > 0 and finite, got -1"},
		{[]string{"--beta", "NaN", "-L", "8"}, "--beta must be > 0 and finite, got NaN"},
		{[]string{"--beta", "1e308", "-L", "8"}, "too large"},
		{[]string{"--beta", "0.4"}, "-L/--size is required"},
		{[]string{"--beta", "0.4", "-L", "1"}, "-L/--size must be in [2, 65536], got 1"},
		{[]string{"--model", "clock", "--q", "2", "--beta", "0.4", "-L", "25"}, "exceeds the exact-enumeration limit of 16777216 states (2^24); use L <= 24"},
		{[]string{"--model", "potts", "--q", "3", "--beta", "1", "-L", "16"}, "use L <= 15"},
		{[]string{"--model", "potts", "--beta", "1", "-L", "4"}, "--q is required for --model potts"},
		{[]string{"--model", "clock", "--q", "1", "--beta", "1", "-L", "4"}, "--q must be in [2, 64] for clock, got 1"},
		{[]string{"--model", "ising", "--q", "3", "--beta", "1", "-L", "4"}, "--q must be 2 or absent for ising, got 3"},
		{[]string{"--model", "heisenberg", "--beta", "1", "-L", "4"}, `--model must be one of ising, potts, clock, ashkin-teller, custom, got "heisenberg"`},
		{[]string{"--beta", "1", "-L", "4", "--boundary", "open"}, `--boundary must be one of periodic, twisted, got "open"`},
		{[]string{"--beta", "1", "-L", "4", "--tol", "0"}, "--tol must be finite and > 0, got 0"},
		{[]string{"--beta", "1", "-L", "4", "--bond-weight", "1,2;2,1"}, "--bond-weight applies only to --model custom"},
		{[]string{"--model", "custom", "-L", "4"}, "--bond-weight is required for --model custom"},
		{[]string{"--model", "custom", "--beta", "1", "--bond-weight", "1,2;2,1", "-L", "4"}, "--beta does not apply to --model custom"},
		{[]string{"--model", "custom", "--bond-weight", "1,x;2,1", "-L", "4"}, `--bond-weight: row 0, entry 1: "x" is not a number`},
		{[]string{"--model", "custom", "--bond-weight", "1,2;2", "-L", "4"}, "--bond-weight: row 1 has 1 entries, want 2: the matrix must be square"},
		{[]string{"--model", "custom", "--bond-weight", "1,-2;2,1", "-L", "4"}, "--bond-weight values[1] must be positive and finite, got -2"},
		{[]string{"--model", "custom", "--q", "3", "--bond-weight", "1,2;2,1", "-L", "4"}, "--q is 3 but --bond-weight is 2×2"},
		{[]string{"--beta", "0.4", "-L", "4", "--four-spin", "0.5"}, "--four-spin applies only to --model ashkin-teller, not ising"},
		{[]string{"--beta", "0.4", "-L", "4", "--coupling-ratio", "-1"}, "--coupling-ratio must be in [0.01, 100] (0 or absent: 1, isotropic), got -1"},
		{[]string{"--beta", "0.4", "-L", "4", "--coupling-ratio", "0"}, "--coupling-ratio must be in [0.01, 100], got 0"},
		{[]string{"--model", "ashkin-teller", "--beta", "0.4", "-L", "4", "--four-spin", "-1"}, "--four-spin must be in (-1, 10] (U ≤ −1 is not ferromagnetic), got -1"},
		{[]string{"--beta", "x", "-L", "4"}, "invalid argument"},
		{[]string{"--beta", "1", "-L", "4", "extra"}, "unknown command"},
	}
	for _, tc := range tests {
		out, err := execExact(t, tc.args...)
		var ue *usageError
		if tc.want == "unknown command" {
			// Positional arguments are refused by cobra.NoArgs; the root command marks that
			// a usage error (markArgErrorsAsUsage).
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("exact %s: error %v, want one containing %q", strings.Join(tc.args, " "), err, tc.want)
			}
			continue
		}
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("exact %s: error %v, want a usage error containing %q", strings.Join(tc.args, " "), err, tc.want)
		}
		if out != "" {
			t.Errorf("exact %s: wrote %q to stdout on error", strings.Join(tc.args, " "), out)
		}
	}
}

// TestExactIsingBeyondEnumeration runs the Ising model at L = 40 (2^40 states): ln λ/L
// comes from Kaufman's closed form, and the observables are absent, not an error.
func TestExactIsingBeyondEnumeration(t *testing.T) {
	code, out, errOut := runCLI(t, "exact", "--model", "ising", "--beta", "0.3", "-L", "40", "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	want, err := statmech.KaufmanLogLambda(0.3, 40, statmech.Periodic)
	if err != nil {
		t.Fatal(err)
	}
	if got["method"] != "kaufman" || got["ln_lambda_per_site"] != want/40 || got["size"] != 40.0 {
		t.Errorf("method %v, ln_lambda_per_site %v, size %v; want kaufman, %v, 40", got["method"], got["ln_lambda_per_site"], got["size"], want/40)
	}
	for _, key := range []string{"m2", "m4", "binder", "xi_over_l", "bulk_m2", "ln_lambda_power"} {
		if v, ok := got[key]; !ok || v != nil {
			t.Errorf("%s = %v, want null (absent)", key, v)
		}
	}
	if s, _ := got["observables_absent"].(string); !strings.Contains(s, "2^40") {
		t.Errorf("observables_absent = %q, want the reason (q^L = 2^40)", s)
	}
}
