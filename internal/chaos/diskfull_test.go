package chaos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/critsweep/critsweep/coordinator"
	"github.com/critsweep/critsweep/internal/proctest"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/store"
	"github.com/critsweep/critsweep/worker"
)

// diskSpec is a sweep of 24 quick tasks: 6 β × 2 sizes × 2 boundaries.
const diskSpec = `name: disk full
model: {kind: ising}
boundary: [periodic, twisted]
grid: {beta: {from: 0.38, to: 0.48, step: 0.02}, size: [3, 4], tau: [1.0]}
network: {hidden: [4]}
training: {steps: 1500, batch: 32, learning_rate: 1e-2, seed: 9, estimate_samples: 1024, estimate_draws: 4096}
max_attempts: 100
`

// bigSpec is a sweep of 4000 tasks: its submission writes far more than the free pages
// inside the database file, so on a full disk it must fail.
const bigSpec = `name: too big for a full disk
model: {kind: ising}
boundary: periodic
grid: {beta: {from: 0.001, to: 1.0, step: 0.001}, size: [3, 4, 5, 6], tau: [1.0]}
training: {steps: 1, batch: 1, learning_rate: 1e-2}
`

// mountTmpfs mounts a tmpfs of the given size (e.g. "8m") on a new directory and
// registers its unmount; it skips the test when it cannot (not root).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes a file at path until the file system is full and returns its size.
func fill(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	var n int64
	for {
		k, err := f.Write(chunk)
		n += int64(k)
		if errors.Is(err, syscall.ENOSPC) {
			if len(chunk) == 1 {
				return n
			}
			chunk = chunk[:len(chunk)/2] // fill the last bytes too
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestDiskFull runs a sweep with its database on a small tmpfs that fills up mid-sweep:
// the coordinator must answer with errors (no panic), keep the file sound, and carry on
// once the filler is deleted; the sweep then completes with every result right.
func TestDiskFull(t *testing.T) {
	requireMode(t)
	disk := mountTmpfs(t, "8m")
	dbPath := filepath.Join(disk, "critsweep.db")
	db, err := store.Open(dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	var coordLog, workerLog proctest.Buffer
	c, err := coordinator.New(db, nil, &coordinator.Options{
		LeaseDuration: 2 * time.Second, RetryAfter: 50 * time.Millisecond, ExpiryInterval: 100 * time.Millisecond,
		Logger: slog.New(slog.NewJSONHandler(&coordLog, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := coordinator.NewServer(c, &coordinator.ServerOptions{ShutdownTimeout: 2 * time.Second, Logger: slog.New(slog.NewJSONHandler(&coordLog, nil))})
	serveCtx, stopServing := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx, lis) }()
	cl, err := coordinator.Dial(lis.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	ctx := context.Background()
	sweep, err := spec.Parse([]byte(diskSpec))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cl.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: sweep})
	if err != nil {
		t.Fatal(err)
	}
	id, total := sub.GetSweepId(), sub.GetTasks()

	workCtx, stopWork := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		w := worker.New(cl, &worker.Options{
			Name: "disk", Slots: 2, HeartbeatInterval: 200 * time.Millisecond, CheckpointEvery: 100,
			CheckpointInterval: -1, MaxBackoff: 300 * time.Millisecond, ShutdownTimeout: 2 * time.Second,
			Logger: slog.New(slog.NewJSONHandler(&workerLog, nil)),
		})
		if err := w.Run(workCtx); err != nil {
			t.Errorf("worker: %v", err)
		}
	})
	defer func() {
		stopWork()
		wg.Wait()
	}()
	waitDone := func(atLeast uint32, timeout time.Duration) uint32 {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for {
			resp, err := c.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: id})
			if err != nil {
				t.Fatal(err)
			}
			if d := resp.GetStatus().GetDone(); d >= atLeast {
				return d
			}
			if time.Now().After(deadline) {
				t.Fatalf("sweep not at %d done within %v: %v", atLeast, timeout, resp.GetStatus())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitDone(total/4, time.Minute)

	// The disk fills up.
	filler := filepath.Join(disk, "filler")
	size := fill(t, filler)
	fullAt, _ := c.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: id})
	t.Logf("disk full (filler %d bytes) at %d/%d done", size, fullAt.GetStatus().GetDone(), total)

	big, err := spec.Parse([]byte(bigSpec))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: big})
	if !errors.Is(err, syscall.ENOSPC) || !errors.Is(err, coordinator.ErrDiskFull) {
		t.Errorf("in-process SubmitSweep on a full disk = %v, want an error wrapping ENOSPC and ErrDiskFull", err)
	}
	_, err = cl.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: big})
	if st, _ := status.FromError(err); st.Code() != codes.Unavailable || !errors.Is(err, coordinator.ErrDiskFull) ||
		!strings.Contains(st.Message(), "no space left on device") || !strings.Contains(st.Message(), "free space on the disk") {
		t.Errorf("SubmitSweep over gRPC on a full disk = %v, want Unavailable, ErrDiskFull, saying \"no space left on device\" and what to do", err)
	} else {
		t.Logf("SubmitSweep over gRPC on a full disk: %v: %s", st.Code(), st.Message())
	}
	// The workers go on calling, and are refused, for a while.
	time.Sleep(3 * time.Second)
	if err := db.Check(); err != nil {
		t.Errorf("store check while the disk is full: %v", err)
	}
	stuck, _ := c.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: id})
	refused := strings.Count(coordLog.String(), "no space left on device")
	t.Logf("after 3 s on a full disk: %d/%d done; %d log lines of the coordinator say \"no space left on device\"; "+
		"worker retries: %d complete, %d lease, %d heartbeat", stuck.GetStatus().GetDone(), total, refused,
		strings.Count(workerLog.String(), "complete task failed; retrying"), strings.Count(workerLog.String(), "lease task failed; retrying"),
		strings.Count(workerLog.String(), "heartbeat failed; training goes on"))
	if refused == 0 {
		t.Errorf("the coordinator logged no refusal for the full disk")
	}

	// Space comes back.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitDone(total, 2*time.Minute)
	resp, err := c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: big})
	if err != nil {
		t.Errorf("SubmitSweep once there is space again: %v", err)
	} else if _, err := c.CancelSweep(ctx, &critsweepv1.CancelSweepRequest{SweepId: resp.GetSweepId()}); err != nil {
		t.Errorf("CancelSweep: %v", err)
	}

	stopWork()
	wg.Wait()
	stopServing()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	c.Close()
	if err := db.Close(); err != nil {
		t.Errorf("close database: %v", err)
	}
	if strings.Contains(coordLog.String(), "panic in handler") || strings.Contains(workerLog.String(), "panic in training") {
		t.Errorf("a panic in the logs:\n%s", coordLog.String())
	}
	if err := store.CheckFile(dbPath); err != nil {
		t.Fatalf("store.CheckFile after the disk was full: %v", err)
	}
	specs, err := spec.Expand(sweep)
	if err != nil {
		t.Fatal(err)
	}
	refs := newReferences(specs)
	refs.work(2)
	want, err := refs.wait()
	if err != nil {
		t.Fatal(err)
	}
	tasks, results := readSweep(t, dbPath, id)
	checkResults(t, specs, tasks, results, want)
	t.Logf("%s: %d tasks done, file sound; %s", id, total, fmt.Sprintf("%d bytes on disk", fileSize(dbPath)))
}

func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return info.Size()
}
