package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
)

// sweepSummary is a sweep's line in the sweeps view: GET /api/v1/sweeps.
type sweepSummary struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Model         string    `json:"model"`
	State         string    `json:"state"`
	Created       time.Time `json:"created"`
	Total         uint32    `json:"total"`
	Pending       uint32    `json:"pending"`
	Leased        uint32    `json:"leased"`
	Done          uint32    `json:"done"`
	Failed        uint32    `json:"failed"`
	Cancelled     uint32    `json:"cancelled"`
	DonePerSecond number    `json:"done_per_second"`
	// ETASeconds is the time left at the recent rate; null when the rate is not known.
	ETASeconds *float64 `json:"eta_seconds"`
	// BetaC is the current estimate, of the smallest τ; null until σ_L curves cross.
	BetaC *betaCJSON `json:"beta_c"`
	// Analysing is true while the latest analysis lacks some results (a newer one is on
	// its way).
	Analysing bool `json:"analysing"`
}

type betaCJSON struct {
	Value  number  `json:"value"`
	Stderr number  `json:"stderr"`
	Tau    float64 `json:"tau"`
	// Results is the number of finished tasks behind the estimate.
	Results int `json:"results"`
}

// modelName names a sweep's model: "ising", "potts q=3".
func modelName(m *critsweepv1.ModelSpec) string {
	switch m.GetKind() {
	case spec.ModelIsing:
		return m.GetKind()
	case spec.ModelCustom:
		return fmt.Sprintf("custom q=%d", m.GetBondWeight().GetQ())
	}
	return fmt.Sprintf("%s q=%d", m.GetKind(), m.GetQ())
}

// summary makes a sweep's line with the β_c of its latest analysis; with analyse it
// waits for the first analysis of a sweep that has none yet, and returns the analysis.
func (s *Server) summary(r *http.Request, sw *critsweepv1.Sweep, st *critsweepv1.SweepStatus, analyse bool) (sweepSummary, *sweepAnalysis, error) {
	sum := sweepSummary{
		ID: sw.GetId(), Name: sw.GetSpec().GetName(), Model: modelName(sw.GetSpec().GetModel()),
		State: coordinator.SweepState(st, sw.GetCancelled()), Created: sw.GetCreated().AsTime(),
		Total: st.GetTotal(), Pending: st.GetPending(), Leased: st.GetLeased(), Done: st.GetDone(),
		Failed: st.GetFailed(), Cancelled: st.GetCancelled(), DonePerSecond: number(st.GetDonePerSecond()),
	}
	if eta, ok := coordinator.ETA(st); ok {
		sum.ETASeconds = &eta
	}
	var an *sweepAnalysis
	if analyse {
		var err error
		if an, err = s.analyses.await(r.Context(), sw.GetId(), st.GetDone()); err != nil {
			return sum, nil, err
		}
	} else if st.GetDone() > 0 {
		an = s.analyses.request(sw.GetId(), st.GetDone())
	}
	sum.Analysing = st.GetDone() > 0 && (an == nil || uint32(an.Results) < st.GetDone())
	if an != nil {
		for _, t := range an.Taus {
			if t.Error == "" {
				sum.BetaC = &betaCJSON{Value: t.BetaC, Stderr: t.BetaCStderr, Tau: t.Tau, Results: an.Results}
				break
			}
		}
	}
	return sum, an, nil
}

