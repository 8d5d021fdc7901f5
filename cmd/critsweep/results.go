package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/query"
	specpkg "github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/spec/task"
	"github.com/critsweep/critsweep/train"
)

// resultsFlags are the flags of `critsweep results`.
type resultsFlags struct {
	clientFlags
	format  string
	where   string
	sort    string
	columns string
}

func newResultsCmd() *cobra.Command {
	var f resultsFlags
	cmd := &cobra.Command{
		Use:   "results [SWEEP...]",
		Short: "Print the results of finished tasks as CSV or JSON, of some sweeps or all, filtered and sorted",
		Long: `results prints one record per finished task of a sweep, in task order: the grid point
(beta, size, tau, boundary), the task's model and training settings, the fields of
` + "`critsweep train --json`" + ` (ln_lambda_per_site and its stderr, m2, m4, binder, xi_over_l with
their stderrs, final_loss, steps, seconds, and the exact comparison where q^L was small
enough), and attempts, the number of leases the task took.

--format csv prints a header and one row per task; the exact fields are columns prefixed
"exact_", empty where there is no exact comparison, and values not finite print as NaN.
--format json prints one JSON object {"sweep_id", "results": [...]}, with "exact" an
object as in train --json and values not finite as null. "seconds" is the time of the
attempt that completed the task.

With several SWEEPs, or none (every sweep in the store), each record starts with its
sweep_id, and the JSON object has "sweep_ids" instead of "sweep_id". --where keeps the
tasks an expression matches, in the style of MLflow's search syntax: comparisons of any
column joined by and,

  model = 'potts' and size >= 16 and beta near 1.005
  boundary = 'periodic' and binder is not null and exact_tv_distance < 0.05
  sweep_name like 'ising%' and L in (8, 16) and beta near 0.44 within 0.002

with =, !=, <, <=, >, >=, near [within T | within P%] (0.1% without within), in (…),
not in, like and ilike ('%' any text, '_' one character), is null, is not null. Text goes
in quotes; on real columns = holds to a relative 1e-9. --sort orders the records ("size
desc, beta" or "-size,beta"; by sweep and task index otherwise) and --columns picks and
orders the columns ("sweep_id,beta,size,binder"; values as in the CSV, null where
absent). A mistake in an expression is reported with the column where it goes wrong.
The columns: ` + columnNames() + `.`,
		Example: `  critsweep results ising-critical-1 --coordinator coordinator:7878 --token-file token > ising.csv
  critsweep results ising-critical-1 --db sweeps.db --format json | jq '.results[] | [.beta, .size, .binder]'
  critsweep results --db sweeps.db --where "model = 'potts' and size >= 16 and beta near 1.005" --sort "size, beta"
  critsweep results ising-a-1 ising-b-2 --db sweeps.db --where "binder is not null" --columns sweep_id,beta,size,binder`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd, args) },
	}
	f.clientFlags.register(cmd.Flags())
	cmd.Flags().StringVar(&f.format, "format", "csv", "output format: csv or json")
	cmd.Flags().StringVar(&f.where, "where", "", `keep the tasks this expression matches, e.g. "model = 'potts' and size >= 16 and beta near 1.005"`)
	cmd.Flags().StringVar(&f.sort, "sort", "", `order of the records, e.g. "size desc, beta" (default: by sweep and task index)`)
	cmd.Flags().StringVar(&f.columns, "columns", "", "the columns to print, in order, e.g. sweep_id,beta,size,binder (default: every column)")
	return cmd
}

