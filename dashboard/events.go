package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/critsweep/critsweep/coordinator"
)

// keepAlive is how often an idle event stream sends a comment, so that proxies keep it.
const keepAlive = 15 * time.Second

// events serves GET /api/v1/events: a stream of server-sent events, one "change" event
// with the coordinator's Changes (generation, and the generation of each sweep's and of
// the workers' last change) and the results behind each sweep's latest analysis, at once
// and after every change or new analysis, changes closer than Options.EventInterval
// merged. A page fetches again what moved since the event it showed. after=N starts after generation N (what EventSource's Last-Event-ID carries on
// a reconnection).
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	p, err := newParams(r, "after")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	after, err := p.uint("after", 0, 1<<62)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if id := r.Header.Get("Last-Event-ID"); id != "" && p.str("after") == "" {
		fmt.Sscan(id, &after)
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 1000\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	s.streams.Add(1)
	defer s.streams.Done()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		select {
		case <-s.stopStreams:
			cancel()
		case <-ctx.Done():
		}
	}()
	sentAnalyses := uint64(0)
	for {
		// Wait for a change of the coordinator or a new analysis, whichever comes first.
		agen, analyses, analysed := s.analyses.generation()
		waitCtx, stop := context.WithTimeout(ctx, keepAlive)
		if agen != sentAnalyses {
			stop() // a new analysis to tell at once
		}
		go func() {
			select {
			case <-analysed:
				stop()
			case <-waitCtx.Done():
			}
		}()
		ch, err := s.c.Changed(waitCtx, after)
		newAnalysis := waitCtx.Err() != nil && ctx.Err() == nil && !errors.Is(waitCtx.Err(), context.DeadlineExceeded)
		stop()
		if newAnalysis || agen != sentAnalyses {
			agen, analyses, _ = s.analyses.generation()
			ch, err = s.c.Changed(ctx, 0)
		}
		switch {
		case err == nil:
			data, _ := json.Marshal(event{Changes: ch, Analyses: analyses})
			_, err = fmt.Fprintf(w, "id: %d\nevent: change\ndata: %s\n\n", ch.Generation, data)
			after, sentAnalyses = ch.Generation, agen
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
			_, err = fmt.Fprintf(w, ": keep-alive\n\n")
		case errors.Is(err, coordinator.ErrClosed):
			fmt.Fprintf(w, "event: closed\ndata: {}\n\n")
			rc.Flush()
			return
		default:
			return
		}
		if err != nil || rc.Flush() != nil {
			return
		}
		pause := time.NewTimer(s.opts.EventInterval)
		select {
		case <-pause.C:
		case <-ctx.Done():
			pause.Stop()
			return
		}
	}
}

// event is the data of a change event: the coordinator's Changes, and the number of
// results behind each sweep's latest analysis.
type event struct {
	*coordinator.Changes
	Analyses map[string]int `json:"analyses"`
}

// endpoint documents one endpoint for GET /api/v1.
type endpoint struct {
	Method      string   `json:"method"`
	Path        string   `json:"path"`
	Parameters  []string `json:"parameters,omitempty"`
	Description string   `json:"description"`
}

// endpoints are the dashboard's JSON endpoints; docs/dashboard.md says more.
var endpoints = []endpoint{
	{"GET", "/api/v1", nil, "this list"},
	{"GET", "/api/v1/session", nil, "whether the dashboard asks for a token and offers actions"},
	{"GET", "/api/v1/sweeps", nil, "every sweep: name, model, state, counts by state, rate, ETA, current β_c ± error"},
	{"GET", "/api/v1/sweeps/{id}", []string{"include=results"}, "one sweep: its line, spec, analysis per τ (σ_L, Binder and ξ/L curves, crossings, β_c), failures count; every result with include=results"},
	{"GET", "/api/v1/sweeps/{id}/results", []string{"where", "sort", "columns", "page_size", "page_token", "format=json|csv"}, "the sweep's finished tasks, filtered and sorted (query language), as JSON records or CSV; page_size 0 (the default): every match"},
	{"GET", "/api/v1/sweeps/{id}/tasks", []string{"state", "failures=true", "page_size", "page_token"}, "the sweep's tasks with their failures and attempts, a page at a time"},
	{"GET", "/api/v1/sweeps/{id}/tasks/{index}", nil, "one task: its record, training curve (loss and ln λ/L against step), result and estimates beside exact values"},
	{"POST", "/api/v1/sweeps/{id}/cancel", nil, "cancel the sweep (the token required; body {})"},
	{"POST", "/api/v1/sweeps/{id}/extend", nil, `add grid points (the token required; body {"grid": {"beta": {"from", "to", "step"}, "size": [...], "tau": [...]}})`},
	{"GET", "/api/v1/results", []string{"sweep (repeated; none: every sweep)", "where", "sort", "columns", "page_size", "page_token", "format=json|csv"}, "finished tasks across sweeps"},
	{"GET", "/api/v1/columns", nil, "the columns of results and the query language"},
	{"GET", "/api/v1/workers", nil, "the workers heard from: connected, slots, current tasks, last heartbeat, throughput"},
	{"GET", "/api/v1/events", []string{"after"}, "server-sent events: a change event with the generations of what changed"},
}

// index serves GET /api/v1: the endpoints.
func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	if _, err := newParams(r); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, struct {
		Endpoints []endpoint `json:"endpoints"`
	}{endpoints})
}

// session serves GET /api/v1/session.
func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	if _, err := newParams(r); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, struct {
		Auth    bool `json:"auth"`
		Actions bool `json:"actions"`
	}{s.auth.on, s.auth.canAct()})
}
