package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCLI runs the command line args in-process and returns the exit code and both outputs.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelpListsCommands(t *testing.T) {
	code, out, _ := runCLI(t, "--help")
	if code != 0 {
		t.Fatalf("critsweep --help: exit code %d, want 0", code)
	}
	for _, name := range []string{"version", "exact"} {
		if !strings.Contains(out, name) {
			t.Errorf("critsweep --help does not list %q:\n%s", name, out)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	if code != 0 || !strings.HasPrefix(out, "critsweep ") {
		t.Fatalf("critsweep version = (%d, %q), want exit 0 and a line starting with \"critsweep \"", code, out)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	tests := [][]string{
		{"--no-such-flag"},
		{"version", "--no-such-flag"},
		{"version", "extra-argument"},
		{"no-such-command"},
	}
	for _, args := range tests {
		code, _, errOut := runCLI(t, args...)
		if code != 2 {
			t.Errorf("critsweep %s: exit code %d, want 2 (stderr %q)", strings.Join(args, " "), code, errOut)
		}
	}
}
