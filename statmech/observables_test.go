package statmech

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"sort"
	"testing"
)

// bruteObservables evaluates the definitions directly over all states.
func bruteObservables(p []float64, q, L int) Observables {
	var m2, m4, chi0, chi1, total float64
	for n, pn := range p {
		var s0, s1 complex128
		for j, a := range decodeStates(n, q, L) {
			m := cmplx.Exp(complex(0, 2*math.Pi*float64(a)/float64(q)))
			s0 += m
			s1 += m * cmplx.Exp(complex(0, 2*math.Pi*float64(j)/float64(L)))
		}
		m := cmplx.Abs(s0) / float64(L)
		m2 += pn * m * m
		m4 += pn * m * m * m * m
		chi0 += pn * cmplx.Abs(s0) * cmplx.Abs(s0) / float64(L)
		chi1 += pn * cmplx.Abs(s1) * cmplx.Abs(s1) / float64(L)
		total += pn
	}
	m2, m4, chi0, chi1 = m2/total, m4/total, chi0/total, chi1/total
	binder := 1 - m4/(2*m2*m2)
	if q == 2 {
		binder = 1 - m4/(3*m2*m2)
	}
	xi := 1 / (2 * float64(L) * math.Sin(math.Pi/float64(L))) * math.Sqrt(chi0/chi1-1)
	return Observables{M2: m2, M4: m4, Binder: binder, Chi0: chi0, ChiKMin: chi1, XiOverL: xi}
}

func compareObservables(t *testing.T, label string, got, want Observables, tol float64) {
	t.Helper()
	g, w := flatten(got), flatten(want)
	names := []string{"M2", "M4", "Binder", "Chi0", "ChiKMin", "XiOverL"}
	for i := range g {
		if math.Abs(g[i]-w[i]) > tol*math.Max(1, math.Abs(w[i])) {
			t.Errorf("%s: %s = %.14g, want %.14g", label, names[i], g[i], w[i])
		}
	}
}

func TestObservablesExact(t *testing.T) {
	rng := seeded(t, 19)
	ising, _ := Ising(IsingBetaC)
	potts, _ := Potts(3, 1.0)
	clock, _ := Clock(4, 1.0)
	tests := []struct {
		name string
		w    BondWeight
		L    int
	}{
		{"ising", ising, 2},
		{"ising", ising, 7},
		{"potts3", potts, 5},
		{"clock4", clock, 4},
		{"custom3", randomCustom(t, rng, 3), 3},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/L=%d", tc.name, tc.L), func(t *testing.T) {
			s := mustSystem(t, tc.w, nil, tc.L, Periodic)
			res, err := Perron(s, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Observables(res.P)
			if err != nil {
				t.Fatal(err)
			}
			compareObservables(t, "p", got, bruteObservables(res.P, tc.w.Q(), tc.L), 1e-12)
			// An arbitrary unnormalised distribution.
			r := make([]float64, len(res.P))
			for k := range r {
				r[k] = rng.Float64() * 3
			}
			got, err = s.Observables(r)
			if err != nil {
				t.Fatal(err)
			}
			compareObservables(t, "random", got, bruteObservables(r, tc.w.Q(), tc.L), 1e-12)
		})
	}
}

// TestObservablesLimits: a fully ordered row has ⟨|m|²⟩ = 1 and U = 2/3 (Ising) or 1/2
// (q ≥ 3); the uniform Ising distribution has ⟨m²⟩ = 1/L and ξ = 0.
func TestObservablesLimits(t *testing.T) {
	for _, q := range []int{2, 3} {
		w, _ := Potts(q, 1)
		s := mustSystem(t, w, nil, 6, Periodic)
		n, _ := s.NumStates()
		p := make([]float64, n)
		p[0] = 1
		o, err := s.Observables(p)
		if err != nil {
			t.Fatal(err)
		}
		wantU := 0.5
		if q == 2 {
			wantU = 2.0 / 3
		}
		if math.Abs(o.M2-1) > 1e-15 || math.Abs(o.Binder-wantU) > 1e-15 {
			t.Errorf("q=%d ordered row: M2 %v Binder %v, want 1, %v", q, o.M2, o.Binder, wantU)
		}
	}
	w, _ := Ising(1)
	s := mustSystem(t, w, nil, 6, Periodic)
	p := make([]float64, 64)
	for k := range p {
		p[k] = 1
	}
	o, _ := s.Observables(p)
	if math.Abs(o.M2-1.0/6) > 1e-15 || math.Abs(o.XiOverL) > 1e-7 {
		t.Errorf("uniform: M2 %v XiOverL %v, want 1/6, 0", o.M2, o.XiOverL)
	}
}

// sampleFrom draws n rows from the distribution p by inverting its cumulative sum.
func sampleFrom(rng *rand.Rand, s *System, p []float64, n int) []float64 {
	cum := make([]float64, len(p))
	acc := 0.0
	for k, v := range p {
		acc += v
		cum[k] = acc
	}
	rows := make([]float64, n*s.RowLen())
	for r := range n {
		k := sort.SearchFloat64s(cum, rng.Float64()*acc)
		k = min(k, len(p)-1)
		s.Decode(rows[r*s.RowLen():(r+1)*s.RowLen()], k)
	}
	return rows
}

