package statmech

import (
	"fmt"
	"math"
)

// Observables are the order-parameter moments of a row distribution. The order parameter of
// a row is m = (1/L) Σ_j m_j with m_j = exp(2πi s_j/q), the Z_q clock variable of site j;
// for q = 2 it is the mean spin (state 0 = +1, state 1 = −1). Custom bond weights use the
// same definition.
type Observables struct {
	// M2 and M4 are ⟨|m|²⟩ and ⟨|m|⁴⟩.
	M2, M4 float64
	// Binder is the Binder cumulant: 1 − ⟨m⁴⟩/(3⟨m²⟩²) for q = 2, and
	// 1 − ⟨|m|⁴⟩/(2⟨|m|²⟩²) for q ≥ 3.
	Binder float64
	// Chi0 and ChiKMin are χ(k) = ⟨|Σ_j m_j e^{ikj}|²⟩/L at k = 0 and k_min = 2π/L.
	Chi0, ChiKMin float64
	// XiOverL is the second-moment correlation length over L,
	// ξ/L = sqrt(χ(0)/χ(k_min) − 1) / (2L sin(π/L)); NaN when χ(0) < χ(k_min).
	XiOverL float64
}

// Estimate is a sample mean with its standard error.
type Estimate struct {
	Mean, StdErr float64
}

// ObservableEstimates are Observables estimated from samples, each with a jackknife
// standard error.
type ObservableEstimates struct {
	M2, M4, Binder, Chi0, ChiKMin, XiOverL Estimate
	// N is the number of samples and ESS the effective sample size of their weights,
	// (Σw)²/Σw² (N when unweighted).
	N   int
	ESS float64
}

// features are the per-row quantities whose means give the Observables.
const (
	fM2 = iota
	fM4
	fChi0
	fChi1
	nFeatures
)

// orderTables returns the clock variables exp(2πi s/q) and the phases exp(2πi j/L).
func (s *System) orderTables() (clock, phase []complex128) {
	clock = make([]complex128, s.q)
	for a := range clock {
		clock[a] = unitRoot(a, s.q)
	}
	phase = make([]complex128, s.l)
	for j := range phase {
		phase[j] = unitRoot(j, s.l)
	}
	return clock, phase
}

// unitRoot returns exp(2πi k/n), exact on the axes.
func unitRoot(k, n int) complex128 {
	switch {
	case k == 0:
		return 1
	case 2*k == n:
		return -1
	case 4*k == n:
		return 1i
	case 4*k == 3*n:
		return -1i
	}
	sin, cos := math.Sincos(2 * math.Pi * float64(k) / float64(n))
	return complex(cos, sin)
}

func abs2(z complex128) float64 { return real(z)*real(z) + imag(z)*imag(z) }

// addFeatures adds weight·f(row) to acc, given S0 = Σ_j m_j and S1 = Σ_j m_j e^{ik_min j}.
func addFeatures(acc *[nFeatures]float64, weight float64, s0, s1 complex128, L float64) {
	a0 := abs2(s0)
	m2 := a0 / (L * L)
	acc[fM2] += weight * m2
	acc[fM4] += weight * m2 * m2
	acc[fChi0] += weight * a0 / L
	acc[fChi1] += weight * abs2(s1) / L
}

// derive computes the Observables from the means of the features.
func (s *System) derive(mean [nFeatures]float64) Observables {
	o := Observables{M2: mean[fM2], M4: mean[fM4], Chi0: mean[fChi0], ChiKMin: mean[fChi1]}
	c := 2.0
	if s.q == 2 {
		c = 3
	}
	o.Binder = 1 - o.M4/(c*o.M2*o.M2)
	L := float64(s.l)
	o.XiOverL = math.NaN()
	if r := o.Chi0/o.ChiKMin - 1; r >= 0 {
		o.XiOverL = math.Sqrt(r) / (2 * L * math.Sin(math.Pi/L))
	}
	return o
}

// Observables returns the exact Observables of the row distribution p over the q^L hard
// rows, indexed as in Index (for instance PerronResult.P, or the bulk distribution from
// Bulk). p need not be normalised. It panics if len(p) ≠ q^L; it returns ErrTooLarge when
// q^L exceeds MaxStates and ErrDistribution when p has negative or non-finite entries or
// a zero sum.
func (s *System) Observables(p []float64) (Observables, error) {
	n, err := s.NumStates()
	if err != nil {
		return Observables{}, err
	}
	checkLen("p", len(p), n)
	if err := checkDistribution(p); err != nil {
		return Observables{}, err
	}
	clock, phase := s.orderTables()
	// S0 and S1 are sums over sites: tabulate them for the low sites 0…h−1 and the high
	// sites h…L−1 and add the two halves per state.
	h := s.l / 2
	lo0, lo1 := s.orderSums(0, h, clock, phase)
	hi0, hi1 := s.orderSums(h, s.l, clock, phase)
	var acc [nFeatures]float64
	total := 0.0
	L := float64(s.l)
	nlo := len(lo0)
	for j := range hi0 {
		pj := p[j*nlo : (j+1)*nlo]
		for k, pk := range pj {
			if pk == 0 {
				continue
			}
			total += pk
			addFeatures(&acc, pk, lo0[k]+hi0[j], lo1[k]+hi1[j], L)
		}
	}
	for f := range acc {
		acc[f] /= total
	}
	return s.derive(acc), nil
}

