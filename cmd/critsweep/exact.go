package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/critsweep/critsweep/statmech"
)

// exactFlags are the flags of `critsweep exact`.
type exactFlags struct {
	model      string
	beta       float64
	size       int
	q          int
	bondWeight string
	boundary   string
	tol        float64
	json       bool
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
	fl.StringVar(&f.model, "model", "ising", "model: ising, potts, clock or custom")
	fl.Float64Var(&f.beta, "beta", 0, "inverse temperature β, finite and > 0 (required except for custom)")
	fl.IntVarP(&f.size, "size", "L", 0, fmt.Sprintf("row length L, in [2, %d] (required)", statmech.MaxSize))
	fl.IntVar(&f.q, "q", 0, "number of states per site, >= 2 (required for potts and clock)")
	fl.StringVar(&f.bondWeight, "bond-weight", "", `bond weight W of --model custom: rows separated by ";", entries by ",", e.g. "2,0.5;0.5,2"`)
	fl.StringVar(&f.boundary, "boundary", "periodic", "seam boundary: periodic or twisted")
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
	w, err := f.bondWeightFromFlags(cmd)
	if err != nil {
		return err
	}
	if !cmd.Flags().Changed("size") {
		return usageErrorf("-L/--size is required: the row length, in [2, %d]", statmech.MaxSize)
	}
	if f.size < 2 || f.size > statmech.MaxSize {
		return usageErrorf("-L/--size must be in [2, %d], got %d", statmech.MaxSize, f.size)
	}
	boundary, err := statmech.ParseBoundary(f.boundary)
	if err != nil {
		return usageErrorf("--boundary must be periodic or twisted, got %q", f.boundary)
	}
	if !(f.tol > 0) || math.IsInf(f.tol, 0) {
		return usageErrorf("--tol must be finite and > 0, got %v", f.tol)
	}
	sys, err := statmech.NewSystem(w, f.size, boundary)
	if err != nil {
		return usageErrorf("%w", err)
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

// bondWeightFromFlags checks --model, --beta, --q and --bond-weight together and builds W.
func (f *exactFlags) bondWeightFromFlags(cmd *cobra.Command) (statmech.BondWeight, error) {
	changed := cmd.Flags().Changed
	if f.model == "custom" {
		if changed("beta") {
			return statmech.BondWeight{}, usageErrorf("--beta does not apply to --model custom: its bond weight is given by --bond-weight")
		}
		if f.bondWeight == "" {
			return statmech.BondWeight{}, usageErrorf(`--bond-weight is required for --model custom: a positive q×q matrix, rows separated by ";", entries by ",", e.g. "2,0.5;0.5,2"`)
		}
		m, err := parseMatrix(f.bondWeight)
		if err != nil {
			return statmech.BondWeight{}, usageErrorf("--bond-weight: %v", err)
		}
		w, err := statmech.Custom(m)
		if err != nil {
			return statmech.BondWeight{}, usageErrorf("--bond-weight: %w", err)
		}
		if changed("q") && f.q != w.Q() {
			return statmech.BondWeight{}, usageErrorf("--q is %d but --bond-weight is %d×%d; leave --q out for --model custom", f.q, w.Q(), w.Q())
		}
		return w, nil
	}
	switch f.model {
	case "ising", "potts", "clock":
	default:
		return statmech.BondWeight{}, usageErrorf("--model must be ising, potts, clock or custom, got %q", f.model)
	}
	if changed("bond-weight") {
		return statmech.BondWeight{}, usageErrorf("--bond-weight applies only to --model custom, not %s", f.model)
	}
	if !changed("beta") {
		return statmech.BondWeight{}, usageErrorf("--beta is required for --model %s: the inverse temperature, finite and > 0", f.model)
	}
	if !(f.beta > 0) || math.IsInf(f.beta, 0) {
		return statmech.BondWeight{}, usageErrorf("--beta must be finite and > 0, got %v", f.beta)
	}
	var (
		w   statmech.BondWeight
		err error
	)
	switch f.model {
	case "ising":
		if changed("q") && f.q != 2 {
			return statmech.BondWeight{}, usageErrorf("--q must be 2 for --model ising (or left out), got %d", f.q)
		}
		w, err = statmech.Ising(f.beta)
	case "potts", "clock":
		if !changed("q") {
			return statmech.BondWeight{}, usageErrorf("--q is required for --model %s: the number of states, in [2, %d]", f.model, statmech.MaxQ)
		}
		if f.q < 2 || f.q > statmech.MaxQ {
			return statmech.BondWeight{}, usageErrorf("--q must be in [2, %d], got %d", statmech.MaxQ, f.q)
		}
		if f.model == "potts" {
			w, err = statmech.Potts(f.q, f.beta)
		} else {
			w, err = statmech.Clock(f.q, f.beta)
		}
	}
	if err != nil {
		return statmech.BondWeight{}, usageErrorf("--beta: %w", err)
	}
	return w, nil
}

// parseMatrix parses "a,b;c,d" into rows.
func parseMatrix(s string) ([][]float64, error) {
	var m [][]float64
	for i, row := range strings.Split(s, ";") {
		var r []float64
		for j, e := range strings.Split(row, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(e), 64)
			if err != nil {
				return nil, fmt.Errorf("row %d, entry %d: %q is not a number", i, j, strings.TrimSpace(e))
			}
			r = append(r, v)
		}
		m = append(m, r)
	}
	return m, nil
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
