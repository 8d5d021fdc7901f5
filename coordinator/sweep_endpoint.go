package coordinator

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/store"
)

// SubmitSweep validates a sweep spec, expands its grid and stores the sweep with all its
// tasks pending, in one transaction. The sweep id is made of the name and a number.
func (c *Coordinator) SubmitSweep(ctx context.Context, req *critsweepv1.SubmitSweepRequest) (*critsweepv1.SubmitSweepResponse, error) {
	if err := c.checkOpen(ctx); err != nil {
		return nil, err
	}
	sweepSpec := proto.Clone(req.GetSpec()).(*critsweepv1.SweepSpec)
	if req.GetSpec() == nil {
		sweepSpec = nil
	}
	if err := spec.Validate(sweepSpec, c.opts.MaxTasksPerSweep); err != nil {
		return nil, err
	}
	// The stored spec names its boundaries, so that extensions keep them whatever the
	// default becomes.
	sweepSpec.Boundary = spec.Boundaries(sweepSpec)
	specs, err := spec.Expand(sweepSpec)
	if err != nil {
		return nil, err
	}
	now := c.clock.Now()
	var id string
	err = c.db.Update(func(tx *store.Tx) error {
		seq, err := tx.NextSweepSequence()
		if err != nil {
			return err
		}
		id = fmt.Sprintf("%s-%d", slug(sweepSpec.GetName()), seq)
		if err := tx.CreateSweep(&critsweepv1.Sweep{Id: id, Spec: sweepSpec, Created: timestamppb.New(now)}); err != nil {
			return err
		}
		return tx.AddTasks(id, newTasks(id, 0, specs))
	})
	if err != nil {
		return nil, storeErr(err)
	}
	c.mu.Lock()
	c.attempts[id] = c.maxAttempts(sweepSpec)
	for i := range specs {
		c.queue.push(taskKey{id, uint32(i)})
	}
	c.notifyLocked(id)
	c.mu.Unlock()
	c.log.Info("sweep submitted", "sweep", id, "tasks", len(specs))
	return &critsweepv1.SubmitSweepResponse{SweepId: id, Tasks: uint32(len(specs))}, nil
}

// newTasks returns pending task records for specs, indexed from first.
func newTasks(sweepID string, first uint32, specs []*critsweepv1.TaskSpec) []*critsweepv1.Task {
	tasks := make([]*critsweepv1.Task, len(specs))
	for i, s := range specs {
		tasks[i] = &critsweepv1.Task{
			Ref:   &critsweepv1.TaskRef{SweepId: sweepID, Index: first + uint32(i)},
			Spec:  s,
			State: pending,
		}
	}
	return tasks
}

// slug turns a sweep name into the stem of its id: lower-case letters, digits and
// dashes, at most 40 bytes; "sweep" when nothing is left.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "sweep"
	}
	return s
}

// GetSweep returns a sweep's record and status.
func (c *Coordinator) GetSweep(ctx context.Context, req *critsweepv1.GetSweepRequest) (*critsweepv1.GetSweepResponse, error) {
	if err := c.checkOpen(ctx); err != nil {
		return nil, err
	}
	var resp critsweepv1.GetSweepResponse
	err := c.db.View(func(tx *store.Tx) error {
		s, err := tx.Sweep(req.GetSweepId())
		if err != nil {
			return err
		}
		st, err := c.status(tx, s)
		resp.Sweep, resp.Status = s, st
		return err
	})
	if err != nil {
		return nil, storeErr(err)
	}
	return &resp, nil
}

// ListSweeps returns the status of every sweep, in id order.
func (c *Coordinator) ListSweeps(ctx context.Context, _ *critsweepv1.ListSweepsRequest) (*critsweepv1.ListSweepsResponse, error) {
	if err := c.checkOpen(ctx); err != nil {
		return nil, err
	}
	var resp critsweepv1.ListSweepsResponse
	err := c.db.View(func(tx *store.Tx) error {
		return tx.ForEachSweep(func(s *critsweepv1.Sweep) error {
			st, err := c.status(tx, s)
			resp.Sweeps = append(resp.Sweeps, st)
			return err
		})
	})
	if err != nil {
		return nil, storeErr(err)
	}
	return &resp, nil
}

// status returns a sweep's task counts with its name and recent completion rate.
func (c *Coordinator) status(tx *store.Tx, s *critsweepv1.Sweep) (*critsweepv1.SweepStatus, error) {
	st, err := tx.Counts(s.GetId())
	if err != nil {
		return nil, err
	}
	st.Name = s.GetSpec().GetName()
	now := c.clock.Now()
	c.mu.Lock()
	if r := c.rates[s.GetId()]; r != nil {
		st.DonePerSecond = r.rate(now)
	}
	c.mu.Unlock()
	return st, nil
}

