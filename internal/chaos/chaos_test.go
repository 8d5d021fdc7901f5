package chaos

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/protobuf/proto"

	"github.com/critsweep/critsweep/coordinator"
	"github.com/critsweep/critsweep/internal/proctest"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/spec/task"
	"github.com/critsweep/critsweep/store"
)

var (
	modeFlag = flag.String("chaos", "", "run the chaos tests: short (CI, 1-3 min) or full (at most 15 min); "+
		"empty: $CRITSWEEP_CHAOS, and when that is empty too the tests are skipped")
	seedFlag = flag.Uint64("chaos.seed", 0, "seed of the fault schedule and the sweep (0: from the clock); every run prints its seed")
)

// mode is the chosen form, "" when the tests are not selected; binary is the critsweep
// binary TestMain built for them.
var mode, binary string

func TestMain(m *testing.M) {
	flag.Parse()
	mode = *modeFlag
	if mode == "" {
		mode = os.Getenv("CRITSWEEP_CHAOS")
	}
	switch mode {
	case "":
		os.Exit(m.Run()) // every test skips
	case "short", "full":
	default:
		fmt.Fprintf(os.Stderr, "-chaos (or CRITSWEEP_CHAOS) must be short or full, got %q\n", mode)
		os.Exit(2)
	}
	proctest.RunWithBinary(m, &binary)
}

// requireMode skips the test unless the chaos tests were selected.
func requireMode(t *testing.T) {
	t.Helper()
	if mode == "" {
		t.Skip("chaos tests not selected: go test -v ./internal/chaos -chaos=short (or full), or CRITSWEEP_CHAOS=short")
	}
}

// plan is how hard a form of the test shakes the sweep.
type plan struct {
	coordinatorKills int           // SIGKILLs of the coordinator, each restarted on the same file and port
	workerKills      int           // SIGKILLs of a worker, each restarted
	partitions       int           // times the namespaced worker's link goes down and up
	workers          int           // workers in the root namespace (one more runs in the netns)
	timeout          time.Duration // for the sweep to finish
}

var plans = map[string]plan{
	"short": {coordinatorKills: 3, workerKills: 8, partitions: 1, workers: 3, timeout: 4 * time.Minute},
	"full":  {coordinatorKills: 12, workerKills: 36, partitions: 3, workers: 3, timeout: 13 * time.Minute},
}

// Lease settings of the chaos coordinator: short leases, so that killed workers' tasks
// come back quickly, and attempts enough that no task fails for good however often its
// worker is killed.
const (
	leaseDuration = 2 * time.Second
	maxAttempts   = 100
)

// chaosSpec is the sweep: 25 β × 4 sizes × 2 boundaries = 200 quick tasks (tenths of a
// second each), with checkpoints every 100 of their 1500 steps.
func chaosSpec(seed uint64) string {
	return fmt.Sprintf(`name: chaos
model: {kind: ising}
boundary: [periodic, twisted]
grid:
  beta: {from: 0.30, to: 0.54, step: 0.01}
  size: [3, 4, 5, 6]
  tau: [1.0]
network: {hidden: [4]}
training: {steps: 1500, batch: 32, learning_rate: 1e-2, seed: %d, estimate_samples: 1024, estimate_draws: 4096}
max_attempts: %d
`, seed, maxAttempts)
}

// counts are what the driver did and what the processes report they went through.
type counts struct {
	coordinatorKills, workerKills, partitions int
	expiredLeases                             int // leases taken back because their time ran out
	releases                                  int // leases beyond each task's first
	resumes                                   int // tasks resumed from a checkpoint
	leaseLost                                 int // tasks a worker dropped: lease lost or result refused
	checkpointMisfits                         int // checkpoints a worker could not restore
}

func (c counts) String() string {
	return fmt.Sprintf("coordinator kills %d, worker kills %d, partitions %d; expired leases %d, re-leases %d, "+
		"resumes from checkpoint %d, tasks dropped for a lost lease %d, checkpoints that did not fit %d",
		c.coordinatorKills, c.workerKills, c.partitions, c.expiredLeases, c.releases, c.resumes, c.leaseLost, c.checkpointMisfits)
}

