package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestLogRatioMatchesDirect(t *testing.T) {
	a := []float64{1, 2, 3, 4}
	b := []float64{2, 2, 5, 1}
	logA, logB := make([]float64, len(a)), make([]float64, len(b))
	for k := range a {
		// Shift by large constants: the estimate must not overflow.
		logA[k] = math.Log(a[k]) + 800
		logB[k] = math.Log(b[k]) - 800
	}
	got, _ := logRatio(logA, logB)
	want := 1600.0 // ln(Σa/Σb) = ln(10/10) = 0, plus the shifts
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("logRatio = %.15g, want %.15g", got, want)
	}
}

// TestLogRatioStderrCovers checks the delta-method standard error against the scatter of
// independent repetitions.
func TestLogRatioStderrCovers(t *testing.T) {
	const seed, reps, n = 7, 400, 500
	rng := rand.New(rand.NewPCG(seed, seed))
	logA, logB := make([]float64, n), make([]float64, n)
	var ests, errs []float64
	for range reps {
		for k := range n {
			u := rng.NormFloat64()
			logA[k] = 0.5*u + 0.3*rng.NormFloat64()
			logB[k] = 0.4 * u
		}
		v, se := logRatio(logA, logB)
		ests = append(ests, v)
		errs = append(errs, se)
	}
	_, sem := meanStderr(ests)
	sd := sem * math.Sqrt(reps)
	mean, _ := meanStderr(errs)
	if r := mean / sd; r < 0.85 || r > 1.15 {
		t.Errorf("seed %d: mean stderr %.4g vs scatter %.4g of %d repetitions (ratio %.3f), want within 15%%", seed, mean, sd, reps, r)
	}
}

func TestLogMeanExp(t *testing.T) {
	got := logMeanExp([]float64{1000, 1000 + math.Log(3)})
	want := 1000 + math.Log(2)
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("logMeanExp = %.15g, want %.15g", got, want)
	}
}
