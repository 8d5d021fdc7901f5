package dashboard

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/critsweep/critsweep/analysis"
	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
)

// analyzer keeps the latest analysis of each sweep and brings it up to date in the
// background, one sweep at a time, so that no page waits for an analysis it can be shown
// the last of. Results are written once, so an analysis is current while the sweep's done
// count stays. A sweep is analysed again when its done count moved, at most once per
// max(interval, 5 × the last analysis' duration), so that a live sweep of many results
// costs a bounded share of a core. Each completed analysis moves the analyzer's
// generation, which the event stream sends.
type analyzer struct {
	interval time.Duration
	compute  func(ctx context.Context, id string) (*sweepAnalysis, error)
	log      func(msg string, args ...any)

	mu      sync.Mutex
	entries map[string]*analysisEntry
	queue   []string
	kick    chan struct{} // a send wakes the loop
	gen     uint64
	changed chan struct{} // closed at the next completion
	stop    chan struct{}
	done    chan struct{}
	closed  bool
}

type analysisEntry struct {
	want    uint32 // the done count to analyse
	done    uint32 // the done count of result
	at      time.Time
	cost    time.Duration
	result  *sweepAnalysis
	err     error
	queued  bool
	running bool
	timer   *time.Timer
	ready   chan struct{} // closed when the first analysis ends
}

