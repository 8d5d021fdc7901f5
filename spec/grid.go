package spec

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"strconv"

	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// Point is one grid point of a sweep: what distinguishes its tasks from one another. Q,
// CouplingRatio and FourSpin are the values of the model's axes, zero (and HasFourSpin
// false) where the grid has no such axis.
type Point struct {
	Beta          float64
	Size          uint32
	Tau           float64
	Boundary      string
	Q             uint32
	CouplingRatio float64
	FourSpin      float64
	HasFourSpin   bool
}

// TaskSeed derives the training seed of the task at point p of a sweep whose
// training.seed is sweepSeed: the first 8 bytes of a SHA-256 of both, so that a task
// trains the same wherever and whenever it runs, and neighbouring points get unrelated
// seeds. The model's axes enter only where the point has them, so that a sweep without
// them keeps the seeds it always had.
func TaskSeed(sweepSeed uint64, p Point) uint64 {
	var b []byte
	b = append(b, "critsweep task seed v1\x00"...)
	b = binary.BigEndian.AppendUint64(b, sweepSeed)
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(p.Beta))
	b = binary.BigEndian.AppendUint32(b, p.Size)
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(p.Tau))
	b = append(b, p.Boundary...)
	if p.Q != 0 {
		b = binary.BigEndian.AppendUint32(append(b, "\x00q"...), p.Q)
	}
	if p.CouplingRatio != 0 {
		b = binary.BigEndian.AppendUint64(append(b, "\x00r"...), math.Float64bits(p.CouplingRatio))
	}
	if p.HasFourSpin {
		b = binary.BigEndian.AppendUint64(append(b, "\x00u"...), math.Float64bits(p.FourSpin))
	}
	sum := sha256.Sum256(b)
	return binary.BigEndian.Uint64(sum[:8])
}

// Expand returns the task specs of a sweep's grid in their fixed order: by the model's
// axes q, coupling_ratio and four_spin (outermost, so that each slice of the phase
// diagram completes in turn), then size, then β, then τ, then boundary (innermost), each
// axis in the order written. Each task's
// training.seed is TaskSeed of the sweep's seed and its point. The spec must be valid
// (Validate); its boundaries are Boundaries(spec) and an absent grid.tau is one point,
// τ = 0 (the objective's default τ).
func Expand(spec *critsweepv1.SweepSpec) ([]*critsweepv1.TaskSpec, error) {
	points, err := Points(spec.GetGrid(), Boundaries(spec))
	if err != nil {
		return nil, err
	}
	tasks := make([]*critsweepv1.TaskSpec, len(points))
	for i, p := range points {
		tasks[i] = Task(spec, p)
	}
	return tasks, nil
}

// Boundaries returns the spec's boundaries, DefaultBoundaries (both seams) when it names
// none.
func Boundaries(spec *critsweepv1.SweepSpec) []string {
	if len(spec.GetBoundary()) == 0 {
		return DefaultBoundaries()
	}
	return spec.GetBoundary()
}

// taus returns a grid's τ values: one value, 0 (the objective's default), when it lists
// none.
func taus(g *critsweepv1.Grid) []float64 {
	if len(g.GetTau()) == 0 {
		return []float64{0}
	}
	return g.GetTau()
}

// Task returns the spec of the task at point p of a sweep: the sweep's model, network and
// training, with training.seed = TaskSeed(the sweep's seed, p) and the point's values of
// the model's axes.
func Task(spec *critsweepv1.SweepSpec, p Point) *critsweepv1.TaskSpec {
	training := &critsweepv1.TrainingSpec{}
	if spec.GetTraining() != nil {
		training = proto.Clone(spec.GetTraining()).(*critsweepv1.TrainingSpec)
	}
	training.Seed = TaskSeed(spec.GetTraining().GetSeed(), p)
	ts := &critsweepv1.TaskSpec{
		Model:         spec.GetModel(),
		Beta:          p.Beta,
		Size:          p.Size,
		Tau:           p.Tau,
		Boundary:      p.Boundary,
		Network:       spec.GetNetwork(),
		Training:      training,
		Q:             p.Q,
		CouplingRatio: p.CouplingRatio,
	}
	if p.HasFourSpin {
		ts.FourSpin = proto.Float64(p.FourSpin)
	}
	return ts
}

