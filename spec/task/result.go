package task

import (
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/statmech"
	"github.com/critsweep/critsweep/train"
)

// resultProto maps a trained model's estimates to the Result message that workers report
// and the store keeps; exact, if not nil, fills its exact block. The wire format is this
// package's edge: train's estimates know nothing of it.
func resultProto(e *train.Estimates, objective string, steps int, seconds, finalLoss float64, exact *train.ExactComparison) *critsweepv1.Result {
	r := &critsweepv1.Result{
		LnLambdaPerSite:           estimateProto(e.LnLambdaPerSite),
		LnLambdaMethod:            e.Method,
		FirstOrderLnLambdaPerSite: estimateProto(e.FirstOrder),
		M2:                        estimateProto(e.End.M2),
		M4:                        estimateProto(e.End.M4),
		Binder:                    estimateProto(e.End.Binder),
		XiOverL:                   estimateProto(e.End.XiOverL),
		Steps:                     uint64(steps),
		Seconds:                   seconds,
		FinalLoss:                 finalLoss,
		Objective:                 objective,
	}
	if d := e.SMC; d.Replicas > 0 {
		r.Smc = &critsweepv1.SMCDetails{
			Replicas: uint32(d.Replicas), Particles: uint32(d.Particles), BurnIn: uint32(d.BurnIn),
			Steps: uint32(d.Steps), Draws: uint64(d.Draws),
			BiasCorrection: d.BiasCorrection, WeightSpread: d.WeightSpread, AdaptDraws: uint64(d.AdaptDraws),
		}
	}
	if e.Bulk.N > 0 {
		r.Bulk = observablesProto(e.Bulk)
	}
	if exact != nil {
		r.Exact = &critsweepv1.ExactComparison{
			LnLambdaPerSite: exact.LnLambdaPerSite,
			M2:              exact.End.M2,
			M4:              exact.End.M4,
			Binder:          exact.End.Binder,
			XiOverL:         exact.End.XiOverL,
			TvDistance:      exact.TV,
			KlExactModel:    exact.KL,
			Bulk: &critsweepv1.Observables{
				M2:      &critsweepv1.Estimate{Value: exact.Bulk.M2},
				M4:      &critsweepv1.Estimate{Value: exact.Bulk.M4},
				Binder:  &critsweepv1.Estimate{Value: exact.Bulk.Binder},
				XiOverL: &critsweepv1.Estimate{Value: exact.Bulk.XiOverL},
			},
		}
	}
	return r
}

func observablesProto(o statmech.ObservableEstimates) *critsweepv1.Observables {
	return &critsweepv1.Observables{
		M2:      estimateProto(o.M2),
		M4:      estimateProto(o.M4),
		Binder:  estimateProto(o.Binder),
		XiOverL: estimateProto(o.XiOverL),
	}
}

func estimateProto(e statmech.Estimate) *critsweepv1.Estimate {
	return &critsweepv1.Estimate{Value: e.Mean, Stderr: e.StdErr}
}
