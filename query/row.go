package query

import (
	"math"
	"strconv"
	"strings"
	"sync"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
)

// Kind is the type of a column's values.
type Kind uint8

// The kinds of columns.
const (
	Real Kind = iota + 1 // a float64; NaN where undefined
	Int                  // a non-negative integer
	Text                 // a string
)

func (k Kind) String() string {
	switch k {
	case Real, Int:
		return "a number"
	case Text:
		return "text"
	}
	return "unknown"
}

// Value is a column's value in one row. Null is true where the row has no value (an
// exact comparison the result lacks).
type Value struct {
	Kind Kind
	Null bool
	Real float64 // Real, and Int as a float64
	Int  uint64
	Text string
}

func realValue(x float64) Value { return Value{Kind: Real, Real: x} }
func intValue(n uint64) Value   { return Value{Kind: Int, Int: n, Real: float64(n)} }
func textValue(s string) Value  { return Value{Kind: Text, Text: s} }
func nullValue(k Kind) Value    { return Value{Kind: k, Null: true} }

// undefined reports whether v has no value to compare: null, or a NaN.
func (v Value) undefined() bool { return v.Null || v.Kind == Real && math.IsNaN(v.Real) }

// String formats v for CSV: numbers in the shortest form that reads back the same, NaN
// as "NaN", null as "".
func (v Value) String() string {
	switch {
	case v.Null:
		return ""
	case v.Kind == Int:
		return strconv.FormatUint(v.Int, 10)
	case v.Kind == Real:
		return strconv.FormatFloat(v.Real, 'g', -1, 64)
	}
	return v.Text
}

// JSON returns v as encoding/json should write it: a float64, uint64 or string, and nil
// (null) for null and for values that are not finite.
func (v Value) JSON() any {
	switch {
	case v.Null:
		return nil
	case v.Kind == Int:
		return v.Int
	case v.Kind == Real:
		if math.IsNaN(v.Real) || math.IsInf(v.Real, 0) {
			return nil
		}
		return v.Real
	}
	return v.Text
}

// Settings are the training settings a task trained with: its spec's, with the defaults
// of the binary that trained it filled in for what the spec left at zero.
type Settings struct {
	Q            int
	Hidden       []int
	Batch        int
	LearningRate float64
	// Objective is the objective's name ("default" when the spec left it empty).
	Objective string
	// Tau is the τ the objective used: the grid's, or the objective's default.
	Tau float64
}

// Resolver returns the settings a task spec trains with; false when it cannot tell (an
// invalid spec). The query package knows no training defaults: critsweep's command line
// passes one built on spec/task.Resolve, so that the columns q, hidden, batch,
// learning_rate, objective and tau hold what `critsweep results` prints. A nil Resolver
// (StoredSettings) takes the spec's values as stored, 0 where it left the default.
type Resolver func(*critsweepv1.TaskSpec) (Settings, bool)

// StoredSettings returns the settings as the spec states them: q as the model gives it
// (2 for ising), and zero for every network and training field left to train's defaults.
func StoredSettings(ts *critsweepv1.TaskSpec) Settings {
	m := ts.GetModel()
	s := Settings{
		Q:            int(m.GetQ()),
		Batch:        int(ts.GetTraining().GetBatch()),
		LearningRate: ts.GetTraining().GetLearningRate(),
		Objective:    ts.GetTraining().GetObjective(),
		Tau:          ts.GetTau(),
	}
	switch {
	case m.GetKind() == spec.ModelIsing:
		s.Q = 2
	case m.GetKind() == spec.ModelCustom:
		s.Q = int(m.GetBondWeight().GetQ())
	}
	if s.Objective == "" {
		s.Objective = spec.ObjectiveDefault
	}
	for _, h := range ts.GetNetwork().GetHidden() {
		s.Hidden = append(s.Hidden, int(h))
	}
	return s
}

// Memo returns a Resolver that remembers r's answers. Tasks of a sweep differ in β,
// boundary and seed, which no default depends on, so a sweep needs a few calls of r
// whatever its size. It is safe for concurrent use.
func Memo(r Resolver) Resolver {
	if r == nil {
		return nil
	}
	var mu sync.Mutex
	type answer struct {
		s  Settings
		ok bool
	}
	seen := map[string]answer{}
	return func(ts *critsweepv1.TaskSpec) (Settings, bool) {
		key := settingsKey(ts)
		mu.Lock()
		a, found := seen[key]
		mu.Unlock()
		if found {
			return a.s, a.ok
		}
		s, ok := r(ts)
		mu.Lock()
		if len(seen) >= 4096 {
			clear(seen)
		}
		seen[key] = answer{s, ok}
		mu.Unlock()
		return s, ok
	}
}

