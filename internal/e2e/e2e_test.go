package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/critsweep/critsweep/coordinator"
	"github.com/critsweep/critsweep/internal/proctest"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec/task"
	"github.com/critsweep/critsweep/store"
)

// sweep24 is a spec of 24 small Ising tasks: 6 β × 2 sizes × 2 boundaries.
func sweep24(name string, steps int) string {
	return fmt.Sprintf(`name: %s
model: {kind: ising}
boundary: [periodic, twisted]
grid:
  beta: {from: 0.38, to: 0.48, step: 0.02}
  size: [4, 5]
  tau: [1.0]
network: {hidden: [4]}
training: {steps: %d, batch: 32, learning_rate: 1e-2, seed: 11}
`, name, steps)
}

type point struct {
	beta     float64
	size     uint32
	boundary string
}

// checkOnePerPoint checks that results hold exactly one result for each of the 24
// points of sweep24.
func checkOnePerPoint(t *testing.T, results []*critsweepv1.TaskResult) {
	t.Helper()
	seen := map[point]int{}
	for _, r := range results {
		s := r.GetSpec()
		seen[point{s.GetBeta(), s.GetSize(), s.GetBoundary()}]++
	}
	for _, beta := range []float64{0.38, 0.40, 0.42, 0.44, 0.46, 0.48} {
		for _, size := range []uint32{4, 5} {
			for _, b := range []string{"periodic", "twisted"} {
				if n := seen[point{beta, size, b}]; n != 1 {
					t.Errorf("β = %v, L = %d, %s: %d results, want 1", beta, size, b, n)
				}
			}
		}
	}
	if len(results) != 24 {
		t.Errorf("%d results, want 24", len(results))
	}
}

