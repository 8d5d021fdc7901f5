package dashboard

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/query"
)

// taskJSON is a task's record: GET /api/v1/sweeps/{id}/tasks lists them.
type taskJSON struct {
	SweepID        string        `json:"sweep_id"`
	Index          uint32        `json:"index"`
	State          string        `json:"state"`
	Beta           float64       `json:"beta"`
	Size           uint32        `json:"size"`
	Tau            float64       `json:"tau"`
	Boundary       string        `json:"boundary"`
	Attempts       uint32        `json:"attempts"`
	Epoch          uint64        `json:"epoch"`
	Worker         string        `json:"worker,omitempty"`
	LeaseExpires   *time.Time    `json:"lease_expires,omitempty"`
	CheckpointStep uint64        `json:"checkpoint_step"`
	Progress       *progressJSON `json:"progress"`
	// Failures are the reasons of the failed or expired attempts, in order ("attempt N
	// (epoch E, worker): reason").
	Failures []string `json:"failures"`
}

type progressJSON struct {
	Step            uint64 `json:"step"`
	TotalSteps      uint64 `json:"total_steps"`
	Loss            number `json:"loss"`
	LnLambdaPerSite number `json:"ln_lambda_per_site"`
	Seconds         number `json:"seconds"`
}

func progressOf(p *critsweepv1.Progress) *progressJSON {
	if p == nil {
		return nil
	}
	return &progressJSON{Step: p.GetStep(), TotalSteps: p.GetTotalSteps(), Loss: number(p.GetLoss()),
		LnLambdaPerSite: number(p.GetLnLambdaPerSite()), Seconds: number(p.GetSeconds())}
}

// timeOf is a timestamp as a time, nil when unset.
func timeOf(ts *timestamppb.Timestamp) *time.Time {
	if ts == nil {
		return nil
	}
	t := ts.AsTime()
	return &t
}

// stateName is a task state's short name: "pending", "leased", ….
func stateName(s critsweepv1.TaskState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "TASK_STATE_"))
}

// stateNames maps the short names back.
var stateNames = map[string]critsweepv1.TaskState{
	"pending": critsweepv1.TaskState_TASK_STATE_PENDING, "leased": critsweepv1.TaskState_TASK_STATE_LEASED,
	"done": critsweepv1.TaskState_TASK_STATE_DONE, "failed": critsweepv1.TaskState_TASK_STATE_FAILED,
	"cancelled": critsweepv1.TaskState_TASK_STATE_CANCELLED,
}

func taskOf(t *critsweepv1.Task) taskJSON {
	tj := taskJSON{
		SweepID: t.GetRef().GetSweepId(), Index: t.GetRef().GetIndex(), State: stateName(t.GetState()),
		Beta: t.GetSpec().GetBeta(), Size: t.GetSpec().GetSize(), Tau: t.GetSpec().GetTau(), Boundary: t.GetSpec().GetBoundary(),
		Attempts: t.GetAttempts(), Epoch: t.GetEpoch(), Worker: t.GetWorker(), CheckpointStep: t.GetCheckpointStep(),
		Progress: progressOf(t.GetProgress()), Failures: t.GetFailures(),
	}
	if tj.Failures == nil {
		tj.Failures = []string{}
	}
	if e := t.GetLeaseExpires(); e != nil {
		at := e.AsTime()
		tj.LeaseExpires = &at
	}
	return tj
}

