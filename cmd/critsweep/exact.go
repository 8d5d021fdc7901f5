package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/spec/task"
	"github.com/critsweep/critsweep/statmech"
	"github.com/critsweep/critsweep/train"
)

// exactFlags are the flags of `critsweep exact`.
type exactFlags struct {
	modelFlags
	tol  float64
	json bool
}

func newExactCmd() *cobra.Command {
	var f exactFlags
	cmd := &cobra.Command{
		Use:   "exact",
		Short: "Exact leading eigenvalue and row observables of a transfer matrix",
		Long: `exact solves the row-to-row transfer matrix of a model exactly: ln λ (the log of the
whole leading eigenvalue; ln λ/L is −βf) and the observables of the stationary row
distribution p at the open end of a cylinder and of the bulk distribution P ∝ Th·p²:
⟨|m|²⟩, ⟨|m|⁴⟩, the Binder cumulant and the second-moment correlation length ξ/L.

For the Ising model ln λ comes from Kaufman's closed form (method "kaufman") at any L.
The observables, and ln λ of the other models (method "power"), come from power
iteration over all q^L row states, which needs q^L <= 2^24: beyond it the Ising
observables are reported absent (null, with "observables_absent" saying why), and the
other models are refused. The bulk observables need a symmetric bond weight.`,
		Example: `  critsweep exact --model ising --beta 0.4406868 -L 8 --json
  critsweep exact --model ising --beta 0.3 -L 40 --json
  critsweep exact --model potts --q 3 --beta 1.005 -L 6 --boundary twisted
  critsweep exact --model custom --bond-weight "2,0.5;0.5,2" -L 10`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErrorf("%v", err) })
	fl := cmd.Flags()
	f.modelFlags.register(fl, statmech.MaxSize)
	fl.Float64Var(&f.tol, "tol", 1e-12, "power iteration: tolerance on the change of ln λ per iteration, finite and > 0")
	fl.BoolVar(&f.json, "json", false, "print one JSON object on stdout")
	return cmd
}

// exactResult is the --json output of `critsweep exact`. Quantities that are undefined
// (bulk observables of an asymmetric W, ξ/L when χ(0) < χ(k_min)) or absent (beyond
// enumeration) are null.
type exactResult struct {
	Model string   `json:"model"`
	Q     int      `json:"q"`
	Beta  *float64 `json:"beta"` // null for custom
	// CouplingRatio is J_y/J_x (1: isotropic); FourSpin is U, for ashkin-teller only.
	CouplingRatio float64  `json:"coupling_ratio"`
	FourSpin      *float64 `json:"four_spin,omitempty"`
	BondWeight    string   `json:"bond_weight,omitempty"`
	Size          int      `json:"size"`
	Boundary      string   `json:"boundary"`
	// Method says where ln_lambda comes from: "kaufman" (closed form, Ising) or "power".
	Method          string  `json:"method"`
	LnLambda        float64 `json:"ln_lambda"`
	LnLambdaPerSite float64 `json:"ln_lambda_per_site"`
	// LnLambdaPower is ln λ from power iteration, the same as ln_lambda for method power;
	// null beyond enumeration.
	LnLambdaPower jsonNumber `json:"ln_lambda_power"`
	M2            jsonNumber `json:"m2"`
	M4            jsonNumber `json:"m4"`
	Binder        jsonNumber `json:"binder"`
	XiOverL       jsonNumber `json:"xi_over_l"`
	BulkM2        jsonNumber `json:"bulk_m2"`
	BulkM4        jsonNumber `json:"bulk_m4"`
	BulkBinder    jsonNumber `json:"bulk_binder"`
	BulkXiOverL   jsonNumber `json:"bulk_xi_over_l"`
	// ObservablesAbsent says why the observables are null: q^L is over the enumeration
	// limit. Empty when they were computed.
	ObservablesAbsent string  `json:"observables_absent,omitempty"`
	Iterations        int     `json:"iterations"`
	Seconds           float64 `json:"seconds"`
}

// jsonNumber is a float64 that encodes NaN and ±Inf as null.
type jsonNumber float64

