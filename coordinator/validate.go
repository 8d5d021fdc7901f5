package coordinator

import (
	"fmt"
	"math"
	"strings"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// Limits a sweep spec must stay within.
const (
	// DefaultMaxTasks is the most tasks one sweep may hold, extensions included, unless
	// Options.MaxTasksPerSweep says otherwise.
	DefaultMaxTasks = 100000
	MaxNameLen      = 100
	MaxQ            = 64
	MaxSize         = 1024
	MaxHiddenLayers = 32
	MaxHidden       = 65536
	MaxBatch        = 1 << 20
	MaxAttempts     = 100
)

// Names a spec may use.
var (
	modelKinds     = []string{"ising", "potts", "clock", "custom"}
	boundaryNames  = []string{"periodic", "twisted"}
	objectives     = []string{"default", "gumbel-rkl"}
	nonlinearities = []string{"relu", "tanh", "elu", "softplus"}
)

// FieldViolation is one broken rule: the field's path in the spec (as written in YAML,
// e.g. "grid.beta.step") and what is wrong, with the allowed range.
type FieldViolation struct {
	Field       string
	Description string
}

// SpecError lists every rule a sweep spec breaks. It wraps ErrInvalidSpec.
type SpecError struct {
	Violations []FieldViolation
}

func (e *SpecError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		if v.Field == "" {
			parts[i] = "spec " + v.Description
		} else {
			parts[i] = v.Field + ": " + v.Description
		}
	}
	return "invalid sweep spec: " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalidSpec) hold.
func (e *SpecError) Unwrap() error { return ErrInvalidSpec }

// specErr returns a *SpecError with one violation.
func specErr(field, format string, args ...any) error {
	return &SpecError{Violations: []FieldViolation{{Field: field, Description: fmt.Sprintf(format, args...)}}}
}

// violations collects the broken rules of one validation.
type violations []FieldViolation

