package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCancel(t *testing.T) {
	tc := startTestCluster(t, "")
	id := tc.submit(t)
	code, out, errOut := runCLI(t, "cancel", id, "--coordinator", tc.addr)
	if code != 0 || !strings.Contains(out, "4 tasks cancelled") {
		t.Fatalf("cancel = (%d, %q), stderr %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "cancel", id, "--coordinator", tc.addr, "--json")
	var st sweepStatus
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil {
		t.Fatalf("cancel --json again = (%d, %q): %v", code, out, err)
	}
	if st.State != "cancelled" || st.Cancelled != 4 || st.Pending != 0 {
		t.Errorf("status after cancel = %+v, want 4 cancelled", st)
	}
	code, _, errOut = runCLI(t, "cancel", "nope-1", "--coordinator", tc.addr)
	if code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("cancel of an unknown sweep = (%d, %q), want exit 1 and \"not found\"", code, errOut)
	}
}
