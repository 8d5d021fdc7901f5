package query

import (
	"strings"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
)

// Column is a field of a finished task that a filter may compare and an order may sort
// by: a grid axis, a setting, an estimate or an exact value.
type Column struct {
	Name string
	Kind Kind
	Doc  string
	// cost orders a filter's comparisons: those that read the task's record before those
	// that need its result, and those before the ones that resolve its settings.
	cost int
	get  func(*Row) Value
}

// Costs of reading a column.
const (
	costRecord   = iota // the sweep and the task record
	costResult          // the result (a lazy row reads it from the store)
	costSettings        // the resolved settings (a Resolver call, memoised)
)

// columns is the catalogue, in the order of `critsweep results --format csv`'s columns
// (sweep_id and sweep_name first).
var columns = []*Column{
	{Name: "sweep_id", Kind: Text, Doc: "the sweep's id", get: func(r *Row) Value { return textValue(r.SweepID) }},
	{Name: "sweep_name", Kind: Text, Doc: "the sweep's name (its spec's name)", get: func(r *Row) Value { return textValue(r.SweepName) }},
	{Name: "index", Kind: Int, Doc: "the task's index in its sweep", get: func(r *Row) Value { return intValue(uint64(r.Ref.GetIndex())) }},
	{Name: "beta", Kind: Real, Doc: "β, the grid point's inverse temperature", get: func(r *Row) Value { return realValue(r.Spec.GetBeta()) }},
	{Name: "size", Kind: Int, Doc: "L, the row's number of sites", get: func(r *Row) Value { return intValue(uint64(r.Spec.GetSize())) }},
	{Name: "tau", Kind: Real, Doc: "τ the objective used (the grid's, or the objective's default)", cost: costSettings,
		get: func(r *Row) Value { return realValue(r.trained().Tau) }},
	{Name: "boundary", Kind: Text, Doc: "the seam: periodic or twisted", get: func(r *Row) Value { return textValue(r.Spec.GetBoundary()) }},
	{Name: "model", Kind: Text, Doc: "the model: ising, potts, clock or custom", get: func(r *Row) Value { return textValue(r.Spec.GetModel().GetKind()) }},
	{Name: "q", Kind: Int, Doc: "the number of states per site", cost: costSettings, get: func(r *Row) Value { return intValue(uint64(r.trained().Q)) }},
	{Name: "coupling_ratio", Kind: Real, Doc: "J_y/J_x, the coupling between rows over the coupling within a row (1: isotropic)",
		get: func(r *Row) Value { return realValue(spec.CouplingRatio(r.Spec)) }},
	{Name: "four_spin", Kind: Real, Doc: "U, the Ashkin–Teller four-spin coupling (null for other models)", get: func(r *Row) Value {
		if r.Spec.GetModel().GetKind() != spec.ModelAshkinTeller {
			return nullValue(Real)
		}
		return realValue(spec.FourSpin(r.Spec))
	}},
	{Name: "objective", Kind: Text, Doc: "the training objective", cost: costResult, get: func(r *Row) Value {
		if o := r.res().GetObjective(); o != "" {
			return textValue(o)
		}
		return textValue(r.trained().Objective)
	}},
	{Name: "hidden", Kind: Text, Doc: `the hidden layer sizes, as "32,32"`, cost: costSettings,
		get: func(r *Row) Value { return textValue(hiddenText(r.trained().Hidden)) }},
	{Name: "batch", Kind: Int, Doc: "the batch size", cost: costSettings, get: func(r *Row) Value { return intValue(uint64(r.trained().Batch)) }},
	{Name: "learning_rate", Kind: Real, Doc: "Adam's learning rate", cost: costSettings,
		get: func(r *Row) Value { return realValue(r.trained().LearningRate) }},
	{Name: "seed", Kind: Int, Doc: "the task's seed", get: func(r *Row) Value { return intValue(r.Spec.GetTraining().GetSeed()) }},
	estimateColumn("ln_lambda_per_site", "ln λ / L, the estimate", (*critsweepv1.Result).GetLnLambdaPerSite),
	{Name: "ln_lambda_method", Kind: Text, Doc: "how ln λ was estimated: smc, rayleigh or first-order", cost: costResult,
		get: func(r *Row) Value { return textValue(r.res().GetLnLambdaMethod()) }},
	estimateColumn("first_order_ln_lambda_per_site", "ln E_p[T(x)] / L, first order in the model's error",
		(*critsweepv1.Result).GetFirstOrderLnLambdaPerSite),
	estimateColumn("m2", "⟨m²⟩ of the end distribution", (*critsweepv1.Result).GetM2),
	estimateColumn("m4", "⟨m⁴⟩ of the end distribution", (*critsweepv1.Result).GetM4),
	estimateColumn("binder", "the Binder cumulant of the end distribution", (*critsweepv1.Result).GetBinder),
	estimateColumn("xi_over_l", "ξ/L, the second-moment correlation length over L", (*critsweepv1.Result).GetXiOverL),
	resultColumn("final_loss", Real, "the objective averaged over the last steps", func(res *critsweepv1.Result) Value {
		return realValue(res.GetFinalLoss())
	}),
	resultColumn("steps", Int, "training steps run", func(res *critsweepv1.Result) Value { return intValue(res.GetSteps()) }),
	resultColumn("seconds", Real, "wall time of the attempt that completed the task", func(res *critsweepv1.Result) Value {
		return realValue(res.GetSeconds())
	}),
	exactColumn("exact_ln_lambda_per_site", "the exact ln λ / L", (*critsweepv1.ExactComparison).GetLnLambdaPerSite),
	exactColumn("exact_m2", "the exact ⟨m²⟩", (*critsweepv1.ExactComparison).GetM2),
	exactColumn("exact_m4", "the exact ⟨m⁴⟩", (*critsweepv1.ExactComparison).GetM4),
	exactColumn("exact_binder", "the exact Binder cumulant", (*critsweepv1.ExactComparison).GetBinder),
	exactColumn("exact_xi_over_l", "the exact ξ/L", (*critsweepv1.ExactComparison).GetXiOverL),
	exactColumn("exact_tv_distance", "½ Σ|p_exact − p_model|", (*critsweepv1.ExactComparison).GetTvDistance),
	exactColumn("exact_kl_exact_model", "KL(p_exact ‖ p_model)", (*critsweepv1.ExactComparison).GetKlExactModel),
	{Name: "attempts", Kind: Int, Doc: "leases the task took", get: func(r *Row) Value { return intValue(uint64(r.Attempts)) }},
}

