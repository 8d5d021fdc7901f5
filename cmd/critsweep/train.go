package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

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
	every     int
	quiet     bool
	json      bool
}

func newTrainCmd() *cobra.Command {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train one network on one transfer matrix and estimate ln λ and the observables",
		Long: `train fits an autoregressive network to the stationary row distribution p of a model's
transfer matrix, then estimates ln λ/L (by the Rayleigh quotient: second order in the
model's error, a lower bound), the order parameter's moments and the Binder cumulant, each
with a standard error. Where q^L <= 2^16 it also solves the system exactly and reports
the model's distance to the exact p in an "exact" block.

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
	f.modelFlags.register(fl)
	fl.StringVar(&f.objective, "objective", train.ObjectiveDefault, "objective: "+strings.Join(train.Objectives, " or "))
	fl.StringVar(&f.tau, "tau", "", "Gumbel-softmax temperature τ > 0 of gumbel-rkl (default 1/(q−1)); other objectives do not use it")
	fl.IntVar(&f.steps, "steps", 3000, "optimiser steps, >= 1")
	fl.IntVar(&f.batch, "batch", 256, "samples per step, >= 1")
	fl.StringVar(&f.hidden, "hidden", "32,32", "hidden feature counts per site, comma-separated, each >= 1")
	fl.Float64Var(&f.lr, "lr", 0, "Adam's learning rate > 0 (default 1e-3, and 1e-2 for gumbel-rkl)")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed")
	fl.IntVar(&f.samples, "samples", 1<<16, "samples behind the final estimates, >= 2")
	fl.IntVar(&f.draws, "draws", 0, "draws of (Tp)(x) behind the Rayleigh quotient (default 16×samples)")
	fl.IntVar(&f.every, "progress-every", 500, "steps between progress lines on stderr (0: none)")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress lines")
	fl.BoolVar(&f.json, "json", false, "print one JSON object on stdout")
	return cmd
}

// trainResult is the --json output of `critsweep train`.
type trainResult struct {
	Model        string   `json:"model"`
	Q            int      `json:"q"`
	Beta         *float64 `json:"beta"`
	Size         int      `json:"size"`
	Boundary     string   `json:"boundary"`
	Objective    string   `json:"objective"`
	Tau          *float64 `json:"tau"` // null for objectives that do not use τ
	Hidden       []int    `json:"hidden"`
	Batch        int      `json:"batch"`
	LearningRate float64  `json:"learning_rate"`
	Seed         uint64   `json:"seed"`
	estimateFields
	Samples int `json:"samples"`
}

func (f *trainFlags) run(cmd *cobra.Command) error {
	start := time.Now()
	sys, err := f.system(cmd)
	if err != nil {
		return err
	}
	cfg, err := f.config(cmd, sys.Size(), sys.Q())
	if err != nil {
		return err
	}
	tr, err := train.New(sys, cfg)
	if err != nil {
		return usage(err)
	}
	cfg = tr.Config()
	stderr := cmd.ErrOrStderr()
	if cmd.Flags().Changed("tau") && !train.UsesTau(cfg.Objective) {
		fmt.Fprintf(stderr, "note: objective %q does not use τ; --tau %s is ignored\n", cfg.Objective, f.tau)
	}
	every := f.every
	if f.quiet {
		every = 0
	}
	report := func(p train.Progress) error {
		if every > 0 {
			fmt.Fprintf(stderr, "step %*d/%d  loss %.5f  ln λ/L ≈ %.5f (first order)  %.1fs\n",
				len(strconv.Itoa(p.Steps)), p.Step, p.Steps, p.Loss, p.LnLambdaPerSite, p.Elapsed.Seconds())
		}
		return nil
	}
	var last train.Progress
	err = tr.Run(cmd.Context(), every, func(p train.Progress) error {
		last = p
		return report(p)
	})
	if err != nil {
		return err
	}
	if every > 0 {
		fmt.Fprintf(stderr, "estimating from %d samples…\n", cfg.EstimateSamples)
	}
	est, err := tr.Estimate(0)
	if err != nil {
		return err
	}
	var exact *train.ExactComparison
	if n, err := sys.NumStates(); err == nil && n <= train.ExactStateLimit {
		if exact, err = tr.CompareExact(); err != nil {
			return err
		}
	}

	res := trainResult{
		Model:          f.model,
		Q:              sys.Q(),
		Size:           sys.Size(),
		Boundary:       sys.Boundary().String(),
		Objective:      cfg.Objective,
		Hidden:         cfg.Hidden,
		Batch:          cfg.Batch,
		LearningRate:   cfg.LearningRate,
		Seed:           cfg.Seed,
		estimateFields: newEstimateFields(est.Proto(cfg.Objective, tr.Step(), 0, last.Loss, exact)),
		Samples:        est.Samples,
	}
	if f.model != "custom" {
		beta := f.beta
		res.Beta = &beta
	}
	if train.UsesTau(cfg.Objective) {
		tau := cfg.Tau
		res.Tau = &tau
	}
	res.Seconds = time.Since(start).Seconds()
	if f.json {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
	}
	return writeTrainTable(cmd.OutOrStdout(), &res)
}

// config checks the training flags and builds the train.Config.
func (f *trainFlags) config(cmd *cobra.Command, size, q int) (train.Config, error) {
	var hidden []int
	for i, s := range strings.Split(f.hidden, ",") {
		h, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || h < 1 {
			return train.Config{}, usageErrorf("--hidden: entry %d is %q; want comma-separated integers >= 1, e.g. 32,32", i, s)
		}
		hidden = append(hidden, h)
	}
	changed := cmd.Flags().Changed
	var tau float64
	if changed("tau") {
		taus := strings.Split(f.tau, ",")
		if len(taus) > 1 {
			if !train.UsesTau(f.objective) {
				return train.Config{}, usageErrorf("--tau: objective %q does not use τ, so several τ (%s) would train the same model; use --objective gumbel-rkl to compare τ", f.objective, f.tau)
			}
			return train.Config{}, usageErrorf("--tau: train fits one model, give one τ (got %s); to compare several τ, run a sweep with grid.tau", f.tau)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(taus[0]), 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return train.Config{}, usageErrorf("--tau must be finite and > 0, got %q", f.tau)
		}
		tau = v
	}
	if changed("lr") && !(f.lr > 0) {
		return train.Config{}, usageErrorf("--lr must be finite and > 0, got %v", f.lr)
	}
	if f.steps < 1 {
		return train.Config{}, usageErrorf("--steps must be >= 1, got %d", f.steps)
	}
	if f.batch < 1 {
		return train.Config{}, usageErrorf("--batch must be >= 1, got %d", f.batch)
	}
	if f.samples < 2 {
		return train.Config{}, usageErrorf("--samples must be >= 2, got %d", f.samples)
	}
	if f.draws < 0 {
		return train.Config{}, usageErrorf("--draws must be >= 0, got %d", f.draws)
	}
	cfg := train.Config{
		Objective:       f.objective,
		Hidden:          hidden,
		Steps:           f.steps,
		Batch:           f.batch,
		LearningRate:    f.lr,
		Seed:            f.seed,
		EstimateSamples: f.samples,
		EstimateDraws:   f.draws,
	}
	if train.UsesTau(f.objective) {
		cfg.Tau = tau
	}
	cfg = cfg.Defaults(size, q)
	if err := cfg.Validate(); err != nil {
		if errors.Is(err, train.ErrObjective) {
			return train.Config{}, usageErrorf("--objective must be %s, got %q", strings.Join(train.Objectives, " or "), f.objective)
		}
		return train.Config{}, usage(err)
	}
	return cfg, nil
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
