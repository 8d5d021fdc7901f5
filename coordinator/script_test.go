package coordinator

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/store"
)

// The lease scenarios live in testdata/scripts/*.txt, in the style of etcd's datadriven
// tests: a command line, "----", the output it must print, a blank line. Run
//
//	go test ./coordinator/ -run TestScripts -rewrite
//
// to rewrite the expected outputs from what the code prints (then read the diff).
var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata scripts")

// fakeClock is a Clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// openTestDB opens a store in t.TempDir and checks it with store.Check when the test
// ends. Tests of decisions do not need fsync; the benchmark and durability tests sync.
func openTestDB(t testing.TB, o *store.Options) *store.DB {
	t.Helper()
	if o == nil {
		o = &store.Options{NoSync: true, MaxBatchDelay: 100 * time.Microsecond}
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "critsweep.db"), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("store check after test: %v", err)
		}
		db.Close()
	})
	return db
}

func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/scripts/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			runScript(t, file)
		})
	}
}

// scriptCase is one command of a script and its expected output.
type scriptCase struct {
	line int
	cmd  string
	want string
}

func parseScript(t *testing.T, file string) (cases []scriptCase, comments map[int][]string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	comments = map[int][]string{}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			comments[len(cases)] = append(comments[len(cases)], l)
			continue
		}
		c := scriptCase{line: i + 1, cmd: l}
		if i+1 >= len(lines) || lines[i+1] != "----" {
			t.Fatalf("%s:%d: command without ---- after it", file, i+1)
		}
		i += 2
		var out []string
		for ; i < len(lines) && lines[i] != ""; i++ {
			out = append(out, lines[i])
		}
		c.want = strings.Join(out, "\n")
		cases = append(cases, c)
	}
	return cases, comments
}

