package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/critsweep/critsweep/coordinator"
	"github.com/critsweep/critsweep/internal/proctest"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/store"
	"github.com/critsweep/critsweep/worker"
)

// testSpec is a sweep of 4 small, quick Ising tasks.
const testSpec = `name: cli test
model: {kind: ising}
boundary: [periodic, twisted]
grid: {beta: [0.40, 0.44], size: [4], tau: [1.0]}
network: {hidden: [4]}
training: {steps: 50, batch: 32, learning_rate: 1e-2, seed: 5}
`

// testCluster is a coordinator served on a loopback port, in-process, over a database in
// t.TempDir.
type testCluster struct {
	addr   string
	dbPath string
	c      *coordinator.Coordinator
	stop   func() // stops serving and closes the database; the file stays
}

func startTestCluster(t *testing.T, token string) *testCluster {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "critsweep.db")
	db, err := store.Open(dbPath, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	c, err := coordinator.New(db, nil, &coordinator.Options{RetryAfter: 20 * time.Millisecond, Logger: quiet, Resolve: taskSettings})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := coordinator.NewServer(c, &coordinator.ServerOptions{Token: token, ShutdownTimeout: 2 * time.Second, Logger: quiet})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis) }()
	tc := &testCluster{addr: lis.Addr().String(), dbPath: dbPath, c: c}
	var once sync.Once
	tc.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-served; err != nil {
				t.Errorf("Serve: %v", err)
			}
			c.Close()
			if err := db.Check(); err != nil {
				t.Errorf("store check: %v", err)
			}
			db.Close()
		})
	}
	t.Cleanup(tc.stop)
	return tc
}

// submit submits testSpec in-process and returns the sweep id.
func (tc *testCluster) submit(t *testing.T) string {
	t.Helper()
	sweep, err := spec.Parse([]byte(testSpec))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tc.c.SubmitSweep(context.Background(), &critsweepv1.SubmitSweepRequest{Spec: sweep})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetSweepId()
}

// finish trains every task of the sweep with an in-process worker.
func (tc *testCluster) finish(t *testing.T, sweep string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		worker.New(tc.c, &worker.Options{Slots: 2, EstimateSamples: 256, EstimateDraws: 1 << 12, Logger: slog.New(slog.DiscardHandler)}).Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	waitCtx, stop := context.WithTimeout(context.Background(), time.Minute)
	defer stop()
	if err := tc.c.WatchSweep(waitCtx, &critsweepv1.WatchSweepRequest{SweepId: sweep}, func(*critsweepv1.SweepStatus) error { return nil }); err != nil {
		t.Fatalf("waiting for sweep %s: %v", sweep, err)
	}
}

// runCLIContext is runCLI with a context, for the commands that run until it is done.
func runCLIContext(ctx context.Context, stdout, stderr *proctest.Buffer, args ...string) int {
	return run(ctx, args, stdout, stderr)
}

// writeFile writes a file in t.TempDir and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