// finished reports whether no task of a sweep can change any more.
func finished(st *critsweepv1.SweepStatus) bool {
	return st.GetPending() == 0 && st.GetLeased() == 0
}

// The states of a sweep, as SweepState names them.
const (
	SweepRunning   = "running"
	SweepFinished  = "finished"
	SweepCancelled = "cancelled"
)

// SweepState names where a sweep stands: cancelled (the sweep was, or any of its tasks
// is), finished (nothing pending or leased), or running.
func SweepState(st *critsweepv1.SweepStatus, cancelled bool) string {
	switch {
	case cancelled || st.GetCancelled() > 0:
		return SweepCancelled
	case finished(st):
		return SweepFinished
	}
	return SweepRunning
}

// ETA returns the seconds left until a sweep's pending and leased tasks are done at its
// recent completion rate: 0 when none is left, and false when the rate is not known.
func ETA(st *critsweepv1.SweepStatus) (float64, bool) {
	left := float64(st.GetPending() + st.GetLeased())
	switch {
	case left == 0:
		return 0, true
	case st.GetDonePerSecond() > 0 && !math.IsInf(st.GetDonePerSecond(), 0):
		return left / st.GetDonePerSecond(), true
	}
	return 0, false
}

// WatchSweep calls send with the sweep's status now and after every change (merging
// changes closer than Options.WatchInterval), until the sweep is finished (nothing
// pending or leased: the last status sent says so), send fails, ctx is done or the
// coordinator is closed.
func (c *Coordinator) WatchSweep(ctx context.Context, req *critsweepv1.WatchSweepRequest, send func(*critsweepv1.SweepStatus) error) error {
	if err := c.checkOpen(ctx); err != nil {
		return err
	}
	id := req.GetSweepId()
	var last *critsweepv1.SweepStatus
	for {
		next := c.changes(id)
		resp, err := c.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: id})
		if err != nil {
			return err
		}
		st := resp.GetStatus()
		if !proto.Equal(st, last) {
			if err := send(st); err != nil {
				return err
			}
			last = st
		}
		if finished(st) {
			return nil
		}
		select {
		case <-next:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.closed:
			return ErrClosed
		}
		pause := time.NewTimer(c.opts.WatchInterval)
		select {
		case <-pause.C:
		case <-ctx.Done():
			pause.Stop()
			return ctx.Err()
		case <-c.closed:
			pause.Stop()
			return ErrClosed
		}
	}
}

