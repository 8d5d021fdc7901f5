package coordinator

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
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
		got, err := h.run(c.cmd)
		if err != nil {
			t.Fatalf("%s:%d: %s: %v", file, c.line, c.cmd, err)
		}
		got = strings.TrimRight(got, "\n")
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

// scriptArgs are the key=value arguments of one script command. Each command reads the
// keys it knows; a key no command reads, a word that is not key=value, a value that does
// not parse or a required key that is missing is an error, so that a typo such as
// epcoh=1 fails the script instead of being rewritten into its expected output (raft's
// datadriven handlers fail on an unknown argument the same way).
type scriptArgs struct {
	m    map[string]string
	used map[string]bool
	err  error
}

// parseArgs parses key=value words (a value may be "quoted").
func parseArgs(words []string) *scriptArgs {
	a := &scriptArgs{m: map[string]string{}, used: map[string]bool{}}
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			a.fail(fmt.Errorf("argument %q is not key=value", w))
			continue
		}
		if _, dup := a.m[k]; dup {
			a.fail(fmt.Errorf("argument %s given twice", k))
		}
		a.m[k] = strings.Trim(v, `"`)
	}
	return a
}

func (a *scriptArgs) fail(err error) {
	if a.err == nil {
		a.err = err
	}
}

// str returns the value of key, and whether it was given.
func (a *scriptArgs) str(key string) (string, bool) {
	a.used[key] = true
	v, ok := a.m[key]
	return v, ok
}

// uint returns the value of key as an unsigned integer of bits bits; def when it is not
// given and required is false.
func (a *scriptArgs) uint(key string, bits int, required bool, def uint64) uint64 {
	v, ok := a.str(key)
	if !ok {
		if required {
			a.fail(fmt.Errorf("argument %s is required", key))
		}
		return def
	}
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil {
		a.fail(fmt.Errorf("argument %s=%s: %v", key, v, err))
	}
	return n
}

