package spec

import (
	"math"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// Param is one parameter of a task other than β, L and its seam: a second coupling of its
// model or τ, at its effective value.
type Param struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// SliceParams returns the parameters of a task other than β, L and boundary, at their
// effective values: the model's axes (ModelAxes: q, coupling_ratio, four_spin) and τ, in
// that order. The results of a sweep are analysed in slices of tasks that share them all.
func SliceParams(t *critsweepv1.TaskSpec) []Param {
	var ps []Param
	for _, name := range ModelAxes(t.GetModel().GetKind()) {
		switch name {
		case ParamQ:
			ps = append(ps, Param{name, float64(TaskQ(t))})
		case ParamCouplingRatio:
			ps = append(ps, Param{name, CouplingRatio(t)})
		case ParamFourSpin:
			ps = append(ps, Param{name, FourSpin(t)})
		}
	}
	return append(ps, Param{ParamTau, t.GetTau()})
}

// TaskQ returns the number of states per site of a task's model: the task's q (its grid
// axis) when set, else the model's q, else the kind's own (2 for ising, 4 for
// ashkin-teller, the bond weight's for custom). 0 for potts or clock without q.
func TaskQ(t *critsweepv1.TaskSpec) uint32 {
	if q := t.GetQ(); q != 0 {
		return q
	}
	m := t.GetModel()
	switch {
	case m.GetQ() != 0:
		return m.GetQ()
	case m.GetKind() == ModelIsing:
		return 2
	case m.GetKind() == ModelAshkinTeller:
		return 4
	case m.GetKind() == ModelCustom:
		return m.GetBondWeight().GetQ()
	}
	return 0
}

// CouplingRatio returns J_y/J_x of a task: its coupling_ratio (grid axis) when set, else
// the model's, else 1 (isotropic).
func CouplingRatio(t *critsweepv1.TaskSpec) float64 {
	if r := t.GetCouplingRatio(); r != 0 {
		return r
	}
	if r := t.GetModel().GetCouplingRatio(); r != 0 {
		return r
	}
	return 1
}

// FourSpin returns the Ashkin–Teller four-spin coupling U of a task: its four_spin (grid
// axis) when set, else the model's (0 when absent).
func FourSpin(t *critsweepv1.TaskSpec) float64 {
	if t.FourSpin != nil {
		return t.GetFourSpin()
	}
	return t.GetModel().GetFourSpin()
}

// validCouplingRatio reports whether r is an allowed coupling_ratio.
func validCouplingRatio(r float64) bool {
	return r >= MinCouplingRatio && r <= MaxCouplingRatio
}

// validFourSpin reports whether u is an allowed four_spin.
func validFourSpin(u float64) bool {
	return u > MinFourSpin && u <= MaxFourSpin && !math.IsNaN(u)
}
