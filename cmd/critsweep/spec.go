package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/spec/task"
)

func newSpecCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "spec",
		Short: "Write and check sweep specs",
		Long: `spec helps write a sweep spec: init prints a template naming every field with its
default, check validates a spec and says what it would cost.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newSpecInitCmd(), newSpecCheckCmd())
	return cmd
}

func newSpecInitCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Print a commented sweep spec with every field and its default",
		Long: `init prints a sweep spec (YAML) that names every field: the required ones (name, model,
grid.beta, grid.size) set to an example, every other one commented out with its default
and its range. The network and training defaults are the train package's, which depend
on each task's row length L and states q; the template shows them at its example sizes.
It is a valid spec as it stands.`,
		Example: `  critsweep spec init > my-sweep.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return task.WriteTemplate(cmd.OutOrStdout())
		},
	}
}

// specCheckFlags are the flags of `critsweep spec check`.
type specCheckFlags struct {
	json bool
}

func newSpecCheckCmd() *cobra.Command {
	var f specCheckFlags
	cmd := &cobra.Command{
		Use:   "check SPEC",
		Short: "Validate a sweep spec and print its expanded grid and cost",
		Long: `check reads a sweep spec (YAML; "-" reads stdin), validates it as submit would, expands
its grid and prints the number of tasks and, for each row length L, the settings a task
trains with (the spec's, with train's defaults for what it leaves out) and an estimate of
its cost: the network's floating-point work and the time it takes one core at the rate
measured on this project's machine (a rough figure for planning). A spec that breaks a
rule is refused with the field and the rule (exit code 2).`,
		Example: `  critsweep spec check my-sweep.yaml
  critsweep spec check my-sweep.yaml --json | jq .tasks`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd, args[0]) },
	}
	cmd.Flags().BoolVar(&f.json, "json", false, "print one JSON object on stdout")
	return cmd
}

// specCheckResult is the --json output of `critsweep spec check`.
type specCheckResult struct {
	Name       string   `json:"name"`
	Tasks      int      `json:"tasks"`
	Boundaries []string `json:"boundaries"`
	// Slices is the number of slices the analysis will take (the distinct values of the
	// parameters other than β, L and the seam), Axes the model's grid axes and their values.
	Slices int                  `json:"slices"`
	Axes   map[string][]float64 `json:"axes,omitempty"`
	Sizes  []specCheckSize      `json:"sizes"`
	// FLOP and CoreHours total the network work of every task and its time on one core.
	FLOP      float64 `json:"flop"`
	CoreHours float64 `json:"core_hours"`
}

// specCheckSize is one row length of a checked spec: its tasks and what one costs.
type specCheckSize struct {
	Size         int       `json:"size"`
	Tasks        int       `json:"tasks"`
	Betas        []float64 `json:"betas"`
	Taus         []float64 `json:"taus"`
	Objective    string    `json:"objective"`
	Hidden       []int     `json:"hidden"`
	Steps        int       `json:"steps"`
	Batch        int       `json:"batch"`
	LearningRate float64   `json:"learning_rate"`
	Samples      int       `json:"estimate_samples"`
	Draws        int       `json:"estimate_draws"`
	FLOPPerTask  float64   `json:"flop_per_task"`
	SecondsTask  float64   `json:"core_seconds_per_task"`
}