// check returns the first parse error, or an error naming an argument no one read.
func (a *scriptArgs) check() error {
	if a.err != nil {
		return a.err
	}
	var unknown []string
	for k := range a.m {
		if !a.used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unknown argument %s", strings.Join(unknown, ", "))
	}
	return nil
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

// ref reads task= (required), epoch= (required) and sweep= (default: the last sweep
// submitted).
func (h *harness) ref(a *scriptArgs) (*critsweepv1.TaskRef, uint64) {
	index := a.uint("task", 32, true, 0)
	epoch := a.uint("epoch", 64, true, 0)
	return &critsweepv1.TaskRef{SweepId: h.sweepArg(a), Index: uint32(index)}, epoch
}

func errText(err error) string { return "error: " + err.Error() }

// run runs one script command and returns what it prints, or an error when the command
// itself is wrong: unknown, or with an argument that is unknown, malformed or missing.
func (h *harness) run(line string) (string, error) {
	words := splitWords(line)
	if len(words) == 0 {
		return "", fmt.Errorf("empty command")
	}
	a := parseArgs(words[1:])
	if words[0] == "advance" {
		a = &scriptArgs{m: map[string]string{}, used: map[string]bool{}}
	}
	out, known := h.exec(words[0], a, words[1:])
	if !known {
		return "", fmt.Errorf("unknown command %q", words[0])
	}
	if err := a.check(); err != nil {
		return "", fmt.Errorf("%s: %w", words[0], err)
	}
	return out, nil
}

// exec runs the command name with its arguments; known is false for a name it does not
// know.
func (h *harness) exec(name string, a *scriptArgs, words []string) (out string, known bool) {
	ctx := context.Background()
	switch name {
	case "submit":
		name, _ := a.str("name")
		n := a.uint("tasks", 16, true, 0)
		spec := testSpec(name, int(n))
		spec.MaxAttempts = uint32(a.uint("max_attempts", 32, false, 0))
		if b, ok := a.str("boundary"); ok {
			spec.Boundary = strings.Split(b, ",")
		}
		resp, err := h.c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: spec})
		if err != nil {
			return errText(err), true
		}
		h.sweep = resp.GetSweepId()
		return fmt.Sprintf("sweep %s: %d tasks", resp.GetSweepId(), resp.GetTasks()), true
	case "lease":
		worker, _ := a.str("worker")
		slots := a.uint("slots", 32, false, 0)
		resp, err := h.c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: worker, Slots: uint32(slots)})
		if err != nil {
			return errText(err), true
		}
		if !resp.GetLeased() {
			return "none, retry after " + resp.GetRetryAfter().AsDuration().String(), true
		}
		s := fmt.Sprintf("%s epoch=%d expires=%s beta=%v size=%d boundary=%s", refString(resp.GetRef()), resp.GetEpoch(),
			h.rel(resp.GetExpires().AsTime()), resp.GetSpec().GetBeta(), resp.GetSpec().GetSize(), resp.GetSpec().GetBoundary())
		if cp := resp.GetCheckpoint(); cp != nil {
			s += fmt.Sprintf(" checkpoint=step %d", cp.GetStep())
		}
		return s, true
	case "heartbeat":
		ref, epoch := h.ref(a)
		step := a.uint("step", 64, false, 0)
		seconds := a.uint("seconds", 32, false, 0)
		resp, err := h.c.Heartbeat(ctx, &critsweepv1.HeartbeatRequest{Ref: ref, Epoch: epoch,
			Progress: &critsweepv1.Progress{Step: step, Seconds: float64(seconds), Loss: 1 / float64(step+1)}})
		if err != nil {
			return errText(err), true
		}
		if resp.GetCancelled() {
			return "cancelled: stop the task", true
		}
		return "ok, expires=" + h.rel(resp.GetExpires().AsTime()), true
	case "checkpoint":
		ref, epoch := h.ref(a)
		step := a.uint("step", 64, true, 0)
		resp, err := h.c.UploadCheckpoint(ctx, ref, epoch, &critsweepv1.Checkpoint{Version: 1, Step: step, Params: []float64{1, 2}})
		if err != nil {
			return errText(err), true
		}
		return fmt.Sprintf("ok, %d bytes", resp.GetBytes()), true
	case "complete":
		ref, epoch := h.ref(a)
		steps := a.uint("steps", 64, false, 0)
		_, err := h.c.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: ref, Epoch: epoch,
			Result: &critsweepv1.Result{Steps: steps}})
		if err != nil {
			return errText(err), true
		}
		return "ok", true
	case "fail", "release":
		ref, epoch := h.ref(a)
		reason, _ := a.str("reason")
		_, err := h.c.FailTask(ctx, &critsweepv1.FailTaskRequest{Ref: ref, Epoch: epoch, Reason: reason,
			Release: name == "release"})
		if err != nil {
			return errText(err), true
		}
		return "ok", true
	case "advance":
		// advance DURATION: the one positional argument of the scripts.
		if len(words) != 1 {
			a.fail(fmt.Errorf("want one duration, e.g. advance 30s"))
			return "", true
		}
		d, err := time.ParseDuration(words[0])
		if err != nil {
			a.fail(err)
			return "", true
		}
		h.clock.Advance(d)
		return "now " + h.rel(h.clock.Now()), true
	case "expire":
		n, err := h.c.ExpireLeases(ctx)
		if err != nil {
			return errText(err), true
		}
		return fmt.Sprintf("%d expired", n), true
	case "cancel":
		resp, err := h.c.CancelSweep(ctx, &critsweepv1.CancelSweepRequest{SweepId: h.sweepArg(a)})
		if err != nil {
			return errText(err), true
		}
		return statusLine(resp.GetStatus()), true
	case "extend":
		grid := &critsweepv1.Grid{Beta: &critsweepv1.Axis{}, Size: []uint32{4}, Tau: []float64{1}}
		betas, ok := a.str("beta")
		if !ok {
			a.fail(fmt.Errorf("argument beta is required"))
		}
		for _, s := range strings.Split(betas, ",") {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				a.fail(fmt.Errorf("argument beta=%s: %v", betas, err))
			}
			grid.Beta.Values = append(grid.Beta.Values, x)
		}
		resp, err := h.c.ExtendSweep(ctx, &critsweepv1.ExtendSweepRequest{SweepId: h.sweepArg(a), Grid: grid})
		if err != nil {
			return errText(err), true
		}
		return fmt.Sprintf("added %d; %s", resp.GetAdded(), statusLine(resp.GetStatus())), true
	case "status":
		resp, err := h.c.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: h.sweepArg(a)})
		if err != nil {
			return errText(err), true
		}
		return statusLine(resp.GetStatus()), true
	case "tasks":
		return h.tasks(h.sweepArg(a)), true
	case "results":
		all, err := AllResults(ctx, h.c, h.sweepArg(a))
		if err != nil {
			return errText(err), true
		}
		var b strings.Builder
		for _, r := range all {
			fmt.Fprintf(&b, "%s epoch=%d attempts=%d steps=%d\n", refString(r.GetRef()), r.GetEpoch(), r.GetAttempts(), r.GetResult().GetSteps())
		}
		if len(all) == 0 {
			return "no results", true
		}
		return b.String(), true
	case "curve":
		index := a.uint("task", 32, true, 0)
		resp, err := h.c.GetTask(ctx, &critsweepv1.GetTaskRequest{Ref: &critsweepv1.TaskRef{SweepId: h.sweepArg(a), Index: uint32(index)}})
		if err != nil {
			return errText(err), true
		}
		var steps []string
		for _, p := range resp.GetProgress().GetPoints() {
			steps = append(steps, strconv.FormatUint(p.GetStep(), 10))
		}
		return fmt.Sprintf("%s steps=[%s] result=%t", stateName(resp.GetTask().GetState()), strings.Join(steps, " "),
			resp.GetResult() != nil), true
	case "failures":
		resp, err := h.c.ListTasks(ctx, &critsweepv1.ListTasksRequest{SweepId: h.sweepArg(a), WithFailures: true})
		if err != nil {
			return errText(err), true
		}
		var b strings.Builder
		for _, t := range resp.GetTasks() {
			fmt.Fprintf(&b, "%d %s attempts=%d failures=%d\n", t.GetRef().GetIndex(), stateName(t.GetState()), t.GetAttempts(), len(t.GetFailures()))
		}
		if len(resp.GetTasks()) == 0 {
			return "none", true
		}
		return b.String(), true
	case "workers":
		resp, err := h.c.ListWorkers(ctx, &critsweepv1.ListWorkersRequest{})
		if err != nil {
			return errText(err), true
		}
		var b strings.Builder
		for _, w := range resp.GetWorkers() {
			lastSeen := "never"
			if w.GetLastSeen() != nil {
				lastSeen = h.rel(w.GetLastSeen().AsTime())
			}
			fmt.Fprintf(&b, "%s slots=%d connected=%t last_seen=%s completed=%d failed=%d steps/s=%g", w.GetName(), w.GetSlots(),
				w.GetConnected(), lastSeen, w.GetCompleted(), w.GetFailed(), w.GetStepsPerSecond())
			if w.GetLastHeartbeat() != nil {
				fmt.Fprintf(&b, " last_heartbeat=%s", h.rel(w.GetLastHeartbeat().AsTime()))
			}
			for _, t := range w.GetTasks() {
				fmt.Fprintf(&b, "\n  %s holds %s epoch=%d step=%d", t.GetSlot(), refString(t.GetRef()), t.GetEpoch(), t.GetProgress().GetStep())
			}
			b.WriteString("\n")
		}
		if len(resp.GetWorkers()) == 0 {
			return "none", true
		}
		return b.String(), true
	case "restart":
		h.c.Close()
		h.c = h.newCoordinator()
		return "restarted", true
	}
	return "", false
}