// orderSums tabulates Σ_j m_j and Σ_j m_j e^{ik_min j} over the sites j in [from, to), for
// each of the q^(to−from) states of those sites (the first site the least significant).
func (s *System) orderSums(from, to int, clock, phase []complex128) (s0, s1 []complex128) {
	s0, s1 = []complex128{0}, []complex128{0}
	for j := from; j < to; j++ {
		n := len(s0)
		for a := 1; a < s.q; a++ {
			m := clock[a]
			for k := 0; k < n; k++ {
				s0 = append(s0, s0[k]+m)
				s1 = append(s1, s1[k]+m*phase[j])
			}
		}
		for k := 0; k < n; k++ { // state 0: m_j = 1
			s0[k] += 1
			s1[k] += phase[j]
		}
	}
	return s0, s1
}

// jackknifeBlocks is the number of blocks of the delete-one-block jackknife.
const jackknifeBlocks = 100

// EstimateObservables estimates the Observables from samples: rows is a batch of rows
// (each site's state is its largest entry, as in Index), drawn from some distribution r.
// logWeights, if not nil, holds one log-weight per row for self-normalised importance
// reweighting to a target ∝ r·exp(logWeight) (for instance ln Th(x) + ln p(x) to reach the
// bulk distribution from samples of p); nil means equal weights. Standard errors come from
// a delete-one-block jackknife over 100 contiguous blocks (fewer for fewer samples).
//
// It panics if len(rows) is not a multiple of L·q or logWeights has the wrong length; it
// returns ErrSamples for fewer than 2 rows or for log-weights that are NaN, +Inf or all −Inf.
func (s *System) EstimateObservables(rows, logWeights []float64) (ObservableEstimates, error) {
	n := s.rows(rows, "rows")
	if logWeights != nil {
		checkLen("logWeights", len(logWeights), n)
	}
	if n < 2 {
		return ObservableEstimates{}, fmt.Errorf("%w: need at least 2 rows, got %d", ErrSamples, n)
	}
	maxLW := 0.0
	if logWeights != nil {
		maxLW = math.Inf(-1)
		for k, v := range logWeights {
			if math.IsNaN(v) || math.IsInf(v, 1) {
				return ObservableEstimates{}, fmt.Errorf("%w: log-weights must be finite or -Inf, entry %d is %v", ErrSamples, k, v)
			}
			maxLW = max(maxLW, v)
		}
		if math.IsInf(maxLW, -1) {
			return ObservableEstimates{}, fmt.Errorf("%w: all log-weights are -Inf", ErrSamples)
		}
	}
	clock, phase := s.orderTables()
	q, L := s.q, s.l
	rl := L * q
	nb := min(n, jackknifeBlocks)
	blocks := make([][nFeatures]float64, nb)
	bw := make([]float64, nb)
	sumW, sumW2 := 0.0, 0.0
	for r := range n {
		w := 1.0
		if logWeights != nil {
			w = math.Exp(logWeights[r] - maxLW)
		}
		row := rows[r*rl : (r+1)*rl]
		var s0, s1 complex128
		for j := range L {
			m := clock[argmax(row[j*q:(j+1)*q])]
			s0 += m
			s1 += m * phase[j]
		}
		blk := r * nb / n
		addFeatures(&blocks[blk], w, s0, s1, float64(L))
		bw[blk] += w
		sumW += w
		sumW2 += w * w
	}
	var tot [nFeatures]float64
	for _, b := range blocks {
		for f := range tot {
			tot[f] += b[f]
		}
	}
	mean := tot
	for f := range mean {
		mean[f] /= sumW
	}
	full := s.derive(mean)
	// Delete-one-block jackknife.
	var sq, avg [6]float64
	var loo [][6]float64
	for k := range nb {
		wk := sumW - bw[k]
		if !(wk > 0) {
			continue
		}
		var m [nFeatures]float64
		for f := range m {
			m[f] = (tot[f] - blocks[k][f]) / wk
		}
		v := flatten(s.derive(m))
		loo = append(loo, v)
		for i := range avg {
			avg[i] += v[i]
		}
	}
	nl := float64(len(loo))
	for i := range avg {
		avg[i] /= nl
	}
	for _, v := range loo {
		for i := range sq {
			d := v[i] - avg[i]
			sq[i] += d * d
		}
	}
	fv := flatten(full)
	var est [6]Estimate
	for i := range est {
		est[i] = Estimate{Mean: fv[i], StdErr: math.Sqrt((nl - 1) / nl * sq[i])}
		if nl < 2 {
			est[i].StdErr = math.Inf(1)
		}
	}
	return ObservableEstimates{
		M2: est[0], M4: est[1], Binder: est[2], Chi0: est[3], ChiKMin: est[4], XiOverL: est[5],
		N: n, ESS: sumW * sumW / sumW2,
	}, nil
}

func flatten(o Observables) [6]float64 {
	return [6]float64{o.M2, o.M4, o.Binder, o.Chi0, o.ChiKMin, o.XiOverL}
}
