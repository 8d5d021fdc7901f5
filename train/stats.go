package train

import "math"

// logMeanExp returns ln((1/n) Σ exp(v_k)) without overflow.
func logMeanExp(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, x := range v {
		s += math.Exp(x - m)
	}
	return m + math.Log(s/float64(len(v)))
}

// logRatio estimates ln(E[a]/E[b]) from paired samples given as logs, ln a_k and ln b_k,
// with the delta-method standard error of the estimate:
// Var(ā/b̄) ≈ Var(a − R·b)/(n·b̄²) with R = ā/b̄.
func logRatio(logA, logB []float64) (value, stderr float64) {
	n := len(logA)
	shiftA, shiftB := math.Inf(-1), math.Inf(-1)
	for k := range n {
		shiftA = math.Max(shiftA, logA[k])
		shiftB = math.Max(shiftB, logB[k])
	}
	var sa, sb float64
	for k := range n {
		sa += math.Exp(logA[k] - shiftA)
		sb += math.Exp(logB[k] - shiftB)
	}
	meanA, meanB := sa/float64(n), sb/float64(n)
	r := meanA / meanB // ratio of the shifted means
	var ss float64
	for k := range n {
		d := math.Exp(logA[k]-shiftA) - r*math.Exp(logB[k]-shiftB)
		ss += d * d
	}
	value = math.Log(r) + shiftA - shiftB
	if n < 2 {
		return value, math.Inf(1)
	}
	// Relative error of R: sd(a − R b)/(√n · b̄ · R) = sd/(√n · ā).
	stderr = math.Sqrt(ss/float64(n-1)/float64(n)) / meanA
	return value, stderr
}

// meanStderr returns the sample mean of v and its standard error.
func meanStderr(v []float64) (mean, stderr float64) {
	n := float64(len(v))
	for _, x := range v {
		mean += x
	}
	mean /= n
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	if len(v) < 2 {
		return mean, math.Inf(1)
	}
	return mean, math.Sqrt(ss / (n - 1) / n)
}

// logAddExp returns ln(exp(a) + exp(b)).
func logAddExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(b, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// logSumExp returns ln Σ exp(v_k) without overflow.
func logSumExp(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, x := range v {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}
