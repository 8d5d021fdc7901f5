package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/spec/task"
	"github.com/critsweep/critsweep/train"
)

// trainFlags are the flags of `critsweep train`.
type trainFlags struct {
	modelFlags
	objective string
	tau       string
	steps     int
	batch     int
	hidden    string
	lr        float64
	seed      uint64
	samples   int
	draws     int
	estimator string
	threads   int
	every     int
	quiet     bool
	json      bool
}

// byTrain is the help text of a flag whose default is train's for the row's L and q.
const byTrain = "default: depends on L and q, see `critsweep spec init`"

func newTrainCmd() *cobra.Command {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train one network on one transfer matrix and estimate ln λ and the observables",
		Long: `train fits an autoregressive network to the stationary row distribution p of a model's
transfer matrix, then estimates ln λ/L (by default with a projector: sequential Monte
Carlo over rows guided by the trained model, unbiased whatever the model's error, which only
sets the error bar), the order parameter's moments and the Binder cumulant, each with a
standard error. Where q^L <= 2^20 it also solves the system exactly and reports
the model's distance to the exact p in an "exact" block.

It trains one task the way a sweep's worker does (the same flow, the same result for the
same settings and seed): the flags build the task's spec, and every setting left out takes
the train package's default for the row's L and q, as in a sweep spec.

Objectives: "default" (forward-KL power iteration with bond-tilted sampling and
symmetrisation; it does not use τ) and "gumbel-rkl" (the seed notebook's reverse KL with
Gumbel-softmax samples at temperature --tau).

Progress goes to stderr every --progress-every steps; with --json one JSON object goes to
stdout. The same --seed gives the same output, bit for bit, apart from "seconds".`,
		Example: `  critsweep train --model ising --beta 0.4406868 -L 8 --json
  critsweep train --model ising --beta 0.4406868 -L 8 --objective gumbel-rkl --tau 0.3 --hidden 16,16 --steps 2000
  critsweep train --model potts --q 3 --beta 1.0 -L 6 --boundary twisted`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd) },
	}
	fl := cmd.Flags()
	f.modelFlags.register(fl, spec.MaxTaskSize)
	fl.StringVar(&f.objective, "objective", spec.ObjectiveDefault, "objective: "+strings.Join(spec.Objectives(), " or "))
	fl.StringVar(&f.tau, "tau", "", "Gumbel-softmax temperature τ > 0 of gumbel-rkl (default 1/(q−1)); other objectives do not use it")
	fl.IntVar(&f.steps, "steps", 0, "optimiser steps, >= 1 ("+byTrain+")")
	fl.IntVar(&f.batch, "batch", 0, "samples per step, >= 1 ("+byTrain+")")
	fl.StringVar(&f.hidden, "hidden", "", "hidden feature counts per site, comma-separated, each >= 1, e.g. 32,32 ("+byTrain+")")
	fl.Float64Var(&f.lr, "lr", 0, "Adam's learning rate > 0 ("+byTrain+" and the objective)")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed")
	fl.IntVar(&f.samples, "samples", 0, "samples behind the final estimates, >= 2 ("+byTrain+")")
	fl.IntVar(&f.draws, "draws", 0, "row proposals behind the ln λ estimate ("+byTrain+")")
	fl.StringVar(&f.estimator, "estimator", spec.Estimators()[0], "how ln λ is estimated: "+strings.Join(spec.Estimators(), " or "))
	fl.IntVar(&f.threads, "threads", 0, "goroutines the task may use, >= 0 (default 0: one per core); results do not depend on it")
	fl.IntVar(&f.every, "progress-every", 500, "steps between progress lines on stderr (0: none)")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress lines")
	fl.BoolVar(&f.json, "json", false, "print one JSON object on stdout")
	return cmd
}

