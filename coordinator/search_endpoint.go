package coordinator

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/query"
	"github.com/critsweep/critsweep/store"
)

// SearchResults returns the finished tasks of the requested sweeps (every sweep when
// none is named) that the filter matches, a page at a time. The filter and order are
// expressions of package query, evaluated with Options.Resolve; a mistake in them is an
// ErrInvalidQuery error naming the field and the column of the expression.
//
// Without order_by, matches come by sweep id and task index and each page continues the
// scan where the last one stopped. With order_by every match is read and sorted, each
// page is a range of the sorted matches, and total_size counts them; results that arrive
// between two pages may shift the ranges.
func (c *Coordinator) SearchResults(ctx context.Context, req *critsweepv1.SearchResultsRequest) (*critsweepv1.SearchResultsResponse, error) {
	if err := c.checkOpen(ctx); err != nil {
		return nil, err
	}
	filter, err := query.Parse(req.GetFilter())
	if err != nil {
		return nil, &queryError{field: "filter", err: err}
	}
	order, err := query.ParseOrder(req.GetOrderBy())
	if err != nil {
		return nil, &queryError{field: "order_by", err: err}
	}
	size := pageSize(req.GetPageSize(), DefaultResultsPageSize, MaxResultsPageSize)
	tok, err := parseSearchToken(req.GetPageToken(), !order.Empty())
	if err != nil {
		return nil, err
	}
	var resp critsweepv1.SearchResultsResponse
	err = c.db.View(func(tx *store.Tx) error {
		sweeps, err := searchScope(tx, req.GetSweepIds())
		if err != nil {
			return err
		}
		s := &search{ctx: ctx, filter: filter, resolve: c.resolve}
		if order.Empty() {
			return s.page(tx, sweeps, tok, size, &resp)
		}
		rows, err := s.all(tx, sweeps)
		if err != nil {
			return err
		}
		order.Sort(rows)
		for _, r := range rows {
			if err := r.Err(); err != nil {
				return err
			}
		}
		resp.TotalSize = uint32(len(rows))
		from := min(tok.offset, len(rows))
		to := min(from+size, len(rows))
		for _, r := range rows[from:to] {
			tr, err := r.TaskResult()
			if err != nil {
				return err
			}
			resp.Results = append(resp.Results, tr)
		}
		if to < len(rows) {
			resp.NextPageToken = searchToken{sorted: true, offset: to}.String()
		}
		return nil
	})
	if err != nil {
		return nil, storeErr(err)
	}
	return &resp, nil
}

// queryError is a mistake in an expression field of a request.
type queryError struct {
	field string
	err   error // a *query.Error
}

func (e *queryError) Error() string { return e.field + ": " + e.err.Error() }
func (e *queryError) Unwrap() error { return e.err }

// sweepInfo is a sweep in the scope of a search.
type sweepInfo struct{ id, name string }

// searchScope returns the sweeps named, or every sweep, by id; ErrSweepNotFound for a
// name that is none.
func searchScope(tx *store.Tx, ids []string) ([]sweepInfo, error) {
	var out []sweepInfo
	if len(ids) == 0 {
		err := tx.ForEachSweep(func(s *critsweepv1.Sweep) error {
			out = append(out, sweepInfo{s.GetId(), s.GetSpec().GetName()})
			return nil
		})
		return out, err
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	for i, id := range slices.Compact(ids) {
		s, err := tx.Sweep(id)
		if err != nil {
			return nil, fmt.Errorf("sweep_ids[%d]: %w", i, err)
		}
		out = append(out, sweepInfo{id, s.GetSpec().GetName()})
	}
	return out, nil
}

// search is one SearchResults call's scan.
type search struct {
	ctx     context.Context
	filter  *query.Filter
	resolve query.Resolver
	scanned int
}

// errPageFull stops a scan once a page is full.
var errPageFull = errors.New("page full")

// each calls fn for every matching row of the sweep from index from on.
func (s *search) each(tx *store.Tx, sw sweepInfo, from uint32, fn func(*query.Row) error) error {
	return tx.ForEachDoneTask(sw.id, from, func(t *critsweepv1.Task, result func() (*critsweepv1.Result, error)) error {
		if s.scanned++; s.scanned%1024 == 0 {
			if err := s.ctx.Err(); err != nil {
				return err
			}
		}
		r := query.NewLazyRow(sw.name, t, result, s.resolve)
		if !s.filter.Match(r) {
			return r.Err()
		}
		return fn(r)
	})
}

// page fills resp with the next size matches in sweep and index order from tok.
func (s *search) page(tx *store.Tx, sweeps []sweepInfo, tok searchToken, size int, resp *critsweepv1.SearchResultsResponse) error {
	for _, sw := range sweeps {
		if sw.id < tok.sweep {
			continue
		}
		from := uint32(0)
		if sw.id == tok.sweep {
			from = tok.index
		}
		err := s.each(tx, sw, from, func(r *query.Row) error {
			if len(resp.Results) == size {
				resp.NextPageToken = searchToken{sweep: sw.id, index: r.Ref.GetIndex()}.String()
				return errPageFull
			}
			tr, err := r.TaskResult()
			if err != nil {
				return err
			}
			resp.Results = append(resp.Results, tr)
			return nil
		})
		if errors.Is(err, errPageFull) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	if tok.sweep == "" && tok.index == 0 {
		resp.TotalSize = uint32(len(resp.Results)) // one page holds them all
	}
	return nil
}

// all returns every matching row of the sweeps. Their results stay readable for the
// rest of the transaction.
func (s *search) all(tx *store.Tx, sweeps []sweepInfo) ([]*query.Row, error) {
	var rows []*query.Row
	for _, sw := range sweeps {
		if err := s.each(tx, sw, 0, func(r *query.Row) error {
			rows = append(rows, r)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// searchToken is where a search continues: for a sorted search the offset into the
// sorted matches, else the sweep and task index of the next match.
type searchToken struct {
	sorted bool
	offset int
	sweep  string
	index  uint32
}

// String encodes the token, opaque to clients.
func (t searchToken) String() string {
	var s string
	if t.sorted {
		s = "o" + strconv.Itoa(t.offset)
	} else {
		s = "c" + strconv.FormatUint(uint64(t.index), 10) + "/" + t.sweep
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// parseSearchToken decodes a page token of a search sorted or not.
func parseSearchToken(tok string, sorted bool) (searchToken, error) {
	if tok == "" {
		return searchToken{sorted: sorted}, nil
	}
	bad := fmt.Errorf("%w: page_token %q is not one this server gave for this search", ErrInvalidRequest, tok)
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) < 2 {
		return searchToken{}, bad
	}
	s := string(raw)
	switch {
	case sorted && s[0] == 'o':
		n, err := strconv.Atoi(s[1:])
		if err != nil || n < 0 {
			return searchToken{}, bad
		}
		return searchToken{sorted: true, offset: n}, nil
	case !sorted && s[0] == 'c':
		index, sweep, ok := strings.Cut(s[1:], "/")
		n, err := strconv.ParseUint(index, 10, 32)
		if !ok || err != nil || sweep == "" {
			return searchToken{}, bad
		}
		return searchToken{sweep: sweep, index: uint32(n)}, nil
	}
	return searchToken{}, bad
}
