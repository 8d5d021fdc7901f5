package spec

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// ErrInvalid is wrapped by every error of Parse and the Validate functions: by an *Error
// when a rule is broken, directly when the document does not parse.
var ErrInvalid = errors.New("invalid sweep spec")

// Violation is one broken rule: the field's path (as written in YAML, e.g.
// "grid.beta.step") and what is wrong, with the allowed range.
type Violation struct {
	Field       string
	Description string
}

// Error lists every rule a spec breaks. It wraps ErrInvalid.
type Error struct {
	Violations []Violation
}

func (e *Error) Error() string { return "invalid sweep spec: " + e.Detail() }

// Detail lists the violations, "field: description; …", without Error's prefix.
func (e *Error) Detail() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		if v.Field == "" {
			parts[i] = "spec " + v.Description
		} else {
			parts[i] = v.Field + ": " + v.Description
		}
	}
	return strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *Error) Unwrap() error { return ErrInvalid }

// Errorf returns an *Error with one violation of field.
func Errorf(field, format string, args ...any) error {
	return &Error{Violations: []Violation{{Field: field, Description: fmt.Sprintf(format, args...)}}}
}

// violations collects the broken rules of one validation.
type violations []Violation

func (v *violations) add(field, format string, args ...any) {
	*v = append(*v, Violation{Field: field, Description: fmt.Sprintf(format, args...)})
}

func (v violations) err() error {
	if len(v) == 0 {
		return nil
	}
	return &Error{Violations: v}
}

// Validate checks every rule of a sweep spec and returns an *Error listing all that it
// breaks, each naming the field and what is allowed, or nil. The grid, times its
// boundaries, may hold at most maxTasks tasks (0: MaxTasks). Fields left out take their
// defaults (see the package documentation); only name, model, grid.beta and grid.size
// are required.
func Validate(s *critsweepv1.SweepSpec, maxTasks int) error {
	if maxTasks <= 0 {
		maxTasks = MaxTasks
	}
	var v violations
	if s == nil {
		v.add("", "is missing")
		return v.err()
	}
	if n := len(s.GetName()); n > MaxNameLen {
		v.add("name", "must be at most %d bytes, got %d", MaxNameLen, n)
	}
	validateModel(&v, s.GetModel(), "model", modelContext{qElsewhere: len(s.GetGrid().GetQ()) > 0, exclusive: true})
	validateBoundaries(&v, s.GetBoundary())
	if s.GetGrid() == nil {
		v.add("grid", "is required: {beta, size}, and tau for gumbel-rkl")
	} else {
		validateModelAxes(&v, s.GetModel(), s.GetGrid())
		n := validateGrid(&v, s.GetGrid(), "grid")
		if b := len(Boundaries(s)); n > 0 && n*b > maxTasks {
			v.add("grid", "holds %d tasks (%d points × %d boundaries), at most %d allowed", n*b, n, b, maxTasks)
		}
	}
	validateNetwork(&v, s.GetNetwork(), "network")
	validateTraining(&v, s.GetTraining(), "training")
	// Only gumbel-rkl uses τ: several τ with another objective would train identical
	// models, so the spec is refused rather than silently wasting the grid.
	if o := objectiveOf(s.GetTraining()); !UsesTau(o) && len(s.GetGrid().GetTau()) > 1 {
		v.add("grid.tau", "objective %q does not use τ: give one value, or use objective %s to sweep τ; got %d values", o, ObjectiveGumbelRKL, len(s.GetGrid().GetTau()))
	}
	if a := s.GetMaxAttempts(); a > MaxAttempts {
		v.add("max_attempts", "must be in [0, %d] (0: the coordinator's default), got %d", MaxAttempts, a)
	}
	return v.err()
}