// trainResult is the --json output of `critsweep train`.
type trainResult struct {
	Model string   `json:"model"`
	Q     int      `json:"q"`
	Beta  *float64 `json:"beta"`
	// CouplingRatio is J_y/J_x (1: isotropic); FourSpin is U, for ashkin-teller only.
	CouplingRatio float64  `json:"coupling_ratio"`
	FourSpin      *float64 `json:"four_spin,omitempty"`
	Size          int      `json:"size"`
	Boundary      string   `json:"boundary"`
	Objective     string   `json:"objective"`
	Tau           *float64 `json:"tau"` // null for objectives that do not use τ
	Hidden        []int    `json:"hidden"`
	Batch         int      `json:"batch"`
	LearningRate  float64  `json:"learning_rate"`
	Seed          uint64   `json:"seed"`
	estimateFields
	Samples int `json:"samples"`
}

func (f *trainFlags) run(cmd *cobra.Command) error {
	ts, err := f.taskSpec(cmd)
	if err != nil {
		return err
	}
	if err := spec.ValidateTask(ts); err != nil {
		return flagError(err)
	}
	if f.threads < 0 {
		return usageErrorf("--threads must be >= 0 (0: one per core), got %d", f.threads)
	}
	attempt, err := task.NewAttempt(ts, &task.Options{Threads: f.threads})
	if err != nil {
		return usage(err)
	}
	sys, cfg := attempt.System(), attempt.Config()
	stderr := cmd.ErrOrStderr()
	if cmd.Flags().Changed("tau") && !train.UsesTau(cfg.Objective) {
		fmt.Fprintf(stderr, "note: objective %q does not use τ; --tau %s is ignored\n", cfg.Objective, f.tau)
	}
	every := f.every
	if f.quiet {
		every = 0
	}
	var report func(train.Progress)
	if every > 0 {
		report = func(p train.Progress) {
			fmt.Fprintf(stderr, "step %*d/%d  loss %.5f  ln λ/L ≈ %.5f (first order)  %.1fs\n",
				len(strconv.Itoa(p.Steps)), p.Step, p.Steps, p.Loss, p.LnLambdaPerSite, p.Elapsed.Seconds())
			if p.Step == p.Steps {
				fmt.Fprintf(stderr, "estimating from %d samples…\n", cfg.EstimateSamples)
			}
		}
	}
	result, err := attempt.Run(cmd.Context(), every, report)
	if err != nil {
		return err
	}
	res := trainResult{
		Model:          f.model,
		Q:              sys.Q(),
		CouplingRatio:  spec.CouplingRatio(ts),
		Size:           sys.Size(),
		Boundary:       sys.Boundary().String(),
		Objective:      cfg.Objective,
		Hidden:         cfg.Hidden,
		Batch:          cfg.Batch,
		LearningRate:   cfg.LearningRate,
		Seed:           cfg.Seed,
		estimateFields: newEstimateFields(result),
		Samples:        cfg.EstimateSamples,
	}
	if f.model != spec.ModelCustom {
		beta := f.beta
		res.Beta = &beta
	}
	if f.model == spec.ModelAshkinTeller {
		u := spec.FourSpin(ts)
		res.FourSpin = &u
	}
	if train.UsesTau(cfg.Objective) {
		tau := cfg.Tau
		res.Tau = &tau
	}
	if f.json {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
	}
	return writeTrainTable(cmd.OutOrStdout(), &res)
}

