package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSampleLookahead checks the lookahead's next-site conditionals against LogProb on
// rows with each candidate put in place, and the tape it leaves against LogProb's.
func TestSampleLookahead(t *testing.T) {
	for _, tc := range []struct {
		name     string
		units    int
		features []int
		act      Nonlinearity
		noBias   bool
	}{
		{"q=2 two layers relu", 6, []int{2, 5, 4, 2}, ReLU, false},
		{"q=3 one layer tanh", 5, []int{3, 7, 3}, Tanh, false},
		{"q=2 no bias softplus", 4, []int{2, 3, 3, 2}, Softplus, true},
		{"q=4 linear", 3, []int{4, 4}, ELU, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 7))
			m, err := New(tc.units, tc.features, &Options{Nonlinearity: tc.act, NoBias: tc.noBias, Rand: rng})
			if err != nil {
				t.Fatal(err)
			}
			for k := range m.Params() {
				m.Params()[k] = 0.7 * rng.NormFloat64()
			}
			const batch = 5
			q, units := m.States(), m.Units()
			rowLen := units * q
			rows := make([]float64, batch*rowLen)
			tape := NewTape(m)
			probe := NewTape(m)
			lp := make([]float64, 1)
			tape.SampleLookahead(rows, batch, func(i int, logp, next, xi []float64) {
				for n := 0; n < batch; n++ {
					pick := rng.IntN(q)
					xi[n*q+pick] = 1
					if next == nil {
						if i != units-1 {
							t.Fatalf("site %d: no lookahead before the last site", i)
						}
						continue
					}
					// Rows n with site i set to each candidate: the conditionals of site i+1.
					for a := 0; a < q; a++ {
						row := make([]float64, rowLen)
						copy(row[:i*q], rows[n*rowLen:n*rowLen+i*q])
						row[i*q+a] = 1
						for c := 0; c < q; c++ {
							row[(i+1)*q+c] = 0
						}
						var want [8]float64
						for c := 0; c < q; c++ {
							row[(i+1)*q+c] = 1
							probe.LogProb(lp, row)
							row[(i+1)*q+c] = 0
							// log p(x_{i+1}=c | …) = log p(prefix with c) − log p(prefix): only
							// sites ≤ i+1 are set, the rest are zero and add nothing.
							want[c] = lp[0]
						}
						probe.LogProb(lp, row)
						for c := 0; c < q; c++ {
							got := next[(n*q+a)*q+c]
							if d := math.Abs(got - (want[c] - lp[0])); d > 1e-12 {
								t.Fatalf("site %d row %d candidate %d: next[%d] = %v, want %v", i, n, a, c, got, want[c]-lp[0])
							}
						}
					}
				}
				// Keep the choice in rows for the probes of later sites.
				for n := 0; n < batch; n++ {
					copy(rows[n*rowLen+i*q:n*rowLen+(i+1)*q], xi[n*q:(n+1)*q])
				}
			})
			got := make([]float64, batch)
			tape.SampleLogProb(got)
			want := make([]float64, batch)
			NewTape(m).LogProb(want, rows)
			for n := range got {
				if math.Abs(got[n]-want[n]) > 1e-12 {
					t.Errorf("row %d: log p on the tape %v, LogProb %v", n, got[n], want[n])
				}
			}
		})
	}
}
