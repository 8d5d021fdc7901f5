package store

import (
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// progressPoints returns n points at steps 1..n.
func progressPoints(n int) []*critsweepv1.Progress {
	pts := make([]*critsweepv1.Progress, n)
	for i := range pts {
		pts[i] = &critsweepv1.Progress{Step: uint64(i + 1)}
	}
	return pts
}

// TestAppendProgressKeepsTheWholeRun appends heartbeats of a long run and checks the
// bound, the order, the first and latest points, and that the kept points cover the run
// evenly.
func TestAppendProgressKeepsTheWholeRun(t *testing.T) {
	const limit = 16
	h := new(critsweepv1.ProgressHistory)
	const steps = 10000
	for step := uint64(0); step <= steps; step += 7 {
		appendProgress(h, &critsweepv1.Progress{Step: step, TotalSteps: steps}, limit)
		pts := h.GetPoints()
		if len(pts) > limit {
			t.Fatalf("at step %d: %d points, want at most %d", step, len(pts), limit)
		}
		if pts[0].GetStep() != 0 || pts[len(pts)-1].GetStep() != step {
			t.Fatalf("at step %d: first %d and last %d, want 0 and %d", step, pts[0].GetStep(), pts[len(pts)-1].GetStep(), step)
		}
		if why := checkProgress(h); why != "" {
			t.Fatalf("at step %d: %s", step, why)
		}
	}
	pts := h.GetPoints()
	if len(pts) < limit/2 {
		t.Errorf("%d points kept, want at least %d", len(pts), limit/2)
	}
	// Evenly: no gap between kept points (the latest aside) exceeds four times the mean.
	mean := float64(steps) / float64(len(pts)-1)
	for i := 1; i < len(pts)-1; i++ {
		if gap := float64(pts[i].GetStep() - pts[i-1].GetStep()); gap > 4*mean {
			t.Errorf("gap %g between steps %d and %d, mean spacing %g", gap, pts[i-1].GetStep(), pts[i].GetStep(), mean)
		}
	}
}

// TestAppendProgressStartsOver checks that a lease resumed from an earlier step drops
// the points from that step on, so that the curve is the run as it trained.
func TestAppendProgressStartsOver(t *testing.T) {
	h := new(critsweepv1.ProgressHistory)
	for _, step := range []uint64{10, 20, 30, 40} {
		appendProgress(h, &critsweepv1.Progress{Step: step, Loss: 1}, MaxProgressPoints)
	}
	appendProgress(h, &critsweepv1.Progress{Step: 25, Loss: 2}, MaxProgressPoints)
	var got []uint64
	for _, p := range h.GetPoints() {
		got = append(got, p.GetStep())
	}
	want := []uint64{10, 20, 25}
	if len(got) != len(want) || got[0] != 10 || got[1] != 20 || got[2] != 25 {
		t.Errorf("steps %v, want %v", got, want)
	}
	if h.GetPoints()[2].GetLoss() != 2 {
		t.Errorf("the new point's loss is %g, want 2", h.GetPoints()[2].GetLoss())
	}
}

// TestAppendProgressRandom appends random step sequences (going back now and then) and
// checks the invariants Check holds the stored histories to.
func TestAppendProgressRandom(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for range 200 {
		h := new(critsweepv1.ProgressHistory)
		limit := 4 + rng.IntN(20)
		step := uint64(0)
		for range rng.IntN(500) {
			if rng.IntN(50) == 0 {
				step = rng.Uint64N(step + 1)
			} else {
				step += 1 + rng.Uint64N(20)
			}
			appendProgress(h, &critsweepv1.Progress{Step: step}, limit)
			if n := len(h.GetPoints()); n > limit || n == 0 {
				t.Fatalf("limit %d: %d points", limit, n)
			}
			if last := h.GetPoints()[len(h.GetPoints())-1].GetStep(); last != step {
				t.Fatalf("latest point at step %d, want %d", last, step)
			}
			if why := checkProgress(h); why != "" {
				t.Fatal(why)
			}
		}
	}
}

func TestProgressHistoryStored(t *testing.T) {
	db := openTest(t, nil)
	addSweep(t, db, "s", 2)
	err := db.Update(func(tx *Tx) error {
		task, err := tx.Task(ref("s", 0))
		if err != nil {
			return err
		}
		task.State, task.Attempts, task.Epoch, task.LeaseExpires = critsweepv1.TaskState_TASK_STATE_LEASED, 1, 1, nowProto()
		if err := tx.PutTask(task); err != nil {
			return err
		}
		for i := range MaxProgressPoints + 10 {
			if err := tx.AppendProgress(ref("s", 0), &critsweepv1.Progress{Step: uint64(i), Loss: float64(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		h, err := tx.ProgressHistory(ref("s", 0))
		if err != nil {
			return err
		}
		if n := len(h.GetPoints()); n > MaxProgressPoints || n < MaxProgressPoints/2 {
			t.Errorf("%d points stored, want %d to %d", n, MaxProgressPoints/2, MaxProgressPoints)
		}
		if last := h.GetPoints()[len(h.GetPoints())-1]; last.GetStep() != MaxProgressPoints+9 {
			t.Errorf("latest step %d, want %d", last.GetStep(), MaxProgressPoints+9)
		}
		empty, err := tx.ProgressHistory(ref("s", 1))
		if err != nil || len(empty.GetPoints()) != 0 {
			t.Errorf("history of a task never leased = %v, %v; want empty", empty, err)
		}
		if _, err := tx.ProgressHistory(ref("s", 9)); !errors.Is(err, ErrTaskNotFound) {
			t.Errorf("history of a missing task: %v, want ErrTaskNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error { return tx.AppendProgress(ref("s", 7), &critsweepv1.Progress{Step: 1}) })
	if !errors.Is(err, ErrTaskNotFound) {
		t.Errorf("AppendProgress of a missing task: %v, want ErrTaskNotFound", err)
	}
}

// copyFixture copies testdata's file of schema version 1 (written by the critsweep of
// that version: two sweeps, done, failed, leased with a checkpoint, pending and cancelled
// tasks) into a temporary directory.
func copyFixture(t *testing.T) string {
	t.Helper()
	src, err := os.Open(filepath.Join("testdata", "schema-v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(t.TempDir(), "v1.db")
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// snapshot returns every record of the file's version 1 buckets, encoded.
func snapshot(t *testing.T, db *DB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := db.View(func(tx *Tx) error {
		return tx.ForEachSweep(func(s *critsweepv1.Sweep) error {
			add := func(kind string, k any, m proto.Message) {
				b, err := marshal.Marshal(m)
				if err != nil {
					t.Fatal(err)
				}
				out[kind+"/"+s.GetId()+"/"+fmtAny(k)] = b
			}
			add("sweep", "", s)
			c, err := tx.Counts(s.GetId())
			if err != nil {
				return err
			}
			add("counts", "", c)
			if err := tx.ForEachTask(s.GetId(), 0, func(task *critsweepv1.Task) error {
				add("task", task.GetRef().GetIndex(), task)
				if cp, err := tx.Checkpoint(task.GetRef()); err == nil {
					add("checkpoint", task.GetRef().GetIndex(), cp)
				}
				return nil
			}); err != nil {
				return err
			}
			return tx.ForEachResult(s.GetId(), 0, func(i uint32, r *critsweepv1.Result) error {
				add("result", i, r)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fmtAny(k any) string {
	if i, ok := k.(uint32); ok {
		return string(rune('0' + i))
	}
	return ""
}

// TestMigrateFromSchema1 opens a file that a critsweep of schema version 1 wrote: read-only
// it stays at version 1 and reads, with empty progress histories; opened for writing it
// is migrated to version 2 with every record as it was, and both are sound.
func TestMigrateFromSchema1(t *testing.T) {
	path := copyFixture(t)
	ro, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open of a version 1 file: %v", err)
	}
	if ro.Version() != 1 {
		t.Errorf("read-only: version %d, want 1 (left as it is)", ro.Version())
	}
	if err := ro.Check(); err != nil {
		t.Errorf("Check of the version 1 file: %v", err)
	}
	before := snapshot(t, ro)
	if len(before) < 10 {
		t.Fatalf("the fixture holds %d records, want the two sweeps' records", len(before))
	}
	err = ro.View(func(tx *Tx) error {
		h, err := tx.ProgressHistory(&critsweepv1.TaskRef{SweepId: "v1-fixture-1", Index: 0})
		if err != nil || len(h.GetPoints()) != 0 {
			t.Errorf("history in a version 1 file = %v, %v; want empty", h, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ro.Close()

	db, err := Open(path, nil)
	if err != nil {
		t.Fatalf("writable Open of a version 1 file: %v", err)
	}
	if db.Version() != SchemaVersion {
		t.Errorf("after migration: version %d, want %d", db.Version(), SchemaVersion)
	}
	after := snapshot(t, db)
	if len(after) != len(before) {
		t.Errorf("%d records after migration, %d before", len(after), len(before))
	}
	for k, v := range before {
		if string(after[k]) != string(v) {
			t.Errorf("record %s changed in the migration", k)
		}
	}
	// The migrated file takes histories.
	err = db.Update(func(tx *Tx) error {
		var leased *critsweepv1.Task
		if err := tx.ForEachTask("v1-fixture-1", 0, func(task *critsweepv1.Task) error {
			if task.GetState() == critsweepv1.TaskState_TASK_STATE_LEASED {
				leased = task
			}
			return nil
		}); err != nil {
			return err
		}
		if leased == nil {
			t.Fatal("the fixture has no leased task")
		}
		return tx.AppendProgress(leased.GetRef(), &critsweepv1.Progress{Step: 5})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Check(); err != nil {
		t.Errorf("Check after migration: %v", err)
	}
	db.Close()
	db, err = Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Version() != SchemaVersion {
		t.Errorf("reopened: version %d, want %d", db.Version(), SchemaVersion)
	}
}
