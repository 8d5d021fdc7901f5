package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/critsweep/critsweep/internal/proctest"
	"github.com/critsweep/critsweep/store"
)

// quickSweep is a sweep small enough for a test: two sizes, five β, both seams.
const quickSweep = `name: quick
model: {kind: ising}
boundary: [periodic, twisted]
grid:
  beta: {from: 0.40, to: 0.48, step: 0.02}
  size: [4, 6]
  tau: [1.0]
network: {hidden: [6]}
training: {objective: default, steps: 200, batch: 64, learning_rate: 1e-3, seed: 1, estimate_samples: 2048, estimate_draws: 8192}
`

// TestRunInterruptAndResume interrupts `critsweep run` once some tasks are done, runs it
// again, and checks that the second run resumes (and says so) instead of starting over,
// ends with β_c, the CSV and the plots, and leaves a sound database with one result per
// task.
func TestRunInterruptAndResume(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "quick.yaml")
	if err := os.WriteFile(spec, []byte(quickSweep), 0o600); err != nil {
		t.Fatal(err)
	}
	db, out := filepath.Join(dir, "sweep.db"), filepath.Join(dir, "out")
	args := []string{"run", "--spec", spec, "--db", db, "--out", out, "--workers", "1"}

	// First run: interrupted as soon as the progress bar shows a task done (as Ctrl-C
	// would).
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr proctest.Buffer
	code := make(chan int, 1)
	go func() { code <- runCLIContext(ctx, &stdout, &stderr, args...) }()
	deadline := time.Now().Add(60 * time.Second)
	for barCount(stderr.String()) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no task done within 60 s; stderr:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The run serves its dashboard and says where.
	dash := regexp.MustCompile(`dashboard: (http://\S+/)#/sweeps/(\S+)`).FindStringSubmatch(stderr.String())
	if dash == nil {
		t.Errorf("run does not print its dashboard's URL; stderr:\n%s", stderr.String())
	} else if resp, err := http.Get(dash[1] + "api/v1/sweeps/" + dash[2] + "?analysis=false"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("the run's dashboard at %s: %v %v", dash[1], resp, err)
	} else {
		resp.Body.Close()
	}
	cancel()
	if c := <-code; c == 0 {
		t.Fatalf("interrupted run exited 0; stderr:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("interrupted run does not say so; stderr:\n%s", stderr.String())
	}
	before := barCount(stderr.String())
	if before == 20 {
		t.Skip("the whole sweep finished before the interrupt; nothing to resume")
	}

	// Second run: resumes, says how much was already done, and finishes.
	var stdout2, stderr2 proctest.Buffer
	if c := runCLIContext(context.Background(), &stdout2, &stderr2, append(args, "--json")...); c != 0 {
		t.Fatalf("second run: exit %d; stderr:\n%s", c, stderr2.String())
	}
	m := regexp.MustCompile(`resuming sweep \S+ in \S+: (\d+) of 20 tasks already done`).FindStringSubmatch(stderr2.String())
	if m == nil {
		t.Fatalf("second run does not say it resumes; stderr:\n%s", stderr2.String())
	}
	if n, _ := strconv.Atoi(m[1]); n < before {
		t.Errorf("second run found %d tasks done, the first had finished %d", n, before)
	}
	var got struct {
		BetaC       float64           `json:"beta_c"`
		BetaCStderr float64           `json:"beta_c_stderr"`
		Crossings   []json.RawMessage `json:"crossings"`
	}
	if err := json.Unmarshal([]byte(stdout2.String()), &got); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout2.String())
	}
	if got.BetaC < 0.40 || got.BetaC > 0.48 || !(got.BetaCStderr > 0) || len(got.Crossings) == 0 {
		t.Errorf("β_c = %v ± %v with %d crossings; want a crossing inside the grid", got.BetaC, got.BetaCStderr, len(got.Crossings))
	}
	for _, name := range []string{"results.csv", "sigma.png", "sigma.svg", "extrapolation.png", "binder.png", "ln_lambda.png"} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(out, "results.csv"))
	if rows := strings.Count(strings.TrimSpace(string(csv)), "\n"); rows != 20 {
		t.Errorf("results.csv has %d rows, want 20", rows)
	}
	if err := store.CheckFile(db); err != nil {
		t.Errorf("database check: %v", err)
	}

	// analyze reads the same sweep offline and agrees with run.
	plots := filepath.Join(dir, "plots")
	code2, aout, aerr := runCLI(t, "analyze", "quick-1", "--db", db, "--json", "--plot", plots)
	var again struct {
		BetaC float64 `json:"beta_c"`
	}
	if code2 != 0 || json.Unmarshal([]byte(aout), &again) != nil || again.BetaC != got.BetaC {
		t.Errorf("analyze: exit %d, β_c %v (run said %v); stderr %q", code2, again.BetaC, got.BetaC, aerr)
	}
	if _, err := os.Stat(filepath.Join(plots, "sigma.png")); err != nil {
		t.Errorf("analyze --plot: %v", err)
	}
	if code, _, errOut := runCLI(t, "analyze", "no-such-sweep", "--db", db); code == 0 {
		t.Errorf("analyze of an unknown sweep exits 0; stderr %q", errOut)
	}

	// A third run finds the sweep complete and trains nothing.
	var stdout3, stderr3 proctest.Buffer
	if c := runCLIContext(context.Background(), &stdout3, &stderr3, args...); c != 0 || !strings.Contains(stderr3.String(), "nothing to train") {
		t.Errorf("third run: exit %d, stderr %q; want the sweep found complete", c, stderr3.String())
	}
}

// barCount is the number of tasks the last progress bar line of stderr shows done.
func barCount(stderr string) int {
	m := regexp.MustCompile(`\((\d+)/\d+\)`).FindAllStringSubmatch(stderr, -1)
	if len(m) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(m[len(m)-1][1])
	return n
}

func TestSlotsAndThreads(t *testing.T) {
	for _, tc := range []struct{ slots, threads, cores, open, wantSlots, wantThreads int }{
		{0, 0, 2, 30, 2, 1},
		{0, 0, 2, 1, 1, 2},
		{0, 0, 64, 20, 20, 3},
		{0, 0, 8, 0, 1, 8},
		{3, 0, 8, 30, 3, 2},
		{0, 4, 8, 30, 8, 4},
		{5, 5, 2, 1, 5, 5},
	} {
		s, th := slotsAndThreads(tc.slots, tc.threads, tc.cores, tc.open)
		if s != tc.wantSlots || th != tc.wantThreads {
			t.Errorf("slotsAndThreads(%d, %d, %d cores, %d open) = %d × %d, want %d × %d", tc.slots, tc.threads, tc.cores, tc.open, s, th, tc.wantSlots, tc.wantThreads)
		}
	}
}
