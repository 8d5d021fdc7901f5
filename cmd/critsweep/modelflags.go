package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/critsweep/critsweep/statmech"
)

// modelFlags name a lattice model and a row: the flags that `exact` and `train` share.
type modelFlags struct {
	model      string
	beta       float64
	size       int
	q          int
	bondWeight string
	boundary   string
}

func (f *modelFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.model, "model", "ising", "model: ising, potts, clock or custom")
	fl.Float64Var(&f.beta, "beta", 0, "inverse temperature β, finite and > 0 (required except for custom)")
	fl.IntVarP(&f.size, "size", "L", 0, fmt.Sprintf("row length L, in [2, %d] (required)", statmech.MaxSize))
	fl.IntVar(&f.q, "q", 0, "number of states per site, >= 2 (required for potts and clock)")
	fl.StringVar(&f.bondWeight, "bond-weight", "", `bond weight W of --model custom: rows separated by ";", entries by ",", e.g. "2,0.5;0.5,2"`)
	fl.StringVar(&f.boundary, "boundary", "periodic", "seam boundary: periodic or twisted")
}

// system checks the model flags together and builds the system they name.
func (f *modelFlags) system(cmd *cobra.Command) (*statmech.System, error) {
	w, err := f.buildBondWeight(cmd)
	if err != nil {
		return nil, err
	}
	if !cmd.Flags().Changed("size") {
		return nil, usageErrorf("-L/--size is required: the row length, in [2, %d]", statmech.MaxSize)
	}
	if f.size < 2 || f.size > statmech.MaxSize {
		return nil, usageErrorf("-L/--size must be in [2, %d], got %d", statmech.MaxSize, f.size)
	}
	boundary, err := statmech.ParseBoundary(f.boundary)
	if err != nil {
		return nil, usageErrorf("--boundary must be periodic or twisted, got %q", f.boundary)
	}
	sys, err := statmech.NewSystem(w, f.size, boundary)
	if err != nil {
		return nil, usageErrorf("%w", err)
	}
	return sys, nil
}

// buildBondWeight checks --model, --beta, --q and --bond-weight together and builds W.
func (f *modelFlags) buildBondWeight(cmd *cobra.Command) (statmech.BondWeight, error) {
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