func runScript(t *testing.T, file string) {
	cases, comments := parseScript(t, file)
	h := newHarness(t)
	var b strings.Builder
	for i, c := range cases {
		for _, l := range comments[i] {
			b.WriteString(l + "\n")
		}
		got := strings.TrimRight(h.run(c.cmd), "\n")
		if *rewrite {
			fmt.Fprintf(&b, "%s\n----\n%s\n\n", c.cmd, got)
			continue
		}
		if got != c.want {
			t.Errorf("%s:%d: %s\ngot:\n%s\nwant:\n%s", file, c.line, c.cmd, got, c.want)
		}
	}
	if *rewrite {
		for _, l := range comments[len(cases)] {
			if strings.TrimSpace(l) != "" {
				b.WriteString(l + "\n")
			}
		}
		if err := os.WriteFile(file, []byte(strings.TrimRight(b.String(), "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// harness runs script commands against a Coordinator on a real store with a fake clock.
type harness struct {
	t     *testing.T
	db    *store.DB
	clock *fakeClock
	start time.Time
	c     *Coordinator
	sweep string // the last sweep submitted: the default of sweep=
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, db: openTestDB(t, nil), clock: newFakeClock()}
	h.start = h.clock.Now()
	h.c = h.newCoordinator()
	return h
}

func (h *harness) newCoordinator() *Coordinator {
	c, err := New(h.db, h.clock, &Options{LeaseDuration: time.Minute, MaxAttempts: 3, Logger: discardLogger()})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// args parses key=value words (a value may be "quoted").
func parseArgs(words []string) map[string]string {
	m := map[string]string{}
	for _, w := range words {
		k, v, _ := strings.Cut(w, "=")
		m[k] = strings.Trim(v, `"`)
	}
	return m
}

// splitWords splits a command line on spaces outside double quotes.
func splitWords(s string) []string {
	var words []string
	var cur strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case r == ' ' && !quoted:
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}

func (h *harness) rel(ts time.Time) string {
	return "+" + ts.Sub(h.start).String()
}

func (h *harness) ref(a map[string]string) (*critsweepv1.TaskRef, uint64) {
	sweep := h.sweep
	if s, ok := a["sweep"]; ok {
		sweep = s
	}
	index, _ := strconv.ParseUint(a["task"], 10, 32)
	epoch, _ := strconv.ParseUint(a["epoch"], 10, 64)
	return &critsweepv1.TaskRef{SweepId: sweep, Index: uint32(index)}, epoch
}

func errText(err error) string { return "error: " + err.Error() }

func (h *harness) run(line string) string {
	ctx := context.Background()
	words := splitWords(line)
	a := parseArgs(words[1:])
	switch words[0] {
	case "submit":
		n, _ := strconv.Atoi(a["tasks"])
		attempts, _ := strconv.Atoi(a["max_attempts"])
		spec := testSpec(a["name"], n)
		spec.MaxAttempts = uint32(attempts)
		if b, ok := a["boundary"]; ok {
			spec.Boundary = strings.Split(b, ",")
		}
		resp, err := h.c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: spec})
		if err != nil {
			return errText(err)
		}
		h.sweep = resp.GetSweepId()
		return fmt.Sprintf("sweep %s: %d tasks", resp.GetSweepId(), resp.GetTasks())
	case "lease":
		resp, err := h.c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: a["worker"]})
		if err != nil {
			return errText(err)
		}
		if !resp.GetLeased() {
			return "none, retry after " + resp.GetRetryAfter().AsDuration().String()
		}
		s := fmt.Sprintf("%s epoch=%d expires=%s beta=%v size=%d boundary=%s", refString(resp.GetRef()), resp.GetEpoch(),
			h.rel(resp.GetExpires().AsTime()), resp.GetSpec().GetBeta(), resp.GetSpec().GetSize(), resp.GetSpec().GetBoundary())
		if cp := resp.GetCheckpoint(); cp != nil {
			s += fmt.Sprintf(" checkpoint=step %d", cp.GetStep())
		}
		return s
	case "heartbeat":
		ref, epoch := h.ref(a)
		step, _ := strconv.ParseUint(a["step"], 10, 64)
		resp, err := h.c.Heartbeat(ctx, &critsweepv1.HeartbeatRequest{Ref: ref, Epoch: epoch,
			Progress: &critsweepv1.Progress{Step: step}})
		if err != nil {
			return errText(err)
		}
		if resp.GetCancelled() {
			return "cancelled: stop the task"
		}
		return "ok, expires=" + h.rel(resp.GetExpires().AsTime())
	case "checkpoint":
		ref, epoch := h.ref(a)
		step, _ := strconv.ParseUint(a["step"], 10, 64)
		resp, err := h.c.UploadCheckpoint(ctx, ref, epoch, &critsweepv1.Checkpoint{Version: 1, Step: step, Params: []float64{1, 2}})
		if err != nil {
			return errText(err)
		}
		return fmt.Sprintf("ok, %d bytes", resp.GetBytes())
	case "complete":
		ref, epoch := h.ref(a)
		steps, _ := strconv.ParseUint(a["steps"], 10, 64)
		_, err := h.c.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: ref, Epoch: epoch,
			Result: &critsweepv1.Result{Steps: steps}})
		if err != nil {
			return errText(err)
		}
		return "ok"
	case "fail", "release":
		ref, epoch := h.ref(a)
		_, err := h.c.FailTask(ctx, &critsweepv1.FailTaskRequest{Ref: ref, Epoch: epoch, Reason: a["reason"],
			Release: words[0] == "release"})
		if err != nil {
			return errText(err)
		}
		return "ok"
	case "advance":
		d, err := time.ParseDuration(words[1])
		if err != nil {
			h.t.Fatal(err)
		}
		h.clock.Advance(d)
		return "now " + h.rel(h.clock.Now())
	case "expire":
		n, err := h.c.ExpireLeases(ctx)
		if err != nil {
			return errText(err)
		}
		return fmt.Sprintf("%d expired", n)
	case "cancel":
		resp, err := h.c.CancelSweep(ctx, &critsweepv1.CancelSweepRequest{SweepId: h.sweepArg(a)})
		if err != nil {
			return errText(err)
		}
		return statusLine(resp.GetStatus())
	case "extend":
		grid := &critsweepv1.Grid{Beta: &critsweepv1.Axis{}, Size: []uint32{4}, Tau: []float64{1}}
		for _, s := range strings.Split(a["beta"], ",") {
			x, _ := strconv.ParseFloat(s, 64)
			grid.Beta.Values = append(grid.Beta.Values, x)
		}
		resp, err := h.c.ExtendSweep(ctx, &critsweepv1.ExtendSweepRequest{SweepId: h.sweepArg(a), Grid: grid})
		if err != nil {
			return errText(err)
		}
		return fmt.Sprintf("added %d; %s", resp.GetAdded(), statusLine(resp.GetStatus()))
	case "status":
		resp, err := h.c.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: h.sweepArg(a)})
		if err != nil {
			return errText(err)
		}
		return statusLine(resp.GetStatus())
	case "tasks":
		return h.tasks(h.sweepArg(a))
	case "results":
		all, err := AllResults(ctx, h.c, h.sweepArg(a))
		if err != nil {
			return errText(err)
		}
		var b strings.Builder
		for _, r := range all {
			fmt.Fprintf(&b, "%s epoch=%d attempts=%d steps=%d\n", refString(r.GetRef()), r.GetEpoch(), r.GetAttempts(), r.GetResult().GetSteps())
		}
		if len(all) == 0 {
			return "no results"
		}
		return b.String()
	case "restart":
		h.c.Close()
		h.c = h.newCoordinator()
		return "restarted"
	}
	h.t.Fatalf("unknown command %q", line)
	return ""
}

