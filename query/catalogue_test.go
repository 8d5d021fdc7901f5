package query

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// catalogueRows are the finished tasks of two sweeps that the catalogue queries:
//
//	ising-1 ("ising critical"):  0 β=0.43 L=8 periodic, 1 β=0.44 L=8 twisted, 2 β=0.44 L=16
//	                             periodic (binder undefined), 3 β=0.43 L=16 twisted (3 attempts)
//	potts-2 ("potts q3"):        0 β=1.0 L=8, 1 β=1.005 L=16, 2 β=1.0050525 L=16, 3 β=1.01 L=16,
//	                             4 β=1.005 L=24, 5 β=1.005 L=8, all periodic but 5 (twisted)
//
// Exact values exist at L = 8 only. β 0.44 is stored as a grid expansion leaves it,
// 0.44000000000000006.
func catalogueRows() []*Row {
	type task struct {
		sweep, name string
		index       uint32
		model       *critsweepv1.ModelSpec
		beta        float64
		size        uint32
		boundary    string
		binder      float64
		attempts    uint32
		seed        uint64
	}
	ising := &critsweepv1.ModelSpec{Kind: "ising"}
	potts := &critsweepv1.ModelSpec{Kind: "potts", Q: 3}
	tasks := []task{
		{"ising-1", "ising critical", 0, ising, 0.43, 8, "periodic", 0.55, 1, 11},
		{"ising-1", "ising critical", 1, ising, 0.44000000000000006, 8, "twisted", 0.61, 1, 12},
		{"ising-1", "ising critical", 2, ising, 0.44000000000000006, 16, "periodic", math.NaN(), 1, 13},
		{"ising-1", "ising critical", 3, ising, 0.43, 16, "twisted", 0.48, 3, math.MaxUint64},
		{"potts-2", "potts q3", 0, potts, 1.0, 8, "periodic", 0.3, 1, 21},
		{"potts-2", "potts q3", 1, potts, 1.005, 16, "periodic", 0.4, 1, 22},
		{"potts-2", "potts q3", 2, potts, 1.0050525, 16, "periodic", 0.42, 2, 23},
		{"potts-2", "potts q3", 3, potts, 1.01, 16, "periodic", 0.5, 1, 24},
		{"potts-2", "potts q3", 4, potts, 1.005, 24, "periodic", 0.45, 1, 25},
		{"potts-2", "potts q3", 5, potts, 1.005, 8, "twisted", 0.35, 1, 26},
	}
	rows := make([]*Row, len(tasks))
	for i, t := range tasks {
		res := &critsweepv1.Result{
			LnLambdaPerSite: &critsweepv1.Estimate{Value: 0.9 + 0.01*float64(i), Stderr: 1e-4 * float64(1+i%3)},
			Binder:          &critsweepv1.Estimate{Value: t.binder, Stderr: 0.01},
			Steps:           2000, Seconds: 10, FinalLoss: 0.1, LnLambdaMethod: "smc",
		}
		if t.size == 8 {
			res.Exact = &critsweepv1.ExactComparison{LnLambdaPerSite: 0.9, Binder: t.binder, TvDistance: 0.02}
		}
		rows[i] = NewRow(t.name, &critsweepv1.TaskResult{
			Ref: &critsweepv1.TaskRef{SweepId: t.sweep, Index: t.index},
			Spec: &critsweepv1.TaskSpec{Model: t.model, Beta: t.beta, Size: t.size, Tau: 0, Boundary: t.boundary,
				Training: &critsweepv1.TrainingSpec{Seed: t.seed}},
			Result: res, Attempts: t.attempts, Epoch: uint64(t.attempts),
		}, nil)
	}
	return rows
}