// PointOf returns the grid point of a task spec.
func PointOf(t *critsweepv1.TaskSpec) Point {
	return Point{
		Beta: t.GetBeta(), Size: t.GetSize(), Tau: t.GetTau(), Boundary: t.GetBoundary(),
		Q: t.GetQ(), CouplingRatio: t.GetCouplingRatio(), FourSpin: t.GetFourSpin(), HasFourSpin: t.FourSpin != nil,
	}
}

// modelPoint is a point of the model's axes; zero fields are axes the grid lacks.
type modelPoint struct {
	q           uint32
	ratio, u    float64
	hasFourSpin bool
}

// modelPoints returns the points of a grid's model axes, q outermost, four_spin innermost:
// one zero point when the grid has none.
func modelPoints(g *critsweepv1.Grid) []modelPoint {
	qs := []uint32{0}
	if len(g.GetQ()) > 0 {
		qs = g.GetQ()
	}
	ratios := []float64{0}
	if len(g.GetCouplingRatio()) > 0 {
		ratios = g.GetCouplingRatio()
	}
	var out []modelPoint
	for _, q := range qs {
		for _, r := range ratios {
			if len(g.GetFourSpin()) == 0 {
				out = append(out, modelPoint{q: q, ratio: r})
				continue
			}
			for _, u := range g.GetFourSpin() {
				out = append(out, modelPoint{q: q, ratio: r, u: u, hasFourSpin: true})
			}
		}
	}
	return out
}

// Points returns the points of a valid grid with the given boundaries, in Expand's
// order.
func Points(g *critsweepv1.Grid, boundaries []string) ([]Point, error) {
	betas, err := axisValues(g.GetBeta(), "grid.beta")
	if err != nil {
		return nil, err
	}
	mps := modelPoints(g)
	points := make([]Point, 0, len(mps)*len(betas)*len(g.GetSize())*len(taus(g))*len(boundaries))
	for _, m := range mps {
		for _, L := range g.GetSize() {
			for _, beta := range betas {
				for _, tau := range taus(g) {
					for _, b := range boundaries {
						points = append(points, Point{Beta: beta, Size: L, Tau: tau, Boundary: b,
							Q: m.q, CouplingRatio: m.ratio, FourSpin: m.u, HasFourSpin: m.hasFourSpin})
					}
				}
			}
		}
	}
	return points, nil
}

// axisValues returns an axis's values: its list, or from + k·step for k = 0, 1, … up to
// the point nearest to (within half a step of) to. Range values are rounded to 12
// significant digits, so that 0.4 + 3·0.005 is 0.415, equal to a 0.415 written in a list.
func axisValues(a *critsweepv1.Axis, path string) ([]float64, error) {
	if len(a.GetValues()) > 0 {
		return a.GetValues(), nil
	}
	from, to, step := a.GetFrom(), a.GetTo(), a.GetStep()
	if !(step > 0) || math.IsInf(step, 0) || !(to >= from) || math.IsInf(to-from, 0) {
		return nil, Errorf(path, "range needs finite from ≤ to and step > 0, got from %v, to %v, step %v", from, to, step)
	}
	r := (to - from) / step
	if r > 10*MaxTasks {
		return nil, Errorf(path+".step", "gives %.0f values from %v to %v, far too many", r, from, to)
	}
	n := int(math.Floor(r+0.5)) + 1
	values := make([]float64, n)
	for k := range values {
		values[k] = RoundSignificant(from + float64(k)*step)
		if k > 0 && values[k] == values[k-1] {
			return nil, Errorf(path+".step", "is too small: values repeat after rounding to 12 significant digits")
		}
	}
	return values, nil
}

// RoundSignificant rounds x to 12 significant decimal digits, as range values are.
func RoundSignificant(x float64) float64 {
	y, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
	if err != nil {
		return x
	}
	return y
}
