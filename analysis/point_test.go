package analysis

import (
	"errors"
	"math"
	"testing"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

func est(v, s float64) *critsweepv1.Estimate { return &critsweepv1.Estimate{Value: v, Stderr: s} }

// testResults are two stored task results: a periodic one with every field set and a
// twisted one with only the required ones.
func testResults() []*critsweepv1.TaskResult {
	return []*critsweepv1.TaskResult{
		{
			Ref:      &critsweepv1.TaskRef{SweepId: "s1", Index: 7},
			Spec:     &critsweepv1.TaskSpec{Beta: 0.44, Size: 8, Tau: 0.3, Boundary: "periodic"},
			Attempts: 2,
			Result: &critsweepv1.Result{
				LnLambdaPerSite:           est(0.93382, 1.5e-5),
				FirstOrderLnLambdaPerSite: est(0.9301, 2e-4),
				LnLambdaMethod:            "rayleigh",
				M2:                        est(0.61, 0.002),
				M4:                        est(0.45, 0.003),
				Binder:                    est(0.3969, 0.004),
				XiOverL:                   est(0.7, 0.01),
				Bulk:                      &critsweepv1.Observables{M2: est(0.66, 0.002), M4: est(0.5, 0.003), Binder: est(0.45, 0.005), XiOverL: est(0.8, 0.02)},
				Steps:                     4000,
				Seconds:                   12.5,
				FinalLoss:                 -7.25,
				Objective:                 "default",
				Exact: &critsweepv1.ExactComparison{
					LnLambdaPerSite: 0.9338245734102629, M2: 0.6, M4: 0.44, Binder: 0.3926, XiOverL: 0.69,
					TvDistance: 0.012, KlExactModel: 3e-4,
					Bulk: &critsweepv1.Observables{M2: est(0.65, 0), M4: est(0.49, 0), Binder: est(0.4467, 0), XiOverL: est(0.79, 0)},
				},
			},
		},
		{
			Ref:      &critsweepv1.TaskRef{SweepId: "s1", Index: 8},
			Spec:     &critsweepv1.TaskSpec{Beta: 0.44, Size: 8, Tau: 0.3, Boundary: "twisted"},
			Attempts: 1,
			Result:   &critsweepv1.Result{LnLambdaPerSite: est(0.9211, 2e-5), Steps: 4000, Seconds: 11},
		},
	}
}

func TestPointsFromResults(t *testing.T) {
	pts, err := PointsFromResults(testResults())
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 {
		t.Fatalf("got %d points, want 2", len(pts))
	}
	p := pts[0]
	if p.Beta != 0.44 || p.Size != 8 || p.Tau != 0.3 || p.Boundary != Periodic || p.LnLambdaPerSite != (Estimate{0.93382, 1.5e-5}) {
		t.Errorf("point 0 = %+v", p)
	}
	if *p.Binder != (Estimate{0.3969, 0.004}) || *p.XiOverL != (Estimate{0.7, 0.01}) || *p.BulkBinder != (Estimate{0.45, 0.005}) || *p.BulkXiOverL != (Estimate{0.8, 0.02}) {
		t.Errorf("point 0 observables: %+v %+v %+v %+v", p.Binder, p.XiOverL, p.BulkBinder, p.BulkXiOverL)
	}
	if p.Exact == nil || p.Exact.LnLambdaPerSite != 0.9338245734102629 || p.Exact.BulkBinder != 0.4467 || p.Exact.XiOverL != 0.69 {
		t.Errorf("point 0 exact: %+v", p.Exact)
	}
	q := pts[1]
	if q.Boundary != Twisted || q.Binder != nil || q.BulkBinder != nil || q.Exact != nil {
		t.Errorf("point 1 = %+v, want twisted without observables or exact values", q)
	}

	bad := testResults()
	bad[1].Result = nil
	if _, err := PointsFromResults(bad); !errors.Is(err, ErrInvalidPoint) || err.Error() != "task s1/8: analysis: invalid point: missing spec, result or ln λ estimate" {
		t.Errorf("missing result: error %v", err)
	}
	bad = testResults()
	bad[0].Spec.Boundary = "open"
	if _, err := PointsFromResults(bad); !errors.Is(err, ErrInvalidPoint) {
		t.Errorf("boundary open: error %v, want ErrInvalidPoint", err)
	}
	// An undefined observable (NaN) is not an error: it is left out of its curve.
	nan := testResults()
	nan[0].Result.Binder = est(math.NaN(), 0)
	if _, err := PointsFromResults(nan); err != nil {
		t.Errorf("NaN Binder: %v, want no error", err)
	}
}