func newAnalyzer(interval time.Duration, compute func(context.Context, string) (*sweepAnalysis, error), log func(string, ...any)) *analyzer {
	a := &analyzer{interval: interval, compute: compute, log: log, entries: map[string]*analysisEntry{},
		kick: make(chan struct{}, 1), changed: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go a.loop()
	return a
}

// close stops the loop; an analysis in flight is cancelled.
func (a *analyzer) close() {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.closed = true
	for _, e := range a.entries {
		if e.timer != nil {
			e.timer.Stop()
		}
	}
	a.mu.Unlock()
	close(a.stop)
	<-a.done
}

// entry returns the sweep's entry. The caller holds a.mu.
func (a *analyzer) entry(id string) *analysisEntry {
	e := a.entries[id]
	if e == nil {
		e = &analysisEntry{ready: make(chan struct{})}
		a.entries[id] = e
	}
	return e
}

// request asks for the sweep's analysis at done results and returns the latest one
// (nil when there is none yet): a newer one is queued unless it is current, queued or
// running, or the sweep was analysed too recently (then it is queued when allowed).
func (a *analyzer) request(id string, done uint32) *sweepAnalysis {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.entry(id)
	e.want = max(e.want, done)
	if a.closed || e.queued || e.running || e.timer != nil || e.result != nil && e.done == done && e.err == nil {
		return e.result
	}
	if wait := time.Until(e.at.Add(max(a.interval, 5*e.cost))); (e.result != nil || e.err != nil) && wait > 0 {
		e.timer = time.AfterFunc(wait, func() {
			a.mu.Lock()
			e.timer = nil
			a.enqueue(id, e)
			a.mu.Unlock()
		})
		return e.result
	}
	a.enqueue(id, e)
	return e.result
}

// enqueue queues the sweep. The caller holds a.mu.
func (a *analyzer) enqueue(id string, e *analysisEntry) {
	if e.queued || e.running || a.closed {
		return
	}
	e.queued = true
	a.queue = append(a.queue, id)
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// await returns the sweep's latest analysis, waiting for the first one when there is
// none yet; a newer one is requested as request does. A sweep with no result has none.
func (a *analyzer) await(ctx context.Context, id string, done uint32) (*sweepAnalysis, error) {
	if done == 0 {
		return nil, nil
	}
	if r := a.request(id, done); r != nil {
		return r, nil
	}
	a.mu.Lock()
	e := a.entry(id)
	a.mu.Unlock()
	select {
	case <-e.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-a.stop:
		return nil, errors.New("the dashboard is shutting down")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return e.result, e.err
}

// latest returns the analysis at hand without asking for another.
func (a *analyzer) latest(id string) *sweepAnalysis {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e := a.entries[id]; e != nil {
		return e.result
	}
	return nil
}

// generation returns the count of completed analyses, the results count of each sweep's
// latest, and a channel closed at the next completion.
func (a *analyzer) generation() (uint64, map[string]int, <-chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := make(map[string]int, len(a.entries))
	for id, e := range a.entries {
		if e.result != nil {
			m[id] = e.result.Results
		}
	}
	return a.gen, m, a.changed
}

// loop analyses the queued sweeps, one at a time, until close.
func (a *analyzer) loop() {
	defer close(a.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-a.stop
		cancel()
	}()
	for {
		a.mu.Lock()
		if len(a.queue) == 0 {
			a.mu.Unlock()
			select {
			case <-a.kick:
				continue
			case <-a.stop:
				return
			}
		}
		id := a.queue[0]
		a.queue = a.queue[1:]
		e := a.entries[id]
		e.queued, e.running = false, true
		a.mu.Unlock()

		start := time.Now()
		r, err := a.compute(ctx, id)
		cost := time.Since(start)
		if err != nil && ctx.Err() == nil {
			a.log("dashboard analysis failed", "sweep", id, "err", err)
		}

		a.mu.Lock()
		e.running, e.at, e.cost = false, time.Now(), cost
		if err == nil {
			e.result, e.err, e.done = r, nil, uint32(r.Results)
		} else if e.result == nil {
			e.err = err
		}
		if !isClosed(e.ready) {
			close(e.ready)
		}
		a.gen++
		close(a.changed)
		a.changed = make(chan struct{})
		stale := err == nil && e.want > e.done
		a.mu.Unlock()
		if stale {
			a.request(id, e.want) // results came in meanwhile
		}
		if ctx.Err() != nil {
			return
		}
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// sweepAnalysis is what the sweep view draws: per τ, the σ_L, Binder and ξ/L curves
// with their crossings and β_c.
type sweepAnalysis struct {
	// Results is the number of finished tasks behind the analysis.
	Results int `json:"results"`
	// Taus are the sweep's slices: the groups of tasks that share every parameter but β,
	// L and the seam (τ and the model's second couplings), each analysed on its own. The
	// name stays from when τ was the only such parameter.
	Taus []tauAnalysis `json:"taus"`
	// Axis names the parameter that varies across the slices (the phase boundary's
	// abscissa; "" with one slice).
	Axis string `json:"axis"`
	// encoded is the analysis in JSON, encoded once when it was made: every view of the
	// sweep sends it.
	encoded []byte
}

// MarshalJSON returns the analysis encoded when it was made.
func (a *sweepAnalysis) MarshalJSON() ([]byte, error) {
	if a.encoded != nil {
		return a.encoded, nil
	}
	type plain sweepAnalysis
	return json.Marshal((*plain)(a))
}

// tauAnalysis is the analysis of one τ; Error says why β_c is not known yet (no
// crossing, too few sizes), and the curves are drawn all the same.
type tauAnalysis struct {
	Tau float64 `json:"tau"`
	// Params are the slice's parameters, Label them in words, and X the value of the
	// sweep's Axis.
	Params           analysis.Params `json:"params"`
	Label            string          `json:"label"`
	X                float64         `json:"x"`
	BetaC            number          `json:"beta_c"`
	BetaCStderr      number          `json:"beta_c_stderr"`
	Error            string          `json:"error,omitempty"`
	Crossings        []crossingJSON  `json:"crossings"`
	BinderCrossings  []crossingJSON  `json:"binder_crossings"`
	XiOverLCrossings []crossingJSON  `json:"xi_over_l_crossings"`
	Fit              *analysis.Fit   `json:"fit,omitempty"`
	ObservableSource string          `json:"observable_source,omitempty"`
	Skipped          []string        `json:"skipped,omitempty"`
	Curves           []curveJSON     `json:"curves"`
	Replicas         int             `json:"replicas"`
}

// number is a float64 that encodes NaN and ±Inf as null.
type number float64

func (x number) MarshalJSON() ([]byte, error) {
	f := float64(x)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

type crossingJSON struct {
	Sizes  [2]int `json:"sizes"`
	Beta   number `json:"beta"`
	Stderr number `json:"stderr"`
}

// curveJSON is a curve with its points as [β, value, stderr, exact or null] arrays.
type curveJSON struct {
	Quantity string      `json:"quantity"`
	Size     int         `json:"size"`
	Boundary string      `json:"boundary,omitempty"`
	Points   [][4]number `json:"points"`
}

func crossingsJSON(cs []analysis.Crossing) []crossingJSON {
	out := make([]crossingJSON, len(cs))
	for i, c := range cs {
		out[i] = crossingJSON{Sizes: c.Sizes, Beta: number(c.Beta), Stderr: number(c.Stderr)}
	}
	return out
}

func curveOf(c analysis.Curve) curveJSON {
	out := curveJSON{Quantity: string(c.Quantity), Size: c.Size, Boundary: c.Boundary, Points: make([][4]number, len(c.Points))}
	for i, p := range c.Points {
		exact := number(math.NaN())
		if p.Exact != nil {
			exact = number(*p.Exact)
		}
		out.Points[i] = [4]number{number(p.Beta), number(p.Mean), number(p.StdErr), exact}
	}
	return out
}

// analyze reads every result of the sweep and analyses each τ as `critsweep analyze`
// does (analysis.Analyze with its defaults). Where β_c cannot be had yet, the σ_L
// curves (analysis.SigmaCurves) and the periodic points' Binder and ξ/L are drawn
// without crossings.
func (s *Server) analyze(ctx context.Context, id string) (*sweepAnalysis, error) {
	results, err := s.allResults(ctx, []string{id}, "", "")
	if err != nil {
		return nil, err
	}
	out := &sweepAnalysis{Results: len(results), Taus: []tauAnalysis{}}
	points, err := analysis.PointsFromResults(results)
	if err != nil {
		return nil, err
	}
	groups := analysis.Slices(points)
	out.Axis = varyingAxis(groups)
	for _, pts := range groups {
		params := pts[0].Params
		if params == nil {
			params = analysis.Params{{Name: spec.ParamTau, Value: pts[0].Tau}}
		}
		x, _ := params.Get(out.Axis)
		ta := tauAnalysis{Tau: pts[0].Tau, Params: params, Label: params.String(), X: x, BetaC: number(math.NaN()), BetaCStderr: number(math.NaN()),
			Crossings: []crossingJSON{}, BinderCrossings: []crossingJSON{}, XiOverLCrossings: []crossingJSON{}, Curves: []curveJSON{}}
		a, err := analysis.Analyze(pts, nil)
		if err == nil {
			ta.BetaC, ta.BetaCStderr = number(a.BetaC), number(a.BetaCStderr)
			ta.Crossings, ta.BinderCrossings = crossingsJSON(a.Crossings), crossingsJSON(a.BinderCrossings)
			ta.XiOverLCrossings = crossingsJSON(a.XiOverLCrossings)
			fit := a.Fit
			ta.Fit, ta.ObservableSource, ta.Skipped, ta.Replicas = &fit, a.ObservableSource, a.Skipped, a.Replicas
			for _, c := range a.Curves {
				if c.Quantity != analysis.LnLambdaPerSite {
					ta.Curves = append(ta.Curves, curveOf(c))
				}
			}
		} else {
			ta.Error = err.Error()
			if sigma, err := analysis.SigmaCurves(pts); err == nil {
				for _, c := range sigma {
					ta.Curves = append(ta.Curves, curveOf(c))
				}
			}
			ta.Curves = append(ta.Curves, observableCurves(pts)...)
		}
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil, ctx.Err()
		}
		out.Taus = append(out.Taus, ta)
	}
	enc, err := out.MarshalJSON()
	if err != nil {
		return nil, err
	}
	out.encoded = enc
	return out, nil
}

// observableCurves returns the Binder and ξ/L curves of the periodic points per size,
// from the bulk distribution when every periodic point has it (as the analysis chooses),
// for a sweep not yet analysable.
func observableCurves(pts []analysis.Point) []curveJSON {
	bulk := true
	for _, p := range pts {
		if p.Boundary == analysis.Periodic && (p.BulkBinder == nil || p.BulkXiOverL == nil) {
			bulk = false
		}
	}
	var out []curveJSON
	for _, q := range []analysis.Quantity{analysis.Binder, analysis.XiOverL} {
		bySize := map[int][][4]number{}
		for _, p := range pts {
			if p.Boundary != analysis.Periodic {
				continue
			}
			e, exact := p.Binder, math.NaN()
			switch {
			case q == analysis.Binder && bulk:
				e = p.BulkBinder
			case q == analysis.XiOverL && bulk:
				e = p.BulkXiOverL
			case q == analysis.XiOverL:
				e = p.XiOverL
			}
			if p.Exact != nil {
				switch {
				case q == analysis.Binder && bulk:
					exact = p.Exact.BulkBinder
				case q == analysis.Binder:
					exact = p.Exact.Binder
				case bulk:
					exact = p.Exact.BulkXiOverL
				default:
					exact = p.Exact.XiOverL
				}
			}
			if e == nil || math.IsNaN(e.Mean) {
				continue
			}
			bySize[p.Size] = append(bySize[p.Size], [4]number{number(p.Beta), number(e.Mean), number(e.StdErr), number(exact)})
		}
		sizes := make([]int, 0, len(bySize))
		for L := range bySize {
			sizes = append(sizes, L)
		}
		slices.Sort(sizes)
		for _, L := range sizes {
			pts := bySize[L]
			slices.SortFunc(pts, func(a, b [4]number) int { return cmp.Compare(a[0], b[0]) })
			out = append(out, curveJSON{Quantity: string(q), Size: L, Boundary: analysis.Periodic, Points: pts})
		}
	}
	return out
}

// allResults returns every finished task of the sweeps that filter matches, in order
// (sweep and index when order is empty).
func (s *Server) allResults(ctx context.Context, sweeps []string, filter, order string) ([]*critsweepv1.TaskResult, error) {
	var all []*critsweepv1.TaskResult
	token := ""
	for {
		resp, err := s.c.SearchResults(ctx, &critsweepv1.SearchResultsRequest{
			SweepIds: sweeps, Filter: filter, OrderBy: order, PageSize: coordinator.MaxResultsPageSize, PageToken: token,
		})
		if err != nil {
			return nil, err
		}
		all = append(all, resp.GetResults()...)
		if token = resp.GetNextPageToken(); token == "" {
			return all, nil
		}
	}
}

// varyingAxis names the first slice parameter whose value differs between slices, or ""
// when there is one slice.
func varyingAxis(groups [][]analysis.Point) string {
	if len(groups) < 2 {
		return ""
	}
	first := groups[0][0].Params
	if first == nil {
		return spec.ParamTau
	}
	for _, p := range first {
		for _, g := range groups[1:] {
			if v, ok := g[0].Params.Get(p.Name); !ok || v != p.Value {
				return p.Name
			}
		}
	}
	return ""
}