// estimateColumn returns the column of an estimate's value; init adds the column of its
// standard error, name_stderr, after it.
func estimateColumn(name, doc string, get func(*critsweepv1.Result) *critsweepv1.Estimate) *Column {
	return &Column{Name: name, Kind: Real, Doc: doc, cost: costResult, get: func(r *Row) Value {
		e := get(r.res())
		if e == nil {
			return nullValue(Real)
		}
		return realValue(e.GetValue())
	}}
}

// stderrColumn is the standard error of an estimate column.
func stderrColumn(name string, get func(*critsweepv1.Result) *critsweepv1.Estimate) *Column {
	return &Column{Name: name + "_stderr", Kind: Real, Doc: "the standard error of " + name, cost: costResult, get: func(r *Row) Value {
		e := get(r.res())
		if e == nil {
			return nullValue(Real)
		}
		return realValue(e.GetStderr())
	}}
}

func resultColumn(name string, kind Kind, doc string, get func(*critsweepv1.Result) Value) *Column {
	return &Column{Name: name, Kind: kind, Doc: doc, cost: costResult, get: func(r *Row) Value {
		res := r.res()
		if res == nil {
			return nullValue(kind)
		}
		return get(res)
	}}
}

func exactColumn(name, doc string, get func(*critsweepv1.ExactComparison) float64) *Column {
	return &Column{Name: name, Kind: Real, Doc: doc + " (null where q^L was too large to compare)", cost: costResult,
		get: func(r *Row) Value {
			ex := r.res().GetExact()
			if ex == nil {
				return nullValue(Real)
			}
			return realValue(get(ex))
		}}
}