func TestEstimateObservables(t *testing.T) {
	rng := seeded(t, 23)
	const nSamples = 40000
	ising, _ := Ising(IsingBetaC)
	potts, _ := Potts(3, PottsBetaC(3))
	for _, tc := range []struct {
		name string
		w    BondWeight
		L    int
	}{{"ising", ising, 6}, {"potts3", potts, 4}} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSystem(t, tc.w, nil, tc.L, Periodic)
			res, err := Perron(s, nil)
			if err != nil {
				t.Fatal(err)
			}
			exact, _ := s.Observables(res.P)
			bulkP, err := s.Bulk(res.P)
			if err != nil {
				t.Fatal(err)
			}
			bulk, _ := s.Observables(bulkP)
			n := len(res.P)

			// Unweighted samples of p.
			rows := sampleFrom(rng, s, res.P, nSamples)
			est, err := s.EstimateObservables(rows, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkEstimates(t, "p", est, exact)
			if est.N != nSamples || est.ESS != nSamples {
				t.Errorf("N %d ESS %v, want %d", est.N, est.ESS, nSamples)
			}
			// The jackknife error of a mean is the usual one.
			var f1, f2 float64
			for r := range nSamples {
				o, _ := s.Observables(onePoint(n, s.Index(rows[r*s.RowLen():(r+1)*s.RowLen()])))
				f1 += o.M2
				f2 += o.M2 * o.M2
			}
			naive := math.Sqrt((f2/nSamples - (f1/nSamples)*(f1/nSamples)) / nSamples)
			if r := est.M2.StdErr / naive; r < 0.7 || r > 1.3 {
				t.Errorf("M2 jackknife error %v, naive %v", est.M2.StdErr, naive)
			}

			// Samples of p reweighted by Th·p reach the bulk distribution.
			lw := make([]float64, nSamples)
			s.LogHorizontal(lw, rows)
			for r := range lw {
				lw[r] += math.Log(res.P[s.Index(rows[r*s.RowLen():(r+1)*s.RowLen()])])
			}
			est, err = s.EstimateObservables(rows, lw)
			if err != nil {
				t.Fatal(err)
			}
			checkEstimates(t, "bulk by reweighting", est, bulk)

			// Uniform samples reweighted by p reach p.
			uni := make([]float64, n)
			for k := range uni {
				uni[k] = 1
			}
			rows = sampleFrom(rng, s, uni, nSamples)
			for r := range lw {
				lw[r] = math.Log(res.P[s.Index(rows[r*s.RowLen():(r+1)*s.RowLen()])])
			}
			est, err = s.EstimateObservables(rows, lw)
			if err != nil {
				t.Fatal(err)
			}
			checkEstimates(t, "p by reweighting uniform", est, exact)
			if est.ESS >= nSamples || est.ESS < 0.05*nSamples {
				t.Errorf("ESS %v of %d", est.ESS, nSamples)
			}
		})
	}
}

func onePoint(n, k int) []float64 {
	p := make([]float64, n)
	p[k] = 1
	return p
}

// checkEstimates requires every estimate within 4.5 standard errors of the exact value (a
// fixed seed makes this deterministic) and standard errors of a plausible size.
func checkEstimates(t *testing.T, label string, est ObservableEstimates, exact Observables) {
	t.Helper()
	e := []Estimate{est.M2, est.M4, est.Binder, est.Chi0, est.ChiKMin, est.XiOverL}
	x := flatten(exact)
	names := []string{"M2", "M4", "Binder", "Chi0", "ChiKMin", "XiOverL"}
	for i := range e {
		z := (e[i].Mean - x[i]) / e[i].StdErr
		if !(math.Abs(z) < 4.5) || !(e[i].StdErr < 0.05*math.Max(math.Abs(x[i]), 0.1)) {
			t.Errorf("%s: %s = %.5g ± %.2g, exact %.5g (z = %.2f)", label, names[i], e[i].Mean, e[i].StdErr, x[i], z)
		}
	}
}

func TestObservablesBadInput(t *testing.T) {
	w, _ := Ising(1)
	s := mustSystem(t, w, nil, 3, Periodic)
	for _, p := range [][]float64{
		{1, 0, 0, 0, 0, 0, 0, -1},
		{1, 0, 0, 0, 0, 0, 0, math.NaN()},
		{0, 0, 0, 0, 0, 0, 0, 0},
		{1, 0, 0, 0, 0, 0, 0, math.Inf(1)},
	} {
		if _, err := s.Observables(p); !errors.Is(err, ErrDistribution) {
			t.Errorf("Observables(%v): error %v, want ErrDistribution", p, err)
		}
	}
	rows := allHard(2, 3)
	lw := make([]float64, 8)
	lw[3] = math.NaN()
	if _, err := s.EstimateObservables(rows, lw); !errors.Is(err, ErrSamples) {
		t.Errorf("NaN log-weight: error %v, want ErrSamples", err)
	}
	for k := range lw {
		lw[k] = math.Inf(-1)
	}
	if _, err := s.EstimateObservables(rows, lw); !errors.Is(err, ErrSamples) {
		t.Errorf("all -Inf log-weights: error %v, want ErrSamples", err)
	}
	if _, err := s.EstimateObservables(rows[:6], nil); !errors.Is(err, ErrSamples) {
		t.Errorf("one row: error %v, want ErrSamples", err)
	}
}
