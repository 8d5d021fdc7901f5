package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
)

// modelFlags name a lattice model and a row: the flags that `exact` and `train` share.
// They build the model, beta, size and boundary of a task spec; package spec checks them
// and names the flag of any field it refuses (flagError).
type modelFlags struct {
	model      string
	beta       float64
	size       int
	q          int
	ratio      float64
	fourSpin   float64
	bondWeight string
	boundary   string
	maxSize    int // the largest -L the command takes
}

func (f *modelFlags) register(fl *pflag.FlagSet, maxSize int) {
	f.maxSize = maxSize
	fl.StringVar(&f.model, "model", spec.ModelIsing, "model: "+strings.Join(spec.ModelKinds(), ", "))
	fl.Float64Var(&f.beta, "beta", 0, "inverse temperature β, finite and > 0 (required except for custom)")
	fl.IntVarP(&f.size, "size", "L", 0, fmt.Sprintf("row length L, in [2, %d] (required)", maxSize))
	fl.IntVar(&f.q, "q", 0, fmt.Sprintf("number of states per site, in [2, %d] (required for potts and clock)", spec.MaxTaskQ))
	fl.Float64Var(&f.ratio, "coupling-ratio", 1, fmt.Sprintf("J_y/J_x: the coupling of the bonds between rows over that within a row, in [%g, %g]", spec.MinCouplingRatio, spec.MaxCouplingRatio))
	fl.Float64Var(&f.fourSpin, "four-spin", 0, fmt.Sprintf("four-spin coupling U of --model %s, in (%g, %g]", spec.ModelAshkinTeller, spec.MinFourSpin, spec.MaxFourSpin))
	fl.StringVar(&f.bondWeight, "bond-weight", "", `bond weight W of --model custom: rows separated by ";", entries by ",", e.g. "2,0.5;0.5,2"`)
	fl.StringVar(&f.boundary, "boundary", spec.Periodic, "seam boundary: "+strings.Join(spec.BoundaryNames(), " or "))
}

// taskSpec checks that the model flags go together and returns the task spec they name
// (model, beta, size, boundary). A custom bond weight is given as it is, which is the
// task at β = 1. The ranges are checked by the caller, with spec.ValidateTask or
// spec.ValidateSystem.
func (f *modelFlags) taskSpec(cmd *cobra.Command) (*critsweepv1.TaskSpec, error) {
	changed := cmd.Flags().Changed
	if !changed("size") {
		return nil, usageErrorf("-L/--size is required: the row length, in [2, %d]", f.maxSize)
	}
	if f.size < 2 || f.size > f.maxSize {
		return nil, usageErrorf("-L/--size must be in [2, %d], got %d", f.maxSize, f.size)
	}
	ts := &critsweepv1.TaskSpec{
		Model:    &critsweepv1.ModelSpec{Kind: f.model},
		Beta:     f.beta,
		Size:     uint32(f.size),
		Boundary: f.boundary,
	}
	if changed("coupling-ratio") {
		if f.ratio == 0 {
			return nil, usageErrorf("--coupling-ratio must be in [%g, %g], got 0", spec.MinCouplingRatio, spec.MaxCouplingRatio)
		}
		ts.Model.CouplingRatio = f.ratio
	}
	if changed("four-spin") {
		if f.model != spec.ModelAshkinTeller {
			return nil, usageErrorf("--four-spin applies only to --model %s, not %s", spec.ModelAshkinTeller, f.model)
		}
		ts.Model.FourSpin = f.fourSpin
	}
	if f.model == spec.ModelCustom {
		if changed("beta") {
			return nil, usageErrorf("--beta does not apply to --model custom: its bond weight is given by --bond-weight")
		}
		if f.bondWeight == "" {
			return nil, usageErrorf(`--bond-weight is required for --model custom: a positive q×q matrix, rows separated by ";", entries by ",", e.g. "2,0.5;0.5,2"`)
		}
		bw, err := parseMatrix(f.bondWeight)
		if err != nil {
			return nil, usageErrorf("--bond-weight: %v", err)
		}
		if changed("q") && f.q != int(bw.GetQ()) {
			return nil, usageErrorf("--q is %d but --bond-weight is %d×%d; leave --q out for --model custom", f.q, bw.GetQ(), bw.GetQ())
		}
		ts.Model.BondWeight, ts.Beta = bw, 1
		return ts, nil
	}
	if changed("bond-weight") {
		return nil, usageErrorf("--bond-weight applies only to --model custom, not %s", f.model)
	}
	if !changed("beta") && f.model != "" {
		return nil, usageErrorf("--beta is required for --model %s: the inverse temperature, finite and > 0", f.model)
	}
	if (f.model == spec.ModelPotts || f.model == spec.ModelClock) && !changed("q") {
		return nil, usageErrorf("--q is required for --model %s: the number of states, in [2, %d]", f.model, spec.MaxTaskQ)
	}
	if changed("q") {
		if f.q < 0 || f.q > 1<<30 {
			return nil, usageErrorf("--q must be in [2, %d], got %d", spec.MaxTaskQ, f.q)
		}
		ts.Model.Q = uint32(f.q)
	}
	return ts, nil
}

// parseMatrix parses "a,b;c,d" into a square bond weight.
func parseMatrix(s string) (*critsweepv1.BondWeight, error) {
	rows := strings.Split(s, ";")
	q := len(rows)
	bw := &critsweepv1.BondWeight{Q: uint32(q)}
	for i, row := range rows {
		entries := strings.Split(row, ",")
		if len(entries) != q {
			return nil, fmt.Errorf("row %d has %d entries, want %d: the matrix must be square", i, len(entries), q)
		}
		for j, e := range entries {
			v, err := strconv.ParseFloat(strings.TrimSpace(e), 64)
			if err != nil {
				return nil, fmt.Errorf("row %d, entry %d: %q is not a number", i, j, strings.TrimSpace(e))
			}
			bw.Values = append(bw.Values, v)
		}
	}
	return bw, nil
}

// fieldFlags name the flag that sets each field of a task spec, longest prefix first.
var fieldFlags = []struct{ field, flag string }{
	{"model.bond_weight", "--bond-weight"},
	{"model.kind", "--model"},
	{"model.q", "--q"},
	{"model.coupling_ratio", "--coupling-ratio"},
	{"model.four_spin", "--four-spin"},
	{"model", "--model"},
	{"beta", "--beta"},
	{"size", "-L/--size"},
	{"tau", "--tau"},
	{"boundary", "--boundary"},
	{"network.hidden", "--hidden"},
	{"training.objective", "--objective"},
	{"training.steps", "--steps"},
	{"training.batch", "--batch"},
	{"training.learning_rate", "--lr"},
	{"training.estimate_samples", "--samples"},
	{"training.estimate_draws", "--draws"},
}

// flagError turns the violations of a task spec built from flags (a *spec.Error) into a
// usage error that names the flags: "--beta must be > 0 and finite, got 0". Other errors
// pass through.
func flagError(err error) error {
	var se *spec.Error
	if !errors.As(err, &se) {
		return err
	}
	parts := make([]string, len(se.Violations))
	for i, v := range se.Violations {
		name := v.Field
		for _, ff := range fieldFlags {
			if rest, ok := strings.CutPrefix(v.Field, ff.field); ok {
				if r, dotted := strings.CutPrefix(rest, "."); dotted {
					rest = " " + r
				}
				name = ff.flag + rest
				break
			}
		}
		parts[i] = name + " " + v.Description
	}
	return usageErrorf("%s", strings.Join(parts, "; "))
}
