package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/critsweep/critsweep/coordinator"
)

func TestResults(t *testing.T) {
	tc := startTestCluster(t, "")
	id := tc.submit(t)
	tc.finish(t, id)
	stored, err := coordinator.AllResults(context.Background(), tc.c, id)
	if err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCLI(t, "results", id, "--coordinator", tc.addr)
	if code != 0 {
		t.Fatalf("results: exit %d, stderr %q", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("results printed bad CSV %q: %v", out, err)
	}
	if len(rows) != 5 || !slices.Equal(rows[0], csvHeader) {
		t.Fatalf("results CSV has %d rows, header %q; want a header and 4 rows", len(rows), rows[0])
	}
	col := func(name string) int { return slices.Index(csvHeader, name) }
	for i, row := range rows[1:] {
		want := stored[i].GetResult()
		if got, _ := strconv.ParseFloat(row[col("ln_lambda_per_site")], 64); got != want.GetLnLambdaPerSite().GetValue() {
			t.Errorf("row %d: ln_lambda_per_site %v, stored %v", i, got, want.GetLnLambdaPerSite().GetValue())
		}
		if row[col("attempts")] != "1" || row[col("size")] != "4" || row[col("exact_tv_distance")] == "" || row[col("hidden")] != "4" {
			t.Errorf("row %d = %q: want attempts 1, size 4, hidden 4 and an exact comparison", i, row)
		}
	}

	code, out, errOut = runCLI(t, "results", id, "--coordinator", tc.addr, "--format", "json")
	if code != 0 {
		t.Fatalf("results --format json: exit %d, stderr %q", code, errOut)
	}
	var got struct {
		SweepID string           `json:"sweep_id"`
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("results --format json printed %q: %v", out, err)
	}
	if got.SweepID != id || len(got.Results) != 4 {
		t.Fatalf("results --format json: sweep %q with %d results, want %s with 4", got.SweepID, len(got.Results), id)
	}
	for _, field := range []string{"beta", "size", "tau", "boundary", "ln_lambda_per_site", "ln_lambda_per_site_stderr",
		"m2", "m2_stderr", "m4", "m4_stderr", "binder", "binder_stderr", "xi_over_l", "xi_over_l_stderr", "steps", "seconds", "exact", "attempts"} {
		if _, ok := got.Results[0][field]; !ok {
			t.Errorf("results --format json record lacks %q: %v", field, got.Results[0])
		}
	}
	if b := got.Results[1]["boundary"]; b != "twisted" {
		t.Errorf("second record's boundary = %v, want twisted", b)
	}
}

func TestResultsBadInput(t *testing.T) {
	tc := startTestCluster(t, "")
	id := tc.submit(t)
	if code, _, errOut := runCLI(t, "results", id, "--coordinator", tc.addr, "--format", "xml"); code != 2 || !strings.Contains(errOut, "--format") {
		t.Errorf("results --format xml = (%d, %q), want exit 2 naming --format", code, errOut)
	}
	if code, _, errOut := runCLI(t, "results", "nope-1", "--coordinator", tc.addr); code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("results of an unknown sweep = (%d, %q), want exit 1 and \"not found\"", code, errOut)
	}
	if code, out, _ := runCLI(t, "results", id, "--coordinator", tc.addr); code != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("results of a sweep with nothing done = (%d, %q), want the header alone", code, out)
	}
}
