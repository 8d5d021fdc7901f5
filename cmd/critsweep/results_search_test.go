package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/critsweep/critsweep/coordinator"
	"github.com/critsweep/critsweep/query"
)

// TestResultsWhere runs `results --where`, --sort and --columns over two finished sweeps,
// remote and offline.
func TestResultsWhere(t *testing.T) {
	tc := startTestCluster(t, "")
	a := tc.submit(t)
	tc.finish(t, a)
	b := tc.submit(t)
	tc.finish(t, b)

	// Across every sweep: the twisted tasks at β 0.44, newest sweep first.
	code, out, errOut := runCLI(t, "results", "--coordinator", tc.addr, "--where", "boundary = 'twisted' and beta near 0.44",
		"--sort", "sweep_id desc", "--columns", "sweep_id,index,beta,boundary,L")
	if code != 0 {
		t.Fatalf("results --where: exit %d, %s", code, errOut)
	}
	want := "sweep_id,index,beta,boundary,size\n" + b + ",3,0.44,twisted,4\n" + a + ",3,0.44,twisted,4\n"
	if out != want {
		t.Errorf("results --where printed\n%s\nwant\n%s", out, want)
	}

	// The same query offline, as JSON records with their sweep.
	tc.stop()
	code, out, errOut = runCLI(t, "results", a, b, "--db", tc.dbPath, "--where", "size = 4 and binder is not null and index < 2",
		"--format", "json")
	if code != 0 {
		t.Fatalf("results --db --where --format json: exit %d, %s", code, errOut)
	}
	var got struct {
		SweepIDs []string         `json:"sweep_ids"`
		Results  []map[string]any `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("JSON %q: %v", out, err)
	}
	if !slices.Equal(got.SweepIDs, []string{a, b}) || len(got.Results) != 4 || got.Results[0]["sweep_id"] != a || got.Results[3]["sweep_id"] != b {
		t.Errorf("results --format json over two sweeps: %s", out)
	}
	for _, r := range got.Results {
		if _, ok := r["exact"]; !ok || r["index"].(float64) >= 2 {
			t.Errorf("record %v: want index < 2 and the usual fields", r)
		}
	}

	// Several sweeps in CSV: sweep_id leads the usual columns.
	code, out, _ = runCLI(t, "results", "--db", tc.dbPath, "--sort", "-beta,index")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) != 9 || !slices.Equal(rows[0], append([]string{"sweep_id"}, csvHeader...)) {
		t.Fatalf("results of every sweep: exit %d, %d rows, header %v (%v)", code, len(rows), rows[0], err)
	}
	if rows[1][0] != a || rows[1][2] != "0.44" || rows[8][2] != "0.4" {
		t.Errorf("sorted by -beta,index: first %v, last %v", rows[1], rows[8])
	}
}

// TestQueryColumnsMatchResultRecords ties the query columns to the records of `critsweep
// results`: every CSV column is a query column, and each holds the value the CSV prints.
func TestQueryColumnsMatchResultRecords(t *testing.T) {
	tc := startTestCluster(t, "")
	id := tc.submit(t)
	tc.finish(t, id)
	results, err := coordinator.AllResults(context.Background(), tc.c, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range results {
		rec := newResultRecord(tr)
		row := query.NewRow("cli test", tr, resolveSettings)
		for i, name := range csvHeader {
			c, ok := query.Lookup(name)
			if !ok {
				t.Errorf("CSV column %s is not a query column", name)
				continue
			}
			if c.Name != name {
				t.Errorf("CSV column %s is query column %s", name, c.Name)
			}
			if got, want := row.Value(c).String(), rec.csvRow()[i]; got != want {
				t.Errorf("task %d, column %s: query %q, CSV %q", tr.GetRef().GetIndex(), name, got, want)
			}
		}
	}
}

func TestResultsWhereBadInput(t *testing.T) {
	tc := startTestCluster(t, "")
	tc.submit(t)
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"--where", "model = 'potts' and sise >= 16"}, []string{`--where: column 21: unknown column "sise" (did you mean "size"?)`,
			"  model = 'potts' and sise >= 16\n                      ^"}},
		{[]string{"--where", "size > 4 or size < 3"}, []string{"--where: column 10: or is not supported"}},
		{[]string{"--sort", "size sideways"}, []string{`--sort: column 6: expected , or the end of the order after size, found "sideways"`}},
		{[]string{"--columns", "beta,,size"}, []string{"--columns: column 6: expected a column name"}},
	} {
		code, out, errOut := runCLI(t, append([]string{"results", "--coordinator", tc.addr}, tt.args...)...)
		if code != 2 || out != "" {
			t.Errorf("results %v = (%d, %q), want exit 2 and nothing on stdout", tt.args, code, out)
		}
		mustSay(t, "stderr", errOut, tt.want)
	}
	code, _, errOut := runCLI(t, "results", "nope-1", "other-2", "--coordinator", tc.addr, "--where", "size = 4")
	if code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("results of unknown sweeps = (%d, %q), want exit 1 and not found", code, errOut)
	}
}
