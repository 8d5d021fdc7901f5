package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// The fuzz targets of this file feed the store garbage where it decodes bytes: record
// values (FuzzRecords) and the file itself (FuzzFile). Reading garbage must give errors,
// never a panic of ours, and Check must report whatever a reader chokes on. Run one with
//
//	go test -run '^$' -fuzz FuzzRecords -fuzztime 5m ./store

// fuzzSlots are the places FuzzRecords writes its garbage: a bucket and a key, most of
// them holding a record of the fixture already.
var fuzzSlots = []struct {
	bucket []byte
	key    []byte
}{
	{bucketSweeps, []byte("s")},
	{bucketCounts, []byte("s")},
	{bucketTasks, taskKey("s", 0)},
	{bucketTasks, taskKey("s", 1)},
	{bucketResults, taskKey("s", 0)},
	{bucketCheckpoints, taskKey("s", 1)},
	{bucketMeta, keySchemaVersion},
	{bucketTasks, taskKey("s", 2)},     // a task past the sweep's last
	{bucketTasks, []byte("s\x00\x01")}, // a malformed task key
	{bucketResults, taskKey("t", 0)},   // a result of a sweep that does not exist
	{bucketCounts, []byte("t")},
	{bucketSweeps, []byte("t")},
	{bucketProgress, taskKey("s", 1)},
	{bucketProgress, taskKey("s", 0)}, // a history of a task that has none
	{bucketProgress, taskKey("t", 0)}, // a history of a task that does not exist
}