// settingsKey writes ts without the fields no default depends on (β, boundary, seed).
// A test checks that it tells apart every other field.
func settingsKey(ts *critsweepv1.TaskSpec) string {
	b := make([]byte, 0, 128)
	num := func(x float64) { b = strconv.AppendFloat(append(b, ' '), x, 'g', -1, 64) }
	uint := func(n uint64) { b = strconv.AppendUint(append(b, ' '), n, 10) }
	str := func(s string) { b = strconv.AppendQuote(append(b, ' '), s) }
	m := ts.GetModel()
	str(m.GetKind())
	uint(uint64(m.GetQ()))
	uint(uint64(m.GetBondWeight().GetQ()))
	uint(uint64(len(m.GetBondWeight().GetValues())))
	for _, v := range m.GetBondWeight().GetValues() {
		num(v)
	}
	num(m.GetCouplingRatio())
	num(m.GetFourSpin())
	uint(uint64(ts.GetSize()))
	num(ts.GetTau())
	uint(uint64(ts.GetQ()))
	num(ts.GetCouplingRatio())
	num(ts.GetFourSpin())
	n := ts.GetNetwork()
	str(n.GetNonlinearity())
	uint(uint64(len(n.GetHidden())))
	for _, h := range n.GetHidden() {
		uint(uint64(h))
	}
	tr := ts.GetTraining()
	str(tr.GetObjective())
	uint(uint64(tr.GetSteps()))
	uint(uint64(tr.GetBatch()))
	num(tr.GetLearningRate())
	uint(uint64(tr.GetEstimateSamples()))
	uint(uint64(tr.GetEstimateDraws()))
	str(tr.GetEstimator())
	return string(b)
}

// Row is one finished task as the query columns see it: its sweep, its record and its
// result. A row made by NewLazyRow reads its result only when a column needs it.
type Row struct {
	SweepID   string
	SweepName string
	Ref       *critsweepv1.TaskRef
	Spec      *critsweepv1.TaskSpec
	Attempts  uint32
	Epoch     uint64

	result   *critsweepv1.Result
	load     func() (*critsweepv1.Result, error)
	err      error
	resolve  Resolver
	settings *Settings
}

// NewRow returns the row of a finished task of the sweep named sweepName; resolve fills
// in the training defaults (nil: StoredSettings).
func NewRow(sweepName string, tr *critsweepv1.TaskResult, resolve Resolver) *Row {
	return &Row{
		SweepID: tr.GetRef().GetSweepId(), SweepName: sweepName, Ref: tr.GetRef(), Spec: tr.GetSpec(),
		Attempts: tr.GetAttempts(), Epoch: tr.GetEpoch(), result: tr.GetResult(), resolve: resolve,
	}
}

// NewLazyRow returns the row of a done task whose result load reads when a column first
// needs it.
func NewLazyRow(sweepName string, t *critsweepv1.Task, load func() (*critsweepv1.Result, error), resolve Resolver) *Row {
	return &Row{
		SweepID: t.GetRef().GetSweepId(), SweepName: sweepName, Ref: t.GetRef(), Spec: t.GetSpec(),
		Attempts: t.GetAttempts(), Epoch: t.GetEpoch(), load: load, resolve: resolve,
	}
}

// Result returns the row's result, reading it first for a lazy row; the error is the
// read's.
func (r *Row) Result() (*critsweepv1.Result, error) {
	if r.load != nil {
		r.result, r.err = r.load()
		r.load = nil
	}
	return r.result, r.err
}

// TaskResult returns the row as the message it was made from.
func (r *Row) TaskResult() (*critsweepv1.TaskResult, error) {
	res, err := r.Result()
	if err != nil {
		return nil, err
	}
	return &critsweepv1.TaskResult{Ref: r.Ref, Spec: r.Spec, Result: res, Attempts: r.Attempts, Epoch: r.Epoch}, nil
}

// Err returns the error of reading a lazy row's result, if that failed.
func (r *Row) Err() error { return r.err }

// res returns the result for a column, nil when it cannot be read (Err says why).
func (r *Row) res() *critsweepv1.Result {
	res, _ := r.Result()
	return res
}

// trained returns the row's resolved settings.
func (r *Row) trained() *Settings {
	if r.settings == nil {
		s, ok := Settings{}, false
		if r.resolve != nil {
			s, ok = r.resolve(r.Spec)
		}
		if !ok {
			s = StoredSettings(r.Spec)
		}
		r.settings = &s
	}
	return r.settings
}

// Value returns the row's value in column c.
func (r *Row) Value(c *Column) Value { return c.get(r) }

// hiddenText writes hidden layer sizes as "32,32".
func hiddenText(h []int) string {
	parts := make([]string, len(h))
	for i, n := range h {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}
