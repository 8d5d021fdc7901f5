package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/critsweep/critsweep/analysis"
	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/statmech"
)

// analyzeFlags are the flags of `critsweep analyze`.
type analyzeFlags struct {
	clientFlags
	plot string
	json bool
}

func newAnalyzeCmd() *cobra.Command {
	var f analyzeFlags
	cmd := &cobra.Command{
		Use:   "analyze SWEEP",
		Short: "Locate the critical point from a sweep's results",
		Long: `analyze builds σ_L(β) = L·(ln λ_periodic − ln λ_twisted) for every size of a sweep with
both seams, finds where the curves of consecutive sizes cross, extrapolates the crossings
in L (β_c(L) = β_c + a·L^−ω) and puts a parametric-bootstrap error bar on β_c from the
results' standard errors. The crossings of the Binder cumulant and of ξ/L are listed too.
It uses the trained models' estimates only, never exact values.

With --plot DIR it draws σ_L, Binder, ξ/L and ln λ/L against β, the error of ln λ/L where
exact values are known, and the extrapolation, as PNG and SVG. With --json it prints one
JSON object: beta_c, beta_c_stderr, crossings, the fit and the curves (for a sweep over
several τ, one such object per τ under "analyses").`,
		Example: `  critsweep analyze ising-default-1 --db critsweep.db --plot plots/
  critsweep analyze ising-critical-1 --coordinator coordinator:7878 --token-file token --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.withConnection(cmd, false, func(ctx context.Context, api coordinator.API) error {
				results, err := coordinator.AllResults(ctx, api, args[0])
				if err != nil {
					return err
				}
				analyses, err := analyzeResults(results)
				if err != nil {
					return err
				}
				var plots []string
				if f.plot != "" {
					if plots, err = writePlots(f.plot, analyses); err != nil {
						return err
					}
				}
				if f.json {
					return writeAnalysisJSON(cmd.OutOrStdout(), args[0], analyses, plots)
				}
				writeAnalysisTable(cmd.OutOrStdout(), analyses, results)
				for _, p := range plots {
					fmt.Fprintln(cmd.ErrOrStderr(), "wrote", p)
				}
				return nil
			})
		},
	}
	f.clientFlags.register(cmd.Flags())
	cmd.Flags().StringVar(&f.plot, "plot", "", "folder to write the plots to (PNG and SVG)")
	cmd.Flags().BoolVar(&f.json, "json", false, "print one JSON object on stdout")
	return cmd
}

// analyzeResults analyses every τ of a sweep's results.
func analyzeResults(results []*critsweepv1.TaskResult) ([]*analysis.Analysis, error) {
	points, err := analysis.PointsFromResults(results)
	if err != nil {
		return nil, err
	}
	var out []*analysis.Analysis
	for _, pts := range analysis.ByTau(points) {
		a, err := analysis.Analyze(pts, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no results to analyse yet")
	}
	return out, nil
}

// writePlots draws every analysis into dir (a subfolder per τ when there are several).
func writePlots(dir string, analyses []*analysis.Analysis) ([]string, error) {
	var all []string
	for _, a := range analyses {
		d := dir
		if len(analyses) > 1 {
			d = fmt.Sprintf("%s/tau-%g", dir, a.Tau)
		}
		paths, err := analysis.WritePlots(d, a)
		if err != nil {
			return nil, err
		}
		all = append(all, paths...)
	}
	return all, nil
}

// analysisJSON is the --json output for one τ: the analysis with the sweep and the plots.
type analysisJSON struct {
	SweepID string `json:"sweep_id"`
	*analysis.Analysis
	Plots []string `json:"plots,omitempty"`
}

func writeAnalysisJSON(out io.Writer, sweepID string, analyses []*analysis.Analysis, plots []string) error {
	enc := json.NewEncoder(out)
	if len(analyses) == 1 {
		return enc.Encode(analysisJSON{SweepID: sweepID, Analysis: analyses[0], Plots: plots})
	}
	return enc.Encode(struct {
		SweepID  string               `json:"sweep_id"`
		Analyses []*analysis.Analysis `json:"analyses"`
		Plots    []string             `json:"plots,omitempty"`
	}{sweepID, analyses, plots})
}

func writeAnalysisTable(out io.Writer, analyses []*analysis.Analysis, results []*critsweepv1.TaskResult) {
	known, name, haveKnown := knownBetaC(results)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, a := range analyses {
		if len(analyses) > 1 {
			fmt.Fprintf(tw, "τ = %g\n", a.Tau)
		}
		fmt.Fprintf(tw, "crossing\tsizes\tβ\tstd. error\n")
		for _, group := range [][]analysis.Crossing{a.Crossings, a.BinderCrossings, a.XiOverLCrossings} {
			for _, c := range group {
				fmt.Fprintf(tw, "%s\t(%d, %d)\t%.6f\t%.6f\n", c.Quantity, c.Sizes[0], c.Sizes[1], c.Beta, c.Stderr)
			}
		}
		for _, s := range a.Skipped {
			fmt.Fprintf(tw, "skipped\t%s\n", s)
		}
		fmt.Fprintf(tw, "\nβ_c = %.5f ± %.5f\t(%s", a.BetaC, a.BetaCStderr, a.Fit.Method)
		if a.Fit.Method != "largest-pair" {
			fmt.Fprintf(tw, ", ω = %.2g", a.Fit.Omega)
		}
		fmt.Fprintf(tw, ", %d bootstrap replicas)\n", a.Replicas)
		if haveKnown {
			fmt.Fprintf(tw, "%+.3f%% from the exact %s = %.7f (%.1f standard errors)\n",
				100*(a.BetaC-known)/known, name, known, math.Abs(a.BetaC-known)/a.BetaCStderr)
		}
	}
	tw.Flush()
}

// knownBetaC returns the exact critical point of the results' model where it is known:
// Onsager's for Ising, ln(1+√q) for Potts (W = exp(β δ)). The table compares with it;
// the analysis never uses it.
func knownBetaC(results []*critsweepv1.TaskResult) (float64, string, bool) {
	if len(results) == 0 {
		return 0, "", false
	}
	m := results[0].GetSpec().GetModel()
	for _, r := range results {
		if !proto.Equal(r.GetSpec().GetModel(), m) {
			return 0, "", false
		}
	}
	switch m.GetKind() {
	case spec.ModelIsing:
		return statmech.IsingBetaC, "Onsager β_c = ln(1+√2)/2", true
	case spec.ModelPotts:
		return statmech.PottsBetaC(int(m.GetQ())), fmt.Sprintf("Potts β_c = ln(1+√%d)", m.GetQ()), true
	}
	return 0, "", false
}