// TestCatalogue is the catalogue of filter expressions: valid ones with the tasks they
// match, invalid ones with the column and the words of their error.
func TestCatalogue(t *testing.T) {
	rows := catalogueRows()
	tests := []struct {
		expr string
		want string // the matched tasks, "sweep/index …", or "" for none
		col  int    // for an invalid expression: the column of the error
		err  string // and words of its message
	}{
		// Valid.
		{expr: "", want: "ising-1/0 ising-1/1 ising-1/2 ising-1/3 potts-2/0 potts-2/1 potts-2/2 potts-2/3 potts-2/4 potts-2/5"},
		{expr: "model = 'potts' and size >= 16 and beta near 1.005", want: "potts-2/1 potts-2/2 potts-2/4"},
		{expr: "beta = 0.44", want: "ising-1/1 ising-1/2"},
		{expr: "size in (8, 24)", want: "ising-1/0 ising-1/1 potts-2/0 potts-2/4 potts-2/5"},
		{expr: "boundary != 'twisted' and model = 'ising'", want: "ising-1/0 ising-1/2"},
		{expr: "exact_ln_lambda_per_site is null", want: "ising-1/2 ising-1/3 potts-2/1 potts-2/2 potts-2/3 potts-2/4"},
		{expr: "exact_tv_distance is not null and model = 'potts'", want: "potts-2/0 potts-2/5"},
		{expr: "binder is null", want: "ising-1/2"},
		{expr: "binder > 0.5", want: "ising-1/0 ising-1/1"},
		{expr: "binder != 0.55 and sweep = 'ising-1'", want: "ising-1/1 ising-1/2 ising-1/3"},
		{expr: "sweep_name like 'potts%'", want: "potts-2/0 potts-2/1 potts-2/2 potts-2/3 potts-2/4 potts-2/5"},
		{expr: "model ilike 'IS_NG' and size = 16", want: "ising-1/2 ising-1/3"},
		{expr: "beta near 1.0 within 0.006 and L = 16", want: "potts-2/1 potts-2/2"},
		{expr: "beta near 1.005 ± 0.5%", want: "potts-2/0 potts-2/1 potts-2/2 potts-2/3 potts-2/4 potts-2/5"},
		{expr: "beta near 1.005 +- 0.00001", want: "potts-2/1 potts-2/4 potts-2/5"},
		{expr: "params.size = '16' and metrics.ln_lambda_per_site < 0.965", want: "ising-1/2 ising-1/3 potts-2/1 potts-2/2"},
		{expr: "seed = 18446744073709551615", want: "ising-1/3"},
		{expr: "seed >= 18446744073709551614", want: "ising-1/3"},
		{expr: "q = 3 and objective = 'default'", want: "potts-2/0 potts-2/1 potts-2/2 potts-2/3 potts-2/4 potts-2/5"},
		{expr: "model not in ('potts') and attempts > 1", want: "ising-1/3"},
		{expr: "MODEL = 'potts' AND SIZE < 16 AND boundary = \"twisted\"", want: "potts-2/5"},
		{expr: "sweep = 'ising-1' and task <= 1", want: "ising-1/0 ising-1/1"},
		{expr: "ln_lambda_per_site_stderr <= 1e-4", want: "ising-1/0 ising-1/3 potts-2/2 potts-2/5"},
		{expr: "sweep_name not like '%q3' and β > 0.435", want: "ising-1/1 ising-1/2"},
		{expr: "`size` = 24", want: "potts-2/4"},
		{expr: "size = 9", want: ""},

		// Invalid.
		{expr: "sise >= 16", col: 1, err: `unknown column "sise" (did you mean "size"?)`},
		{expr: "model = potts", col: 9, err: "model is text: write its value in quotes, 'potts'"},
		{expr: "model = 'potts' or size = 8", col: 17, err: "or is not supported"},
		{expr: "size >= 'big'", col: 9, err: `size is a number, "big" (text) is not`},
		{expr: "model = 'potts' and beta near", col: 30, err: "near needs a number, found the end of the expression"},
		{expr: "model = 'potts", col: 9, err: "this string is not closed"},
		{expr: "size > 16 and", col: 14, err: "a comparison must follow and"},
		{expr: "(size > 16)", col: 1, err: "parentheses group nothing here"},
		{expr: "binder like '0.%'", col: 8, err: "binder is a number: like compares text"},
		{expr: "boundary < 'twisted'", col: 10, err: "boundary is text: compare it with =, !=, in, like or ilike, not <"},
		{expr: "size in ()", col: 10, err: "the list of in is empty"},
		{expr: "beta near 1 within -1", col: 20, err: "the tolerance must be ≥ 0"},
		{expr: "size = 1.2.3", col: 8, err: `"1.2.3" is not a number`},
		{expr: "size >= 16 && model = 'ising'", col: 12, err: `"&" is not an operator here: join comparisons with the word and`},
		{expr: "not size = 8", col: 1, err: "not goes after the column"},
		{expr: "model is nul", col: 10, err: `expected null after is, found "nul"`},
		{expr: "size 16", col: 6, err: "expected an operator after size"},
		{expr: "β = 0.44 and τ ≈ 1", col: 16, err: `unexpected character "≈"`},
		{expr: "size = 8 model = 'ising'", col: 10, err: `expected and or the end of the filter after a comparison, found "model"`},
		{expr: "exact_binder in (0.5, 'x')", col: 23, err: `exact_binder is a number, "x" (text) is not`},
		{expr: "model = 'it\\s'", col: 12, err: `unknown escape \s`},
	}
	valid, invalid := 0, 0
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			f, err := Parse(tt.expr)
			if tt.err != "" {
				invalid++
				var qe *Error
				if !errors.As(err, &qe) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("Parse(%q) = %v, want an *Error wrapping ErrInvalid", tt.expr, err)
				}
				if qe.Column != tt.col || !strings.Contains(qe.Msg, tt.err) {
					t.Errorf("Parse(%q) = %v, want column %d saying %q\n%s", tt.expr, err, tt.col, tt.err, qe.Pointer())
				}
				return
			}
			valid++
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.expr, err)
			}
			var got []string
			for _, r := range rows {
				if f.Match(r) {
					got = append(got, fmt.Sprintf("%s/%d", r.SweepID, r.Ref.GetIndex()))
				}
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("Parse(%q) matches %q, want %q", tt.expr, g, tt.want)
			}
		})
	}
	if valid < 10 || invalid < 10 || valid+invalid < 20 {
		t.Errorf("the catalogue holds %d valid and %d invalid expressions, want at least 10 of each", valid, invalid)
	}
}

