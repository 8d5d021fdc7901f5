// Package slurm_test checks the Slurm scripts in this folder without Slurm: bash parses
// them, shellcheck (where installed) finds nothing, their #SBATCH directives come before
// the first command (sbatch ignores the rest), and every critsweep command they run uses
// flags that command has. test/run-slurm-test.sh runs them on a real one-node cluster.
package slurm_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/critsweep/critsweep/internal/deploytest"
)

var scripts = []string{"critsweep-sweep.sbatch", "critsweep-workers.sbatch", "test/run-slurm-test.sh"}

func TestScriptsParse(t *testing.T) {
	for _, s := range scripts {
		if out, err := exec.Command("bash", "-n", s).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", s, err, out)
		}
		info, err := os.Stat(s)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable", s)
		}
	}
}

func TestShellcheck(t *testing.T) {
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("shellcheck is not installed (apt-get install shellcheck)")
	}
	if out, err := exec.Command(shellcheck, scripts...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// TestSbatchDirectives checks that the batch scripts' #SBATCH lines all come before the
// first command, and that each script sets the options it relies on.
func TestSbatchDirectives(t *testing.T) {
	want := map[string][]string{
		"critsweep-sweep.sbatch":   {"--nodes", "--ntasks-per-node", "--cpus-per-task", "--time", "--signal"},
		"critsweep-workers.sbatch": {"--array", "--ntasks", "--cpus-per-task", "--time", "--signal"},
	}
	for name, options := range want {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]string{}
		commands := false
		for i, line := range strings.Split(string(data), "\n") {
			trimmed := strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(trimmed, "#SBATCH"):
				if commands {
					t.Errorf("%s:%d: #SBATCH after the first command is ignored by sbatch", name, i+1)
				}
				opt, value, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(trimmed, "#SBATCH")), "=")
				seen[opt] = value
			case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			default:
				commands = true
			}
		}
		for _, opt := range options {
			if _, ok := seen[opt]; !ok {
				t.Errorf("%s sets no #SBATCH %s", name, opt)
			}
		}
		// Graceful stop before the time limit: the signal goes to the batch shell (B:).
		if sig := seen["--signal"]; !strings.HasPrefix(sig, "B:TERM@") {
			t.Errorf("%s: #SBATCH --signal=%s, want B:TERM@SECONDS (the script stops the workers)", name, sig)
		}
	}
}

var (
	binCall  = regexp.MustCompile(`"\$bin" ([a-z]+)\b(.*)`)
	flagWord = regexp.MustCompile(`(?:^|\s|\()(--[a-z][a-z-]*)`)
	arrayUse = regexp.MustCompile(`"\$\{([a-z_]+)\[@\]\}"`)
	arrayDef = regexp.MustCompile(`^\s*([a-z_]+)\+?=\((.*)\)`)
)

// TestCritsweepFlags checks every `"$bin" COMMAND …` line of the scripts: the command
// exists, and the flags on the line and in the arrays it expands ("${client[@]}") are
// flags of that command.
func TestCritsweepFlags(t *testing.T) {
	flags, err := deploytest.LoadFlags()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range scripts {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.ReplaceAll(string(data), "\\\n", " "), "\n")
		arrays := map[string][]string{} // array → the flags put in it
		for _, line := range lines {
			if m := arrayDef.FindStringSubmatch(line); m != nil {
				for _, f := range flagWord.FindAllStringSubmatch(m[2], -1) {
					arrays[m[1]] = append(arrays[m[1]], f[1])
				}
			}
		}
		calls := 0
		for i, line := range lines {
			m := binCall.FindStringSubmatch(line)
			if m == nil || strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			calls++
			command, rest := m[1], m[2]
			known := flags[command]
			if known == nil {
				t.Errorf("%s:%d: critsweep has no command %q", name, i+1, command)
				continue
			}
			var used []string
			for _, f := range flagWord.FindAllStringSubmatch(rest, -1) {
				used = append(used, f[1])
			}
			for _, a := range arrayUse.FindAllStringSubmatch(rest, -1) {
				used = append(used, arrays[a[1]]...)
			}
			for _, f := range used {
				if _, ok := known[f]; !ok {
					t.Errorf("%s:%d: critsweep %s has no flag %s", name, i+1, command, f)
				}
			}
		}
		if calls == 0 && filepath.Ext(name) == ".sbatch" {
			t.Errorf("%s: found no critsweep command (\"$bin\" COMMAND)", name)
		}
	}
}
