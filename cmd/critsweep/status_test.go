package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestStatus(t *testing.T) {
	tc := startTestCluster(t, "")
	id := tc.submit(t)

	code, out, errOut := runCLI(t, "status", id, "--coordinator", tc.addr, "--json")
	if code != 0 {
		t.Fatalf("status --json: exit %d, stderr %q", code, errOut)
	}
	var st sweepStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json printed %q: %v", out, err)
	}
	want := sweepStatus{SweepID: id, Name: "cli test", State: "running", Total: 4, Pending: 4}
	if st != want {
		t.Errorf("status --json = %+v, want %+v (no ETA before any completion)", st, want)
	}
	for _, field := range []string{`"total"`, `"pending"`, `"leased"`, `"done"`, `"failed"`, `"cancelled"`, `"done_per_second"`, `"eta_seconds":null`} {
		if !strings.Contains(out, field) {
			t.Errorf("status --json %q lacks %s", out, field)
		}
	}

	tc.finish(t, id)
	code, out, _ = runCLI(t, "status", id, "--coordinator", tc.addr, "--json")
	st = sweepStatus{}
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil {
		t.Fatalf("status --json = (%d, %q): %v", code, out, err)
	}
	if st.State != "finished" || st.Done != 4 || st.ETASeconds == nil || *st.ETASeconds != 0 {
		t.Errorf("status after the sweep = %+v, want finished, 4 done, ETA 0", st)
	}

	code, out, errOut = runCLI(t, "status", id, "--coordinator", tc.addr)
	if code != 0 || !strings.Contains(out, "PENDING") || !strings.Contains(out, id) || !strings.Contains(out, "finished") {
		t.Errorf("status (text) = (%d, %q), stderr %q", code, out, errOut)
	}
}

func TestStatusAllSweeps(t *testing.T) {
	tc := startTestCluster(t, "")
	code, out, _ := runCLI(t, "status", "--coordinator", tc.addr)
	if code != 0 || out != "no sweeps\n" {
		t.Errorf("status with no sweeps = (%d, %q)", code, out)
	}
	a, b := tc.submit(t), tc.submit(t)
	code, out, errOut := runCLI(t, "status", "--coordinator", tc.addr, "--json")
	var got struct{ Sweeps []sweepStatus }
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("status --json = (%d, %q), stderr %q: %v", code, out, errOut, err)
	}
	if len(got.Sweeps) != 2 || got.Sweeps[0].SweepID != a || got.Sweeps[1].SweepID != b {
		t.Errorf("status --json lists %+v, want %s and %s", got.Sweeps, a, b)
	}
}

func TestStatusUnknownSweep(t *testing.T) {
	tc := startTestCluster(t, "")
	code, out, errOut := runCLI(t, "status", "nope-1", "--coordinator", tc.addr)
	if code != 1 || out != "" || !strings.Contains(errOut, "not found") {
		t.Errorf("status of an unknown sweep = (%d, %q, %q), want exit 1 and \"not found\"", code, out, errOut)
	}
}