func (h *harness) sweepArg(a *scriptArgs) string {
	if s, ok := a.str("sweep"); ok {
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
		betas[i] = spec.RoundSignificant(0.1 + 0.01*float64(i))
	}
	return &critsweepv1.SweepSpec{
		Name:     name,
		Model:    &critsweepv1.ModelSpec{Kind: "ising"},
		Boundary: []string{"periodic"},
		Grid:     &critsweepv1.Grid{Beta: &critsweepv1.Axis{Values: betas}, Size: []uint32{4}, Tau: []float64{1}},
		Network:  &critsweepv1.NetworkSpec{Hidden: []uint32{8}},
		Training: &critsweepv1.TrainingSpec{Steps: 10, Batch: 16, LearningRate: 1e-3, Seed: 1},
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestScriptHarnessRefusesMistakes checks that a mistake in a script command is an error
// of the harness, not output that -rewrite would make the new expected text.
func TestScriptHarnessRefusesMistakes(t *testing.T) {
	h := newHarness(t)
	if _, err := h.run("submit name=s tasks=2"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ cmd, want string }{
		{"heartbeat task=0 epoch=1 epcoh=1", "unknown argument epcoh"},
		{"heartbeat task=0", "argument epoch is required"},
		{"complete task=x epoch=1", "argument task=x"},
		{"lease worker=w1 slot", `argument "slot" is not key=value`},
		{"lease worker=w1 worker=w2", "argument worker given twice"},
		{"submit name=t tasks=2 boundry=twisted", "unknown argument boundry"},
		{"advance", "want one duration"},
		{"advance 3x", "advance"},
		{"extend beta=0.1,zero", "argument beta=0.1,zero"},
		{"leese worker=w1", `unknown command "leese"`},
	} {
		_, err := h.run(tt.cmd)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q) = %v, want an error saying %q", tt.cmd, err, tt.want)
		}
	}
}