// offlineResults reads every result of a sweep from a database no coordinator holds.
func offlineResults(t *testing.T, db, id string) []*critsweepv1.TaskResult {
	t.Helper()
	s, err := store.Open(db, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := coordinator.New(s, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	results, err := coordinator.AllResults(context.Background(), c, id)
	if err != nil {
		t.Fatal(err)
	}
	return results
}

// TestSweepWithThreeWorkers runs a 24-task sweep with a coordinator and three worker
// processes to the end.
func TestSweepWithThreeWorkers(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sweeps.db")
	coord, addr := startCoordinator(t, "127.0.0.1:0", db, "--lease-duration", "10s")
	id := submit(t, addr, sweep24("three workers", 100))
	var workers []*proctest.Proc
	for i := range 3 {
		workers = append(workers, startWorker(t, fmt.Sprintf("w%d", i), addr, "--heartbeat", "500ms"))
	}
	cl := dial(t, addr, "")
	waitStatus(t, cl, id, 50*time.Second, func(st *critsweepv1.SweepStatus) bool { return st.GetDone() == 24 })

	code, out, errOut := cli(t, "results", id, "--coordinator", addr, "--format", "json")
	var got struct {
		Results []struct {
			Beta     float64 `json:"beta"`
			Size     uint32  `json:"size"`
			Boundary string  `json:"boundary"`
			Attempts uint32  `json:"attempts"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("results = (%d, %q, %q): %v", code, out, errOut, err)
	}
	if len(got.Results) != 24 {
		t.Errorf("critsweep results printed %d records, want 24", len(got.Results))
	}

	for _, w := range workers {
		if code := w.Stop(t); code != 0 {
			t.Errorf("%s exit code %d after SIGTERM, want 0", w.Name, code)
		}
	}
	if code := coord.Stop(t); code != 0 {
		t.Errorf("coordinator exit code %d after SIGTERM, want 0", code)
	}
	if err := store.CheckFile(db); err != nil {
		t.Errorf("store check: %v", err)
	}
	checkOnePerPoint(t, offlineResults(t, db, id))
}

// TestKilledWorkerResumes kills a worker (SIGKILL) mid-task: the task must be leased
// again once its lease runs out, resume from its last checkpoint, and end with the result
// of an uninterrupted run, bit for bit.
func TestKilledWorkerResumes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sweeps.db")
	coord, addr := startCoordinator(t, "127.0.0.1:0", db, "--lease-duration", "3s")
	id := submit(t, addr, `name: killed worker
model: {kind: ising}
boundary: periodic
grid: {beta: [0.44], size: [6], tau: [1.0]}
network: {hidden: [4]}
training: {steps: 50000, batch: 32, learning_rate: 1e-2, seed: 5}
`)
	// The default 5 s heartbeat is capped at a third of the 3 s lease.
	first := startWorker(t, "first", addr, "--checkpoint-every", "2500", "--log-level", "debug")
	var killedAfter float64
	deadline := time.Now().Add(40 * time.Second)
	for killedAfter < 5000 {
		if time.Now().After(deadline) || first.Exited() {
			t.Fatalf("no checkpoint at step ≥ 5000 within 40 s")
		}
		time.Sleep(10 * time.Millisecond)
		for _, rec := range first.LogRecords("checkpoint uploaded") {
			killedAfter = max(killedAfter, rec["step"].(float64))
		}
	}
	first.Kill(t)
	if len(first.LogRecords("task done")) > 0 {
		t.Fatal("the first worker finished the task before it was killed: make the task longer")
	}

	second := startWorker(t, "second", addr)
	cl := dial(t, addr, "")
	waitStatus(t, cl, id, 50*time.Second, func(st *critsweepv1.SweepStatus) bool { return st.GetDone() == 1 })
	resumed := second.LogRecords("resumed from checkpoint")
	if len(resumed) != 1 || resumed[0]["step"].(float64) < killedAfter {
		t.Errorf("second worker resumed %v; want once, from a checkpoint at step ≥ %v", resumed, killedAfter)
	}

	results, err := coordinator.AllResults(context.Background(), cl, id)
	if err != nil || len(results) != 1 {
		t.Fatalf("results %v, %v; want one", results, err)
	}
	if a := results[0].GetAttempts(); a != 2 {
		t.Errorf("task took %d attempts, want 2 (the killed one and the resumed one)", a)
	}
	want, err := task.Train(context.Background(), results[0].GetSpec(), &task.Options{EstimateSamples: estimateSamples, EstimateDraws: estimateDraws})
	if err != nil {
		t.Fatal(err)
	}
	if !proctest.SameResult(results[0].GetResult(), want) {
		t.Errorf("resumed result differs from an uninterrupted run:\n got %v\nwant %v", results[0].GetResult(), want)
	}

	second.Stop(t)
	coord.Stop(t)
	if err := store.CheckFile(db); err != nil {
		t.Errorf("store check: %v", err)
	}
	s, err := store.Open(db, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.View(func(tx *store.Tx) error {
		task, err := tx.Task(&critsweepv1.TaskRef{SweepId: id, Index: 0})
		if err != nil {
			t.Fatal(err)
		}
		if f := task.GetFailures(); len(f) != 1 || !strings.Contains(f[0], "lease expired") || !strings.Contains(f[0], "first/0") {
			t.Errorf("task failures %q, want the first worker's lease expired", f)
		}
		return nil
	})
}

// TestKilledCoordinatorRestarts kills the coordinator (SIGKILL) mid-sweep and restarts it
// on the same file and port: the workers reconnect by themselves and the sweep completes
// with every result once, those committed before the kill unchanged.
func TestKilledCoordinatorRestarts(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sweeps.db")
	coord, addr := startCoordinator(t, "127.0.0.1:0", db, "--lease-duration", "5s")
	id := submit(t, addr, sweep24("killed coordinator", 4000))
	var workers []*proctest.Proc
	for i := range 3 {
		workers = append(workers, startWorker(t, fmt.Sprintf("w%d", i), addr, "--heartbeat", "500ms"))
	}
	cl := dial(t, addr, "")
	before := waitStatus(t, cl, id, 40*time.Second, func(st *critsweepv1.SweepStatus) bool { return st.GetDone() >= 3 })
	early, err := coordinator.AllResults(context.Background(), cl, id)
	if err != nil {
		t.Fatal(err)
	}
	coord.Kill(t)
	if before.GetDone() == 24 {
		t.Fatal("the sweep finished before the coordinator was killed: make the tasks longer")
	}
	time.Sleep(500 * time.Millisecond)
	coord, _ = startCoordinator(t, addr, db, "--lease-duration", "5s")
	waitStatus(t, cl, id, 50*time.Second, func(st *critsweepv1.SweepStatus) bool { return st.GetDone() == 24 })
	for _, w := range workers {
		if w.Exited() {
			t.Errorf("%s exited while the coordinator was down", w.Name)
		}
	}
	final, err := coordinator.AllResults(context.Background(), cl, id)
	if err != nil {
		t.Fatal(err)
	}
	checkOnePerPoint(t, final)
	byIndex := map[uint32]*critsweepv1.Result{}
	for _, r := range final {
		byIndex[r.GetRef().GetIndex()] = r.GetResult()
	}
	for _, r := range early {
		if got := byIndex[r.GetRef().GetIndex()]; !proto.Equal(got, r.GetResult()) {
			t.Errorf("task %d: result committed before the kill changed:\n was %v\n now %v", r.GetRef().GetIndex(), r.GetResult(), got)
		}
	}

	for _, w := range workers {
		w.Stop(t)
	}
	if code := coord.Stop(t); code != 0 {
		t.Errorf("restarted coordinator exit code %d after SIGTERM, want 0", code)
	}
	if err := store.CheckFile(db); err != nil {
		t.Errorf("store check: %v", err)
	}
	checkOnePerPoint(t, offlineResults(t, db, id))
}

// TestTokenRequired checks that a coordinator with a token refuses the calls of a client
// and a worker that have none.
func TestTokenRequired(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := writeFile(token, "let-me-in\n"); err != nil {
		t.Fatal(err)
	}
	_, addr := startCoordinator(t, "127.0.0.1:0", filepath.Join(dir, "sweeps.db"), "--token-file", token)

	code, _, errOut := cli(t, "status", "--coordinator", addr)
	if code != 1 || !strings.Contains(errOut, "Unauthenticated") || !strings.Contains(errOut, "--token-file") {
		t.Errorf("status without a token = (%d, %q), want exit 1, Unauthenticated and a hint at --token-file", code, errOut)
	}
	code, out, errOut := cli(t, "status", "--coordinator", addr, "--token-file", token)
	if code != 0 || out != "no sweeps\n" {
		t.Errorf("status with the token = (%d, %q, %q)", code, out, errOut)
	}
	w := startWorker(t, "tokenless", addr)
	if code := w.Wait(t, 30*time.Second); code != 1 || !strings.Contains(w.Stderr(), "Unauthenticated") {
		t.Errorf("worker without a token exited %d: %s", code, w.Stderr())
	}
}