// ValidateGrid checks a grid on its own (as ExtendSweep takes one) and returns its number
// of points (without boundaries), or an *Error.
func ValidateGrid(g *critsweepv1.Grid) (int, error) {
	var v violations
	if g == nil {
		v.add("grid", "is required: {beta, size}, and tau for gumbel-rkl")
		return 0, v.err()
	}
	n := validateGrid(&v, g, "grid")
	return n, v.err()
}

// ValidateTask checks one task spec — a grid point with its model, network and training,
// as a worker receives it or `critsweep train` builds it from its flags — by the rules of
// a sweep spec, with the fields named as in the task (beta, size, tau, boundary,
// model.q, training.steps, …). It returns an *Error or nil.
func ValidateTask(t *critsweepv1.TaskSpec) error {
	var v violations
	if t == nil {
		v.add("", "is missing")
		return v.err()
	}
	validateSystem(&v, t, MaxTaskSize)
	if tau := t.GetTau(); tau != 0 && !positive(tau) {
		v.add("tau", "must be > 0 and finite (0: the objective's default), got %v", tau)
	}
	validateNetwork(&v, t.GetNetwork(), "network")
	validateTraining(&v, t.GetTraining(), "training")
	return v.err()
}

// ValidateSystem checks the part of a task spec that names a transfer matrix — model,
// beta, size and boundary — with L up to maxSize rather than MaxTaskSize: for the exact
// solvers, which need no network. It returns an *Error or nil.
func ValidateSystem(t *critsweepv1.TaskSpec, maxSize int) error {
	var v violations
	if t == nil {
		v.add("", "is missing")
		return v.err()
	}
	validateSystem(&v, t, maxSize)
	return v.err()
}

func validateSystem(v *violations, t *critsweepv1.TaskSpec, maxSize int) {
	validateModel(v, t.GetModel(), "model", modelContext{qElsewhere: t.GetQ() != 0})
	kind := t.GetModel().GetKind()
	if q := t.GetQ(); q != 0 {
		switch {
		case !slices.Contains(ModelAxes(kind), ParamQ):
			v.add("q", "model %s has no q axis (only %s and %s have), got %d", kindName(kind), ModelPotts, ModelClock, q)
		case q < 2 || q > MaxTaskQ:
			v.add("q", "must be in [2, %d], got %d", MaxTaskQ, q)
		}
	}
	if r := t.GetCouplingRatio(); r != 0 && !validCouplingRatio(r) {
		v.add("coupling_ratio", "must be in [%g, %g] (0 or absent: the model's), got %v", MinCouplingRatio, MaxCouplingRatio, r)
	}
	if t.FourSpin != nil {
		u := t.GetFourSpin()
		switch {
		case kind != ModelAshkinTeller:
			v.add("four_spin", "is only for kind %s, not %s", ModelAshkinTeller, kindName(kind))
		case !validFourSpin(u):
			v.add("four_spin", "must be in (%g, %g], got %v", MinFourSpin, MaxFourSpin, u)
		}
	}
	if b := t.GetBeta(); !positive(b) {
		v.add("beta", "must be > 0 and finite, got %v", b)
	}
	if L := t.GetSize(); L < 2 || int(L) > maxSize {
		v.add("size", "must be in [2, %d], got %d", maxSize, L)
	}
	if b := t.GetBoundary(); b != "" && !slices.Contains(BoundaryNames(), b) {
		v.add("boundary", "must be one of %s, got %q", strings.Join(BoundaryNames(), ", "), b)
	}
}

// objectiveOf returns the objective a training spec names, ObjectiveDefault when empty.
func objectiveOf(t *critsweepv1.TrainingSpec) string {
	if o := t.GetObjective(); o != "" {
		return o
	}
	return ObjectiveDefault
}

// modelContext says where else a model's q may come from.
type modelContext struct {
	// qElsewhere is true when the grid (a sweep) or the task gives q.
	qElsewhere bool
	// exclusive is true when q must then be absent from the model (a sweep); a task's q
	// replaces the model's.
	exclusive bool
}

