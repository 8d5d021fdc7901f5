package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/critsweep/critsweep/analysis"
	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/spec/task"
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
		Short: "Locate the critical points and the phase boundary from a sweep's results",
		Long: `analyze splits a sweep's results into slices — the tasks that share every parameter but
β, L and the seam: τ and the model's second couplings (q, coupling_ratio, four_spin) —
and analyses each: it builds σ_L(β) = L·(ln λ_periodic − ln λ_twisted) for every size,
finds where the curves of consecutive sizes cross, extrapolates the crossings in L
(β_c(L) = β_c + a·L^−ω), and puts on β_c a parametric-bootstrap error bar (statistical)
and the extrapolation's systematic error (the spread over ω ± 1 and over dropping the
smallest size). From the same curves it estimates ν (slopes dσ_L/dβ at the crossings),
the central charge c (ln λ/L at β_c against L) and the twist scaling dimension x
(σ_L(β_c) → 2πx), with their errors. The Binder cumulant and ξ/L crossings are listed
beside σ_L's. A slice whose curves do not cross is reported as such, with its curves and
plots, and the others go on. The slices together give the phase boundary β_c and
T_c = 1/β_c against the parameter that varies. Only the trained models' estimates enter;
exact values, where known, are shown beside them for comparison.

With --plot DIR it draws, per slice (a folder per slice when there are several), σ_L,
Binder, ξ/L and ln λ/L against β, the error of ln λ/L where exact values are known and the
extrapolation, and the phase diagram with the exact critical line, as PNG and SVG. With
--json it prints one JSON object: "slices", one object per slice with params, status,
beta_c, beta_c_stderr, beta_c_systematic, beta_c_error, nu, central_charge,
twist_dimension (each with _stderr, _systematic and _error), crossings, notes and curves;
"phase_boundary"; and, for a sweep of one slice, that slice's fields at the top level
too (beta_c, beta_c_stderr, crossings, …).`,
		Example: `  critsweep analyze ising-default-1 --db critsweep.db --plot plots/
  critsweep analyze anisotropic-ising-1 --coordinator coordinator:7878 --token-file token --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.withConnection(cmd, false, func(ctx context.Context, api coordinator.API) error {
				results, err := coordinator.AllResults(ctx, api, args[0])
				if err != nil {
					return err
				}
				sw, err := analyzeResults(results)
				if err != nil {
					return err
				}
				var plots []string
				if f.plot != "" {
					if plots, err = analysis.WriteSweepPlots(f.plot, sw); err != nil {
						return err
					}
				}
				if f.json {
					return writeAnalysisJSON(cmd.OutOrStdout(), args[0], sw, plots)
				}
				writeAnalysisTable(cmd.OutOrStdout(), sw)
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

// analyzeResults analyses every slice of a sweep's results, with the exact critical line
// and anisotropy factor of the sweep's model where they are known (task.CriticalBeta,
// task.AnisotropyFactor).
func analyzeResults(results []*critsweepv1.TaskResult) (*analysis.Sweep, error) {
	if len(results) == 0 {
		return nil, fmt.Errorf("no results to analyse yet")
	}
	points, err := analysis.PointsFromResults(results)
	if err != nil {
		return nil, err
	}
	return analysis.AnalyzeSweep(points, modelOptions(results))
}

// modelOptions gives the analysis the exact values of the results' model: its critical
// line and its anisotropy factor at a slice's parameters. None when the results hold
// more than one model.
func modelOptions(results []*critsweepv1.TaskResult) *analysis.Options {
	m := results[0].GetSpec().GetModel()
	for _, r := range results {
		if !proto.Equal(r.GetSpec().GetModel(), m) {
			return nil
		}
	}
	at := func(p analysis.Params) *critsweepv1.TaskSpec {
		ts := &critsweepv1.TaskSpec{Model: m, Beta: 1, Size: 2}
		if q, ok := p.Get(spec.ParamQ); ok && q >= 2 {
			ts.Q = uint32(q)
		}
		if r, ok := p.Get(spec.ParamCouplingRatio); ok {
			ts.CouplingRatio = r
		}
		if u, ok := p.Get(spec.ParamFourSpin); ok {
			ts.FourSpin = proto.Float64(u)
		}
		return ts
	}
	return &analysis.Options{
		ExactBetaC: func(p analysis.Params) (float64, string, bool) {
			b, line, err := task.CriticalBeta(at(p))
			return b, line, err == nil
		},
		Anisotropy: func(p analysis.Params) (float64, bool) { return task.AnisotropyFactor(at(p)) },
	}
}

// writeAnalysisJSON prints the sweep's analysis: sweep_id, slices, phase_boundary and
// plots; a sweep of one slice also has that slice's fields at the top level.
func writeAnalysisJSON(out io.Writer, sweepID string, sw *analysis.Sweep, plots []string) error {
	obj := map[string]any{}
	if len(sw.Slices) == 1 {
		b, err := json.Marshal(sw.Slices[0])
		if err != nil {
			return err
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(b, &top); err != nil {
			return err
		}
		for k, v := range top {
			obj[k] = v
		}
	}
	obj["sweep_id"] = sweepID
	obj["slices"] = sw.Slices
	obj["phase_boundary"] = sw.Boundary
	if len(plots) > 0 {
		obj["plots"] = plots
	}
	return json.NewEncoder(out).Encode(obj)
}

// writeAnalysisTable prints each slice — its crossings, β_c with its errors, the universal
// numbers, the notes — and the phase boundary of a sweep of several slices.
func writeAnalysisTable(out io.Writer, sw *analysis.Sweep) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for i, a := range sw.Slices {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		if len(sw.Slices) > 1 {
			fmt.Fprintf(tw, "slice %s\n", a.Params)
		}
		writeSlice(tw, a)
	}
	if len(sw.Slices) > 1 {
		fmt.Fprintln(tw)
		writeBoundary(tw, sw.Boundary)
	}
	tw.Flush()
}

func writeSlice(tw io.Writer, a *analysis.Analysis) {
	if len(a.Crossings)+len(a.BinderCrossings)+len(a.XiOverLCrossings) > 0 {
		fmt.Fprintf(tw, "crossing\tsizes\tβ\tstd. error\n")
		for _, group := range [][]analysis.Crossing{a.Crossings, a.BinderCrossings, a.XiOverLCrossings} {
			for _, c := range group {
				fmt.Fprintf(tw, "%s\t(%d, %d)\t%.6f\t%.6f\n", c.Quantity, c.Sizes[0], c.Sizes[1], c.Beta, c.Stderr)
			}
		}
	}
	for _, s := range a.Skipped {
		fmt.Fprintf(tw, "skipped\t%s\n", s)
	}
	if a.LnLambdaErrorRMS != nil {
		fmt.Fprintf(tw, "ln λ/L against exact: rms error %.2g, largest %.2g\n", *a.LnLambdaErrorRMS, *a.LnLambdaErrorMax)
	}
	if !a.OK() {
		fmt.Fprintf(tw, "no β_c (%s): %s\n", a.Status, a.Problem)
		return
	}
	fmt.Fprintf(tw, "\nβ_c = %.5f ± %.5f\t(stat %.5f, sys %s; %s", a.BetaC, a.BetaCError, a.BetaCStderr, optNumber(a.BetaCSystematic, "%.5f"), a.Fit.Method)
	if a.Fit.Method != analysis.MethodLargestPair {
		fmt.Fprintf(tw, ", ω = %.2g", a.Fit.Omega)
	}
	fmt.Fprintf(tw, ", %d bootstrap replicas)\n", a.Replicas)
	if !a.FiniteSizeShiftEstimated {
		fmt.Fprintf(tw, "\t! single crossing: the finite-size shift of β_c is not estimated; the error is statistical only\n")
	}
	fmt.Fprintf(tw, "T_c = %.5f ± %.5f\n", a.TC, a.TCError)
	if a.ExactBetaC != nil {
		fmt.Fprintf(tw, "%+.3f%% from the exact β_c = %.7f (%s): %.1f total errors\n",
			100*(a.BetaC-*a.ExactBetaC) / *a.ExactBetaC, *a.ExactBetaC, a.ExactLine, math.Abs(a.BetaC-*a.ExactBetaC)/a.BetaCError)
	}
	universal := func(name string, v, stat, sys, total *float64) {
		if v == nil {
			fmt.Fprintf(tw, "%s\tnot estimated\n", name)
			return
		}
		fmt.Fprintf(tw, "%s = %.4f ± %.4f\t(stat %.4f, sys %s)\n", name, *v, *total, *stat, optNumber(sys, "%.4f"))
	}
	universal("ν", a.Nu, a.NuStderr, a.NuSystematic, a.NuError)
	universal("c", a.CentralCharge, a.CentralChargeStderr, a.CentralChargeSystematic, a.CentralChargeError)
	universal("x", a.TwistDimension, a.TwistDimensionStderr, a.TwistDimensionSystematic, a.TwistDimensionError)
	for _, n := range a.Notes {
		fmt.Fprintf(tw, "  · %s\n", n)
	}
}

// optNumber formats a number that may be absent (not estimated).
func optNumber(x *float64, format string) string {
	if x == nil {
		return "not estimated"
	}
	return fmt.Sprintf(format, *x)
}

// writeBoundary prints the phase boundary: one row per slice.
func writeBoundary(tw io.Writer, pb *analysis.PhaseBoundary) {
	fmt.Fprintf(tw, "phase boundary along %s\n", analysis.ParamSymbol(pb.Parameter))
	var names []string
	for _, p := range pb.Points[0].Params {
		names = append(names, analysis.ParamSymbol(p.Name))
	}
	fmt.Fprintf(tw, "%s\tβ_c\t± total\t(stat\tsys)\tT_c\t± total\texact β_c\tν\tc\tx\n", strings.Join(names, "\t"))
	for _, p := range pb.Points {
		var vals []string
		for _, x := range p.Params {
			vals = append(vals, fmt.Sprint(x.Value))
		}
		fmt.Fprintf(tw, "%s\t", strings.Join(vals, "\t"))
		if p.BetaC == nil {
			fmt.Fprintf(tw, "%s\t\t\t\t\t\t%s\n", p.Status, optNumber(p.ExactBetaC, "%.6f"))
			continue
		}
		fmt.Fprintf(tw, "%.6f\t%.6f\t(%.6f\t%s)\t%.5f\t%.5f\t%s\t%s\t%s\t%s\n", *p.BetaC, *p.BetaCError, *p.BetaCStderr,
			optNumber(p.BetaCSystematic, "%.6f"), *p.TC, *p.TCError, optNumber(p.ExactBetaC, "%.6f"),
			withError(p.Nu, p.NuError), withError(p.CentralCharge, p.CentralChargeError), withError(p.TwistDimension, p.TwistDimensionError))
	}
}

// withError formats a value with its error, "—" when absent.
func withError(v, e *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.3f±%.3f", *v, *e)
}

// writeBoundaryCSV writes the phase boundary to dir/phase_boundary.csv and returns the
// path.
func writeBoundaryCSV(dir string, sw *analysis.Sweep) (string, error) {
	path := filepath.Join(dir, "phase_boundary.csv")
	return path, writeFileAtomic(path, sw.Boundary.WriteCSV)
}