// byName indexes the catalogue, aliases included.
var byName = map[string]*Column{}

// aliases are other names of columns: the physicist's symbols and flags.
var aliases = map[string]string{
	"L": "size", "β": "beta", "τ": "tau", "U": "four_spin", "sweep": "sweep_id", "task": "index", "lr": "learning_rate",
}

func init() {
	// Each estimate column is followed by its standard error's.
	var all []*Column
	for _, c := range columns {
		all = append(all, c)
		if g, ok := estimates[c.Name]; ok {
			all = append(all, stderrColumn(c.Name, g))
		}
	}
	columns = all
	for _, c := range columns {
		byName[c.Name] = c
	}
	for a, name := range aliases {
		byName[a] = byName[name]
	}
}

// estimates names the estimate columns that have a standard error.
var estimates = map[string]func(*critsweepv1.Result) *critsweepv1.Estimate{
	"ln_lambda_per_site":             (*critsweepv1.Result).GetLnLambdaPerSite,
	"first_order_ln_lambda_per_site": (*critsweepv1.Result).GetFirstOrderLnLambdaPerSite,
	"m2":                             (*critsweepv1.Result).GetM2,
	"m4":                             (*critsweepv1.Result).GetM4,
	"binder":                         (*critsweepv1.Result).GetBinder,
	"xi_over_l":                      (*critsweepv1.Result).GetXiOverL,
}

// Columns returns the catalogue of columns, in the order `critsweep results` prints them.
// The slice is the caller's; the columns are shared.
func Columns() []*Column { return append([]*Column(nil), columns...) }

// Lookup returns the column of a name or alias; case does not matter, and MLflow's
// prefixes params., metrics., attributes. and tags. are dropped.
func Lookup(name string) (*Column, bool) {
	if c, ok := byName[name]; ok {
		return c, true
	}
	n := name
	for _, p := range []string{"params.", "metrics.", "attributes.", "tags.", "attr.", "param.", "metric."} {
		if len(n) > len(p) && strings.EqualFold(n[:len(p)], p) {
			n = n[len(p):]
			break
		}
	}
	if c, ok := byName[n]; ok {
		return c, true
	}
	c, ok := byName[strings.ToLower(n)]
	return c, ok
}

// suggest returns the column name closest to a mistyped one, "" when none is close.
func suggest(name string) string {
	best, bestD := "", 3
	n := strings.ToLower(name)
	for _, c := range columns {
		if d := editDistance(n, c.Name); d < bestD || d == bestD && best == "" && strings.HasPrefix(c.Name, n) {
			best, bestD = c.Name, d
		}
	}
	if best == "" {
		for _, c := range columns {
			if len(n) >= 3 && (strings.HasPrefix(c.Name, n) || strings.Contains(c.Name, n)) {
				return c.Name
			}
		}
	}
	return best
}

// editDistance is Levenshtein's distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ParseColumns parses a comma-separated list of column names ("sweep_id, beta, binder"),
// in the order given; an empty list is an error. A name that is no column is an *Error
// at its place in the list.
func ParseColumns(list string) ([]*Column, error) {
	toks, lerr := lex(list)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{expr: list, toks: toks}
	if p.peek().kind == tokEOF {
		return nil, p.errAt(p.peek(), "no column named (columns: %s)", shortList())
	}
	var out []*Column
	for {
		c, _, err := p.column()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		t := p.next()
		switch t.kind {
		case tokEOF:
			return out, nil
		case tokComma:
		default:
			return nil, p.errAt(t, "expected , between column names, found %s", describe(t))
		}
	}
}