func (x jsonNumber) MarshalJSON() ([]byte, error) {
	f := float64(x)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

func (f *exactFlags) run(cmd *cobra.Command) error {
	start := time.Now()
	ts, err := f.taskSpec(cmd)
	if err != nil {
		return err
	}
	if err := spec.ValidateSystem(ts, statmech.MaxSize); err != nil {
		return flagError(err)
	}
	if !(f.tol > 0) || math.IsInf(f.tol, 0) {
		return usageErrorf("--tol must be finite and > 0, got %v", f.tol)
	}
	sys, ex, err := task.Exact(ts, &statmech.PerronOptions{Tol: f.tol})
	switch {
	case errors.Is(err, train.ErrTooLarge):
		q := int(ts.GetModel().GetQ())
		if bw := ts.GetModel().GetBondWeight(); bw != nil {
			q = int(bw.GetQ())
		}
		return usageErrorf("-L/--size %d with q = %d: q^L exceeds the exact-enumeration limit of %d states (2^24); use L <= %d (only the Ising model has a closed form beyond it)",
			f.size, q, statmech.MaxStates, maxSizeFor(q))
	case errors.Is(err, task.ErrInvalid):
		return usage(err)
	case err != nil:
		return fmt.Errorf("exact: %w", err)
	}
	w := sys.HorizontalWeight()
	nan := jsonNumber(math.NaN())
	res := exactResult{
		Model:           f.model,
		Q:               w.Q(),
		CouplingRatio:   spec.CouplingRatio(ts),
		Size:            f.size,
		Boundary:        sys.Boundary().String(),
		Method:          ex.Method,
		LnLambda:        ex.LnLambda,
		LnLambdaPerSite: ex.LnLambda / float64(f.size),
		LnLambdaPower:   jsonNumber(ex.LnLambdaPower),
		M2:              nan, M4: nan, Binder: nan, XiOverL: nan,
		BulkM2: nan, BulkM4: nan, BulkBinder: nan, BulkXiOverL: nan,
		Iterations: ex.Iterations,
	}
	if f.model == spec.ModelAshkinTeller {
		u := spec.FourSpin(ts)
		res.FourSpin = &u
	}
	if f.model == spec.ModelCustom {
		res.BondWeight = w.String()
	} else {
		beta := f.beta
		res.Beta = &beta
	}
	if e := ex.End; e != nil {
		res.M2, res.M4, res.Binder, res.XiOverL = jsonNumber(e.M2), jsonNumber(e.M4), jsonNumber(e.Binder), jsonNumber(e.XiOverL)
	} else {
		res.ObservablesAbsent = fmt.Sprintf("q^L = %d^%d is over the exact-enumeration limit of %d states (2^24)", w.Q(), f.size, statmech.MaxStates)
	}
	if b := ex.Bulk; b != nil {
		res.BulkM2, res.BulkM4, res.BulkBinder, res.BulkXiOverL = jsonNumber(b.M2), jsonNumber(b.M4), jsonNumber(b.Binder), jsonNumber(b.XiOverL)
	}
	res.Seconds = time.Since(start).Seconds()

	if f.json {
		enc := json.NewEncoder(cmd.OutOrStdout())
		return enc.Encode(res)
	}
	return writeExactTable(cmd.OutOrStdout(), &res)
}

// maxSizeFor returns the largest L with q^L <= statmech.MaxStates.
func maxSizeFor(q int) int {
	L, n := 0, 1
	for n*q <= statmech.MaxStates {
		n *= q
		L++
	}
	return L
}

func writeExactTable(out io.Writer, r *exactResult) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }
	p("model\t%s\n", r.Model)
	p("q\t%d\n", r.Q)
	if r.CouplingRatio != 1 {
		p("coupling ratio J_y/J_x\t%g\n", r.CouplingRatio)
	}
	if r.FourSpin != nil {
		p("four-spin coupling U\t%g\n", *r.FourSpin)
	}
	if r.Beta != nil {
		p("beta\t%.10g\n", *r.Beta)
	} else {
		p("bond weight\t%s\n", r.BondWeight)
	}
	p("size L\t%d\n", r.Size)
	p("boundary\t%s\n", r.Boundary)
	p("ln λ\t%.12f\t(%s)\n", r.LnLambda, r.Method)
	p("ln λ / L\t%.12f\n", r.LnLambdaPerSite)
	if r.ObservablesAbsent != "" {
		p("observables\tabsent: %s\n", r.ObservablesAbsent)
	} else {
		if r.Method != train.ExactPower {
			p("ln λ, power iteration\t%.12f\t(Kaufman − power = %.2g)\n", float64(r.LnLambdaPower), r.LnLambda-float64(r.LnLambdaPower))
		}
		p("iterations\t%d\t(power iteration, for the observables)\n", r.Iterations)
	}
	p("seconds\t%.3f\n", r.Seconds)
	p("\n")
	p("observable\tend of cylinder p\tbulk P ∝ Th·p²\n")
	row := func(name string, a, b jsonNumber) {
		p("%s\t%s\t%s\n", name, formatNumber(a), formatNumber(b))
	}
	row("<|m|^2>", r.M2, r.BulkM2)
	row("<|m|^4>", r.M4, r.BulkM4)
	row("Binder U", r.Binder, r.BulkBinder)
	row("xi / L", r.XiOverL, r.BulkXiOverL)
	return tw.Flush()
}

func formatNumber(x jsonNumber) string {
	f := float64(x)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return strconv.FormatFloat(f, 'f', 10, 64)
}
