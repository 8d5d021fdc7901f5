package coordinator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/store"
)

// Defaults and bounds of ListTasks' page size.
const (
	DefaultTasksPageSize = 1000
	MaxTasksPageSize     = 10000
)

// GetTask returns a task's record with its training curve (the progress its heartbeats
// reported, see store.MaxProgressPoints) and, once it is done, its result.
func (c *Coordinator) GetTask(ctx context.Context, req *critsweepv1.GetTaskRequest) (*critsweepv1.GetTaskResponse, error) {
	if err := c.checkOpen(ctx); err != nil {
		return nil, err
	}
	ref := req.GetRef()
	if ref == nil {
		return nil, fmt.Errorf("%w: ref is missing", ErrInvalidRequest)
	}
	var resp critsweepv1.GetTaskResponse
	err := c.db.View(func(tx *store.Tx) error {
		if _, err := tx.Sweep(ref.GetSweepId()); err != nil {
			return err
		}
		t, err := tx.Task(ref)
		if err != nil {
			return err
		}
		resp.Task = t
		if resp.Progress, err = tx.ProgressHistory(ref); err != nil {
			return err
		}
		if t.GetState() == done {
			resp.Result, err = tx.Result(ref)
		}
		return err
	})
	if err != nil {
		return nil, storeErr(err)
	}
	return &resp, nil
}

// ListTasks returns a sweep's tasks in index order, a page at a time: those in the
// requested states, and with with_failures only those with a failed or expired attempt.
func (c *Coordinator) ListTasks(ctx context.Context, req *critsweepv1.ListTasksRequest) (*critsweepv1.ListTasksResponse, error) {
	if err := c.checkOpen(ctx); err != nil {
		return nil, err
	}
	size := pageSize(req.GetPageSize(), DefaultTasksPageSize, MaxTasksPageSize)
	from, err := indexToken(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	for i, s := range req.GetStates() {
		if s == critsweepv1.TaskState_TASK_STATE_UNSPECIFIED || critsweepv1.TaskState_name[int32(s)] == "" {
			return nil, fmt.Errorf("%w: states[%d] is %d, not a task state (pending 1, leased 2, done 3, failed 4, cancelled 5)",
				ErrInvalidRequest, i, s)
		}
	}
	var resp critsweepv1.ListTasksResponse
	err = c.db.View(func(tx *store.Tx) error {
		if _, err := tx.Sweep(req.GetSweepId()); err != nil {
			return err
		}
		err := tx.ForEachTask(req.GetSweepId(), from, func(t *critsweepv1.Task) error {
			if len(req.GetStates()) > 0 && !slices.Contains(req.GetStates(), t.GetState()) ||
				req.GetWithFailures() && len(t.GetFailures()) == 0 {
				return nil
			}
			if len(resp.Tasks) == size {
				resp.NextPageToken = strconv.FormatUint(uint64(t.GetRef().GetIndex()), 10)
				return errPageFull
			}
			resp.Tasks = append(resp.Tasks, t)
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

// pageSize returns the page size a request asks for: def for 0, at most limit.
func pageSize(asked uint32, def, limit int) int {
	switch {
	case asked == 0:
		return def
	case int64(asked) > int64(limit):
		return limit
	}
	return int(asked)
}

// indexToken decodes a page token that holds the task index to continue from.
func indexToken(tok string) (uint32, error) {
	if tok == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(tok, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: page_token %q is not one this server gave", ErrInvalidRequest, tok)
	}
	return uint32(n), nil
}

// ListWorkers returns the workers that called since the coordinator started (see
// critsweepv1.WorkerStatus), by name; a worker is connected when it called within the
// lease duration.
func (c *Coordinator) ListWorkers(ctx context.Context, _ *critsweepv1.ListWorkersRequest) (*critsweepv1.ListWorkersResponse, error) {
	if err := c.checkOpen(ctx); err != nil {
		return nil, err
	}
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	return &critsweepv1.ListWorkersResponse{Workers: c.workers.list(now, c.opts.LeaseDuration)}, nil
}