func validateModel(v *violations, m *critsweepv1.ModelSpec, path string, ctx modelContext) {
	if m == nil {
		v.add(path, "is required: {kind: ising}, {kind: potts, q: Q}, {kind: clock, q: Q}, {kind: ashkin-teller, four_spin: U} or {kind: custom, bond_weight: [[...]]}")
		return
	}
	kind := m.GetKind()
	switch kind {
	case ModelIsing:
		if q := m.GetQ(); q != 0 && q != 2 {
			v.add(path+".q", "must be 2 or absent for ising, got %d", q)
		}
	case ModelAshkinTeller:
		if q := m.GetQ(); q != 0 && q != 4 {
			v.add(path+".q", "must be 4 or absent for ashkin-teller (two Ising spins per site), got %d", q)
		}
	case ModelPotts, ModelClock:
		q := m.GetQ()
		switch {
		case ctx.qElsewhere && ctx.exclusive && q != 0:
			v.add(path+".q", "is given by the grid's q axis: leave it out of the model (got %d)", q)
		case ctx.qElsewhere && q == 0:
		case q < 2 || q > MaxTaskQ:
			v.add(path+".q", "must be in [2, %d] for %s, got %d", MaxTaskQ, kind, q)
		}
	case ModelCustom:
		bw := m.GetBondWeight()
		if bw == nil {
			v.add(path+".bond_weight", "is required for custom: a positive q×q matrix")
			return
		}
		q := bw.GetQ()
		if q < 2 || q > MaxTaskQ {
			v.add(path+".bond_weight.q", "must be in [2, %d], got %d", MaxTaskQ, q)
			return
		}
		if mq := m.GetQ(); mq != 0 && mq != q {
			v.add(path+".q", "must be absent or equal the bond weight's q = %d, got %d", q, mq)
		}
		if n := len(bw.GetValues()); n != int(q*q) {
			v.add(path+".bond_weight.values", "must hold q×q = %d numbers (a square matrix), got %d", q*q, n)
		}
		for i, w := range bw.GetValues() {
			if !positive(w) {
				v.add(fmt.Sprintf("%s.bond_weight.values[%d]", path, i), "must be positive and finite, got %v", w)
			}
		}
	case "":
		v.add(path+".kind", "is required: one of %s", strings.Join(ModelKinds(), ", "))
	default:
		v.add(path+".kind", "must be one of %s, got %q", strings.Join(ModelKinds(), ", "), kind)
	}
	if kind != ModelCustom && m.GetBondWeight() != nil {
		v.add(path+".bond_weight", "is only for kind custom")
	}
	if r := m.GetCouplingRatio(); r != 0 && !validCouplingRatio(r) {
		v.add(path+".coupling_ratio", "must be in [%g, %g] (0 or absent: 1, isotropic), got %v", MinCouplingRatio, MaxCouplingRatio, r)
	}
	if u := m.GetFourSpin(); u != 0 {
		switch {
		case kind != ModelAshkinTeller:
			v.add(path+".four_spin", "is only for kind %s, not %s", ModelAshkinTeller, kindName(kind))
		case !validFourSpin(u):
			v.add(path+".four_spin", "must be in (%g, %g] (U ≤ −1 is not ferromagnetic), got %v", MinFourSpin, MaxFourSpin, u)
		}
	}
}

// kindName is a model kind for messages: quoted when it is not one of ModelKinds.
func kindName(kind string) string {
	if slices.Contains(ModelKinds(), kind) {
		return kind
	}
	return fmt.Sprintf("%q", kind)
}