// fuzzFixture fills db with sweep "s" of two tasks: task 0 done with its result, task 1
// leased with a checkpoint at step 5.
func fuzzFixture(tb testing.TB, db *DB) {
	tb.Helper()
	err := db.Update(func(tx *Tx) error {
		if err := tx.CreateSweep(&critsweepv1.Sweep{Id: "s", Spec: &critsweepv1.SweepSpec{Name: "s"}}); err != nil {
			return err
		}
		if err := tx.AddTasks("s", pendingTasks("s", 0, 2)); err != nil {
			return err
		}
		t0, err := tx.Task(ref("s", 0))
		if err != nil {
			return err
		}
		t0.State, t0.Attempts, t0.Epoch = critsweepv1.TaskState_TASK_STATE_DONE, 1, 1
		if err := tx.PutResult(ref("s", 0), &critsweepv1.Result{Steps: 10}); err != nil {
			return err
		}
		if err := tx.PutTask(t0); err != nil {
			return err
		}
		t1, err := tx.Task(ref("s", 1))
		if err != nil {
			return err
		}
		t1.State, t1.Attempts, t1.Epoch, t1.LeaseExpires, t1.CheckpointStep = critsweepv1.TaskState_TASK_STATE_LEASED, 1, 1, nowProto(), 5
		if err := tx.PutCheckpoint(ref("s", 1), &critsweepv1.Checkpoint{Version: 1, Step: 5, Params: []float64{1, 2, 3}}); err != nil {
			return err
		}
		for step := range uint64(3) {
			if err := tx.AppendProgress(ref("s", 1), &critsweepv1.Progress{Step: 2 * step, TotalSteps: 10, Loss: 1 / float64(step+1)}); err != nil {
				return err
			}
		}
		return tx.PutTask(t1)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// readAll calls every reader of the store over the fixture's records and reports
// whether any of them failed to decode what it read. A panic fails the fuzz input.
func readAll(db *DB) (decodeFailed bool) {
	failed := func(err error) {
		if err != nil && !errors.Is(err, ErrSweepNotFound) && !errors.Is(err, ErrTaskNotFound) &&
			!errors.Is(err, ErrResultNotFound) && !errors.Is(err, ErrCheckpointNotFound) {
			decodeFailed = true
		}
	}
	_ = db.View(func(tx *Tx) error {
		for _, id := range []string{"s", "t"} {
			_, err := tx.Sweep(id)
			failed(err)
			_, err = tx.Counts(id)
			failed(err)
			failed(tx.ForEachTask(id, 0, func(*critsweepv1.Task) error { return nil }))
			failed(tx.ForEachResult(id, 0, func(uint32, *critsweepv1.Result) error { return nil }))
			failed(tx.ForEachDoneTask(id, 0, func(_ *critsweepv1.Task, result func() (*critsweepv1.Result, error)) error {
				_, err := result()
				return err
			}))
			for i := range uint32(3) {
				_, err = tx.Task(ref(id, i))
				failed(err)
				_, err = tx.Result(ref(id, i))
				failed(err)
				_, err = tx.Checkpoint(ref(id, i))
				failed(err)
				_, err = tx.ProgressHistory(ref(id, i))
				failed(err)
			}
		}
		failed(tx.ForEachSweep(func(*critsweepv1.Sweep) error { return nil }))
		return nil
	})
	// The writers decode what they replace and the counts they keep.
	_ = db.Update(func(tx *Tx) error {
		t, err := tx.Task(ref("s", 1))
		if err == nil {
			t.State = critsweepv1.TaskState_TASK_STATE_PENDING
			_ = tx.PutTask(t)
		}
		failed(tx.AppendProgress(ref("s", 1), &critsweepv1.Progress{Step: 7}))
		_ = tx.AddTasks("s", pendingTasks("s", 2, 1))
		_ = tx.PutSweep(&critsweepv1.Sweep{Id: "s"})
		return errors.New("roll back")
	})
	return decodeFailed
}

// FuzzRecords writes random bytes as the value of one of the fixture's records (or of a
// record it lacks), then reads everything back: no reader may panic, an Open after it
// may fail but not panic, and when a reader cannot decode a record Check must report
// the file inconsistent.
func FuzzRecords(f *testing.F) {
	for i := range fuzzSlots {
		f.Add(uint8(i), []byte{})
		f.Add(uint8(i), []byte{0x0a, 0x01, 's'})
		f.Add(uint8(i), []byte{0x08, 0x96, 0x01, 0x10, 0x02})
		f.Add(uint8(i), binary.BigEndian.AppendUint64(nil, SchemaVersion+1))
	}
	f.Add(uint8(2), []byte{0x0a, 0x05, 0x0a, 0x01, 's', 0x10, 0x07, 0x18, 0x09})
	f.Fuzz(func(t *testing.T, slot uint8, value []byte) {
		s := fuzzSlots[int(slot)%len(fuzzSlots)]
		path := filepath.Join(t.TempDir(), "fuzz.db")
		if err := os.WriteFile(path, baseFile(t), 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := Open(path, &Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		err = db.bolt.Update(func(btx *bolt.Tx) error { return btx.Bucket(s.bucket).Put(s.key, value) })
		if err != nil {
			t.Fatal(err)
		}
		decodeFailed := readAll(db)
		checkErr := db.Check()
		var ce *CheckError
		if checkErr != nil && !errors.As(checkErr, &ce) {
			t.Errorf("Check of a readable file returned %v, want nil or a *CheckError", checkErr)
		}
		if decodeFailed && checkErr == nil {
			t.Errorf("a reader failed to decode a record, but Check finds the file sound")
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		// Open again: a garbage schema version must be refused, not trusted.
		db, err = Open(path, &Options{NoSync: true})
		if err != nil {
			return
		}
		readAll(db)
		db.Check()
		db.Close()
	})
}

// fuzzBase is a small database file with the fixture's records: the start of every
// fuzz input (copying it is much faster than making it).
var fuzzBase struct {
	once sync.Once
	data []byte
	err  error
}

func baseFile(tb testing.TB) []byte {
	fuzzBase.once.Do(func() {
		dir, err := os.MkdirTemp("", "critsweep-fuzz-")
		if err != nil {
			fuzzBase.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "base.db")
		db, err := Open(path, nil)
		if err != nil {
			fuzzBase.err = err
			return
		}
		fuzzFixture(tb, db)
		db.Close()
		fuzzBase.data, fuzzBase.err = os.ReadFile(path)
	})
	if fuzzBase.err != nil {
		tb.Fatal(fuzzBase.err)
	}
	return fuzzBase.data
}

// FuzzFile overwrites the bytes of a sound database file at an offset with random bytes
// (or cuts it there) and has a child process open it read-only, check it and read what it
// holds (TestFuzzFileChild). A panic in critsweep's own code fails the input.
//
// bbolt trusts its file: on a damaged one it panics and faults reading past its mapping,
// which the store turns into ErrDamaged errors (Open, View, Update, Check's own walk),
// so a panic that reaches the child's recover fails the input. What no recover can
// catch passes: a fault in the goroutine where bbolt's check runs, pages that send
// bbolt's cursors round in circles until memory runs out, and pointers bbolt builds
// into the Go heap that corrupt it ("found pointer to free object"). Those kill the
// process, which is why each input runs in a child.
func FuzzFile(f *testing.F) {
	f.Add(uint16(0), false, []byte{0})
	f.Add(uint16(16), false, []byte{0xff, 0xff, 0xff, 0xff})
	f.Add(uint16(4096+16), false, []byte{0xde, 0xad, 0xbe, 0xef})
	f.Add(uint16(8192), false, []byte{0x01, 0x00, 0x02, 0x00})
	f.Add(uint16(12288+16), false, []byte{0x10, 0x00})
	f.Add(uint16(16384), true, []byte{})
	f.Add(uint16(20480+20), false, []byte("garbage garbage garbage"))
	f.Fuzz(func(t *testing.T, offset uint16, truncate bool, patch []byte) {
		data := append([]byte(nil), baseFile(t)...)
		off := int(offset) % len(data)
		if truncate {
			data = data[:off]
		} else {
			copy(data[off:], patch)
		}
		path := filepath.Join(t.TempDir(), "fuzz.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		// A 32 KiB file takes milliseconds; a child still at it after 4 s is stopped
		// with SIGQUIT, which dumps its goroutines, to see whose loop it is in.
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestFuzzFileChild$")
		cmd.Env = append(os.Environ(), fuzzFileEnv+"="+path)
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGQUIT) }
		cmd.WaitDelay = 3 * time.Second
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		switch {
		case err == nil:
		case ctx.Err() != nil:
			if stuckInOurs(string(out)) {
				t.Fatalf("reading a damaged file did not end, in critsweep's code:\n%s", out)
			}
		case errors.As(err, &exit) && exit.ExitCode() == exitOurPanic:
			t.Fatalf("reading a damaged file panicked in critsweep's code:\n%s", out)
		case errors.As(err, &exit):
			// bbolt's trouble (see above): known.
		default:
			t.Fatal(err)
		}
	})
}

// fuzzFileEnv names the file a child of FuzzFile reads; exitOurPanic is its exit code
// for a panic that reached it, and exitBbolt for a heap grown past reason (bbolt going
// round a cycle of pages).
const (
	fuzzFileEnv  = "CRITSWEEP_FUZZ_FILE"
	exitOurPanic = 3
	exitBbolt    = 4
)

// TestFuzzFileChild is not a test: in a child started by FuzzFile it opens the file
// named by fuzzFileEnv read-only, checks it, reads everything and exits.
func TestFuzzFileChild(t *testing.T) {
	path, ok := os.LookupEnv(fuzzFileEnv)
	if !ok {
		t.Skip("the child process of FuzzFile")
	}
	go func() { // a cycle of pages sends bbolt's cursors round, growing without end
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for range time.Tick(10 * time.Millisecond) {
			if metrics.Read(sample); sample[0].Value.Uint64() > 64<<20 {
				fmt.Fprintln(os.Stderr, "over 64 MiB of heap for a 32 KiB file: bbolt going round a cycle of pages?")
				os.Exit(exitBbolt)
			}
		}
	}()
	// A fault reading the mapped file becomes a panic rather than a crash: the store
	// should have turned it into an error, so any panic here fails the input.
	debug.SetPanicOnFault(true)
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(os.Stderr, "panic: %v in %s\n%s", p, panicSite(), debug.Stack())
			os.Exit(exitOurPanic)
		}
		os.Exit(0)
	}()
	db, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		return
	}
	defer db.Close()
	db.Check()
	readAll(db)
}

// stuckInOurs reports whether, in a dump of every goroutine's stack (SIGQUIT's), the
// goroutine that runs TestFuzzFileChild is seen inside a function that is not the
// runtime's, the standard library's or bbolt's: a loop of our own. (A goroutine stuck in
// a huge copy has no stack in the dump; that is bbolt's trouble.)
func stuckInOurs(stacks string) bool {
	for _, g := range strings.Split(stacks, "\n\n") {
		if !strings.Contains(g, "TestFuzzFileChild") {
			continue
		}
		for _, line := range strings.Split(g, "\n")[1:] {
			line = strings.TrimSpace(line)
			switch {
			case line == "" || strings.HasPrefix(line, "/") || strings.HasPrefix(line, "runtime."):
			case strings.HasPrefix(line, "go.etcd.io/bbolt"):
				return false
			case strings.HasPrefix(line, "github.com/critsweep/"):
				return !strings.Contains(line, "TestFuzzFileChild")
			}
		}
	}
	return false
}

// panicSite returns where a panic happened, called from a deferred function while it
// unwinds: the first bbolt function among the frames below runtime's panic machinery
// and above our own code (the standard library's, such as bytes.Compare, are skipped),
// else the first of those frames.
func panicSite() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	inPanic := false
	first := ""
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic" || strings.HasPrefix(f.Function, "runtime.panic") || f.Function == "runtime.sigpanic":
			inPanic = true
		case !inPanic || strings.HasPrefix(f.Function, "runtime."):
		case strings.HasPrefix(f.Function, "go.etcd.io/bbolt"):
			return f.Function
		case strings.HasPrefix(f.Function, "github.com/critsweep/"):
			if first == "" {
				return f.Function
			}
			return first
		case first == "":
			first = f.Function
		}
		if !more {
			return first
		}
	}
}

// TestFuzzSeedCorpusExists keeps the committed regression inputs of the fuzz targets
// from being dropped unnoticed.
func TestFuzzSeedCorpusExists(t *testing.T) {
	for _, name := range []string{"FuzzRecords", "FuzzFile"} {
		entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", name))
		if err != nil || len(entries) == 0 {
			t.Errorf("testdata/fuzz/%s: no committed seed corpus (%v)", name, err)
		}
	}
}
