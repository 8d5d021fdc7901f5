package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/store"
)

// storeSweeps writes n sweeps of 10,000 done tasks each, with results, straight into a
// new store: half Ising (β 0.40–0.48), half Potts q=3 (β 0.95–1.05), each over 1000 β,
// L = 8, 12, 16, 24, 32 and both seams. It returns the file.
func storeSweeps(tb testing.TB, n int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "critsweep.db")
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	for i := range n {
		s := &critsweepv1.SweepSpec{
			Name:     fmt.Sprintf("ising %d", i),
			Model:    &critsweepv1.ModelSpec{Kind: spec.ModelIsing},
			Boundary: spec.DefaultBoundaries(),
			Grid:     &critsweepv1.Grid{Beta: &critsweepv1.Axis{From: 0.40, To: 0.48, Step: 0.00008}, Size: []uint32{8, 12, 16, 24, 32}},
			Training: &critsweepv1.TrainingSpec{Seed: uint64(i)},
		}
		if i%2 == 1 {
			s.Name = fmt.Sprintf("potts %d", i)
			s.Model = &critsweepv1.ModelSpec{Kind: spec.ModelPotts, Q: 3}
			s.Grid.Beta = &critsweepv1.Axis{From: 0.95, To: 1.05, Step: 0.0001}
		}
		specs, err := spec.Expand(s)
		if err != nil {
			tb.Fatal(err)
		}
		specs = specs[:min(len(specs), 10000)]
		id := fmt.Sprintf("sweep-%d", i)
		err = db.Update(func(tx *store.Tx) error {
			if err := tx.CreateSweep(&critsweepv1.Sweep{Id: id, Spec: s}); err != nil {
				return err
			}
			tasks := make([]*critsweepv1.Task, len(specs))
			for j, ts := range specs {
				tasks[j] = &critsweepv1.Task{Ref: &critsweepv1.TaskRef{SweepId: id, Index: uint32(j)}, Spec: ts,
					State: critsweepv1.TaskState_TASK_STATE_DONE, Attempts: 1, Epoch: 1, Worker: "bench/0"}
			}
			if err := tx.AddTasks(id, tasks); err != nil {
				return err
			}
			for j, ts := range specs {
				v := 0.9 + 0.1*ts.GetBeta() + 1/float64(ts.GetSize())
				res := &critsweepv1.Result{
					LnLambdaPerSite: &critsweepv1.Estimate{Value: v, Stderr: 1e-5},
					M2:              &critsweepv1.Estimate{Value: 0.3, Stderr: 0.01},
					M4:              &critsweepv1.Estimate{Value: 0.2, Stderr: 0.01},
					Binder:          &critsweepv1.Estimate{Value: math.Tanh(ts.GetBeta()), Stderr: 0.01},
					XiOverL:         &critsweepv1.Estimate{Value: 0.5, Stderr: 0.01},
					Steps:           4000, Seconds: 30, FinalLoss: 0.01, LnLambdaMethod: "smc", Objective: "default",
				}
				if ts.GetSize() == 8 {
					res.Exact = &critsweepv1.ExactComparison{LnLambdaPerSite: v, TvDistance: 0.01}
				}
				if err := tx.PutResult(tasks[j].GetRef(), res); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return path
}

// lineCounter counts the lines written to it.
type lineCounter struct{ n int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

// BenchmarkResultsWhere runs `critsweep results --where` over 100,000 stored results (10
// sweeps of 10,000, offline with --db), as a user would: open the file, search every
// sweep, print CSV. It reports ms/query and the matches.
func BenchmarkResultsWhere(b *testing.B) {
	path := storeSweeps(b, 10)
	for _, where := range []string{
		"model = 'potts' and size >= 16 and beta near 1.005",
		"binder > 0.43 and exact_tv_distance is null",
	} {
		b.Run(where, func(b *testing.B) {
			var lines lineCounter
			for b.Loop() {
				lines = lineCounter{}
				var stderr bytes.Buffer
				if code := run(context.Background(), []string{"results", "--db", path, "--where", where, "--sort", "-size,beta"}, &lines, &stderr); code != 0 {
					b.Fatalf("exit %d: %s", code, stderr.String())
				}
			}
			if lines.n < 2 {
				b.Fatalf("%d lines printed, want matches", lines.n)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/query")
			b.ReportMetric(float64(lines.n-1), "matches")
		})
	}
}
