package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

var update = flag.Bool("update", false, "rewrite testdata/deploy-flags.txt from the command tree")

// deployCommands are the commands that the files under deploy/ run (Kubernetes
// manifests, systemd units, Slurm scripts, the Dockerfile).
var deployCommands = []string{"coordinator", "worker", "submit", "status", "results", "cancel", "version"}

// deployFlagsFile lists the flags of deployCommands, one "COMMAND --NAME TYPE" (or
// "COMMAND -X TYPE" for a shorthand) a line. The deploy tests check every command line
// they find against it, without building the binary.
const deployFlagsFile = "testdata/deploy-flags.txt"

// TestDeployFlagList checks that testdata/deploy-flags.txt lists exactly the flags of the
// command tree; -update rewrites it.
func TestDeployFlagList(t *testing.T) {
	root := newRootCmd()
	var b strings.Builder
	b.WriteString("# The flags of the critsweep commands that deploy/ runs: COMMAND FLAG TYPE.\n")
	b.WriteString("# Generated from the command tree by: go test ./cmd/critsweep -run TestDeployFlagList -update\n")
	for _, name := range deployCommands {
		cmd, _, err := root.Find([]string{name})
		if err != nil || cmd.Name() != name {
			t.Fatalf("no command %q: %v", name, err)
		}
		cmd.InitDefaultHelpFlag()
		add := func(f *pflag.Flag) {
			fmt.Fprintf(&b, "%s --%s %s\n", name, f.Name, f.Value.Type())
			if f.Shorthand != "" {
				fmt.Fprintf(&b, "%s -%s %s\n", name, f.Shorthand, f.Value.Type())
			}
		}
		cmd.Flags().VisitAll(add)
		cmd.InheritedFlags().VisitAll(add)
	}
	got := b.String()
	if *update {
		if err := os.MkdirAll(filepath.Dir(deployFlagsFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(deployFlagsFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(deployFlagsFile)
	if err != nil {
		t.Fatalf("%v; create it with -update", err)
	}
	if got != string(want) {
		t.Errorf("%s is out of date with the commands; rerun with -update and check deploy/ still passes.\ngot:\n%s", deployFlagsFile, got)
	}
}
