package analysis

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// column is one CSV column: its header and how a task result fills its cell.
type column struct {
	name string
	cell func(*critsweepv1.TaskResult) string
}

// csvColumns lists every CSV column in order. Estimates take two columns, NAME and
// NAME_stderr; exact values are prefixed exact_ and bulk observables bulk_.
var csvColumns = func() []column {
	cols := []column{
		{"index", func(t *critsweepv1.TaskResult) string {
			if t.GetRef() == nil {
				return ""
			}
			return strconv.FormatUint(uint64(t.GetRef().GetIndex()), 10)
		}},
		{"beta", specCell(func(s *critsweepv1.TaskSpec) string { return formatFloat(s.GetBeta()) })},
		{"size", specCell(func(s *critsweepv1.TaskSpec) string { return strconv.FormatUint(uint64(s.GetSize()), 10) })},
		{"tau", specCell(func(s *critsweepv1.TaskSpec) string { return formatFloat(s.GetTau()) })},
		{"boundary", specCell(func(s *critsweepv1.TaskSpec) string { return s.GetBoundary() })},
	}
	estimate := func(name string, get func(*critsweepv1.Result) *critsweepv1.Estimate) {
		cols = append(cols,
			column{name, func(t *critsweepv1.TaskResult) string { return estimateCell(get(t.GetResult()), false) }},
			column{name + "_stderr", func(t *critsweepv1.TaskResult) string { return estimateCell(get(t.GetResult()), true) }})
	}
	estimate("ln_lambda_per_site", (*critsweepv1.Result).GetLnLambdaPerSite)
	cols = append(cols, column{"ln_lambda_method", resultCell(func(r *critsweepv1.Result) string { return r.GetLnLambdaMethod() })})
	estimate("first_order_ln_lambda_per_site", (*critsweepv1.Result).GetFirstOrderLnLambdaPerSite)
	estimate("m2", (*critsweepv1.Result).GetM2)
	estimate("m4", (*critsweepv1.Result).GetM4)
	estimate("binder", (*critsweepv1.Result).GetBinder)
	estimate("xi_over_l", (*critsweepv1.Result).GetXiOverL)
	estimate("bulk_m2", func(r *critsweepv1.Result) *critsweepv1.Estimate { return r.GetBulk().GetM2() })
	estimate("bulk_m4", func(r *critsweepv1.Result) *critsweepv1.Estimate { return r.GetBulk().GetM4() })
	estimate("bulk_binder", func(r *critsweepv1.Result) *critsweepv1.Estimate { return r.GetBulk().GetBinder() })
	estimate("bulk_xi_over_l", func(r *critsweepv1.Result) *critsweepv1.Estimate { return r.GetBulk().GetXiOverL() })
	exact := func(name string, get func(*critsweepv1.ExactComparison) float64) {
		cols = append(cols, column{"exact_" + name, func(t *critsweepv1.TaskResult) string {
			ex := t.GetResult().GetExact()
			if ex == nil {
				return ""
			}
			return formatFloat(get(ex))
		}})
	}
	exactBulk := func(name string, get func(*critsweepv1.Observables) *critsweepv1.Estimate) {
		cols = append(cols, column{"exact_bulk_" + name, func(t *critsweepv1.TaskResult) string {
			return estimateCell(get(t.GetResult().GetExact().GetBulk()), false)
		}})
	}
	exact("ln_lambda_per_site", (*critsweepv1.ExactComparison).GetLnLambdaPerSite)
	exact("m2", (*critsweepv1.ExactComparison).GetM2)
	exact("m4", (*critsweepv1.ExactComparison).GetM4)
	exact("binder", (*critsweepv1.ExactComparison).GetBinder)
	exact("xi_over_l", (*critsweepv1.ExactComparison).GetXiOverL)
	exactBulk("m2", (*critsweepv1.Observables).GetM2)
	exactBulk("m4", (*critsweepv1.Observables).GetM4)
	exactBulk("binder", (*critsweepv1.Observables).GetBinder)
	exactBulk("xi_over_l", (*critsweepv1.Observables).GetXiOverL)
	exact("tv_distance", (*critsweepv1.ExactComparison).GetTvDistance)
	exact("kl_exact_model", (*critsweepv1.ExactComparison).GetKlExactModel)
	cols = append(cols,
		column{"objective", resultCell(func(r *critsweepv1.Result) string { return r.GetObjective() })},
		column{"final_loss", resultCell(func(r *critsweepv1.Result) string { return formatFloat(r.GetFinalLoss()) })},
		column{"steps", resultCell(func(r *critsweepv1.Result) string { return strconv.FormatUint(r.GetSteps(), 10) })},
		column{"seconds", resultCell(func(r *critsweepv1.Result) string { return formatFloat(r.GetSeconds()) })},
		column{"attempts", func(t *critsweepv1.TaskResult) string { return strconv.FormatUint(uint64(t.GetAttempts()), 10) }},
	)
	return cols
}()

func specCell(f func(*critsweepv1.TaskSpec) string) func(*critsweepv1.TaskResult) string {
	return func(t *critsweepv1.TaskResult) string {
		if t.GetSpec() == nil {
			return ""
		}
		return f(t.GetSpec())
	}
}

func resultCell(f func(*critsweepv1.Result) string) func(*critsweepv1.TaskResult) string {
	return func(t *critsweepv1.TaskResult) string {
		if t.GetResult() == nil {
			return ""
		}
		return f(t.GetResult())
	}
}

func estimateCell(e *critsweepv1.Estimate, stderr bool) string {
	switch {
	case e == nil:
		return ""
	case stderr:
		return formatFloat(e.GetStderr())
	}
	return formatFloat(e.GetValue())
}

// formatFloat writes the shortest decimal that reads back as x; NaN and ±Inf as NaN,
// +Inf and -Inf.
func formatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// CSVHeader returns the column names of WriteCSV, in order: index, beta, size, tau,
// boundary; ln_lambda_per_site and its _stderr, ln_lambda_method,
// first_order_ln_lambda_per_site, m2, m4, binder, xi_over_l (each with _stderr); their
// bulk_ twins; the exact_ values (ln_lambda_per_site, m2, m4, binder, xi_over_l, the
// exact_bulk_ ones, tv_distance, kl_exact_model); objective, final_loss, steps,
// seconds, attempts.
func CSVHeader() []string {
	h := make([]string, len(csvColumns))
	for i, c := range csvColumns {
		h[i] = c.name
	}
	return h
}

// WriteCSV writes a header row (CSVHeader) and one row per task result, in the order
// given. Numbers are written in the shortest form that reads back exactly; a cell whose
// message or estimate is absent (no exact comparison, no bulk observables) is empty.
func WriteCSV(w io.Writer, results []*critsweepv1.TaskResult) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader()); err != nil {
		return fmt.Errorf("analysis: csv: %w", err)
	}
	row := make([]string, len(csvColumns))
	for _, t := range results {
		for i, c := range csvColumns {
			row[i] = c.cell(t)
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("analysis: csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("analysis: csv: %w", err)
	}
	return nil
}
