package analysis

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/critsweep/critsweep/spec"
)

// Sweep is the analysis of a whole sweep: one Analysis per slice, and the phase boundary
// they make together.
type Sweep struct {
	Slices   []*Analysis    `json:"slices"`
	Boundary *PhaseBoundary `json:"phase_boundary"`

	exact func(Params) (float64, string, bool) // Options.ExactBetaC, for the phase diagram
}

// AnalyzeSweep analyses every slice of the points (Slices) with Analyze. A slice whose
// curves do not cross, or that has too few sizes, is kept with its curves, its Status and
// its Problem, and never stops the others. It returns an error only for input no slice
// can be analysed from: invalid points (ErrInvalidPoint, ErrDuplicate), bad Options
// (ErrOptions), or no points.
func AnalyzeSweep(points []Point, o *Options) (*Sweep, error) {
	opt, err := o.resolve()
	if err != nil {
		return nil, err
	}
	if len(points) == 0 {
		return nil, errorf(ErrTooFewSizes, "no results to analyse")
	}
	sw := &Sweep{exact: opt.exact}
	for _, pts := range Slices(points) {
		a, err := Analyze(pts, o)
		if err != nil && !analysisError(err) {
			return nil, fmt.Errorf("slice %s: %w", Params(pts[0].params()), err)
		}
		sw.Slices = append(sw.Slices, a)
	}
	sw.Boundary = NewPhaseBoundary(sw.Slices)
	return sw, nil
}

// PhaseBoundary is β_c (and T_c = 1/β_c) against the parameters that vary between the
// slices of a sweep: the phase diagram.
type PhaseBoundary struct {
	// Parameter is the parameter along the boundary: the first that varies between the
	// slices, in spec's order (q, coupling_ratio, four_spin, tau); empty for one slice.
	// Series are the others that vary, one line of the phase diagram per combination.
	Parameter string   `json:"parameter,omitempty"`
	Series    []string `json:"series,omitempty"`
	// Points are the slices, in their order; a slice without β_c has Status other than
	// StatusOK and no numbers.
	Points []BoundaryPoint `json:"points"`
}

// BoundaryPoint is one slice on the phase boundary.
type BoundaryPoint struct {
	Params  Params `json:"params"`
	Status  string `json:"status"`
	Problem string `json:"problem,omitempty"`
	// BetaC, its statistical, systematic (nil: not estimated) and total errors, T_c and
	// its total error: those of the slice's Analysis.
	BetaC                    *float64 `json:"beta_c"`
	BetaCStderr              *float64 `json:"beta_c_stderr"`
	BetaCSystematic          *float64 `json:"beta_c_systematic"`
	BetaCError               *float64 `json:"beta_c_error"`
	FiniteSizeShiftEstimated bool     `json:"finite_size_shift_estimated"`
	TC                       *float64 `json:"t_c"`
	TCError                  *float64 `json:"t_c_error"`
	// ExactBetaC is the exact value where one is known, and Deviation
	// (β_c − exact)/BetaCError, the deviation in units of the total error.
	ExactBetaC *float64 `json:"exact_beta_c,omitempty"`
	Deviation  *float64 `json:"deviation,omitempty"`
	// The slice's universal numbers with their total errors; nil where not estimated.
	Nu                  *float64 `json:"nu"`
	NuError             *float64 `json:"nu_error"`
	CentralCharge       *float64 `json:"central_charge"`
	CentralChargeError  *float64 `json:"central_charge_error"`
	TwistDimension      *float64 `json:"twist_dimension"`
	TwistDimensionError *float64 `json:"twist_dimension_error"`
}

// NewPhaseBoundary collects the slices' critical points.
func NewPhaseBoundary(slices []*Analysis) *PhaseBoundary {
	pb := &PhaseBoundary{Points: []BoundaryPoint{}}
	varies := map[string]bool{}
	for _, a := range slices {
		for _, p := range a.Params {
			if v, _ := slices[0].Params.Get(p.Name); key(v) != key(p.Value) {
				varies[p.Name] = true
			}
		}
	}
	for _, name := range []string{spec.ParamQ, spec.ParamCouplingRatio, spec.ParamFourSpin, spec.ParamTau} {
		switch {
		case !varies[name]:
		case pb.Parameter == "":
			pb.Parameter = name
		default:
			pb.Series = append(pb.Series, name)
		}
	}
	for _, a := range slices {
		bp := BoundaryPoint{Params: a.Params, Status: a.Status, Problem: a.Problem, ExactBetaC: a.ExactBetaC}
		if a.OK() {
			bp.BetaC, bp.BetaCStderr, bp.BetaCError = ptr(a.BetaC), ptr(a.BetaCStderr), ptr(a.BetaCError)
			bp.BetaCSystematic, bp.FiniteSizeShiftEstimated = a.BetaCSystematic, a.FiniteSizeShiftEstimated
			bp.TC, bp.TCError = ptr(a.TC), ptr(a.TCError)
			if a.ExactBetaC != nil && a.BetaCError > 0 {
				bp.Deviation = ptr((a.BetaC - *a.ExactBetaC) / a.BetaCError)
			}
			bp.Nu, bp.NuError = a.Nu, a.NuError
			bp.CentralCharge, bp.CentralChargeError = a.CentralCharge, a.CentralChargeError
			bp.TwistDimension, bp.TwistDimensionError = a.TwistDimension, a.TwistDimensionError
		}
		pb.Points = append(pb.Points, bp)
	}
	return pb
}

// WriteCSV writes the phase boundary as CSV: one row per slice, its parameters first,
// then status, beta_c, beta_c_stderr, beta_c_systematic (empty: not estimated),
// beta_c_error, t_c, t_c_error, exact_beta_c (empty: not known), deviation, nu,
// nu_error, central_charge, central_charge_error, twist_dimension,
// twist_dimension_error (empty: not estimated) and problem.
func (pb *PhaseBoundary) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	var names []string
	if len(pb.Points) > 0 {
		for _, p := range pb.Points[0].Params {
			names = append(names, p.Name)
		}
	}
	header := append(append([]string(nil), names...), "status", "beta_c", "beta_c_stderr", "beta_c_systematic",
		"beta_c_error", "t_c", "t_c_error", "exact_beta_c", "deviation",
		"nu", "nu_error", "central_charge", "central_charge_error", "twist_dimension", "twist_dimension_error", "problem")
	if err := cw.Write(header); err != nil {
		return err
	}
	num := func(x *float64) string {
		if x == nil || math.IsNaN(*x) {
			return ""
		}
		return strconv.FormatFloat(*x, 'g', -1, 64)
	}
	for _, p := range pb.Points {
		var row []string
		for _, name := range names {
			v, ok := p.Params.Get(name)
			if ok {
				row = append(row, strconv.FormatFloat(v, 'g', -1, 64))
			} else {
				row = append(row, "")
			}
		}
		row = append(row, p.Status, num(p.BetaC), num(p.BetaCStderr), num(p.BetaCSystematic), num(p.BetaCError),
			num(p.TC), num(p.TCError), num(p.ExactBetaC), num(p.Deviation),
			num(p.Nu), num(p.NuError), num(p.CentralCharge), num(p.CentralChargeError), num(p.TwistDimension), num(p.TwistDimensionError),
			p.Problem)
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