func (v *violations) add(field, format string, args ...any) {
	*v = append(*v, FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
}

func (v violations) err() error {
	if len(v) == 0 {
		return nil
	}
	return &SpecError{Violations: v}
}

// ValidateSpec checks every rule of a sweep spec and returns a *SpecError listing all
// that it breaks, each naming the field and what is allowed, or nil. The grid may hold at
// most DefaultMaxTasks tasks.
func ValidateSpec(spec *critsweepv1.SweepSpec) error {
	return validateSpec(spec, DefaultMaxTasks)
}

func validateSpec(spec *critsweepv1.SweepSpec, maxTasks int) error {
	var v violations
	if spec == nil {
		v.add("", "is missing")
		return v.err()
	}
	if n := len(spec.GetName()); n > MaxNameLen {
		v.add("name", "must be at most %d bytes, got %d", MaxNameLen, n)
	}
	validateModel(&v, spec.GetModel())
	validateBoundaries(&v, spec.GetBoundary())
	if spec.GetGrid() == nil {
		v.add("grid", "is required: {beta, size, tau}")
	} else {
		n := validateGrid(&v, spec.GetGrid(), "grid")
		if b := max(len(spec.GetBoundary()), 1); n > 0 && n*b > maxTasks {
			v.add("grid", "holds %d tasks (%d points × %d boundaries), at most %d allowed", n*b, n, b, maxTasks)
		}
	}
	validateNetwork(&v, spec.GetNetwork())
	validateTraining(&v, spec.GetTraining())
	// Only gumbel-rkl uses τ: several τ with another objective would train identical
	// models, so the spec is refused rather than silently wasting the grid.
	if o := spec.GetTraining().GetObjective(); o != "gumbel-rkl" && len(spec.GetGrid().GetTau()) > 1 {
		name := o
		if name == "" {
			name = "default"
		}
		v.add("grid.tau", "objective %q does not use τ: give one value, or use objective gumbel-rkl to sweep τ; got %d values", name, len(spec.GetGrid().GetTau()))
	}
	if a := spec.GetMaxAttempts(); a > MaxAttempts {
		v.add("max_attempts", "must be in [0, %d] (0: the coordinator's default), got %d", MaxAttempts, a)
	}
	return v.err()
}

func validateModel(v *violations, m *critsweepv1.ModelSpec) {
	if m == nil {
		v.add("model", "is required: {kind: ising}, {kind: potts, q: Q}, {kind: clock, q: Q} or {kind: custom, bond_weight: [[...]]}")
		return
	}
	kind := m.GetKind()
	switch kind {
	case "ising":
		if q := m.GetQ(); q != 0 && q != 2 {
			v.add("model.q", "must be 2 or absent for ising, got %d", q)
		}
	case "potts", "clock":
		if q := m.GetQ(); q < 2 || q > MaxQ {
			v.add("model.q", "must be in [2, %d] for %s, got %d", MaxQ, kind, q)
		}
	case "custom":
		bw := m.GetBondWeight()
		if bw == nil {
			v.add("model.bond_weight", "is required for custom: a positive q×q matrix")
			return
		}
		q := bw.GetQ()
		if q < 2 || q > MaxQ {
			v.add("model.bond_weight.q", "must be in [2, %d], got %d", MaxQ, q)
			return
		}
		if mq := m.GetQ(); mq != 0 && mq != q {
			v.add("model.q", "must be absent or equal the bond weight's q = %d, got %d", q, mq)
		}
		if n := len(bw.GetValues()); n != int(q*q) {
			v.add("model.bond_weight.values", "must hold q×q = %d numbers (a square matrix), got %d", q*q, n)
		}
		for i, w := range bw.GetValues() {
			if !(w > 0) || math.IsInf(w, 0) {
				v.add(fmt.Sprintf("model.bond_weight.values[%d]", i), "must be positive and finite, got %v", w)
			}
		}
	case "":
		v.add("model.kind", "is required: one of %s", strings.Join(modelKinds, ", "))
	default:
		v.add("model.kind", "must be one of %s, got %q", strings.Join(modelKinds, ", "), kind)
	}
	if kind != "custom" && m.GetBondWeight() != nil {
		v.add("model.bond_weight", "is only for kind custom")
	}
}

func validateBoundaries(v *violations, bs []string) {
	seen := map[string]bool{}
	for i, b := range bs {
		field := fmt.Sprintf("boundary[%d]", i)
		switch {
		case !contains(boundaryNames, b):
			v.add(field, "must be one of %s, got %q", strings.Join(boundaryNames, ", "), b)
		case seen[b]:
			v.add(field, "%q is listed twice", b)
		}
		seen[b] = true
	}
}

// validateGrid checks a grid and returns its number of points (0 when it is invalid).
func validateGrid(v *violations, g *critsweepv1.Grid, path string) int {
	before := len(*v)
	betas := 0
	if g.GetBeta() == nil {
		v.add(path+".beta", "is required: a list of β > 0 or {from, to, step}")
	} else {
		betas = validateAxis(v, g.GetBeta(), path+".beta")
	}
	if len(g.GetSize()) == 0 {
		v.add(path+".size", "is required: a list of L in [2, %d]", MaxSize)
	}
	seenSize := map[uint32]bool{}
	for i, L := range g.GetSize() {
		field := fmt.Sprintf("%s.size[%d]", path, i)
		switch {
		case L < 2 || L > MaxSize:
			v.add(field, "must be in [2, %d], got %d", MaxSize, L)
		case seenSize[L]:
			v.add(field, "L = %d is listed twice", L)
		}
		seenSize[L] = true
	}
	if len(g.GetTau()) == 0 {
		v.add(path+".tau", "is required: a list of τ > 0")
	}
	validateList(v, g.GetTau(), path+".tau", "τ")
	if len(*v) > before {
		return 0
	}
	return betas * len(g.GetSize()) * len(g.GetTau())
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
	if r := (to - from) / step; r > 10*DefaultMaxTasks {
		v.add(path+".step", "gives %.0f values from %v to %v, far too many", r, from, to)
		return 0
	}
	values, err := axisValues(a, path)
	if err != nil {
		*v = append(*v, err.(*SpecError).Violations...)
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

func validateNetwork(v *violations, n *critsweepv1.NetworkSpec) {
	if len(n.GetHidden()) > MaxHiddenLayers {
		v.add("network.hidden", "must list at most %d layers, got %d", MaxHiddenLayers, len(n.GetHidden()))
	}
	for i, h := range n.GetHidden() {
		if h < 1 || h > MaxHidden {
			v.add(fmt.Sprintf("network.hidden[%d]", i), "must be in [1, %d], got %d", MaxHidden, h)
		}
	}
	if nl := n.GetNonlinearity(); nl != "" && !contains(nonlinearities, nl) {
		v.add("network.nonlinearity", "must be one of %s (empty: relu), got %q", strings.Join(nonlinearities, ", "), nl)
	}
}

func validateTraining(v *violations, t *critsweepv1.TrainingSpec) {
	if t == nil {
		v.add("training", "is required: {objective, steps, batch, learning_rate, seed}")
		return
	}
	if o := t.GetObjective(); o != "" && !contains(objectives, o) {
		v.add("training.objective", "must be one of %s (empty: default), got %q", strings.Join(objectives, ", "), o)
	}
	if t.GetSteps() < 1 {
		v.add("training.steps", "must be ≥ 1, got %d", t.GetSteps())
	}
	if b := t.GetBatch(); b < 1 || b > MaxBatch {
		v.add("training.batch", "must be in [1, %d], got %d", MaxBatch, b)
	}
	if lr := t.GetLearningRate(); !positive(lr) {
		v.add("training.learning_rate", "must be > 0 and finite, got %v", lr)
	}
}

func positive(x float64) bool { return x > 0 && !math.IsInf(x, 0) }

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
