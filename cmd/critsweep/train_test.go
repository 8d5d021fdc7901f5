package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// small is a quick training run: tiny network, few steps and samples.
var small = []string{"train", "--model", "ising", "--beta", "0.44", "-L", "4", "--hidden", "6", "--steps", "30", "--batch", "32", "--samples", "500", "--draws", "4096", "--quiet", "--json"}

func TestTrainJSON(t *testing.T) {
	code, out, errOut := runCLI(t, small...)
	if code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	for _, k := range []string{"ln_lambda_per_site", "ln_lambda_per_site_stderr", "m2", "m4", "binder", "steps", "seconds", "exact"} {
		if _, ok := got[k]; !ok {
			t.Errorf("--json output lacks %q: %s", k, out)
		}
	}
	exact, _ := got["exact"].(map[string]any)
	for _, k := range []string{"ln_lambda_per_site", "m2", "m4", "binder", "tv_distance", "kl_exact_model"} {
		if _, ok := exact[k]; !ok {
			t.Errorf("exact block lacks %q: %v", k, exact)
		}
	}
	if got["tau"] != nil {
		t.Errorf("tau = %v for the default objective, want null", got["tau"])
	}
}

// TestTrainSameSeedSameJSON: the same seed gives the same output, bit for bit, wall time
// aside.
func TestTrainSameSeedSameJSON(t *testing.T) {
	for _, objective := range []string{"default", "gumbel-rkl"} {
		args := append(append([]string(nil), small...), "--objective", objective, "--seed", "5")
		var outs [2]map[string]any
		for i := range outs {
			code, out, errOut := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("%s: exit code %d, stderr %q", objective, code, errOut)
			}
			if err := json.Unmarshal([]byte(out), &outs[i]); err != nil {
				t.Fatal(err)
			}
			delete(outs[i], "seconds")
		}
		a, _ := json.Marshal(outs[0])
		b, _ := json.Marshal(outs[1])
		if string(a) != string(b) {
			t.Errorf("%s: same seed, different output:\n%s\n%s", objective, a, b)
		}
	}
}

func TestTrainBadInput(t *testing.T) {
	base := []string{"train", "--model", "ising", "--beta", "0.44", "-L", "4", "--quiet"}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--hidden", "16,0"}, "--hidden"},
		{[]string{"--hidden", "-3"}, "--hidden"},
		{[]string{"--objective", "gumbel-rkl", "--tau", "0"}, "--tau must be finite and > 0"},
		{[]string{"--objective", "gumbel-rkl", "--tau", "-1"}, "--tau must be finite and > 0"},
		{[]string{"--batch", "0"}, "--batch must be >= 1"},
		{[]string{"--objective", "magic"}, "--objective must be one of default, gumbel-rkl"},
		{[]string{"--tau", "0.3,1"}, `objective "default" does not use τ`},
		{[]string{"--objective", "gumbel-rkl", "--tau", "0.3,1"}, "give one τ"},
		{[]string{"--steps", "0"}, "--steps must be >= 1"},
		{[]string{"--lr", "-1"}, "--lr must be finite and > 0"},
	}
	for _, tc := range tests {
		args := append(append([]string(nil), base...), tc.args...)
		code, _, errOut := runCLI(t, args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("critsweep %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(args, " "), code, errOut, tc.want)
		}
	}
}

func TestTrainTauNote(t *testing.T) {
	args := append(append([]string(nil), small...), "--tau", "0.5")
	code, _, errOut := runCLI(t, args...)
	if code != 0 || !strings.Contains(errOut, `objective "default" does not use τ`) {
		t.Errorf("exit %d, stderr %q: want a note that the default objective ignores τ", code, errOut)
	}
}