// validateModelAxes checks a sweep's grid axes against its model: the q axis only for
// potts and clock, four_spin only for ashkin-teller, and no axis also fixed in the model.
func validateModelAxes(v *violations, m *critsweepv1.ModelSpec, g *critsweepv1.Grid) {
	kind := m.GetKind()
	axes := ModelAxes(kind)
	if m == nil || axes == nil {
		return // the model's own violation says why
	}
	if len(g.GetQ()) > 0 && !slices.Contains(axes, ParamQ) {
		v.add("grid.q", "model %s has no q axis (only %s and %s have)", kind, ModelPotts, ModelClock)
	}
	if len(g.GetFourSpin()) > 0 && !slices.Contains(axes, ParamFourSpin) {
		v.add("grid.four_spin", "model %s has no four_spin axis (only %s has)", kind, ModelAshkinTeller)
	}
	if len(g.GetCouplingRatio()) > 0 && m.GetCouplingRatio() != 0 {
		v.add("model.coupling_ratio", "is given by the grid's coupling_ratio axis: leave it out of the model (got %v)", m.GetCouplingRatio())
	}
	if len(g.GetFourSpin()) > 0 && m.GetFourSpin() != 0 && kind == ModelAshkinTeller {
		v.add("model.four_spin", "is given by the grid's four_spin axis: leave it out of the model (got %v)", m.GetFourSpin())
	}
}

func validateBoundaries(v *violations, bs []string) {
	seen := map[string]bool{}
	for i, b := range bs {
		field := fmt.Sprintf("boundary[%d]", i)
		switch {
		case !slices.Contains(BoundaryNames(), b):
			v.add(field, "must be one of %s, got %q", strings.Join(BoundaryNames(), ", "), b)
		case seen[b]:
			v.add(field, "%q is listed twice", b)
		}
		seen[b] = true
	}
}

// validateGrid checks a grid and returns its number of points (0 when it is invalid).
// Absent tau is one point, τ = 0: the objective's default.
func validateGrid(v *violations, g *critsweepv1.Grid, path string) int {
	before := len(*v)
	betas := 0
	if g.GetBeta() == nil {
		v.add(path+".beta", "is required: a list of β > 0 or {from, to, step}")
	} else {
		betas = validateAxis(v, g.GetBeta(), path+".beta")
	}
	if len(g.GetSize()) == 0 {
		v.add(path+".size", "is required: a list of L in [2, %d]", MaxTaskSize)
	}
	seenSize := map[uint32]bool{}
	for i, L := range g.GetSize() {
		field := fmt.Sprintf("%s.size[%d]", path, i)
		switch {
		case L < 2 || L > MaxTaskSize:
			v.add(field, "must be in [2, %d], got %d", MaxTaskSize, L)
		case seenSize[L]:
			v.add(field, "L = %d is listed twice", L)
		}
		seenSize[L] = true
	}
	validateList(v, g.GetTau(), path+".tau", "τ")
	seenQ := map[uint32]bool{}
	for i, q := range g.GetQ() {
		field := fmt.Sprintf("%s.q[%d]", path, i)
		switch {
		case q < 2 || q > MaxTaskQ:
			v.add(field, "must be in [2, %d], got %d", MaxTaskQ, q)
		case seenQ[q]:
			v.add(field, "q = %d is listed twice", q)
		}
		seenQ[q] = true
	}
	validateValues(v, g.GetCouplingRatio(), path+".coupling_ratio", "J_y/J_x", validCouplingRatio,
		fmt.Sprintf("in [%g, %g]", MinCouplingRatio, MaxCouplingRatio))
	validateValues(v, g.GetFourSpin(), path+".four_spin", "U", validFourSpin,
		fmt.Sprintf("in (%g, %g] (U ≤ −1 is not ferromagnetic)", MinFourSpin, MaxFourSpin))
	if len(*v) > before {
		return 0
	}
	return betas * len(g.GetSize()) * len(taus(g)) * len(modelPoints(g))
}

// validateValues checks that every value of an axis is allowed (ok) and none repeats.
func validateValues(v *violations, xs []float64, path, symbol string, ok func(float64) bool, allowed string) {
	seen := map[float64]bool{}
	for i, x := range xs {
		field := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case !ok(x):
			v.add(field, "%s must be %s, got %v", symbol, allowed, x)
		case seen[x]:
			v.add(field, "%s = %v is listed twice", symbol, x)
		}
		seen[x] = true
	}
}