// TestOrder sorts the catalogue's rows and checks order expressions' errors.
func TestOrder(t *testing.T) {
	rows := catalogueRows()
	for _, tt := range []struct{ expr, want string }{
		{"", "ising-1/0 ising-1/1 ising-1/2 ising-1/3 potts-2/0 potts-2/1 potts-2/2 potts-2/3 potts-2/4 potts-2/5"},
		{"size desc, beta", "potts-2/4 ising-1/3 ising-1/2 potts-2/1 potts-2/2 potts-2/3 ising-1/0 ising-1/1 potts-2/0 potts-2/5"},
		{"-size,beta asc", "potts-2/4 ising-1/3 ising-1/2 potts-2/1 potts-2/2 potts-2/3 ising-1/0 ising-1/1 potts-2/0 potts-2/5"},
		{"binder", "potts-2/0 potts-2/5 potts-2/1 potts-2/2 potts-2/4 ising-1/3 potts-2/3 ising-1/0 ising-1/1 ising-1/2"},
		{"binder DESC", "ising-1/1 ising-1/0 potts-2/3 ising-1/3 potts-2/4 potts-2/2 potts-2/1 potts-2/5 potts-2/0 ising-1/2"},
		{"model desc, exact_binder", "potts-2/0 potts-2/5 potts-2/1 potts-2/2 potts-2/3 potts-2/4 ising-1/0 ising-1/1 ising-1/2 ising-1/3"},
	} {
		o, err := ParseOrder(tt.expr)
		if err != nil {
			t.Fatalf("ParseOrder(%q): %v", tt.expr, err)
		}
		sorted := slices.Clone(rows)
		slices.SortStableFunc(sorted, o.Compare)
		var got []string
		for _, r := range sorted {
			got = append(got, fmt.Sprintf("%s/%d", r.SweepID, r.Ref.GetIndex()))
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("order %q:\n got %s\nwant %s", tt.expr, g, tt.want)
		}
	}
	for _, tt := range []struct {
		expr string
		col  int
		err  string
	}{
		{"sise desc", 1, `unknown column "sise" (did you mean "size"?)`},
		{"size up", 6, `expected , or the end of the order after size, found "up"`},
		{"size,", 6, "expected a column name, found the end of the expression"},
		{"size desc beta", 11, "expected , or the end of the order"},
	} {
		_, err := ParseOrder(tt.expr)
		var qe *Error
		if !errors.As(err, &qe) || qe.Column != tt.col || !strings.Contains(qe.Msg, tt.err) {
			t.Errorf("ParseOrder(%q) = %v, want column %d saying %q", tt.expr, err, tt.col, tt.err)
		}
	}
}
