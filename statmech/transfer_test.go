package statmech

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

type testModel struct {
	name string
	lat  lattice
}

func testModels(t testing.TB) []testModel {
	rng := seeded(t, 7)
	must := func(w BondWeight, err error) BondWeight {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	ising := must(Ising(0.7))
	potts := must(Potts(3, 1.0))
	clock := must(Clock(4, 0.8))
	// Entries spanning 1e-5…1e20 take the per-factor range checks instead of the chunked
	// products.
	wide := must(Custom([][]float64{{1e20, 1e-5}, {3, 1e18}}))
	at := must(AshkinTeller(0.4, 0.6))
	return []testModel{
		{"ising", iso(ising)},
		{"custom-wide", iso(wide)},
		{"potts3", iso(potts)},
		{"clock4", iso(clock)},
		{"custom3", iso(randomCustom(t, rng, 3))},
		// Anisotropic: the vertical bonds at 2.5 times the coupling, and a pair of unrelated
		// custom weights.
		{"ising-r2.5", lattice{h: ising, v: must(Ising(0.7 * 2.5))}},
		{"potts3-r0.4", lattice{h: potts, v: must(Potts(3, 0.4))}},
		{"custom3-pair", lattice{h: randomCustom(t, rng, 3), v: randomCustom(t, rng, 3)}},
		{"ashkin-teller", lattice{h: at, v: at, twist: flipSigma}},
		{"ashkin-teller-r0.5", lattice{h: at, v: must(AshkinTeller(0.4, 0.3)), twist: flipSigma}},
	}
}

// allHard returns every hard row of L sites, in index order.
func allHard(q, L int) []float64 {
	n := 1
	for range L {
		n *= q
	}
	var x []float64
	for k := range n {
		x = append(x, hardRow(q, decodeStates(k, q, L))...)
	}
	return x
}

func TestTransferWeightBruteForce(t *testing.T) {
	rng := seeded(t, 11)
	for _, m := range testModels(t) {
		q := m.lat.q()
		for _, L := range []int{2, 3, 4} {
			for _, b := range []Boundary{Periodic, Twisted} {
				t.Run(fmt.Sprintf("%s/L=%d/%v", m.name, L, b), func(t *testing.T) {
					s := m.lat.system(t, L, b)
					rl := L * q
					hard := allHard(q, L)
					if len(hard)/rl > 30 {
						hard = randomHard(rng, 30, q, L)
					}
					soft := randomSoft(rng, 5, q, L)
					scaled := append([]float64(nil), hard[:3*rl]...) // one-hot, entries ≠ 1
					for k := range scaled {
						scaled[k] *= 0.7
					}
					batches := map[string][]float64{"hard": hard, "soft": soft, "scaled": scaled}
					for name, xp := range batches {
						n := len(xp) / rl
						gotH, gotM := make([]float64, n), make([]float64, n)
						s.LogHorizontal(gotH, xp)
						s.LogMarginal(gotM, xp)
						for r := range n {
							row := xp[r*rl : (r+1)*rl]
							if want := math.Log(bruteTh(m.lat, b, L, row)); math.Abs(gotH[r]-want) > 1e-12 {
								t.Errorf("%s row %d: LogHorizontal = %.15g, want %.15g", name, r, gotH[r], want)
							}
							if want := math.Log(bruteMarginal(m.lat, b, L, row)); math.Abs(gotM[r]-want) > 1e-12 {
								t.Errorf("%s row %d: LogMarginal = %.15g, want %.15g", name, r, gotM[r], want)
							}
						}
					}
					for xn, x := range batches {
						for xpn, xp := range batches {
							nx, nxp := len(x)/rl, len(xp)/rl
							got := make([]float64, nx*nxp)
							s.LogTransferWeight(got, x, xp)
							for a := range nx {
								for c := range nxp {
									want := math.Log(bruteT(m.lat, b, L, x[a*rl:(a+1)*rl], xp[c*rl:(c+1)*rl]))
									if g := got[a*nxp+c]; math.Abs(g-want) > 1e-12 {
										t.Errorf("x %s[%d], xp %s[%d]: LogTransferWeight = %.15g, want %.15g", xn, a, xpn, c, g, want)
									}
								}
							}
						}
					}
				})
			}
		}
	}
}

// TestMarginalIsSumOverRows checks the marginal against its definition,
// T(x') = Σ_x T(x, x') over all hard rows x.
func TestMarginalIsSumOverRows(t *testing.T) {
	for _, m := range testModels(t) {
		for _, b := range []Boundary{Periodic, Twisted} {
			q, L := m.lat.q(), 3
			s := m.lat.system(t, L, b)
			all := allHard(q, L)
			rl := L * q
			n := len(all) / rl
			marg := make([]float64, n)
			s.LogMarginal(marg, all)
			for c := range n {
				want := 0.0
				for a := range n {
					want += bruteT(m.lat, b, L, all[a*rl:(a+1)*rl], all[c*rl:(c+1)*rl])
				}
				if math.Abs(marg[c]-math.Log(want)) > 1e-12 {
					t.Errorf("%s/%v row %d: LogMarginal = %.15g, ln Σ_x T = %.15g", m.name, b, c, marg[c], math.Log(want))
				}
			}
		}
	}
}

func TestTwistedIsingIsAntiperiodic(t *testing.T) {
	const beta = 0.37
	w, _ := Ising(beta)
	tw := w.Twist()
	for a := range 2 {
		for c := range 2 {
			sa, sc := 1-2*a, 1-2*c
			if got, want := tw.At(a, c), math.Exp(-beta*float64(sa*sc)); relDiff(got, want) > 1e-15 {
				t.Errorf("Twist().At(%d,%d) = %v, want W(-β) = %v", a, c, got, want)
			}
		}
	}
}

// TestLargeWeightsDoNotOverflow: ln T of a long row at large β is finite and exact.
func TestLargeWeightsDoNotOverflow(t *testing.T) {
	const beta, L = 40.0, 64 // Th = e^{2560} for the ordered row
	w, err := Ising(beta)
	s := mustSystem(t, w, err, L, Periodic)
	up := hardRow(2, make([]int, L))
	got := make([]float64, 1)
	s.LogHorizontal(got, up)
	if want := beta * L; relDiff(got[0], want) > 1e-14 {
		t.Errorf("LogHorizontal(all up) = %v, want %v", got[0], want)
	}
	s.LogTransferWeight(got, up, up)
	if want := 2 * beta * L; relDiff(got[0], want) > 1e-14 {
		t.Errorf("LogTransferWeight(all up, all up) = %v, want %v", got[0], want)
	}
	down := hardRow(2, make([]int, L))
	for i := range L {
		down[2*i], down[2*i+1] = 0, 1
	}
	s.LogTransferWeight(got, up, down)
	if want := 0.0; math.Abs(got[0]-want) > 1e-9 {
		t.Errorf("LogTransferWeight(all up, all down) = %v, want %v", got[0], want)
	}
}

// sumWeighted returns Σ_k up[k]·v[k].
func sumWeighted(up, v []float64) float64 {
	s := 0.0
	for k := range v {
		s += up[k] * v[k]
	}
	return s
}

func checkGradient(t *testing.T, name string, got []float64, f func([]float64) float64, at []float64) {
	t.Helper()
	want := fd.Gradient(nil, f, at, &fd.Settings{Formula: fd.Central, Step: 1e-6})
	for k := range want {
		if math.Abs(got[k]-want[k]) > 1e-6*math.Max(1, math.Abs(want[k])) {
			t.Errorf("%s[%d] = %.10g, finite difference %.10g", name, k, got[k], want[k])
		}
	}
}

func TestBackwardFiniteDifference(t *testing.T) {
	rng := seeded(t, 13)
	for _, m := range testModels(t) {
		q := m.lat.q()
		for _, L := range []int{2, 3} {
			for _, b := range []Boundary{Periodic, Twisted} {
				t.Run(fmt.Sprintf("%s/L=%d/%v", m.name, L, b), func(t *testing.T) {
					s := m.lat.system(t, L, b)
					const nx, nxp = 3, 4
					rl := L * q
					xp := randomSoft(rng, nxp, q, L)
					upRow := make([]float64, nxp)
					for k := range upRow {
						upRow[k] = rng.NormFloat64()
					}
					upPair := make([]float64, nx*nxp)
					for k := range upPair {
						upPair[k] = rng.NormFloat64()
					}
					fH := func(v []float64) float64 {
						out := make([]float64, nxp)
						s.LogHorizontal(out, v)
						return sumWeighted(upRow, out)
					}
					fM := func(v []float64) float64 {
						out := make([]float64, nxp)
						s.LogMarginal(out, v)
						return sumWeighted(upRow, out)
					}
					// Gradients accumulate: start from ones and subtract them afterwards.
					ones := func(n int) []float64 {
						g := make([]float64, n)
						for k := range g {
							g[k] = 1
						}
						return g
					}
					minusOne := func(g []float64) []float64 {
						for k := range g {
							g[k]--
						}
						return g
					}
					g := ones(len(xp))
					s.LogHorizontalBackward(g, xp, upRow)
					checkGradient(t, "LogHorizontalBackward", minusOne(g), fH, xp)
					g = ones(len(xp))
					s.LogMarginalBackward(g, xp, upRow)
					checkGradient(t, "LogMarginalBackward", minusOne(g), fM, xp)

					for _, kind := range []string{"soft", "hard"} {
						x := randomSoft(rng, nx, q, L)
						if kind == "hard" {
							x = randomHard(rng, nx, q, L)
						}
						fX := func(v []float64) float64 {
							out := make([]float64, nx*nxp)
							s.LogTransferWeight(out, v, xp)
							return sumWeighted(upPair, out)
						}
						fXP := func(v []float64) float64 {
							out := make([]float64, nx*nxp)
							s.LogTransferWeight(out, x, v)
							return sumWeighted(upPair, out)
						}
						gx, gxp := ones(len(x)), ones(len(xp))
						s.LogTransferWeightBackward(gx, gxp, x, xp, upPair)
						checkGradient(t, "LogTransferWeightBackward x ("+kind+")", minusOne(gx), fX, x)
						checkGradient(t, "LogTransferWeightBackward xp ("+kind+")", minusOne(gxp), fXP, xp)
						// nil skips one of them and leaves the other unchanged.
						gxp2 := make([]float64, len(xp))
						s.LogTransferWeightBackward(nil, gxp2, x, xp, upPair)
						for k := range gxp {
							if math.Abs(gxp2[k]-gxp[k]) > 1e-12 {
								t.Fatalf("gxp with gx = nil differs at %d: %v vs %v", k, gxp2[k], gxp[k])
							}
						}
					}
					_ = rl
				})
			}
		}
	}
}

func TestIndexDecode(t *testing.T) {
	w, _ := Potts(3, 1)
	s := mustSystem(t, w, nil, 4, Periodic)
	row := make([]float64, s.RowLen())
	for n := range 81 {
		s.Decode(row, n)
		want := hardRow(3, decodeStates(n, 3, 4))
		for k := range row {
			if row[k] != want[k] {
				t.Fatalf("Decode(%d) = %v, want %v", n, row, want)
			}
		}
		if got := s.Index(row); got != n {
			t.Fatalf("Index(Decode(%d)) = %d", n, got)
		}
	}
	// Site 0 is the least significant digit: state 1 at site 0 is index 1, at site 1 index 3.
	if got := s.Index(hardRow(3, []int{1, 0, 0, 0})); got != 1 {
		t.Errorf("Index(site 0 in state 1) = %d, want 1", got)
	}
	if got := s.Index(hardRow(3, []int{0, 1, 0, 0})); got != 3 {
		t.Errorf("Index(site 1 in state 1) = %d, want 3", got)
	}
	// Soft rows map to the largest entry of each site.
	soft := []float64{0.2, 0.5, 0.3, 0.6, 0.3, 0.1, 0, 0, 1, 0.3, 0.3, 0.4}
	if got, want := s.Index(soft), 1+0*3+2*9+2*27; got != want {
		t.Errorf("Index(soft) = %d, want %d", got, want)
	}
}

// TestConcurrentUse runs the batch routines of one System from several goroutines (run
// with -race); each must match the result of a single goroutine.
func TestConcurrentUse(t *testing.T) {
	rng := seeded(t, 31)
	w, _ := Potts(3, 1)
	s := mustSystem(t, w, nil, 6, Twisted)
	x, xp := randomSoft(rng, 7, 3, 6), randomSoft(rng, 5, 3, 6)
	want := make([]float64, 35)
	s.LogTransferWeight(want, x, xp)
	up := make([]float64, 35)
	for k := range up {
		up[k] = rng.NormFloat64()
	}
	wantGx, wantGxp := make([]float64, len(x)), make([]float64, len(xp))
	s.LogTransferWeightBackward(wantGx, wantGxp, x, xp, up)
	errc := make(chan error, 8)
	for range 8 {
		go func() {
			got := make([]float64, 35)
			gx, gxp := make([]float64, len(x)), make([]float64, len(xp))
			for range 20 {
				s.LogTransferWeight(got, x, xp)
				clear(gx)
				clear(gxp)
				s.LogTransferWeightBackward(gx, gxp, x, xp, up)
			}
			for k := range got {
				if got[k] != want[k] {
					errc <- fmt.Errorf("pair %d: %v, want %v", k, got[k], want[k])
					return
				}
			}
			for k := range gx {
				if gx[k] != wantGx[k] {
					errc <- fmt.Errorf("gx[%d]: %v, want %v", k, gx[k], wantGx[k])
					return
				}
			}
			errc <- nil
		}()
	}
	for range 8 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
}