// validateAxis checks a β axis and returns its number of values (0 when invalid).
func validateAxis(v *violations, a *critsweepv1.Axis, path string) int {
	isRange := a.GetFrom() != 0 || a.GetTo() != 0 || a.GetStep() != 0
	if len(a.GetValues()) > 0 {
		if isRange {
			v.add(path, "is either a list of values or {from, to, step}, not both")
			return 0
		}
		before := len(*v)
		validateList(v, a.GetValues(), path+".values", "β")
		if len(*v) > before {
			return 0
		}
		return len(a.GetValues())
	}
	if !isRange {
		v.add(path, "is empty: give a list of β > 0 or {from, to, step}")
		return 0
	}
	before := len(*v)
	from, to, step := a.GetFrom(), a.GetTo(), a.GetStep()
	if !positive(from) {
		v.add(path+".from", "must be > 0 and finite, got %v", from)
	}
	if !positive(to) || to < from {
		v.add(path+".to", "must be finite and ≥ from = %v, got %v", from, to)
	}
	if !positive(step) {
		v.add(path+".step", "must be > 0 and finite, got %v", step)
	}
	if len(*v) > before {
		return 0
	}
	values, err := axisValues(a, path)
	if err != nil {
		*v = append(*v, err.(*Error).Violations...)
		return 0
	}
	return len(values)
}

// validateList checks that every value is finite and > 0 and none repeats.
func validateList(v *violations, xs []float64, path, symbol string) {
	seen := map[float64]bool{}
	for i, x := range xs {
		field := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case !positive(x):
			v.add(field, "%s must be > 0 and finite, got %v", symbol, x)
		case seen[x]:
			v.add(field, "%s = %v is listed twice", symbol, x)
		}
		seen[x] = true
	}
}

func validateNetwork(v *violations, n *critsweepv1.NetworkSpec, path string) {
	if len(n.GetHidden()) > MaxHiddenLayers {
		v.add(path+".hidden", "must list at most %d layers, got %d", MaxHiddenLayers, len(n.GetHidden()))
	}
	for i, h := range n.GetHidden() {
		if h < 1 || h > MaxHidden {
			v.add(fmt.Sprintf("%s.hidden[%d]", path, i), "must be in [1, %d], got %d", MaxHidden, h)
		}
	}
	if nl := n.GetNonlinearity(); nl != "" && !slices.Contains(Nonlinearities(), nl) {
		v.add(path+".nonlinearity", "must be one of %s (empty: relu), got %q", strings.Join(Nonlinearities(), ", "), nl)
	}
}

// validateTraining checks a training spec; every field may be left out (zero) for its
// default.
func validateTraining(v *violations, t *critsweepv1.TrainingSpec, path string) {
	if o := t.GetObjective(); o != "" && !slices.Contains(Objectives(), o) {
		v.add(path+".objective", "must be one of %s (empty: default), got %q", strings.Join(Objectives(), ", "), o)
	}
	if b := t.GetBatch(); b > MaxBatch {
		v.add(path+".batch", "must be in [1, %d] (0 or absent: the default), got %d", MaxBatch, b)
	}
	if lr := t.GetLearningRate(); lr != 0 && !positive(lr) {
		v.add(path+".learning_rate", "must be > 0 and finite (0 or absent: the default), got %v", lr)
	}
	if e := t.GetEstimator(); e != "" && !slices.Contains(Estimators(), e) {
		v.add(path+".estimator", "must be one of %s (empty: %s), got %q", strings.Join(Estimators(), ", "), Estimators()[0], e)
	}
	if n := t.GetEstimateSamples(); n == 1 {
		v.add(path+".estimate_samples", "must be ≥ 2 (0 or absent: the default), got %d", n)
	}
}

func positive(x float64) bool { return x > 0 && !math.IsInf(x, 0) }
