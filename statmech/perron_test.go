package statmech

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// denseTransfer builds the dense q^L×q^L matrix T(x, x') = V(x, x') Th(x') from the
// brute-force twins.
func denseTransfer(lat lattice, b Boundary, L int) *mat.Dense {
	q := lat.q()
	rows := allHard(q, L)
	rl := L * q
	n := len(rows) / rl
	t := mat.NewDense(n, n, nil)
	for a := range n {
		for c := range n {
			x, xp := rows[a*rl:(a+1)*rl], rows[c*rl:(c+1)*rl]
			t.Set(a, c, bruteV(lat, L, x, xp)*bruteTh(lat, b, L, xp))
		}
	}
	return t
}

// densePerron returns ln λ and the right and left Perron vectors of a dense positive
// matrix, each normalised to sum 1, from a general eigendecomposition.
func densePerron(t *testing.T, m *mat.Dense) (lnLambda float64, right, left []float64) {
	t.Helper()
	vec := func(m mat.Matrix) (float64, []float64) {
		var eig mat.Eigen
		if !eig.Factorize(m, mat.EigenRight) {
			t.Fatal("eigendecomposition failed")
		}
		vals := eig.Values(nil)
		best := 0
		for k, v := range vals {
			if real(v) > real(vals[best]) {
				best = k
			}
		}
		var vecs mat.CDense
		eig.VectorsTo(&vecs)
		n, _ := m.Dims()
		p := make([]float64, n)
		sum := 0.0
		for k := range p {
			p[k] = real(vecs.At(k, best))
			sum += p[k]
		}
		for k := range p {
			p[k] /= sum
		}
		return real(vals[best]), p
	}
	lambda, right := vec(m)
	_, left = vec(m.T())
	return math.Log(lambda), right, left
}