// columnNames lists the query columns for the help text.
func columnNames() string {
	var names []string
	for _, c := range query.Columns() {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

// resultRecord is one task of `critsweep results`: its grid point and settings, the
// fields of `critsweep train --json`, and its attempts.
type resultRecord struct {
	// SweepID is set when the records come from more than one sweep, or from all.
	SweepID  string  `json:"sweep_id,omitempty"`
	Index    uint32  `json:"index"`
	Beta     float64 `json:"beta"`
	Size     uint32  `json:"size"`
	Tau      float64 `json:"tau"`
	Boundary string  `json:"boundary"`
	Model    string  `json:"model"`
	Q        int     `json:"q"`
	// CouplingRatio is J_y/J_x (1: isotropic); FourSpin is U, for ashkin-teller only.
	CouplingRatio float64  `json:"coupling_ratio"`
	FourSpin      *float64 `json:"four_spin,omitempty"`
	Objective     string   `json:"objective"`
	Hidden        []int    `json:"hidden"`
	Batch         int      `json:"batch"`
	LearningRate  float64  `json:"learning_rate"`
	Seed          uint64   `json:"seed"`
	estimateFields
	Attempts uint32 `json:"attempts"`
}

// estimateFields are the fields of `critsweep train --json` that a Result carries; the
// `results` records share them.
type estimateFields struct {
	LnLambdaPerSite      jsonNumber    `json:"ln_lambda_per_site"`
	LnLambdaPerSiteErr   jsonNumber    `json:"ln_lambda_per_site_stderr"`
	LnLambdaMethod       string        `json:"ln_lambda_method"`
	FirstOrderPerSite    jsonNumber    `json:"first_order_ln_lambda_per_site"`
	FirstOrderPerSiteErr jsonNumber    `json:"first_order_ln_lambda_per_site_stderr"`
	M2                   jsonNumber    `json:"m2"`
	M2Err                jsonNumber    `json:"m2_stderr"`
	M4                   jsonNumber    `json:"m4"`
	M4Err                jsonNumber    `json:"m4_stderr"`
	Binder               jsonNumber    `json:"binder"`
	BinderErr            jsonNumber    `json:"binder_stderr"`
	XiOverL              jsonNumber    `json:"xi_over_l"`
	XiOverLErr           jsonNumber    `json:"xi_over_l_stderr"`
	FinalLoss            jsonNumber    `json:"final_loss"`
	Steps                uint64        `json:"steps"`
	Seconds              float64       `json:"seconds"`
	Exact                *exactCompare `json:"exact,omitempty"`
	SMC                  *smcFields    `json:"smc,omitempty"`
}

// smcFields describe the projector estimate of ln λ (ln_lambda_method "smc").
type smcFields struct {
	Replicas       uint32  `json:"replicas"`
	Particles      uint32  `json:"particles"`
	BurnIn         uint32  `json:"burn_in"`
	Steps          uint32  `json:"steps"`
	Draws          uint64  `json:"draws"`
	BiasCorrection float64 `json:"bias_correction"`
	WeightSpread   float64 `json:"weight_spread"`
	AdaptDraws     uint64  `json:"adapt_draws"`
}

// exactCompare is the "exact" block of `critsweep train --json`.
type exactCompare struct {
	LnLambdaPerSite float64    `json:"ln_lambda_per_site"`
	M2              jsonNumber `json:"m2"`
	M4              jsonNumber `json:"m4"`
	Binder          jsonNumber `json:"binder"`
	XiOverL         jsonNumber `json:"xi_over_l"`
	TVDistance      float64    `json:"tv_distance"`
	KLExactModel    float64    `json:"kl_exact_model"`
}

func newEstimateFields(res *critsweepv1.Result) estimateFields {
	f := estimateFields{
		LnLambdaPerSite:      jsonNumber(res.GetLnLambdaPerSite().GetValue()),
		LnLambdaPerSiteErr:   jsonNumber(res.GetLnLambdaPerSite().GetStderr()),
		LnLambdaMethod:       res.GetLnLambdaMethod(),
		FirstOrderPerSite:    jsonNumber(res.GetFirstOrderLnLambdaPerSite().GetValue()),
		FirstOrderPerSiteErr: jsonNumber(res.GetFirstOrderLnLambdaPerSite().GetStderr()),
		M2:                   jsonNumber(res.GetM2().GetValue()),
		M2Err:                jsonNumber(res.GetM2().GetStderr()),
		M4:                   jsonNumber(res.GetM4().GetValue()),
		M4Err:                jsonNumber(res.GetM4().GetStderr()),
		Binder:               jsonNumber(res.GetBinder().GetValue()),
		BinderErr:            jsonNumber(res.GetBinder().GetStderr()),
		XiOverL:              jsonNumber(res.GetXiOverL().GetValue()),
		XiOverLErr:           jsonNumber(res.GetXiOverL().GetStderr()),
		FinalLoss:            jsonNumber(res.GetFinalLoss()),
		Steps:                res.GetSteps(),
		Seconds:              res.GetSeconds(),
	}
	if ex := res.GetExact(); ex != nil {
		f.Exact = &exactCompare{
			LnLambdaPerSite: ex.GetLnLambdaPerSite(),
			M2:              jsonNumber(ex.GetM2()),
			M4:              jsonNumber(ex.GetM4()),
			Binder:          jsonNumber(ex.GetBinder()),
			XiOverL:         jsonNumber(ex.GetXiOverL()),
			TVDistance:      ex.GetTvDistance(),
			KLExactModel:    ex.GetKlExactModel(),
		}
	}
	if d := res.GetSmc(); d != nil {
		f.SMC = &smcFields{Replicas: d.GetReplicas(), Particles: d.GetParticles(), BurnIn: d.GetBurnIn(), Steps: d.GetSteps(),
			Draws: d.GetDraws(), BiasCorrection: d.GetBiasCorrection(), WeightSpread: d.GetWeightSpread(),
			AdaptDraws: d.GetAdaptDraws()}
	}
	return f
}

// newResultRecord flattens a finished task. The training settings are those the worker
// trained with: the spec's, with train's defaults for the ones it left at zero
// (task.Resolve), and tau is the τ the objective used (the grid's, or its default).
func newResultRecord(tr *critsweepv1.TaskResult) resultRecord {
	spec, res := tr.GetSpec(), tr.GetResult()
	rec := resultRecord{
		Index:          tr.GetRef().GetIndex(),
		Beta:           spec.GetBeta(),
		Size:           spec.GetSize(),
		Boundary:       spec.GetBoundary(),
		Model:          spec.GetModel().GetKind(),
		CouplingRatio:  specpkg.CouplingRatio(spec),
		Objective:      res.GetObjective(),
		Seed:           spec.GetTraining().GetSeed(),
		estimateFields: newEstimateFields(res),
		Attempts:       tr.GetAttempts(),
	}
	if rec.Model == specpkg.ModelAshkinTeller {
		u := specpkg.FourSpin(spec)
		rec.FourSpin = &u
	}
	s, ok := resolveSettings(spec)
	if !ok {
		s = query.StoredSettings(spec)
	}
	rec.Q, rec.Hidden, rec.Batch, rec.LearningRate, rec.Tau = s.Q, s.Hidden, s.Batch, s.LearningRate, s.Tau
	if rec.Objective == "" {
		rec.Objective = s.Objective
	}
	return rec
}

// taskSettings is the query.Resolver of critsweep's binaries: a task's settings with
// train's defaults resolved (task.Resolve), as the worker trains it. The coordinators
// this binary makes search with it, so that a filter on batch or learning_rate sees what
// the records print.
func taskSettings(ts *critsweepv1.TaskSpec) (query.Settings, bool) {
	sys, cfg, err := task.Resolve(ts, nil)
	if err != nil {
		return query.Settings{}, false
	}
	s := query.Settings{Q: sys.Q(), Hidden: cfg.Hidden, Batch: cfg.Batch, LearningRate: cfg.LearningRate,
		Objective: cfg.Objective, Tau: ts.GetTau()}
	if train.UsesTau(cfg.Objective) {
		s.Tau = cfg.Tau
	}
	return s, true
}

// resolveSettings is taskSettings, remembered across the tasks of a sweep.
var resolveSettings = query.Memo(taskSettings)

// csvHeader names the columns of `critsweep results --format csv` (with sweep_id first
// when the records come from several sweeps).
var csvHeader = []string{
	"index", "beta", "size", "tau", "boundary", "model", "q", "coupling_ratio", "four_spin", "objective", "hidden", "batch",
	"learning_rate", "seed",
	"ln_lambda_per_site", "ln_lambda_per_site_stderr", "ln_lambda_method",
	"first_order_ln_lambda_per_site", "first_order_ln_lambda_per_site_stderr",
	"m2", "m2_stderr", "m4", "m4_stderr", "binder", "binder_stderr", "xi_over_l", "xi_over_l_stderr",
	"final_loss", "steps", "seconds",
	"exact_ln_lambda_per_site", "exact_m2", "exact_m4", "exact_binder", "exact_xi_over_l",
	"exact_tv_distance", "exact_kl_exact_model",
	"attempts",
}

// csvRow is a record as a CSV row, in csvHeader's order.
func (r *resultRecord) csvRow() []string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	n := func(x jsonNumber) string { return f(float64(x)) }
	u := func(x uint64) string { return strconv.FormatUint(x, 10) }
	fourSpin := "" // not an ashkin-teller model
	if r.FourSpin != nil {
		fourSpin = f(*r.FourSpin)
	}
	hidden := make([]string, len(r.Hidden))
	for i, h := range r.Hidden {
		hidden[i] = strconv.Itoa(h)
	}
	row := []string{
		u(uint64(r.Index)), f(r.Beta), u(uint64(r.Size)), f(r.Tau), r.Boundary, r.Model, strconv.Itoa(r.Q),
		f(r.CouplingRatio), fourSpin,
		r.Objective, strings.Join(hidden, ","), strconv.Itoa(r.Batch), f(r.LearningRate), u(r.Seed),
		n(r.LnLambdaPerSite), n(r.LnLambdaPerSiteErr), r.LnLambdaMethod,
		n(r.FirstOrderPerSite), n(r.FirstOrderPerSiteErr),
		n(r.M2), n(r.M2Err), n(r.M4), n(r.M4Err), n(r.Binder), n(r.BinderErr), n(r.XiOverL), n(r.XiOverLErr),
		n(r.FinalLoss), u(r.Steps), f(r.Seconds),
	}
	if ex := r.Exact; ex != nil {
		row = append(row, f(ex.LnLambdaPerSite), n(ex.M2), n(ex.M4), n(ex.Binder), n(ex.XiOverL), f(ex.TVDistance), f(ex.KLExactModel))
	} else {
		row = append(row, "", "", "", "", "", "", "")
	}
	return append(row, u(uint64(r.Attempts)))
}

func (f *resultsFlags) run(cmd *cobra.Command, sweeps []string) error {
	if f.format != "csv" && f.format != "json" {
		return usageErrorf("--format must be csv or json, got %q", f.format)
	}
	if len(sweeps) != 1 || f.where != "" || f.sort != "" || f.columns != "" {
		return f.search(cmd, sweeps)
	}
	sweepID := sweeps[0]
	return f.withConnection(cmd, false, func(ctx context.Context, api coordinator.API) error {
		// GetSweep first, so that an unknown sweep is an error rather than no results.
		if _, err := api.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: sweepID}); err != nil {
			return err
		}
		results, err := coordinator.AllResults(ctx, api, sweepID)
		if err != nil {
			return err
		}
		records := make([]resultRecord, len(results))
		for i, r := range results {
			records[i] = newResultRecord(r)
		}
		if f.format == "json" {
			return json.NewEncoder(cmd.OutOrStdout()).Encode(struct {
				SweepID string         `json:"sweep_id"`
				Results []resultRecord `json:"results"`
			}{sweepID, records})
		}
		return writeResultsCSV(cmd.OutOrStdout(), records)
	})
}

func writeResultsCSV(out io.Writer, records []resultRecord) error {
	w := csv.NewWriter(out)
	if err := w.Write(csvHeader); err != nil {
		return err
	}
	for i := range records {
		if err := w.Write(records[i].csvRow()); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