// QueryResults returns the finished tasks of a sweep with their results, in index order,
// a page at a time.
func (c *Coordinator) QueryResults(ctx context.Context, req *critsweepv1.QueryResultsRequest) (*critsweepv1.QueryResultsResponse, error) {
	if err := c.checkOpen(ctx); err != nil {
		return nil, err
	}
	size := pageSize(req.GetPageSize(), DefaultResultsPageSize, MaxResultsPageSize)
	from, err := indexToken(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	var resp critsweepv1.QueryResultsResponse
	err = c.db.View(func(tx *store.Tx) error {
		if _, err := tx.Sweep(req.GetSweepId()); err != nil {
			return err
		}
		err := tx.ForEachResult(req.GetSweepId(), from, func(index uint32, r *critsweepv1.Result) error {
			if len(resp.Results) == size {
				resp.NextPageToken = strconv.FormatUint(uint64(index), 10)
				return errPageFull
			}
			t, err := tx.Task(&critsweepv1.TaskRef{SweepId: req.GetSweepId(), Index: index})
			if err != nil {
				return err
			}
			resp.Results = append(resp.Results, &critsweepv1.TaskResult{
				Ref: t.GetRef(), Spec: t.GetSpec(), Result: r, Attempts: t.GetAttempts(), Epoch: t.GetEpoch(),
			})
			return nil
		})
		if errors.Is(err, errPageFull) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, storeErr(err)
	}
	return &resp, nil
}

// CancelSweep cancels every pending and leased task of a sweep and deletes their
// checkpoints; workers holding leases learn of it from their next heartbeat. Cancelling a
// cancelled sweep changes nothing.
func (c *Coordinator) CancelSweep(ctx context.Context, req *critsweepv1.CancelSweepRequest) (*critsweepv1.CancelSweepResponse, error) {
	if err := c.checkOpen(ctx); err != nil {
		return nil, err
	}
	id := req.GetSweepId()
	var ended []*critsweepv1.Task
	var st *critsweepv1.SweepStatus
	err := c.db.Update(func(tx *store.Tx) error {
		ended = ended[:0]
		s, err := tx.Sweep(id)
		if err != nil {
			return err
		}
		if !s.GetCancelled() {
			s.Cancelled = true
			if err := tx.PutSweep(s); err != nil {
				return err
			}
			var live []*critsweepv1.Task
			if err := tx.ForEachTask(id, 0, func(t *critsweepv1.Task) error {
				if t.GetState() == pending || t.GetState() == leased {
					live = append(live, t)
				}
				return nil
			}); err != nil {
				return err
			}
			for _, t := range live {
				wasLeased := t.GetState() == leased
				cancel(t)
				if err := tx.PutTask(t); err != nil {
					return err
				}
				if err := tx.DeleteCheckpoint(t.GetRef()); err != nil {
					return err
				}
				if wasLeased {
					ended = append(ended, t)
				}
			}
		}
		st, err = c.status(tx, s)
		return err
	})
	if err != nil {
		return nil, storeErr(err)
	}
	c.mu.Lock()
	c.queue.removeSweep(id)
	for _, t := range ended {
		c.leases.remove(keyOf(t.GetRef()), t.GetEpoch())
		c.workers.ended(keyOf(t.GetRef()), t.GetEpoch(), endReleased, c.clock.Now())
		c.feed.workerSet()
	}
	c.notifyLocked(id)
	c.mu.Unlock()
	c.log.Info("sweep cancelled", "sweep", id, "leases_ended", len(ended))
	return &critsweepv1.CancelSweepResponse{Status: st}, nil
}

// ExtendSweep adds the points of a grid (with the sweep's boundaries) that the sweep does
// not have yet, as new pending tasks after its last. A grid that adds nothing is not an
// error. A cancelled sweep cannot be extended.
func (c *Coordinator) ExtendSweep(ctx context.Context, req *critsweepv1.ExtendSweepRequest) (*critsweepv1.ExtendSweepResponse, error) {
	if err := c.checkOpen(ctx); err != nil {
		return nil, err
	}
	grid := req.GetGrid()
	points, err := spec.ValidateGrid(grid)
	if err != nil {
		return nil, err
	}
	// Every point of the grid is in the extended sweep, so a grid larger than the limit
	// is refused before any of it is built: a huge grid must not cost memory or hold the
	// write transaction.
	if points > c.opts.MaxTasksPerSweep {
		return nil, spec.Errorf("grid", "holds %d points, more than the %d tasks a sweep may hold", points, c.opts.MaxTasksPerSweep)
	}
	id := req.GetSweepId()
	var added []*critsweepv1.Task
	var st *critsweepv1.SweepStatus
	err = c.db.Update(func(tx *store.Tx) error {
		added = nil
		s, err := tx.Sweep(id)
		if err != nil {
			return err
		}
		if s.GetCancelled() {
			return fmt.Errorf("extend sweep %s: %w", id, ErrSweepCancelled)
		}
		if n := points * len(spec.Boundaries(s.GetSpec())); n > c.opts.MaxTasksPerSweep {
			return spec.Errorf("grid", "holds %d tasks (%d points × %d boundaries), more than the %d a sweep may hold",
				n, points, n/points, c.opts.MaxTasksPerSweep)
		}
		have := map[spec.Point]bool{}
		if err := tx.ForEachTask(id, 0, func(t *critsweepv1.Task) error {
			have[spec.PointOf(t.GetSpec())] = true
			return nil
		}); err != nil {
			return err
		}
		all, err := spec.Points(grid, spec.Boundaries(s.GetSpec()))
		if err != nil {
			return err
		}
		var specs []*critsweepv1.TaskSpec
		for _, p := range all {
			if !have[p] {
				have[p] = true
				specs = append(specs, spec.Task(s.GetSpec(), p))
			}
		}
		if n := int(s.GetTasks()) + len(specs); n > c.opts.MaxTasksPerSweep {
			return spec.Errorf("grid", "would bring the sweep to %d tasks, at most %d allowed", n, c.opts.MaxTasksPerSweep)
		}
		if len(specs) > 0 {
			added = newTasks(id, s.GetTasks(), specs)
			if err := tx.AddTasks(id, added); err != nil {
				return err
			}
			s.Extensions = append(s.Extensions, grid)
			if err := tx.PutSweep(s); err != nil {
				return err
			}
		}
		st, err = c.status(tx, s)
		return err
	})
	if err != nil {
		return nil, storeErr(err)
	}
	c.mu.Lock()
	for _, t := range added {
		c.queue.push(keyOf(t.GetRef()))
	}
	c.notifyLocked(id)
	c.mu.Unlock()
	c.log.Info("sweep extended", "sweep", id, "added", len(added))
	return &critsweepv1.ExtendSweepResponse{Added: uint32(len(added)), Status: st}, nil
}