// symPerron returns ln λ and the right Perron vector of T = V·diag(Th) for symmetric Wv
// from the symmetric eigendecomposition of S = Th^{1/2} V Th^{1/2}.
func symPerron(t *testing.T, lat lattice, b Boundary, L int) (float64, []float64) {
	t.Helper()
	q := lat.q()
	rows := allHard(q, L)
	rl := L * q
	n := len(rows) / rl
	d := make([]float64, n)
	for a := range n {
		d[a] = math.Sqrt(bruteTh(lat, b, L, rows[a*rl:(a+1)*rl]))
	}
	s := mat.NewSymDense(n, nil)
	for a := range n {
		for c := a; c < n; c++ {
			s.SetSym(a, c, d[a]*bruteV(lat, L, rows[a*rl:(a+1)*rl], rows[c*rl:(c+1)*rl])*d[c])
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		t.Fatal("symmetric eigendecomposition failed")
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	p := make([]float64, n)
	sum := 0.0
	for k := range p {
		p[k] = vecs.At(k, n-1) / d[k]
		sum += p[k]
	}
	for k := range p {
		p[k] /= sum
	}
	return math.Log(vals[n-1]), p
}

func TestPerronAgainstDense(t *testing.T) {
	rng := seeded(t, 17)
	ising, _ := Ising(IsingBetaC)
	isingCold, _ := Ising(0.7)
	potts, _ := Potts(3, 1.0)
	clock, _ := Clock(4, 0.8)
	isingV, _ := Ising(0.25)
	pottsV, _ := Potts(3, 1.6)
	at, _ := AshkinTeller(-0.3, 0.5)
	atV, _ := AshkinTeller(-0.3, 0.9)
	tests := []struct {
		name string
		lat  lattice
		L    int
	}{
		{"ising-βc", iso(ising), 6},
		{"ising-0.7", iso(isingCold), 5},
		{"potts3", iso(potts), 4},
		{"clock4", iso(clock), 4},
		{"custom3", iso(randomCustom(t, rng, 3)), 3},
		{"custom2", iso(randomCustom(t, rng, 2)), 5},
		{"ising-anisotropic", lattice{h: ising, v: isingV}, 6},
		{"potts3-anisotropic", lattice{h: potts, v: pottsV}, 4},
		{"custom3-h-symmetric-v", lattice{h: randomCustom(t, rng, 3), v: potts}, 3},
		{"ashkin-teller", lattice{h: at, v: at, twist: flipSigma}, 4},
		{"ashkin-teller-anisotropic", lattice{h: at, v: atV, twist: flipSigma}, 3},
	}
	for _, tc := range tests {
		for _, b := range []Boundary{Periodic, Twisted} {
			t.Run(fmt.Sprintf("%s/L=%d/%v", tc.name, tc.L, b), func(t *testing.T) {
				s := tc.lat.system(t, tc.L, b)
				res, err := Perron(s, nil)
				if err != nil {
					t.Fatal(err)
				}
				wantLn, wantP, left := densePerron(t, denseTransfer(tc.lat, b, tc.L))
				if math.Abs(res.LogLambda-wantLn) > 1e-10 {
					t.Errorf("ln λ = %.14g, dense %.14g", res.LogLambda, wantLn)
				}
				for k := range wantP {
					if math.Abs(res.P[k]-wantP[k]) > 1e-10 {
						t.Fatalf("p[%d] = %.14g, dense %.14g", k, res.P[k], wantP[k])
					}
				}
				if tc.lat.v.Symmetric() != s.Symmetric() {
					t.Errorf("Symmetric() = %v, the vertical weight's %v", s.Symmetric(), tc.lat.v.Symmetric())
				}
				if tc.lat.v.Symmetric() {
					symLn, symP := symPerron(t, tc.lat, b, tc.L)
					if math.Abs(res.LogLambda-symLn) > 1e-10 {
						t.Errorf("ln λ = %.14g, symmetric dense %.14g", res.LogLambda, symLn)
					}
					for k := range symP {
						if math.Abs(res.P[k]-symP[k]) > 1e-10 {
							t.Fatalf("p[%d] = %.14g, symmetric dense %.14g", k, res.P[k], symP[k])
						}
					}
					// Bulk: left × right Perron vectors of the dense matrix.
					bulk, err := s.Bulk(res.P)
					if err != nil {
						t.Fatal(err)
					}
					sum := 0.0
					for k := range left {
						sum += left[k] * wantP[k]
					}
					for k := range left {
						if want := left[k] * wantP[k] / sum; math.Abs(bulk[k]-want) > 1e-10 {
							t.Fatalf("bulk[%d] = %.14g, dense left·right %.14g", k, bulk[k], want)
						}
					}
				} else if _, err := s.Bulk(res.P); !errors.Is(err, ErrAsymmetric) {
					t.Errorf("Bulk with asymmetric W: error %v, want ErrAsymmetric", err)
				}
			})
		}
	}
}

func TestPerronOptions(t *testing.T) {
	w, _ := Ising(IsingBetaC)
	s := mustSystem(t, w, nil, 8, Periodic)
	ref, err := Perron(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("L=8 β_c: %d iterations, |Δ ln λ| %.2g, ‖Δφ‖ %.2g", ref.Iterations, ref.LogLambdaChange, ref.VectorChange)
	if ref.LogLambdaChange > 1e-12 || ref.VectorChange > 1e-10 {
		t.Errorf("default tolerances not met: %+v", ref)
	}

	// A warm start from the answer converges at once.
	warm, err := Perron(s, &PerronOptions{Start: ref.P})
	if err != nil {
		t.Fatal(err)
	}
	if warm.Iterations > 3 || math.Abs(warm.LogLambda-ref.LogLambda) > 1e-12 {
		t.Errorf("warm start: %d iterations, ln λ %v (cold %v)", warm.Iterations, warm.LogLambda, ref.LogLambda)
	}

	// Too few iterations: the last iterate comes back with ErrNotConverged.
	res, err := Perron(s, &PerronOptions{MaxIterations: 2})
	if !errors.Is(err, ErrNotConverged) || res == nil || res.Iterations != 2 || len(res.P) != 256 {
		t.Errorf("MaxIterations 2: got %v, %v; want the last iterate and ErrNotConverged", res, err)
	}

	bad := []struct {
		name string
		o    PerronOptions
		want string
	}{
		{"tol", PerronOptions{Tol: -1}, "Tol must be finite and >= 0"},
		{"tol-nan", PerronOptions{Tol: math.NaN()}, "Tol must be finite and >= 0"},
		{"vectortol", PerronOptions{VectorTol: math.Inf(1)}, "VectorTol must be finite and >= 0"},
		{"maxiter", PerronOptions{MaxIterations: -3}, "MaxIterations must be >= 0"},
		{"start-len", PerronOptions{Start: make([]float64, 3)}, "Start must have q^L = 256 entries, got 3"},
		{"start-zero", PerronOptions{Start: make([]float64, 256)}, "sum of the entries must be finite and > 0"},
	}
	for _, tc := range bad {
		_, err := Perron(s, &tc.o)
		if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want ErrOptions containing %q", tc.name, err, tc.want)
		}
	}
}

// TestPerronLargeWeights: ln λ stays finite and right where Th and λ overflow a float64.
func TestPerronLargeWeights(t *testing.T) {
	const beta, L = 50.0, 10
	w, _ := Ising(beta)
	for _, b := range []Boundary{Periodic, Twisted} {
		res, err := Perron(mustSystem(t, w, nil, L, b), nil)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := KaufmanLogLambda(beta, L, b)
		if relDiff(res.LogLambda, want) > 1e-13 {
			t.Errorf("%v: ln λ = %v, Kaufman %v", b, res.LogLambda, want)
		}
	}
}

// TestPerronIsStationary checks the defining property with the batch routines: p is
// proportional to Σ_x' T(x, x') p(x') and λ = Σ_x' T(x') p(x').
func TestPerronIsStationary(t *testing.T) {
	w, _ := Clock(5, 1.1)
	s := mustSystem(t, w, nil, 3, Twisted)
	res, err := Perron(s, &PerronOptions{Tol: 1e-15, VectorTol: 1e-14})
	if err != nil {
		t.Fatal(err)
	}
	rows := allHard(5, 3)
	n := len(res.P)
	lt := make([]float64, n*n)
	s.LogTransferWeight(lt, rows, rows)
	marg := make([]float64, n)
	s.LogMarginal(marg, rows)
	lambda := 0.0
	for c := range n {
		lambda += math.Exp(marg[c]) * res.P[c]
	}
	if math.Abs(math.Log(lambda)-res.LogLambda) > 1e-12 {
		t.Errorf("ln Σ T(x')p(x') = %v, ln λ = %v", math.Log(lambda), res.LogLambda)
	}
	for a := range n {
		tp := 0.0
		for c := range n {
			tp += math.Exp(lt[a*n+c]) * res.P[c]
		}
		if math.Abs(tp/lambda-res.P[a]) > 1e-12 {
			t.Fatalf("(Tp)(%d)/λ = %v, p = %v", a, tp/lambda, res.P[a])
		}
	}
}

// naiveVertical applies V = ⊗_i W site by site, reading every digit of every index.
func naiveVertical(x []float64, w []float64, q, L int) []float64 {
	cur := append([]float64(nil), x...)
	next := make([]float64, len(x))
	pow := 1
	for range L {
		for n := range cur {
			a := (n / pow) % q
			rest := n - a*pow
			sum := 0.0
			for b := 0; b < q; b++ {
				sum += w[a*q+b] * cur[rest+b*pow]
			}
			next[n] = sum
		}
		cur, next = next, cur
		pow *= q
	}
	return cur
}

// TestVerticalAgainstNaive checks the cache-tiled application of V against the naive one,
// on sizes that exercise the low chunks, the gathered high tiles and partial pieces.
func TestVerticalAgainstNaive(t *testing.T) {
	rng := seeded(t, 29)
	for _, tc := range []struct{ q, L int }{
		{2, 2}, {2, 5}, {2, 11}, {2, 12}, {2, 15}, {2, 19},
		{3, 2}, {3, 7}, {3, 8}, {3, 10}, {4, 7}, {5, 6}, {8, 5}, {40, 3}, {200, 2},
	} {
		n := 1
		for range tc.L {
			n *= tc.q
		}
		w := make([]float64, tc.q*tc.q)
		for k := range w {
			w[k] = rng.Float64()
		}
		x := make([]float64, n)
		for k := range x {
			x[k] = rng.NormFloat64()
		}
		want := naiveVertical(x, w, tc.q, tc.L)
		newVertical(w, tc.q, tc.L).apply(x)
		for k := range x {
			if math.Abs(x[k]-want[k]) > 1e-12*math.Max(1, math.Abs(want[k])) {
				t.Errorf("q=%d L=%d: (Vx)[%d] = %.15g, naive %.15g", tc.q, tc.L, k, x[k], want[k])
				break
			}
		}
	}
}
