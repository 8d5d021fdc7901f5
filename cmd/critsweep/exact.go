package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/critsweep/critsweep/statmech"
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

For the Ising model ln λ comes from Kaufman's closed form (method "kaufman"); the
observables, and ln λ of the other models (method "power"), come from power iteration
over all q^L row states, which needs q^L <= 2^24. The bulk observables need a symmetric
bond weight.`,
		Example: `  critsweep exact --model ising --beta 0.4406868 -L 8 --json
  critsweep exact --model potts --q 3 --beta 1.005 -L 6 --boundary twisted
  critsweep exact --model custom --bond-weight "2,0.5;0.5,2" -L 10`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErrorf("%v", err) })
	fl := cmd.Flags()
	f.modelFlags.register(fl)
	fl.Float64Var(&f.tol, "tol", 1e-12, "power iteration: tolerance on the change of ln λ per iteration, finite and > 0")
	fl.BoolVar(&f.json, "json", false, "print one JSON object on stdout")
	return cmd
}

// exactResult is the --json output of `critsweep exact`. Quantities that are undefined
// (bulk observables of an asymmetric W, ξ/L when χ(0) < χ(k_min)) are null.
type exactResult struct {
	Model      string   `json:"model"`
	Q          int      `json:"q"`
	Beta       *float64 `json:"beta"` // null for custom
	BondWeight string   `json:"bond_weight,omitempty"`
	Size       int      `json:"size"`
	Boundary   string   `json:"boundary"`
	// Method says where ln_lambda comes from: "kaufman" (closed form, Ising) or "power".
	Method          string  `json:"method"`
	LnLambda        float64 `json:"ln_lambda"`
	LnLambdaPerSite float64 `json:"ln_lambda_per_site"`
	// LnLambdaPower is ln λ from power iteration, the same as ln_lambda for method power.
	LnLambdaPower float64    `json:"ln_lambda_power"`
	M2            jsonNumber `json:"m2"`
	M4            jsonNumber `json:"m4"`
	Binder        jsonNumber `json:"binder"`
	XiOverL       jsonNumber `json:"xi_over_l"`
	BulkM2        jsonNumber `json:"bulk_m2"`
	BulkM4        jsonNumber `json:"bulk_m4"`
	BulkBinder    jsonNumber `json:"bulk_binder"`
	BulkXiOverL   jsonNumber `json:"bulk_xi_over_l"`
	Iterations    int        `json:"iterations"`
	Seconds       float64    `json:"seconds"`
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
	sys, err := f.system(cmd)
	if err != nil {
		return err
	}
	w, boundary := sys.BondWeight(), sys.Boundary()
	if !(f.tol > 0) || math.IsInf(f.tol, 0) {
		return usageErrorf("--tol must be finite and > 0, got %v", f.tol)
	}
	if _, err := sys.NumStates(); err != nil {
		return usageErrorf("-L/--size %d with q = %d: q^L exceeds the exact-enumeration limit of %d states (2^24); use L <= %d",
			f.size, w.Q(), statmech.MaxStates, maxSizeFor(w.Q()))
	}

	perron, err := statmech.Perron(sys, &statmech.PerronOptions{Tol: f.tol})
	if err != nil {
		return fmt.Errorf("exact: %w", err)
	}
	res := exactResult{
		Model:         f.model,
		Q:             w.Q(),
		Size:          f.size,
		Boundary:      boundary.String(),
		Method:        "power",
		LnLambda:      perron.LogLambda,
		LnLambdaPower: perron.LogLambda,
		Iterations:    perron.Iterations,
	}
	if f.model == "custom" {
		res.BondWeight = w.String()
	} else {
		beta := f.beta
		res.Beta = &beta
	}
	if f.model == "ising" {
		ll, err := statmech.KaufmanLogLambda(f.beta, f.size, boundary)
		if err != nil {
			return usageErrorf("%w", err)
		}
		res.Method, res.LnLambda = "kaufman", ll
	}
	res.LnLambdaPerSite = res.LnLambda / float64(f.size)

	end, err := sys.Observables(perron.P)
	if err != nil {
		return fmt.Errorf("exact: %w", err)
	}
	res.M2, res.M4, res.Binder, res.XiOverL = jsonNumber(end.M2), jsonNumber(end.M4), jsonNumber(end.Binder), jsonNumber(end.XiOverL)
	nan := jsonNumber(math.NaN())
	res.BulkM2, res.BulkM4, res.BulkBinder, res.BulkXiOverL = nan, nan, nan, nan
	if w.Symmetric() {
		bulkP, err := sys.Bulk(perron.P)
		if err != nil {
			return fmt.Errorf("exact: %w", err)
		}
		bulk, err := sys.Observables(bulkP)
		if err != nil {
			return fmt.Errorf("exact: %w", err)
		}
		res.BulkM2, res.BulkM4, res.BulkBinder, res.BulkXiOverL = jsonNumber(bulk.M2), jsonNumber(bulk.M4), jsonNumber(bulk.Binder), jsonNumber(bulk.XiOverL)
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
	if r.Beta != nil {
		p("beta\t%.10g\n", *r.Beta)
	} else {
		p("bond weight\t%s\n", r.BondWeight)
	}
	p("size L\t%d\n", r.Size)
	p("boundary\t%s\n", r.Boundary)
	p("ln λ\t%.12f\t(%s)\n", r.LnLambda, r.Method)
	p("ln λ / L\t%.12f\n", r.LnLambdaPerSite)
	if r.Method != "power" {
		p("ln λ, power iteration\t%.12f\t(Kaufman − power = %.2g)\n", r.LnLambdaPower, r.LnLambda-r.LnLambdaPower)
	}
	p("iterations\t%d\t(power iteration, for the observables)\n", r.Iterations)
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