// tasks serves GET /api/v1/sweeps/{id}/tasks: the sweep's tasks in index order, a page
// at a time; state keeps those in the states listed (pending, leased, done, failed,
// cancelled), failures=true those with a failed or expired attempt.
func (s *Server) tasks(w http.ResponseWriter, r *http.Request) {
	p, err := newParams(r, "state", "failures", "page_size", "page_token")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req := &critsweepv1.ListTasksRequest{SweepId: r.PathValue("id"), PageToken: p.str("page_token")}
	for _, name := range p.list("state") {
		st, ok := stateNames[name]
		if !ok {
			s.fail(w, r, badParam("state", "%q is not a task state: pending, leased, done, failed or cancelled", name))
			return
		}
		req.States = append(req.States, st)
	}
	if req.WithFailures, err = p.bool("failures"); err != nil {
		s.fail(w, r, err)
		return
	}
	size, err := p.uint("page_size", 100, coordinator.MaxTasksPageSize)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req.PageSize = uint32(size)
	resp, err := s.c.ListTasks(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := struct {
		Tasks         []taskJSON `json:"tasks"`
		NextPageToken string     `json:"next_page_token"`
	}{Tasks: []taskJSON{}, NextPageToken: resp.GetNextPageToken()}
	for _, t := range resp.GetTasks() {
		out.Tasks = append(out.Tasks, taskOf(t))
	}
	writeJSON(w, out)
}

// taskDetail is GET /api/v1/sweeps/{id}/tasks/{index}: the task, its training curve,
// and once done its result with the estimates beside the exact values.
type taskDetail struct {
	Generation uint64 `json:"generation"`
	taskJSON
	SweepName string `json:"sweep_name"`
	Model     string `json:"model"`
	// Curve is the training curve: the heartbeats' progress, thinned evenly over the run
	// to at most the store's bound.
	Curve []progressJSON `json:"curve"`
	// Result is the result record (the columns of `critsweep results`), null until done.
	Result map[string]any `json:"result"`
	// Estimates pair each final estimate with its exact value where one exists.
	Estimates []estimateRow `json:"estimates"`
}

// estimateRow is one estimate beside its exact value: Sigmas is (value − exact)/stderr.
type estimateRow struct {
	Name   string  `json:"name"`
	Value  number  `json:"value"`
	Stderr number  `json:"stderr"`
	Exact  *number `json:"exact"`
	Method string  `json:"exact_method,omitempty"`
	Sigmas *number `json:"sigmas"`
}

// task serves GET /api/v1/sweeps/{id}/tasks/{index}.
func (s *Server) task(w http.ResponseWriter, r *http.Request) {
	if _, err := newParams(r); err != nil {
		s.fail(w, r, err)
		return
	}
	index, err := strconv.ParseUint(r.PathValue("index"), 10, 32)
	if err != nil {
		s.fail(w, r, badParam("index", "must be a task index (a whole number), got %q", r.PathValue("index")))
		return
	}
	changes, err := s.c.Changed(r.Context(), 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ref := &critsweepv1.TaskRef{SweepId: r.PathValue("id"), Index: uint32(index)}
	got, err := s.c.GetTask(r.Context(), &critsweepv1.GetTaskRequest{Ref: ref})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sw, err := s.c.GetSweep(r.Context(), &critsweepv1.GetSweepRequest{SweepId: ref.GetSweepId()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := taskDetail{Generation: changes.Generation, taskJSON: taskOf(got.GetTask()), SweepName: sw.GetSweep().GetSpec().GetName(),
		Model: modelName(got.GetTask().GetSpec().GetModel()), Curve: []progressJSON{}, Estimates: []estimateRow{}}
	for _, p := range got.GetProgress().GetPoints() {
		d.Curve = append(d.Curve, *progressOf(p))
	}
	if res := got.GetResult(); res != nil {
		tr := &critsweepv1.TaskResult{Ref: ref, Spec: got.GetTask().GetSpec(), Result: res,
			Attempts: got.GetTask().GetAttempts(), Epoch: got.GetTask().GetEpoch()}
		row := query.NewRow(d.SweepName, tr, s.opts.Resolve)
		d.Result = map[string]any{}
		for _, c := range query.Columns() {
			d.Result[c.Name] = row.Value(c).JSON()
		}
		d.Estimates = s.estimates(got.GetTask().GetSpec(), res)
	}
	writeJSON(w, d)
}

// estimates pairs a result's estimates with the exact values: the result's own exact
// comparison (where q^L was small enough), or Options.ExactLnLambda's closed form.
func (s *Server) estimates(ts *critsweepv1.TaskSpec, res *critsweepv1.Result) []estimateRow {
	ex := res.GetExact()
	val := func(x float64) *number {
		if ex == nil || math.IsNaN(x) {
			return nil
		}
		n := number(x)
		return &n
	}
	row := func(name string, e *critsweepv1.Estimate, exact *number, method string) estimateRow {
		r := estimateRow{Name: name, Value: number(e.GetValue()), Stderr: number(e.GetStderr()), Exact: exact}
		if exact != nil {
			r.Method = method
			if e.GetStderr() > 0 {
				sg := number((e.GetValue() - float64(*exact)) / e.GetStderr())
				r.Sigmas = &sg
			}
		}
		return r
	}
	method := "enumeration"
	lnExact := val(ex.GetLnLambdaPerSite())
	if lnExact == nil && s.opts.ExactLnLambda != nil {
		if x, m, ok := s.opts.ExactLnLambda(ts); ok {
			n := number(x)
			lnExact, method = &n, m
		}
	}
	rows := []estimateRow{row("ln_lambda_per_site", res.GetLnLambdaPerSite(), lnExact, method)}
	if fo := res.GetFirstOrderLnLambdaPerSite(); fo != nil {
		rows = append(rows, row("first_order_ln_lambda_per_site", fo, lnExact, method))
	}
	for _, o := range []struct {
		name  string
		e     *critsweepv1.Estimate
		exact float64
	}{
		{"m2", res.GetM2(), ex.GetM2()}, {"m4", res.GetM4(), ex.GetM4()},
		{"binder", res.GetBinder(), ex.GetBinder()}, {"xi_over_l", res.GetXiOverL(), ex.GetXiOverL()},
	} {
		if o.e != nil {
			rows = append(rows, row(o.name, o.e, val(o.exact), "enumeration"))
		}
	}
	bulk, exBulk := res.GetBulk(), ex.GetBulk()
	for _, o := range []struct {
		name     string
		e, exact *critsweepv1.Estimate
	}{
		{"bulk_m2", bulk.GetM2(), exBulk.GetM2()}, {"bulk_m4", bulk.GetM4(), exBulk.GetM4()},
		{"bulk_binder", bulk.GetBinder(), exBulk.GetBinder()}, {"bulk_xi_over_l", bulk.GetXiOverL(), exBulk.GetXiOverL()},
	} {
		if o.e == nil {
			continue
		}
		var exact *number
		if o.exact != nil {
			exact = val(o.exact.GetValue())
		}
		rows = append(rows, row(o.name, o.e, exact, "enumeration"))
	}
	return rows
}

// workers serves GET /api/v1/workers: the workers heard from since the coordinator
// started.
func (s *Server) workers(w http.ResponseWriter, r *http.Request) {
	if _, err := newParams(r); err != nil {
		s.fail(w, r, err)
		return
	}
	changes, err := s.c.Changed(r.Context(), 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp, err := s.c.ListWorkers(r.Context(), &critsweepv1.ListWorkersRequest{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type workerTask struct {
		SweepID  string        `json:"sweep_id"`
		Index    uint32        `json:"index"`
		Slot     string        `json:"slot"`
		Epoch    uint64        `json:"epoch"`
		Progress *progressJSON `json:"progress"`
	}
	type worker struct {
		Name           string       `json:"name"`
		Connected      bool         `json:"connected"`
		Slots          uint32       `json:"slots"`
		Tasks          []workerTask `json:"tasks"`
		FirstSeen      *time.Time   `json:"first_seen"`
		LastSeen       *time.Time   `json:"last_seen"`
		LastHeartbeat  *time.Time   `json:"last_heartbeat"`
		Completed      uint64       `json:"completed"`
		Failed         uint64       `json:"failed"`
		DonePerSecond  number       `json:"done_per_second"`
		StepsPerSecond number       `json:"steps_per_second"`
	}
	out := struct {
		Generation uint64    `json:"generation"`
		Now        time.Time `json:"now"`
		Workers    []worker  `json:"workers"`
	}{Generation: changes.Generation, Now: time.Now(), Workers: []worker{}}
	for _, ws := range resp.GetWorkers() {
		wk := worker{Name: ws.GetName(), Connected: ws.GetConnected(), Slots: ws.GetSlots(), Tasks: []workerTask{},
			FirstSeen: timeOf(ws.GetFirstSeen()), LastSeen: timeOf(ws.GetLastSeen()), LastHeartbeat: timeOf(ws.GetLastHeartbeat()), Completed: ws.GetCompleted(),
			Failed: ws.GetFailed(), DonePerSecond: number(ws.GetDonePerSecond()), StepsPerSecond: number(ws.GetStepsPerSecond())}
		for _, t := range ws.GetTasks() {
			wk.Tasks = append(wk.Tasks, workerTask{SweepID: t.GetRef().GetSweepId(), Index: t.GetRef().GetIndex(), Slot: t.GetSlot(),
				Epoch: t.GetEpoch(), Progress: progressOf(t.GetProgress())})
		}
		out.Workers = append(out.Workers, wk)
	}
	writeJSON(w, out)
}
