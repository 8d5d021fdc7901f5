package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/critsweep/critsweep/coordinator"
	"github.com/critsweep/critsweep/internal/proctest"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

func TestWorkerCommandTrainsSweep(t *testing.T) {
	tc := startTestCluster(t, "tok")
	id := tc.submit(t)
	token := writeFile(t, "token", "tok")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr proctest.Buffer
	exited := make(chan int, 1)
	go func() {
		exited <- runCLIContext(ctx, &stdout, &stderr, "worker", "--coordinator", tc.addr, "--token-file", token,
			"--slots", "2", "--estimate-samples", "256", "--estimate-draws", "4096", "--heartbeat", "100ms", "--name", "cli-worker")
	}()
	waitCtx, stop := context.WithTimeout(context.Background(), time.Minute)
	defer stop()
	err := tc.c.WatchSweep(waitCtx, &critsweepv1.WatchSweepRequest{SweepId: id}, func(*critsweepv1.SweepStatus) error { return nil })
	if err != nil {
		t.Fatalf("sweep did not finish: %v; worker logs:\n%s", err, stderr.String())
	}
	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("worker exit code %d after SIGTERM, want 0; logs:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not stop within 30 s of SIGTERM")
	}
	results, err := coordinator.AllResults(context.Background(), tc.c, id)
	if err != nil || len(results) != 4 {
		t.Fatalf("%d results (%v), want 4", len(results), err)
	}
	if !strings.Contains(stderr.String(), "worker=cli-worker") || !strings.Contains(stderr.String(), "task done") {
		t.Errorf("worker logs lack its name or completions:\n%s", stderr.String())
	}
	if stdout.String() != "" {
		t.Errorf("worker wrote to stdout: %q", stdout.String())
	}
}

func TestWorkerCommandRefused(t *testing.T) {
	tc := startTestCluster(t, "tok")
	var stdout, stderr proctest.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := runCLIContext(ctx, &stdout, &stderr, "worker", "--coordinator", tc.addr, "--slots", "1")
	if code != 1 || !strings.Contains(stderr.String(), "refused") || !strings.Contains(stderr.String(), "--token-file") {
		t.Errorf("worker without a token = (%d, %q), want exit 1 saying it was refused", code, stderr.String())
	}
	if ctx.Err() != nil {
		t.Error("the refused worker ran until the test's timeout")
	}
}

func TestWorkerCommandBadFlags(t *testing.T) {
	tests := [][]string{
		{"worker"},
		{"worker", "--coordinator", "127.0.0.1:1", "--slots", "0"},
		{"worker", "--coordinator", "127.0.0.1:1", "--heartbeat", "0s"},
		{"worker", "--coordinator", "127.0.0.1:1", "--estimate-samples", "1"},
		{"worker", "--coordinator", "127.0.0.1:1", "--log-level", "loud"},
	}
	for _, args := range tests {
		code, _, errOut := runCLI(t, args...)
		if code != 2 {
			t.Errorf("critsweep %s: exit %d, want 2 (stderr %q)", strings.Join(args, " "), code, errOut)
		}
	}
}