// cluster is the coordinator and worker processes of a chaos run, every one ever
// started kept for its logs.
type cluster struct {
	t      *testing.T
	db     string
	listen string // host:port, fixed after the first start
	ns     *netns // nil when network namespaces are not available

	coordinator *proctest.Proc
	workers     map[string]*proctest.Proc // the live process of each worker name
	all         []*proctest.Proc
}

func (c *cluster) startCoordinator() {
	c.t.Helper()
	p := proctest.Start(c.t, "coordinator", binary, "coordinator", "--listen", c.listen, "--db", c.db,
		"--log-format", "json", "--lease-duration", leaseDuration.String(), "--retry-after", "200ms",
		"--max-attempts", fmt.Sprint(maxAttempts), "--shutdown-timeout", "2s")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if recs := p.LogRecords("coordinator listening"); len(recs) > 0 {
			c.listen = recs[0]["addr"].(string)
			break
		}
		if p.Exited() || time.Now().After(deadline) {
			c.t.Fatalf("coordinator did not start listening on %s: %s", c.listen, p.Tail(20))
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.coordinator = p
	c.all = append(c.all, p)
}

// startWorker starts the worker of that name; "netns" runs in the network namespace.
func (c *cluster) startWorker(name string) {
	c.t.Helper()
	args := []string{"worker", "--coordinator", c.listen, "--slots", "1", "--name", name,
		"--heartbeat", "500ms", "--checkpoint-every", "100", "--checkpoint-interval", "0",
		"--shutdown-timeout", "2s", "--log-format", "json"}
	var p *proctest.Proc
	if name == "netns" {
		cmd, nsArgs := c.ns.command(binary, args...)
		p = proctest.Start(c.t, name, cmd, nsArgs...)
	} else {
		p = proctest.Start(c.t, name, binary, args...)
	}
	c.workers[name] = p
	c.all = append(c.all, p)
}

// sumLogs counts the records with msg in every process's log.
func (c *cluster) sumLogs(msg string) int {
	n := 0
	for _, p := range c.all {
		n += len(p.LogRecords(msg))
	}
	return n
}

// dump logs the last lines of every live process, for a failed run.
func (c *cluster) dump() {
	for _, p := range c.all {
		if !p.Exited() {
			c.t.Logf("--- %s (%s), last lines:\n%s", p.Name, strings.Join(p.Args, " "), p.Tail(15))
		}
	}
}

// schedule returns n progress marks (numbers of tasks done) in [lo·total, hi·total),
// sorted: the moments the driver strikes at.
func schedule(rng *rand.Rand, n int, total uint32, lo, hi float64) []uint32 {
	marks := make([]uint32, n)
	for i := range marks {
		marks[i] = uint32((lo + (hi-lo)*rng.Float64()) * float64(total))
	}
	slices.Sort(marks)
	return marks
}

// TestChaos runs the chaos sweep: see the package documentation.
func TestChaos(t *testing.T) {
	requireMode(t)
	p := plans[mode]
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	replay := fmt.Sprintf("go test -v -run TestChaos ./internal/chaos -chaos=%s -chaos.seed=%d", mode, seed)
	t.Logf("chaos seed %d (replay: %s)", seed, replay)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("FAILED with chaos seed %d; replay: %s", seed, replay)
		}
	})
	rng := rand.New(rand.NewPCG(seed, 0x63686173))
	start := time.Now()

	c := &cluster{t: t, db: filepath.Join(t.TempDir(), "chaos.db"), listen: "127.0.0.1:0", workers: map[string]*proctest.Proc{}}
	ns, why := setupNetns(t)
	if ns == nil {
		t.Logf("network namespace part skipped (%s): no worker is cut off; the rest runs", why)
	} else {
		c.ns = ns
		c.listen = ns.rootAddr + ":0" // every worker dials it; only the namespaced one depends on the link
	}
	c.startCoordinator()
	t.Logf("coordinator on %s, database %s", c.listen, c.db)

	specYAML := chaosSpec(rng.Uint64() >> 12)
	sweep, err := spec.Parse([]byte(specYAML))
	if err != nil {
		t.Fatal(err)
	}
	taskSpecs, err := spec.Expand(sweep)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := coordinator.Dial(c.listen, &coordinator.DialOptions{GRPC: []grpc.DialOption{
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.5, MaxDelay: 500 * time.Millisecond}}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	sub, err := cl.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: sweep})
	if err != nil {
		t.Fatal(err)
	}
	total := sub.GetTasks()
	if int(total) != len(taskSpecs) {
		t.Fatalf("submitted %d tasks, expanded %d", total, len(taskSpecs))
	}
	t.Logf("sweep %s: %d tasks", sub.GetSweepId(), total)

	// The references, computed in this process while the sweep runs.
	refs := newReferences(taskSpecs)
	refs.work(1)

	names := []string{}
	for i := range p.workers {
		names = append(names, fmt.Sprintf("w%d", i))
	}
	if c.ns != nil {
		names = append(names, "netns")
	}
	for _, name := range names {
		c.startWorker(name)
	}

	coordMarks := schedule(rng, p.coordinatorKills, total, 0.03, 0.93)
	workerMarks := schedule(rng, p.workerKills, total, 0.02, 0.95)
	var cutMarks []uint32
	if c.ns != nil {
		cutMarks = schedule(rng, p.partitions, total, 0.10, 0.80)
	}
	var n counts
	restartAt := map[string]time.Time{} // killed workers and when they come back
	var healAt time.Time                // when the cut link comes back up; zero: it is up
	deadline := time.Now().Add(p.timeout)
	var done uint32
	for {
		now := time.Now()
		if now.After(deadline) {
			c.dump()
			t.Fatalf("sweep not done after %v: %d of %d tasks done; %v", p.timeout, done, total, n)
		}
		for name, at := range restartAt {
			if now.After(at) {
				c.startWorker(name)
				delete(restartAt, name)
			}
		}
		if !healAt.IsZero() && now.After(healAt) {
			if err := c.ns.setLink(true); err != nil {
				t.Fatal(err)
			}
			healAt = time.Time{}
			t.Logf("%6.1fs link of the netns worker up", time.Since(start).Seconds())
		}
		if c.coordinator.Exited() {
			c.dump()
			t.Fatalf("the coordinator exited by itself with code %d", c.coordinator.Code())
		}
		for name, w := range c.workers {
			if _, down := restartAt[name]; !down && w.Exited() {
				c.dump()
				t.Fatalf("worker %s exited by itself with code %d", name, w.Code())
			}
		}

		callCtx, cancel := context.WithTimeout(ctx, time.Second)
		resp, err := cl.GetSweep(callCtx, &critsweepv1.GetSweepRequest{SweepId: sub.GetSweepId()})
		cancel()
		if err == nil {
			done = resp.GetStatus().GetDone()
			if f := resp.GetStatus().GetFailed(); f > 0 {
				c.dump()
				t.Fatalf("%d tasks failed for good", f)
			}
		}
		switch {
		case done == total && healAt.IsZero() && len(restartAt) == 0:
		case len(coordMarks) > 0 && done >= coordMarks[0]:
			coordMarks = coordMarks[1:]
			c.coordinator.Kill(t)
			n.coordinatorKills++
			down := time.Duration(200+rng.IntN(1800)) * time.Millisecond
			t.Logf("%6.1fs %3d/%d done: coordinator killed, restarting in %v", time.Since(start).Seconds(), done, total, down)
			time.Sleep(down)
			c.startCoordinator()
			continue
		case len(workerMarks) > 0 && done >= workerMarks[0]:
			workerMarks = workerMarks[1:]
			live := []string{}
			for _, name := range names {
				if _, down := restartAt[name]; !down {
					live = append(live, name)
				}
			}
			if len(live) == 0 {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			name := live[rng.IntN(len(live))]
			c.workers[name].Kill(t)
			n.workerKills++
			back := time.Duration(rng.IntN(1000)) * time.Millisecond
			restartAt[name] = time.Now().Add(back)
			t.Logf("%6.1fs %3d/%d done: worker %s killed, restarting in %v", time.Since(start).Seconds(), done, total, name, back)
			continue
		case len(cutMarks) > 0 && done >= cutMarks[0] && healAt.IsZero():
			cutMarks = cutMarks[1:]
			if err := c.ns.setLink(false); err != nil {
				t.Fatal(err)
			}
			n.partitions++
			cut := time.Duration(3000+rng.IntN(4000)) * time.Millisecond
			healAt = time.Now().Add(cut)
			t.Logf("%6.1fs %3d/%d done: link of the netns worker down for %v", time.Since(start).Seconds(), done, total, cut)
			continue
		default:
			time.Sleep(50 * time.Millisecond)
			continue
		}
		break
	}
	sweepTime := time.Since(start)
	if len(coordMarks)+len(workerMarks)+len(cutMarks) > 0 {
		t.Errorf("the sweep finished before every fault was injected: %d coordinator kills, %d worker kills, %d cuts left",
			len(coordMarks), len(workerMarks), len(cutMarks))
	}

	for _, name := range names {
		c.workers[name].Stop(t)
	}
	if code := c.coordinator.Stop(t); code != 0 {
		t.Errorf("coordinator exit code %d after SIGTERM, want 0", code)
	}
	n.resumes = c.sumLogs("resumed from checkpoint")
	n.leaseLost = c.sumLogs("lease lost: stopping the task") + c.sumLogs("result refused: the lease was lost")
	n.checkpointMisfits = c.sumLogs("checkpoint does not fit; training from scratch")
	if panics := c.sumLogs("panic in handler") + c.sumLogs("panic in training"); panics > 0 {
		t.Errorf("%d panics in the logs", panics)
	}

	if err := store.CheckFile(c.db); err != nil {
		t.Errorf("store.CheckFile after the chaos: %v", err)
	}
	tasks, results := readSweep(t, c.db, sub.GetSweepId())
	for _, task := range tasks {
		n.releases += int(task.GetAttempts()) - 1
		for _, f := range task.GetFailures() {
			if strings.Contains(f, "lease expired") {
				n.expiredLeases++
			}
		}
	}
	checkCompletions(t, c, tasks)
	refs.work(2) // the rest of the references, with every core now that the sweep is done
	want, err := refs.wait()
	if err != nil {
		t.Fatal(err)
	}
	checkResults(t, taskSpecs, tasks, results, want)
	if n.checkpointMisfits > 0 {
		t.Errorf("%d checkpoints did not fit their task", n.checkpointMisfits)
	}
	if c.ns != nil && n.partitions == 0 {
		t.Errorf("the netns worker was never cut off")
	}
	t.Logf("chaos %s, seed %d: %d tasks in %v (whole test %v): %v", mode, seed, total, sweepTime.Round(time.Second),
		time.Since(start).Round(time.Second), n)
}