// sweeps serves GET /api/v1/sweeps: every sweep's line, newest first.
func (s *Server) sweeps(w http.ResponseWriter, r *http.Request) {
	if _, err := newParams(r); err != nil {
		s.fail(w, r, err)
		return
	}
	changes, err := s.c.Changed(r.Context(), 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.c.ListSweeps(r.Context(), &critsweepv1.ListSweepsRequest{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := struct {
		Generation uint64         `json:"generation"`
		Sweeps     []sweepSummary `json:"sweeps"`
	}{Generation: changes.Generation, Sweeps: []sweepSummary{}}
	for _, st := range list.GetSweeps() {
		got, err := s.c.GetSweep(r.Context(), &critsweepv1.GetSweepRequest{SweepId: st.GetSweepId()})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		sum, _, err := s.summary(r, got.GetSweep(), got.GetStatus(), false)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out.Sweeps = append(out.Sweeps, sum)
	}
	slices.SortStableFunc(out.Sweeps, func(a, b sweepSummary) int { return b.Created.Compare(a.Created) })
	writeJSON(w, out)
}

// sweepDetail is GET /api/v1/sweeps/{id}: the sweep, its progress, its analysis (null
// with analysis=false), its failures, and with include=results every result.
type sweepDetail struct {
	Generation uint64 `json:"generation"`
	sweepSummary
	Spec       json.RawMessage `json:"spec"`
	Extensions int             `json:"extensions"`
	// WithFailures counts the tasks with a failed or expired attempt.
	WithFailures int            `json:"with_failures"`
	Analysis     *sweepAnalysis `json:"analysis"`
	Reference    *reference     `json:"reference,omitempty"`
	// Actions says whether this dashboard offers cancel and extend.
	Actions bool `json:"actions"`
	// Results are every finished task as result records, with include=results.
	Results []map[string]any `json:"results,omitempty"`
}

// reference is a model's known critical point, for comparison only.
type reference struct {
	BetaC float64 `json:"beta_c"`
	Name  string  `json:"name"`
}

// sweep serves GET /api/v1/sweeps/{id}.
func (s *Server) sweep(w http.ResponseWriter, r *http.Request) {
	p, err := newParams(r, "include", "analysis")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	include, err := p.oneOf("include", "", "results")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	analyse, err := p.oneOf("analysis", "true", "true", "false")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	changes, err := s.c.Changed(r.Context(), 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	got, err := s.c.GetSweep(r.Context(), &critsweepv1.GetSweepRequest{SweepId: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sum, an, err := s.summary(r, got.GetSweep(), got.GetStatus(), analyse == "true")
	if analyse != "true" {
		an = nil
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	specJSON, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(got.GetSweep().GetSpec())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := sweepDetail{Generation: changes.Generation, sweepSummary: sum, Spec: specJSON,
		Extensions: len(got.GetSweep().GetExtensions()), Analysis: an, Actions: s.auth.canAct()}
	if s.opts.Reference != nil {
		if b, name, ok := s.opts.Reference(got.GetSweep().GetSpec().GetModel()); ok {
			d.Reference = &reference{BetaC: b, Name: name}
		}
	}
	if d.WithFailures, err = s.withFailures(r.Context(), id, got.GetStatus()); err != nil {
		s.fail(w, r, err)
		return
	}
	if include == "results" {
		results, err := s.allResults(r.Context(), []string{id}, "", "")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Results = s.records(r.Context(), results, allColumns())
	}
	writeJSON(w, d)
}

// withFailures counts the sweep's tasks with a failed or expired attempt. The count is
// kept while the sweep's state counts stay: a failure or an expiry moves a task between
// states.
func (s *Server) withFailures(ctx context.Context, id string, st *critsweepv1.SweepStatus) (int, error) {
	key := fmt.Sprintf("%d/%d/%d/%d/%d/%d", st.GetTotal(), st.GetPending(), st.GetLeased(), st.GetDone(), st.GetFailed(), st.GetCancelled())
	s.failMu.Lock()
	c, ok := s.failCounts[id]
	s.failMu.Unlock()
	if ok && c.key == key {
		return c.n, nil
	}
	n, token := 0, ""
	for {
		resp, err := s.c.ListTasks(ctx, &critsweepv1.ListTasksRequest{SweepId: id, WithFailures: true, PageToken: token,
			PageSize: coordinator.MaxTasksPageSize})
		if err != nil {
			return 0, err
		}
		n += len(resp.GetTasks())
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	s.failMu.Lock()
	s.failCounts[id] = failCount{key, n}
	s.failMu.Unlock()
	return n, nil
}

// cancel serves POST /api/v1/sweeps/{id}/cancel (the token required): it cancels the
// sweep as `critsweep cancel` does and answers its line.
func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	if !s.checkAction(w, r) {
		return
	}
	if _, err := readBody(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	if _, err := s.c.CancelSweep(r.Context(), &critsweepv1.CancelSweepRequest{SweepId: id}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("sweep cancelled from the dashboard", "sweep", id, "remote", r.RemoteAddr)
	s.answerSummary(w, r, id)
}

// extend serves POST /api/v1/sweeps/{id}/extend (the token required) with a body
// {"grid": {"beta": {"from", "to", "step"} or {"values"}, "size": [...], "tau": [...]}}:
// the grid's new points are added to the sweep as `ExtendSweep` does; a grid without
// size or tau takes the sweep's.
func (s *Server) extend(w http.ResponseWriter, r *http.Request) {
	if !s.checkAction(w, r) {
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		Grid json.RawMessage `json:"grid"`
	}
	if err := decodeJSON(body, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(in.Grid) == 0 {
		s.fail(w, r, badParam("grid", `is required: {"beta": {"from": 0.40, "to": 0.48, "step": 0.005}}, with size and tau optional`))
		return
	}
	grid := new(critsweepv1.Grid)
	if err := protojson.Unmarshal(in.Grid, grid); err != nil {
		s.fail(w, r, badParam("grid", "%v", err))
		return
	}
	id := r.PathValue("id")
	got, err := s.c.GetSweep(r.Context(), &critsweepv1.GetSweepRequest{SweepId: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(grid.GetSize()) == 0 {
		grid.Size = got.GetSweep().GetSpec().GetGrid().GetSize()
	}
	if len(grid.GetTau()) == 0 {
		grid.Tau = got.GetSweep().GetSpec().GetGrid().GetTau()
	}
	resp, err := s.c.ExtendSweep(r.Context(), &critsweepv1.ExtendSweepRequest{SweepId: id, Grid: grid})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("sweep extended from the dashboard", "sweep", id, "added", resp.GetAdded(), "remote", r.RemoteAddr)
	s.answerSummary(w, r, id)
}

// answerSummary answers the sweep's line after an action.
func (s *Server) answerSummary(w http.ResponseWriter, r *http.Request, id string) {
	got, err := s.c.GetSweep(r.Context(), &critsweepv1.GetSweepRequest{SweepId: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sum, _, err := s.summary(r, got.GetSweep(), got.GetStatus(), false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, sum)
}

// readBody reads an action's body, at most 64 KiB.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, badParam("body", "larger than %d bytes", tooLarge.Limit)
	}
	return body, err
}