func (f *specCheckFlags) run(cmd *cobra.Command, path string) error {
	data, err := readSpec(cmd.InOrStdin(), path)
	if err != nil {
		return err
	}
	sweep, err := spec.Parse(data)
	if err != nil {
		return usageErrorf("%s: %w", path, err)
	}
	tasks, err := spec.Expand(sweep)
	if err != nil {
		return usageErrorf("%s: %w", path, err)
	}
	res := specCheckResult{Name: sweep.GetName(), Tasks: len(tasks), Boundaries: spec.Boundaries(sweep)}
	g := sweep.GetGrid()
	for name, values := range map[string][]float64{spec.ParamCouplingRatio: g.GetCouplingRatio(), spec.ParamFourSpin: g.GetFourSpin()} {
		if len(values) > 0 {
			if res.Axes == nil {
				res.Axes = map[string][]float64{}
			}
			res.Axes[name] = values
		}
	}
	for _, q := range g.GetQ() {
		if res.Axes == nil {
			res.Axes = map[string][]float64{}
		}
		res.Axes[spec.ParamQ] = append(res.Axes[spec.ParamQ], float64(q))
	}
	slicesSeen := map[string]bool{}
	bySize := map[uint32]*specCheckSize{}
	for _, ts := range tasks {
		slicesSeen[fmt.Sprint(spec.SliceParams(ts))] = true
		c, err := task.EstimateCost(ts, nil)
		if err != nil {
			return usageErrorf("%s: task at β = %v, L = %d: %w", path, ts.GetBeta(), ts.GetSize(), err)
		}
		res.FLOP += c.FLOP
		res.CoreHours += c.Seconds / 3600
		s := bySize[ts.GetSize()]
		if s == nil {
			cfg := c.Config
			s = &specCheckSize{Size: int(ts.GetSize()), Objective: cfg.Objective, Hidden: cfg.Hidden, Steps: cfg.Steps,
				Batch: cfg.Batch, LearningRate: cfg.LearningRate, Samples: cfg.EstimateSamples, Draws: cfg.EstimateDraws,
				FLOPPerTask: c.FLOP, SecondsTask: c.Seconds}
			bySize[ts.GetSize()] = s
			res.Sizes = append(res.Sizes, *s)
		}
		s.Tasks++
		if !slices.Contains(s.Betas, ts.GetBeta()) {
			s.Betas = append(s.Betas, ts.GetBeta())
		}
		if !slices.Contains(s.Taus, ts.GetTau()) {
			s.Taus = append(s.Taus, ts.GetTau())
		}
	}
	for i := range res.Sizes {
		res.Sizes[i] = *bySize[uint32(res.Sizes[i].Size)]
	}
	res.Slices = len(slicesSeen)
	if f.json {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
	}
	return writeSpecCheck(cmd.OutOrStdout(), path, sweep, &res)
}

func writeSpecCheck(out io.Writer, path string, sweep *critsweepv1.SweepSpec, r *specCheckResult) error {
	fmt.Fprintf(out, "%s: valid sweep spec %q: %d tasks (boundaries %v)\n", path, r.Name, r.Tasks, r.Boundaries)
	fmt.Fprintf(out, "%d slice(s) for the analysis", r.Slices)
	for _, name := range []string{spec.ParamQ, spec.ParamCouplingRatio, spec.ParamFourSpin} {
		if v, ok := r.Axes[name]; ok {
			fmt.Fprintf(out, "; %s axis %v", name, v)
		}
	}
	fmt.Fprint(out, "\n\n")
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "L\ttasks\tβ values\tτ\tobjective\thidden\tsteps\tbatch\tlr\tsamples\tGFLOP/task\tcore-min/task\n")
	for _, s := range r.Sizes {
		fmt.Fprintf(tw, "%d\t%d\t%d (%g … %g)\t%v\t%s\t%v\t%d\t%d\t%g\t%d\t%.0f\t%.1f\n", s.Size, s.Tasks, len(s.Betas),
			s.Betas[0], s.Betas[len(s.Betas)-1], s.Taus, s.Objective, s.Hidden, s.Steps, s.Batch, s.LearningRate, s.Samples,
			s.FLOPPerTask/1e9, s.SecondsTask/60)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	when := fmt.Sprintf("%.2g core-hours", r.CoreHours)
	if r.CoreHours < 1 {
		when = fmt.Sprintf("%.2g core-minutes", 60*r.CoreHours)
	}
	if _, err := fmt.Fprintf(out, "\ncost: %.3g network FLOP, about %s at %.0f GFLOP/s per core (a rough figure for planning)\n",
		r.FLOP, when, task.CostRate/1e9); err != nil {
		return err
	}
	if len(sweep.GetGrid().GetTau()) == 0 {
		_, err := fmt.Fprintln(out, "τ = 0 means the objective's default τ (1/(q−1) for gumbel-rkl; the default objective uses none).")
		return err
	}
	return nil
}
