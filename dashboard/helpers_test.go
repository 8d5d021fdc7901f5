package dashboard

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/statmech"
	"github.com/critsweep/critsweep/store"
)

const testToken = "dashboard-s3cret"

// fixture is a coordinator over a store in t.TempDir and its dashboard.
type fixture struct {
	db  *store.DB
	c   *coordinator.Coordinator
	srv *Server
}

func newFixture(t testing.TB, o *Options) *fixture {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "critsweep.db"), &store.Options{NoSync: true, MaxBatchDelay: 50 * time.Microsecond})
	if err != nil {
		t.Fatal(err)
	}
	c, err := coordinator.New(db, nil, &coordinator.Options{Logger: slog.New(slog.DiscardHandler), RetryAfter: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		if err := db.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		db.Close()
	})
	if o == nil {
		o = &Options{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Reference == nil {
		o.Reference = func(m *critsweepv1.ModelSpec) (float64, string, bool) {
			return statmech.IsingBetaC, "Onsager β_c", m.GetKind() == spec.ModelIsing
		}
	}
	fx := &fixture{db: db, c: c, srv: New(c, o)}
	t.Cleanup(func() { fx.srv.Close() })
	return fx
}

// isingSpec is an Ising sweep over betas and sizes, both seams.
func isingSpec(name string, betas []float64, sizes ...uint32) *critsweepv1.SweepSpec {
	return &critsweepv1.SweepSpec{
		Name:     name,
		Model:    &critsweepv1.ModelSpec{Kind: spec.ModelIsing},
		Boundary: []string{spec.Periodic, spec.Twisted},
		Grid:     &critsweepv1.Grid{Beta: &critsweepv1.Axis{Values: betas}, Size: sizes},
		Training: &critsweepv1.TrainingSpec{Steps: 100},
	}
}

func betaGrid(from, to float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = spec.RoundSignificant(from + (to-from)*float64(i)/float64(n-1))
	}
	return out
}

func (fx *fixture) submit(t testing.TB, s *critsweepv1.SweepSpec) string {
	t.Helper()
	resp, err := fx.c.SubmitSweep(context.Background(), &critsweepv1.SubmitSweepRequest{Spec: s})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetSweepId()
}

// kaufmanResult is the result of an Ising task whose estimate is Kaufman's exact ln λ/L
// with a standard error of 1e-7, so that the σ_L curves cross where the exact ones do.
func kaufmanResult(ts *critsweepv1.TaskSpec) *critsweepv1.Result {
	b, _ := statmech.ParseBoundary(ts.GetBoundary())
	ln, _ := statmech.KaufmanLogLambda(ts.GetBeta(), int(ts.GetSize()), b)
	perSite := ln / float64(ts.GetSize())
	binder := 0.5 + 0.3*float64(ts.GetSize())*(ts.GetBeta()-statmech.IsingBetaC)
	return &critsweepv1.Result{
		LnLambdaPerSite: &critsweepv1.Estimate{Value: perSite, Stderr: 1e-7},
		Binder:          &critsweepv1.Estimate{Value: binder, Stderr: 1e-3},
		XiOverL:         &critsweepv1.Estimate{Value: 1 - binder, Stderr: 1e-3},
		Steps:           uint64(ts.GetTraining().GetSteps()), Seconds: 1, FinalLoss: 0.01, LnLambdaMethod: "smc", Objective: "default",
		Exact: &critsweepv1.ExactComparison{LnLambdaPerSite: perSite, Binder: binder, XiOverL: 1 - binder, TvDistance: 0.01},
	}
}

// work leases up to n tasks as worker and completes them with Kaufman's values, sending
// heartbeats with progress first; n < 0: every pending task.
func (fx *fixture) work(t testing.TB, worker string, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; n < 0 || i < n; i++ {
		l, err := fx.c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: worker, Slots: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !l.GetLeased() {
			return
		}
		for step := uint64(25); step <= 100; step += 25 {
			if _, err := fx.c.Heartbeat(ctx, &critsweepv1.HeartbeatRequest{Ref: l.GetRef(), Epoch: l.GetEpoch(),
				Progress: &critsweepv1.Progress{Step: step, TotalSteps: 100, Loss: 1 / float64(step), LnLambdaPerSite: 0.9, Seconds: float64(step) / 100}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := fx.c.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: l.GetRef(), Epoch: l.GetEpoch(), Result: kaufmanResult(l.GetSpec())}); err != nil {
			t.Fatal(err)
		}
	}
}

// do serves one request and returns the recorder.
func (fx *fixture) do(t testing.TB, method, path, body string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	fx.srv.ServeHTTP(rec, req)
	return rec
}

// getJSON GETs path, wants status 200 and decodes the body into v.
func (fx *fixture) getJSON(t testing.TB, path string, v any) {
	t.Helper()
	rec := fx.do(t, http.MethodGet, path, "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String())
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, rec.Body.String())
	}
}