func (h *harness) sweepArg(a map[string]string) string {
	if s, ok := a["sweep"]; ok {
		return s
	}
	return h.sweep
}

// tasks prints every task of a sweep, one line each.
func (h *harness) tasks(sweepID string) string {
	var b strings.Builder
	err := h.db.View(func(tx *store.Tx) error {
		return tx.ForEachTask(sweepID, 0, func(t *critsweepv1.Task) error {
			fmt.Fprintf(&b, "%d %s attempts=%d epoch=%d", t.GetRef().GetIndex(), stateName(t.GetState()), t.GetAttempts(), t.GetEpoch())
			if t.GetWorker() != "" {
				fmt.Fprintf(&b, " worker=%s", t.GetWorker())
			}
			if t.GetLeaseExpires() != nil {
				fmt.Fprintf(&b, " expires=%s", h.rel(t.GetLeaseExpires().AsTime()))
			}
			if t.GetProgress() != nil {
				fmt.Fprintf(&b, " progress=%d", t.GetProgress().GetStep())
			}
			if t.GetCheckpointStep() > 0 {
				fmt.Fprintf(&b, " checkpoint=%d", t.GetCheckpointStep())
			}
			b.WriteString("\n")
			for _, f := range t.GetFailures() {
				fmt.Fprintf(&b, "  failure: %s\n", f)
			}
			return nil
		})
	})
	if err != nil {
		return errText(err)
	}
	return b.String()
}

func statusLine(st *critsweepv1.SweepStatus) string {
	return fmt.Sprintf("total=%d pending=%d leased=%d done=%d failed=%d cancelled=%d",
		st.GetTotal(), st.GetPending(), st.GetLeased(), st.GetDone(), st.GetFailed(), st.GetCancelled())
}

// testSpec returns a valid spec of n β values at L = 4, τ = 1.
func testSpec(name string, n int) *critsweepv1.SweepSpec {
	betas := make([]float64, n)
	for i := range betas {
		betas[i] = roundSignificant(0.1 + 0.01*float64(i))
	}
	return &critsweepv1.SweepSpec{
		Name:     name,
		Model:    &critsweepv1.ModelSpec{Kind: "ising"},
		Grid:     &critsweepv1.Grid{Beta: &critsweepv1.Axis{Values: betas}, Size: []uint32{4}, Tau: []float64{1}},
		Network:  &critsweepv1.NetworkSpec{Hidden: []uint32{8}},
		Training: &critsweepv1.TrainingSpec{Steps: 10, Batch: 16, LearningRate: 1e-3, Seed: 1},
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