// taskSpec checks the flags' syntax and builds the task spec they name. Flags left out
// stay zero, for train's defaults; a flag given explicitly must hold a usable value.
func (f *trainFlags) taskSpec(cmd *cobra.Command) (*critsweepv1.TaskSpec, error) {
	ts, err := f.modelFlags.taskSpec(cmd)
	if err != nil {
		return nil, err
	}
	changed := cmd.Flags().Changed
	ts.Network = &critsweepv1.NetworkSpec{}
	if changed("hidden") {
		for i, s := range strings.Split(f.hidden, ",") {
			h, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || h < 1 || h > math.MaxUint32 {
				return nil, usageErrorf("--hidden: entry %d is %q; want comma-separated integers >= 1, e.g. 32,32", i, s)
			}
			ts.Network.Hidden = append(ts.Network.Hidden, uint32(h))
		}
	}
	if changed("tau") {
		taus := strings.Split(f.tau, ",")
		if len(taus) > 1 {
			if !spec.UsesTau(f.objective) {
				return nil, usageErrorf("--tau: objective %q does not use τ, so several τ (%s) would train the same model; use --objective %s to compare τ", f.objective, f.tau, spec.ObjectiveGumbelRKL)
			}
			return nil, usageErrorf("--tau: train fits one model, give one τ (got %s); to compare several τ, run a sweep with grid.tau", f.tau)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(taus[0]), 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, usageErrorf("--tau must be finite and > 0, got %q", f.tau)
		}
		if spec.UsesTau(f.objective) {
			ts.Tau = v
		}
	}
	// An explicit 0 would read as "the default" in the spec: refuse it.
	for _, c := range []struct {
		flag string
		bad  bool
		want string
	}{
		{"steps", f.steps < 1, ">= 1"},
		{"batch", f.batch < 1, ">= 1"},
		{"samples", f.samples < 2, ">= 2"},
		{"draws", f.draws < 1, ">= 1"},
		{"lr", !(f.lr > 0) || math.IsInf(f.lr, 0), "finite and > 0"},
	} {
		if changed(c.flag) && c.bad {
			return nil, usageErrorf("--%s must be %s, got %v (leave it out for the default)", c.flag, c.want, cmd.Flags().Lookup(c.flag).Value)
		}
	}
	for _, v := range []int{f.steps, f.batch, f.samples, f.draws} {
		if v > math.MaxUint32 {
			return nil, usageErrorf("a count flag is too large: %d", v)
		}
	}
	ts.Training = &critsweepv1.TrainingSpec{
		Objective:       f.objective,
		Steps:           uint32(f.steps),
		Batch:           uint32(f.batch),
		LearningRate:    f.lr,
		Seed:            f.seed,
		EstimateSamples: uint32(f.samples),
		EstimateDraws:   uint32(f.draws),
		Estimator:       f.estimator,
	}
	return ts, nil
}

func writeTrainTable(out io.Writer, r *trainResult) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }
	p("model\t%s (q = %d)\n", r.Model, r.Q)
	if r.Beta != nil {
		p("beta\t%.10g\n", *r.Beta)
	}
	p("size L\t%d\n", r.Size)
	p("boundary\t%s\n", r.Boundary)
	p("objective\t%s\n", r.Objective)
	if r.Tau != nil {
		p("tau\t%g\n", *r.Tau)
	}
	p("network\thidden %v, batch %d, lr %g, seed %d\n", r.Hidden, r.Batch, r.LearningRate, r.Seed)
	p("steps\t%d in %.1fs\n", r.Steps, r.Seconds)
	p("\n")
	p("quantity\testimate\tstd. error")
	if r.Exact != nil {
		p("\texact")
	}
	p("\n")
	row := func(name string, v, e jsonNumber, exact *jsonNumber) {
		p("%s\t%s\t%s", name, formatNumber(v), formatNumber(e))
		if exact != nil {
			p("\t%s", formatNumber(*exact))
		}
		p("\n")
	}
	ex := r.Exact
	pick := func(f func(*exactCompare) jsonNumber) *jsonNumber {
		if ex == nil {
			return nil
		}
		v := f(ex)
		return &v
	}
	row("ln λ / L ("+r.LnLambdaMethod+")", r.LnLambdaPerSite, r.LnLambdaPerSiteErr, pick(func(e *exactCompare) jsonNumber { return jsonNumber(e.LnLambdaPerSite) }))
	row("ln λ / L (first order)", r.FirstOrderPerSite, r.FirstOrderPerSiteErr, pick(func(e *exactCompare) jsonNumber { return jsonNumber(e.LnLambdaPerSite) }))
	row("<|m|^2>", r.M2, r.M2Err, pick(func(e *exactCompare) jsonNumber { return e.M2 }))
	row("<|m|^4>", r.M4, r.M4Err, pick(func(e *exactCompare) jsonNumber { return e.M4 }))
	row("Binder U", r.Binder, r.BinderErr, pick(func(e *exactCompare) jsonNumber { return e.Binder }))
	row("xi / L", r.XiOverL, r.XiOverLErr, pick(func(e *exactCompare) jsonNumber { return e.XiOverL }))
	if ex != nil {
		p("\n")
		p("TV distance to exact p\t%.5f\n", ex.TVDistance)
		p("KL(exact ‖ model)\t%.3g\n", ex.KLExactModel)
	}
	return tw.Flush()
}
