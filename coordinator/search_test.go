package coordinator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/query"
)

// finishSweep submits a sweep of n tasks at L = size and completes every task with a
// binder of 0.1·(index+1).
func finishSweep(t *testing.T, api API, name string, n int, size uint32) string {
	t.Helper()
	ctx := context.Background()
	sp := testSpec(name, n)
	sp.Grid.Size = []uint32{size}
	sub, err := api.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: sp})
	if err != nil {
		t.Fatal(err)
	}
	for {
		l, err := api.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "w"})
		if err != nil {
			t.Fatal(err)
		}
		if !l.GetLeased() {
			return sub.GetSweepId()
		}
		res := &critsweepv1.Result{Steps: 10, Binder: &critsweepv1.Estimate{Value: 0.1 * float64(l.GetRef().GetIndex()+1)}}
		if _, err := api.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: l.GetRef(), Epoch: l.GetEpoch(), Result: res}); err != nil {
			t.Fatal(err)
		}
	}
}

// names lists search results as "sweep/index".
func names(results []*critsweepv1.TaskResult) string {
	var out []string
	for _, r := range results {
		out = append(out, fmt.Sprintf("%s/%d", r.GetRef().GetSweepId(), r.GetRef().GetIndex()))
	}
	return strings.Join(out, " ")
}

// searchAll pages through a search.
func searchAll(t *testing.T, api API, req *critsweepv1.SearchResultsRequest) (string, uint32) {
	t.Helper()
	var all []*critsweepv1.TaskResult
	var total uint32
	for pages := 0; ; pages++ {
		resp, err := api.SearchResults(context.Background(), req)
		if err != nil {
			t.Fatalf("SearchResults(%v): %v", req, err)
		}
		all = append(all, resp.GetResults()...)
		total = max(total, resp.GetTotalSize())
		if resp.GetNextPageToken() == "" {
			return names(all), total
		}
		if pages > 100 {
			t.Fatal("no end of pages")
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

func TestSearchResults(t *testing.T) {
	c, err := New(openTestDB(t, nil), newFakeClock(), &Options{Logger: discardLogger(),
		Resolve: func(ts *critsweepv1.TaskSpec) (query.Settings, bool) {
			return query.Settings{Batch: 256, Objective: "default"}, true
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a := finishSweep(t, c, "a", 3, 8)
	b := finishSweep(t, c, "b", 4, 16)
	// An unfinished task is never a result.
	if _, err := c.SubmitSweep(context.Background(), &critsweepv1.SubmitSweepRequest{Spec: testSpec("c", 2)}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		req   *critsweepv1.SearchResultsRequest
		want  string
		total uint32
	}{
		{"everything", &critsweepv1.SearchResultsRequest{}, "a-1/0 a-1/1 a-1/2 b-2/0 b-2/1 b-2/2 b-2/3", 7},
		{"in pages", &critsweepv1.SearchResultsRequest{PageSize: 2}, "a-1/0 a-1/1 a-1/2 b-2/0 b-2/1 b-2/2 b-2/3", 0},
		{"one sweep", &critsweepv1.SearchResultsRequest{SweepIds: []string{b}, Filter: "binder >= 0.3"}, "b-2/2 b-2/3", 2},
		{"filter across sweeps", &critsweepv1.SearchResultsRequest{Filter: "binder near 0.2 within 0.01", PageSize: 1}, "a-1/1 b-2/1", 0},
		{"by size and β", &critsweepv1.SearchResultsRequest{Filter: "size >= 8 and beta < 0.115", PageSize: 1},
			"a-1/0 a-1/1 b-2/0 b-2/1", 0},
		{"sorted", &critsweepv1.SearchResultsRequest{OrderBy: "binder desc, size", PageSize: 3},
			"b-2/3 a-1/2 b-2/2 a-1/1 b-2/1 a-1/0 b-2/0", 7},
		{"sorted and filtered", &critsweepv1.SearchResultsRequest{SweepIds: []string{b, a, b}, Filter: "index < 2", OrderBy: "-size"},
			"b-2/0 b-2/1 a-1/0 a-1/1", 4},
		{"resolved settings", &critsweepv1.SearchResultsRequest{SweepIds: []string{a}, Filter: "batch = 256 and objective = 'default'"},
			"a-1/0 a-1/1 a-1/2", 3},
		{"sweep name", &critsweepv1.SearchResultsRequest{Filter: "sweep_name = 'b' and index = 3"}, "b-2/3", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, total := searchAll(t, c, tt.req)
			if got != tt.want || total != tt.total {
				t.Errorf("got %q (total %d), want %q (total %d)", got, total, tt.want, tt.total)
			}
		})
	}

	ctx := context.Background()
	_, err = c.SearchResults(ctx, &critsweepv1.SearchResultsRequest{Filter: "size >= 8 and sise < 3"})
	var qe *query.Error
	if !errors.Is(err, ErrInvalidQuery) || !errors.As(err, &qe) || qe.Column != 15 || !strings.HasPrefix(err.Error(), "filter: column 15") {
		t.Errorf("bad filter: %v, want ErrInvalidQuery at column 15 of filter", err)
	}
	_, err = c.SearchResults(ctx, &critsweepv1.SearchResultsRequest{OrderBy: "size sideways"})
	if !errors.Is(err, ErrInvalidQuery) || !strings.HasPrefix(err.Error(), "order_by: column 6") {
		t.Errorf("bad order: %v, want ErrInvalidQuery at column 6 of order_by", err)
	}
	_, err = c.SearchResults(ctx, &critsweepv1.SearchResultsRequest{SweepIds: []string{a, "nope-9"}})
	if !errors.Is(err, ErrSweepNotFound) {
		t.Errorf("unknown sweep: %v, want ErrSweepNotFound", err)
	}
	// A token of a sorted search does not continue an unsorted one, nor garbage.
	resp, err := c.SearchResults(ctx, &critsweepv1.SearchResultsRequest{OrderBy: "size", PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []*critsweepv1.SearchResultsRequest{
		{PageToken: resp.GetNextPageToken()},
		{PageToken: "!!"},
		{OrderBy: "size", PageToken: "Y3g"},
	} {
		if _, err := c.SearchResults(ctx, req); !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), "page_token") {
			t.Errorf("SearchResults(%v) = %v, want ErrInvalidRequest naming page_token", req, err)
		}
	}
}

// TestSearchResultsOverTheWire checks that a bad filter comes back as InvalidArgument with
// a BadRequest naming the field, and errors.Is finds ErrInvalidQuery on the client.
func TestSearchResultsOverTheWire(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	finishSweep(t, ts.client, "wire", 2, 4)
	resp, err := ts.client.SearchResults(ctx, &critsweepv1.SearchResultsRequest{Filter: "model = 'ising' and beta > 0.105"})
	if err != nil || names(resp.GetResults()) != "wire-1/1" {
		t.Fatalf("SearchResults over gRPC = %v, %v; want wire-1/1", resp, err)
	}
	_, err = ts.client.SearchResults(ctx, &critsweepv1.SearchResultsRequest{Filter: "model = ising"})
	wantCode(t, "bad filter", err, codes.InvalidArgument, ErrInvalidQuery)
	st, _ := status.FromError(err)
	found := false
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				found = found || v.GetField() == "filter" && strings.Contains(v.GetDescription(), "column 9")
			}
		}
	}
	if !found || !strings.Contains(err.Error(), "filter: column 9: model is text") {
		t.Errorf("bad filter over gRPC: %v (details %v), want a BadRequest on filter at column 9", err, st.Details())
	}
}
