// Package query is critsweep's search language over finished tasks, in the style of
// MLflow's search syntax: a filter is comparisons joined by and,
//
//	model = 'potts' and size >= 16 and beta near 1.005
//
// on any column of a result (Columns: the grid axes, the settings a task trained with,
// the estimates with their standard errors, the exact values, attempts, the sweep), and
// an order sorts by columns (ParseOrder). Parse and ParseOrder return an *Error that
// names the column of the expression where it goes wrong; the command line prints it
// with a caret under that column (Error.Pointer).
//
// A Row is one finished task; NewLazyRow reads its result only when a comparison needs
// it, and Filter.Match tries the comparisons on the task's record first, so a filter on
// the grid skips reading the results of the tasks it rejects. The columns of the
// training settings (q, hidden, batch, learning_rate, objective, tau) come from a
// Resolver, which the command line builds on spec/task: this package knows no training
// defaults.
//
// The coordinator's SearchResults, `critsweep results --where` and the dashboard's
// results table all evaluate filters here, so an expression means the same everywhere.
// TestCatalogue holds examples of valid and invalid expressions with what they match or
// the error they give.
//
// # Caveats
//
//   - There is no or, and no parentheses: one column's alternatives are written with in.
//   - On real columns "=" holds to a relative 1e-9, so that a grid's 0.44 matches the
//     stored 0.44000000000000006; "near" without "within" is 0.1% of the value.
//   - Null (an exact value a result lacks) and NaN (an undefined estimate) satisfy only
//     "is null" and the negations (!=, not in, not like); they sort last.
package query
