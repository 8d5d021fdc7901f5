package analysis

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// TestWriteCSV compares WriteCSV with testdata/results.csv (rewrite it with -update after
// a deliberate change) and checks that the CSV reads back: one row per task, every
// number exact, absent values empty.
func TestWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, testResults()); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "results.csv")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != string(want) {
		t.Errorf("WriteCSV:\n%s\nwant (%s):\n%s", got, golden, want)
	}

	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want header + 2", len(rows))
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		if _, dup := col[name]; dup {
			t.Errorf("column %q twice", name)
		}
		col[name] = i
	}
	for _, name := range []string{"beta", "size", "tau", "boundary", "ln_lambda_per_site", "ln_lambda_per_site_stderr",
		"m2", "m2_stderr", "m4", "m4_stderr", "binder", "binder_stderr", "xi_over_l", "xi_over_l_stderr",
		"bulk_binder", "bulk_binder_stderr", "bulk_xi_over_l", "exact_ln_lambda_per_site", "exact_binder",
		"exact_bulk_binder", "exact_tv_distance", "exact_kl_exact_model", "steps", "seconds", "attempts"} {
		if _, ok := col[name]; !ok {
			t.Errorf("no column %q", name)
		}
	}
	cell := func(row int, name string) string { return rows[row][col[name]] }
	if v, err := strconv.ParseFloat(cell(1, "exact_ln_lambda_per_site"), 64); err != nil || v != 0.9338245734102629 {
		t.Errorf("exact_ln_lambda_per_site reads back as %v, %v", v, err)
	}
	tests := []struct {
		row        int
		name, want string
	}{
		{1, "boundary", "periodic"},
		{1, "size", "8"},
		{1, "attempts", "2"},
		{1, "bulk_binder_stderr", "0.005"},
		{2, "boundary", "twisted"},
		{2, "ln_lambda_per_site_stderr", "2e-05"},
		{2, "binder", ""},
		{2, "bulk_binder", ""},
		{2, "exact_ln_lambda_per_site", ""},
		{2, "steps", "4000"},
	}
	for _, tc := range tests {
		if got := cell(tc.row, tc.name); got != tc.want {
			t.Errorf("row %d %s = %q, want %q", tc.row, tc.name, got, tc.want)
		}
	}
}
