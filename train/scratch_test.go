package train

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/critsweep/critsweep/statmech"
)

func TestScratchConverge(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	L, _ := strconv.Atoi(os.Getenv("L"))
	steps, _ := strconv.Atoi(os.Getenv("STEPS"))
	lr, _ := strconv.ParseFloat(os.Getenv("LR"), 64)
	obj := os.Getenv("OBJ")
	w, _ := statmech.Ising(0.44068679350977147)
	sys, _ := statmech.NewSystem(w, L, statmech.Periodic)
	hidden := []int{}
	for _, f := range strings.Split(os.Getenv("HIDDEN"), ",") {
		if h, err := strconv.Atoi(f); err == nil {
			hidden = append(hidden, h)
		}
	}
	batch, _ := strconv.Atoi(os.Getenv("BATCH"))
	seed, _ := strconv.ParseUint(os.Getenv("SEED"), 10, 64)
	tr, err := New(sys, Config{Objective: obj, Steps: steps, LearningRate: lr, Seed: seed, Tau: 0.3, Hidden: hidden, Batch: batch})
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("PYINIT") != "" {
		rng := rand.New(rand.NewPCG(seed, 99))
		layers := tr.Model().Layers()
		for li, l := range layers[:len(layers)-1] {
			std := 1 / math.Sqrt(float64(L*l.In())/2)
			for i := 0; i < L; i++ {
				for k := range l.Panel(i) {
					l.Panel(i)[k] = std * rng.NormFloat64()
				}
			}
			_ = li
		}
	}
	start := time.Now()
	err = tr.Run(context.Background(), steps/10, func(p Progress) error {
		c, _ := tr.CompareExact()
		t.Logf("step %d loss %.4f lnl %.5f tv %.4f t %.1fs", p.Step, p.Loss, p.LnLambdaPerSite, c.TV, time.Since(start).Seconds())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	train := time.Since(start)
	e, err := tr.Estimate(0)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := tr.CompareExact()
	t.Logf("train %.1fs total %.1fs: lnl %.7f ± %.1e (first %.5f) exact %.7f err %.1e tv %.4f kl %.2e m2 %.4f±%.4f exact %.4f", train.Seconds(), time.Since(start).Seconds(), e.LnLambdaPerSite.Mean, e.LnLambdaPerSite.StdErr, e.FirstOrder.Mean, c.LnLambdaPerSite, e.LnLambdaPerSite.Mean-c.LnLambdaPerSite, c.TV, c.KL, e.End.M2.Mean, e.End.M2.StdErr, c.End.M2)
}

func TestScratchVariance(t *testing.T) {
	if os.Getenv("SCRATCH2") == "" {
		t.Skip()
	}
	L := 8
	w, _ := statmech.Ising(0.44068679350977147)
	sys, _ := statmech.NewSystem(w, L, statmech.Periodic)
	tr, _ := New(sys, Config{Steps: 3000, Seed: 1})
	tr.Run(context.Background(), 0, nil)
	n, _ := sys.NumStates()
	lp := tr.logProbAll(n)
	rowLen := sys.RowLen()
	rows := make([]float64, n*rowLen)
	for k := 0; k < n; k++ {
		sys.Decode(rows[k*rowLen:(k+1)*rowLen], k)
	}
	lnT := make([]float64, n*n)
	sys.LogTransferWeight(lnT, rows, rows)
	lnTh := make([]float64, n)
	sys.LogHorizontal(lnTh, rows)
	tp := make([]float64, n)
	var num, den float64
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			tp[a] += math.Exp(lnT[a*n+b] + lp[b])
		}
		num += math.Exp(lnTh[a]+lp[a]) * tp[a]
		den += math.Exp(lnTh[a] + 2*lp[a])
	}
	c, _ := tr.CompareExact()
	t.Logf("exact lambda_R of model: %.7f exact %.7f diff %.2e tv %.4f", math.Log(num/den)/float64(L), c.LnLambdaPerSite, math.Log(num/den)/float64(L)-c.LnLambdaPerSite, c.TV)
	// sampling-only variance: x ~ p, exact Tp
	rng := rand.New(rand.NewPCG(3, 3))
	N := 65536
	cdf := make([]float64, n)
	var s float64
	for k := range cdf {
		s += math.Exp(lp[k])
		cdf[k] = s
	}
	la, lb := make([]float64, N), make([]float64, N)
	for r := 0; r < N; r++ {
		u := rng.Float64() * s
		k := sort.SearchFloat64s(cdf, u)
		la[r] = lnTh[k] + math.Log(tp[k])
		lb[r] = lnTh[k] + lp[k]
	}
	v, se := logRatio(la, lb)
	t.Logf("exact-Tp estimator: %.7f ± %.1e", v/float64(L), se/float64(L))
	for _, k := range []int{1, 4, 16} {
		tr.cfg.EstimateDraws = k * tr.cfg.EstimateSamples
		st := time.Now()
		e, _ := tr.Estimate(0)
		t.Logf("K=%v full estimator: %.7f ± %.1e (%.1fs) ess_end %.0f ess_bulk %.0f", k, e.LnLambdaPerSite.Mean, e.LnLambdaPerSite.StdErr, time.Since(st).Seconds(), e.End.ESS, e.Bulk.ESS)
	}
}
