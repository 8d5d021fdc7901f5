package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/query"
)

// search prints the finished tasks of the sweeps (every sweep when none is named) that
// --where matches, in --sort's order, with --columns or every record field.
func (f *resultsFlags) search(cmd *cobra.Command, sweeps []string) error {
	filter, err := query.Parse(f.where)
	if err != nil {
		return exprError("--where", err)
	}
	order, err := query.ParseOrder(f.sort)
	if err != nil {
		return exprError("--sort", err)
	}
	var cols []*query.Column
	if f.columns != "" {
		if cols, err = query.ParseColumns(f.columns); err != nil {
			return exprError("--columns", err)
		}
	}
	return f.withConnection(cmd, false, func(ctx context.Context, api coordinator.API) error {
		rows, err := searchRows(ctx, api, sweeps, filter.String())
		if err != nil {
			return err
		}
		order.Sort(rows)
		out := cmd.OutOrStdout()
		if cols != nil {
			return writeColumns(out, f.format, sweeps, rows, cols)
		}
		records := make([]resultRecord, len(rows))
		for i, r := range rows {
			tr, err := r.TaskResult()
			if err != nil {
				return err
			}
			records[i] = newResultRecord(tr)
			if len(sweeps) != 1 {
				records[i].SweepID = r.SweepID
			}
		}
		if f.format == "json" {
			return writeRecordsJSON(out, sweeps, records)
		}
		if len(sweeps) == 1 {
			return writeResultsCSV(out, records)
		}
		w := csv.NewWriter(out)
		if err := w.Write(append([]string{"sweep_id"}, csvHeader...)); err != nil {
			return err
		}
		for i := range records {
			if err := w.Write(append([]string{records[i].SweepID}, records[i].csvRow()...)); err != nil {
				return err
			}
		}
		w.Flush()
		return w.Error()
	})
}

// searchRows returns the rows of every match of filter in the sweeps (all when none).
// It pages in index order, without order_by: each page continues the scan where the
// last stopped, whereas a sorted search would read every match once per page; the rows
// are sorted here, by the same query.Order.
func searchRows(ctx context.Context, api coordinator.API, sweeps []string, filter string) ([]*query.Row, error) {
	list, err := api.ListSweeps(ctx, &critsweepv1.ListSweepsRequest{})
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, s := range list.GetSweeps() {
		names[s.GetSweepId()] = s.GetName()
	}
	var rows []*query.Row
	token := ""
	for {
		resp, err := api.SearchResults(ctx, &critsweepv1.SearchResultsRequest{
			SweepIds: sweeps, Filter: filter, PageSize: coordinator.MaxResultsPageSize, PageToken: token,
		})
		if err != nil {
			return nil, err
		}
		for _, tr := range resp.GetResults() {
			rows = append(rows, query.NewRow(names[tr.GetRef().GetSweepId()], tr, resolveSettings))
		}
		if token = resp.GetNextPageToken(); token == "" {
			return rows, nil
		}
	}
}

// exprError is a usage error for a mistake in the expression of flag: the message with
// the column, then the expression with a caret under that column.
func exprError(flag string, err error) error {
	var qe *query.Error
	if errors.As(err, &qe) {
		pointer := strings.ReplaceAll(qe.Pointer(), "\n", "\n  ")
		return usageErrorf("%s: %s\n  %s", flag, qe.Error(), pointer)
	}
	return usageErrorf("%s: %w", flag, err)
}

// writeRecordsJSON prints records as `critsweep results --format json` does, naming the
// sweep or, for several or all, the sweeps.
func writeRecordsJSON(out io.Writer, sweeps []string, records []resultRecord) error {
	if len(sweeps) == 1 {
		return json.NewEncoder(out).Encode(struct {
			SweepID string         `json:"sweep_id"`
			Results []resultRecord `json:"results"`
		}{sweeps[0], records})
	}
	if sweeps == nil {
		sweeps = []string{}
	}
	return json.NewEncoder(out).Encode(struct {
		SweepIDs []string       `json:"sweep_ids"`
		Results  []resultRecord `json:"results"`
	}{sweeps, records})
}

// writeColumns prints the rows' values of the chosen columns: a CSV header and rows, or
// one JSON object {"sweep_id" or "sweep_ids", "columns", "results": [{column: value}]}.
func writeColumns(out io.Writer, format string, sweeps []string, rows []*query.Row, cols []*query.Column) error {
	if format == "json" {
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.Name
		}
		results := make([]map[string]any, len(rows))
		for i, r := range rows {
			rec := make(map[string]any, len(cols))
			for _, c := range cols {
				rec[c.Name] = r.Value(c).JSON()
			}
			results[i] = rec
		}
		doc := map[string]any{"columns": names, "results": results}
		if len(sweeps) == 1 {
			doc["sweep_id"] = sweeps[0]
		} else {
			doc["sweep_ids"] = append([]string{}, sweeps...)
		}
		return json.NewEncoder(out).Encode(doc)
	}
	w := csv.NewWriter(out)
	row := make([]string, len(cols))
	for i, c := range cols {
		row[i] = c.Name
	}
	if err := w.Write(row); err != nil {
		return err
	}
	for _, r := range rows {
		for i, c := range cols {
			row[i] = r.Value(c).String()
		}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