// readSweep reads every task and result of a sweep from a database no coordinator holds.
func readSweep(t *testing.T, path, id string) ([]*critsweepv1.Task, map[uint32]*critsweepv1.Result) {
	t.Helper()
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tasks []*critsweepv1.Task
	results := map[uint32]*critsweepv1.Result{}
	err = db.View(func(tx *store.Tx) error {
		if err := tx.ForEachTask(id, 0, func(task *critsweepv1.Task) error {
			tasks = append(tasks, task)
			return nil
		}); err != nil {
			return err
		}
		return tx.ForEachResult(id, 0, func(index uint32, r *critsweepv1.Result) error {
			if _, dup := results[index]; dup {
				t.Errorf("task %d: two results", index)
			}
			results[index] = r
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return tasks, results
}

// checkCompletions checks, from the workers' logs, that no task was completed under two
// leases: every "task done" a worker logged for a task names the epoch of the lease the
// store records as the one that finished it. (A worker killed between its completion and
// the log line leaves none, which is fine.)
func checkCompletions(t *testing.T, c *cluster, tasks []*critsweepv1.Task) {
	t.Helper()
	epochs := map[string]map[float64]bool{}
	for _, p := range c.all {
		for _, rec := range p.LogRecords("task done") {
			task, _ := rec["task"].(string)
			epoch, _ := rec["epoch"].(float64)
			if epochs[task] == nil {
				epochs[task] = map[float64]bool{}
			}
			epochs[task][epoch] = true
		}
	}
	for _, task := range tasks {
		name := fmt.Sprintf("%s/%d", task.GetRef().GetSweepId(), task.GetRef().GetIndex())
		for epoch := range epochs[name] {
			if epoch != float64(task.GetEpoch()) {
				t.Errorf("task %s: a worker completed it under epoch %v, the store records epoch %d (logged epochs %v)",
					name, epoch, task.GetEpoch(), epochs[name])
			}
		}
	}
	if len(epochs) < len(tasks)/2 {
		t.Errorf("only %d tasks have a \"task done\" in the workers' logs: are the log messages still those?", len(epochs))
	}
}

// checkResults checks that every task is done with exactly one result, equal bit for
// bit (apart from seconds) to the reference for its spec.
func checkResults(t *testing.T, specs []*critsweepv1.TaskSpec, tasks []*critsweepv1.Task, results map[uint32]*critsweepv1.Result, want []*critsweepv1.Result) {
	t.Helper()
	if len(tasks) != len(specs) || len(results) != len(specs) {
		t.Errorf("%d tasks and %d results stored, want %d of each", len(tasks), len(results), len(specs))
	}
	bad := 0
	for i, task := range tasks {
		index := task.GetRef().GetIndex()
		switch {
		case int(index) != i:
			t.Errorf("task %d stored at position %d", index, i)
		case task.GetState() != critsweepv1.TaskState_TASK_STATE_DONE:
			t.Errorf("task %d is %v, want done", index, task.GetState())
		case !proto.Equal(task.GetSpec(), specs[index]):
			t.Errorf("task %d: stored spec %v differs from the expanded %v", index, task.GetSpec(), specs[index])
		case results[index] == nil:
			t.Errorf("task %d: no result", index)
		case !proctest.SameResult(results[index], want[index]):
			if bad++; bad <= 5 {
				t.Errorf("task %d (β %v, L %d, %s; %d attempts): result differs from the uninterrupted reference:\n got %v\nwant %v",
					index, task.GetSpec().GetBeta(), task.GetSpec().GetSize(), task.GetSpec().GetBoundary(), task.GetAttempts(), results[index], want[index])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d results differ from their references", bad, len(tasks))
	}
}

// references computes task.Train's result for every task spec, by a pool of
// goroutines that can grow.
type references struct {
	specs   []*critsweepv1.TaskSpec
	results []*critsweepv1.Result
	errs    []error
	next    chan int
	wg      sync.WaitGroup
	workers int
}

func newReferences(specs []*critsweepv1.TaskSpec) *references {
	r := &references{specs: specs, results: make([]*critsweepv1.Result, len(specs)), errs: make([]error, len(specs)), next: make(chan int, len(specs))}
	for i := range specs {
		r.next <- i
	}
	close(r.next)
	return r
}

// work grows the pool to n goroutines.
func (r *references) work(n int) {
	for ; r.workers < n; r.workers++ {
		r.wg.Go(func() {
			for i := range r.next {
				// 0: the spec's estimate_samples decides, as it does for the workers.
				r.results[i], r.errs[i] = task.Train(context.Background(), r.specs[i], nil)
			}
		})
	}
}

func (r *references) wait() ([]*critsweepv1.Result, error) {
	r.wg.Wait()
	for i, err := range r.errs {
		if err != nil {
			return nil, fmt.Errorf("reference of task %d: %w", i, err)
		}
	}
	return r.results, nil
}
