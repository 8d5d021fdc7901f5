package query

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds Parse and ParseOrder any text: they return a filter or an *Error whose
// column lies within the expression, never panic, and a filter they return matches rows
// without panicking. Run with
//
//	go test -run '^$' -fuzz FuzzParse -fuzztime 5m ./query
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "model = 'potts' and size >= 16 and beta near 1.005", "beta near 1 within 2%", "size in (8, 16)",
		"binder is not null", "sweep_name not ilike 'x_%'", "size desc, -beta", "`size` = 'x'", "a = 'it''s \\' ok'",
		"β ± 1", "size = 1e", "seed = 18446744073709551616",
	} {
		f.Add(s)
	}
	rows := catalogueRows()
	f.Fuzz(func(t *testing.T, expr string) {
		filter, err := Parse(expr)
		checkError(t, expr, err)
		if err == nil {
			for _, r := range rows {
				filter.Match(r)
			}
		}
		order, err := ParseOrder(expr)
		checkError(t, expr, err)
		if err == nil {
			order.Compare(rows[0], rows[1])
		}
	})
}

func checkError(t *testing.T, expr string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var qe *Error
	if !errors.As(err, &qe) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if qe.Column < 1 || qe.Column > utf8.RuneCountInString(expr)+1 || qe.Offset > len(expr) {
		t.Fatalf("error at column %d (offset %d) of a %d-byte expression: %v", qe.Column, qe.Offset, len(expr), err)
	}
}
