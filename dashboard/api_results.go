package dashboard

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/query"
)

// allColumns returns every query column.
func allColumns() []*query.Column { return query.Columns() }

// records turns results into JSON objects of the columns.
func (s *Server) records(ctx context.Context, results []*critsweepv1.TaskResult, cols []*query.Column) []map[string]any {
	names := s.sweepNames(ctx)
	out := make([]map[string]any, len(results))
	for i, tr := range results {
		row := query.NewRow(names[tr.GetRef().GetSweepId()], tr, s.opts.Resolve)
		rec := make(map[string]any, len(cols))
		for _, c := range cols {
			rec[c.Name] = row.Value(c).JSON()
		}
		out[i] = rec
	}
	return out
}

// sweepNames maps sweep ids to names.
func (s *Server) sweepNames(ctx context.Context) map[string]string {
	names := map[string]string{}
	if list, err := s.c.ListSweeps(ctx, &critsweepv1.ListSweepsRequest{}); err == nil {
		for _, st := range list.GetSweeps() {
			names[st.GetSweepId()] = st.GetName()
		}
	}
	return names
}

// resultsPage is the answer of the results endpoints in JSON.
type resultsPage struct {
	SweepIDs []string `json:"sweep_ids"`
	Where    string   `json:"where"`
	Sort     string   `json:"sort"`
	Columns  []string `json:"columns"`
	// Total is the number of matches (counted whenever the page is sorted or holds them
	// all; null otherwise).
	Total         *uint32          `json:"total"`
	NextPageToken string           `json:"next_page_token"`
	Results       []map[string]any `json:"results"`
}

// sweepResults serves GET /api/v1/sweeps/{id}/results: the sweep's finished tasks.
func (s *Server) sweepResults(w http.ResponseWriter, r *http.Request) {
	s.serveResults(w, r, []string{r.PathValue("id")})
}

// results serves GET /api/v1/results?sweep=ID…: the finished tasks of the sweeps named
// (every sweep when none).
func (s *Server) results(w http.ResponseWriter, r *http.Request) {
	s.serveResults(w, r, nil)
}

// serveResults answers a search: where (a query filter), sort (a query order), columns,
// page_size (0: every match), page_token, format (json or csv).
func (s *Server) serveResults(w http.ResponseWriter, r *http.Request, sweeps []string) {
	known := []string{"where", "sort", "columns", "page_size", "page_token", "format"}
	if sweeps == nil {
		known = append(known, "sweep")
	}
	p, err := newParams(r, known...)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if sweeps == nil {
		sweeps = p.list("sweep")
	}
	format, err := p.oneOf("format", "json", "json", "csv")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	size, err := p.uint("page_size", 0, coordinator.MaxResultsPageSize)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	where, sort := p.str("where"), p.str("sort")
	if _, err := query.Parse(where); err != nil {
		s.fail(w, r, &paramError{param: "where", err: err})
		return
	}
	if _, err := query.ParseOrder(sort); err != nil {
		s.fail(w, r, &paramError{param: "sort", err: err})
		return
	}
	cols := allColumns()
	if c := p.str("columns"); c != "" {
		if cols, err = query.ParseColumns(c); err != nil {
			s.fail(w, r, &paramError{param: "columns", err: err})
			return
		}
	}
	page := resultsPage{SweepIDs: sweeps, Where: where, Sort: sort, Results: []map[string]any{}}
	if page.SweepIDs == nil {
		page.SweepIDs = []string{}
	}
	for _, c := range cols {
		page.Columns = append(page.Columns, c.Name)
	}
	var results []*critsweepv1.TaskResult
	if size == 0 {
		if p.str("page_token") != "" {
			s.fail(w, r, badParam("page_token", "goes with page_size: without one the answer holds every match"))
			return
		}
		// Every match in the search's own order, page after page without reading any twice,
		// then sorted here: a sorted search would read every match once per page.
		results, err = s.allResults(r.Context(), sweeps, where, "")
		if err == nil && sort != "" {
			order, _ := query.ParseOrder(sort)
			names := s.sweepNames(r.Context())
			rows := make([]*query.Row, len(results))
			for i, tr := range results {
				rows[i] = query.NewRow(names[tr.GetRef().GetSweepId()], tr, s.opts.Resolve)
			}
			order.Sort(rows)
			for i, row := range rows {
				results[i], _ = row.TaskResult()
			}
		}
		n := uint32(len(results))
		page.Total = &n
	} else {
		// Sorted by index, one sweep's results come in the search's own order, a page at a
		// time without sorting every match; with no filter the total is the done count.
		order := sort
		if len(sweeps) == 1 && strings.TrimSpace(sort) == "index" {
			order = ""
		}
		var resp *critsweepv1.SearchResultsResponse
		resp, err = s.c.SearchResults(r.Context(), &critsweepv1.SearchResultsRequest{SweepIds: sweeps, Filter: where,
			OrderBy: order, PageSize: uint32(size), PageToken: p.str("page_token")})
		if err == nil {
			results, page.NextPageToken = resp.GetResults(), resp.GetNextPageToken()
			n := resp.GetTotalSize()
			switch {
			case order != "" || resp.GetNextPageToken() == "" && p.str("page_token") == "":
				page.Total = &n
			case strings.TrimSpace(where) == "" && len(sweeps) == 1:
				if got, gerr := s.c.GetSweep(r.Context(), &critsweepv1.GetSweepRequest{SweepId: sweeps[0]}); gerr == nil {
					done := got.GetStatus().GetDone()
					page.Total = &done
				}
			}
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if format == "csv" {
		name := "critsweep-results.csv"
		if len(sweeps) == 1 {
			name = sweeps[0] + "-results.csv"
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
		s.writeCSV(r.Context(), w, results, cols)
		return
	}
	page.Results = s.records(r.Context(), results, cols)
	writeJSON(w, page)
}

// writeCSV writes a header of the column names and a row per result.
func (s *Server) writeCSV(ctx context.Context, w http.ResponseWriter, results []*critsweepv1.TaskResult, cols []*query.Column) {
	names := s.sweepNames(ctx)
	cw := csv.NewWriter(w)
	row := make([]string, len(cols))
	for i, c := range cols {
		row[i] = c.Name
	}
	cw.Write(row)
	for _, tr := range results {
		qr := query.NewRow(names[tr.GetRef().GetSweepId()], tr, s.opts.Resolve)
		for i, c := range cols {
			row[i] = qr.Value(c).String()
		}
		cw.Write(row)
	}
	cw.Flush()
}

// columns serves GET /api/v1/columns: the query columns, with their kinds and meaning,
// and those the results table shows first.
func (s *Server) columns(w http.ResponseWriter, r *http.Request) {
	if _, err := newParams(r); err != nil {
		s.fail(w, r, err)
		return
	}
	type column struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
		Doc  string `json:"doc"`
	}
	out := struct {
		Columns []column `json:"columns"`
		Table   []string `json:"table"`
	}{Table: strings.Split(tableColumns, ",")}
	for _, c := range query.Columns() {
		kind := "number"
		if c.Kind == query.Text {
			kind = "text"
		}
		out.Columns = append(out.Columns, column{c.Name, kind, c.Doc})
	}
	writeJSON(w, out)
}

// tableColumns are the columns the sweep view's results table shows.
const tableColumns = "index,beta,size,tau,boundary,ln_lambda_per_site,ln_lambda_per_site_stderr,binder,xi_over_l,final_loss,steps,seconds,attempts,exact_tv_distance"
