package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/store"
)

// Clock tells the time. The coordinator reads it for every decision, so a test that
// injects a fake clock controls every lease expiry.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Defaults used when a field of Options is zero.
const (
	DefaultLeaseDuration      = time.Minute
	DefaultMaxAttempts        = 3
	DefaultRetryAfter         = 2 * time.Second
	DefaultMaxCheckpointBytes = 256 << 20
	DefaultExpiryInterval     = time.Second
	DefaultWatchInterval      = 250 * time.Millisecond
	DefaultResultsPageSize    = 1000
	MaxResultsPageSize        = 10000
)

// Options tunes a Coordinator. A nil *Options means every field at its zero value, which
// selects the documented default.
type Options struct {
	// LeaseDuration is how long a lease lasts without a heartbeat; each heartbeat extends
	// it by as much. Zero means DefaultLeaseDuration (1 min).
	LeaseDuration time.Duration

	// MaxAttempts is how many failed or expired leases fail a task for good, for sweeps
	// whose spec leaves max_attempts at 0. Zero means DefaultMaxAttempts (3).
	MaxAttempts uint32

	// RetryAfter is how long LeaseTask tells a worker to wait when no task is pending.
	// Zero means DefaultRetryAfter (2 s).
	RetryAfter time.Duration

	// MaxTasksPerSweep bounds a sweep's grid, extensions included. Zero means
	// DefaultMaxTasks (100000).
	MaxTasksPerSweep int

	// MaxCheckpointBytes bounds an encoded checkpoint. Zero means DefaultMaxCheckpointBytes
	// (256 MiB).
	MaxCheckpointBytes int

	// ExpiryInterval is how often Run looks for expired leases (LeaseTask also looks
	// before it leases). Zero means DefaultExpiryInterval (1 s).
	ExpiryInterval time.Duration

	// WatchInterval is the shortest time between two statuses WatchSweep sends; changes
	// in between are merged. Zero means DefaultWatchInterval (250 ms).
	WatchInterval time.Duration

	// Logger receives lifecycle events (sweeps submitted and cancelled, leases expired,
	// tasks failed). Nil means slog.Default().
	Logger *slog.Logger

	// Metrics is where the coordinator registers its Prometheus series (the Metric…
	// names: tasks by state per sweep, leases granted, expired and released, lease
	// latency, checkpoints, completions, failures); Close unregisters them. Nil means no
	// metrics.
	Metrics prometheus.Registerer
}

// Coordinator hands out the tasks of sweeps to workers under leases and records their
// results, on top of a store. Its methods are the Coordinator service's, callable
// in-process; Server serves them over gRPC and Client calls them remotely, both with the
// same errors. It is safe for concurrent use.
//
// Every decision is made by the lease state machine (see lease.go) on the stored task
// record inside one write transaction; the in-memory indexes of pending tasks and live
// leases only propose candidates, so they may lag the store but never overrule it.
type Coordinator struct {
	db    *store.DB
	clock Clock
	opts  Options
	log   *slog.Logger
	stats *metrics // nil: no metrics

	mu       sync.Mutex
	queue    *pendingQueue
	leases   *leaseSet
	attempts map[string]uint32        // max attempts of each sweep
	changed  map[string]chan struct{} // closed when a sweep's status changes
	rates    map[string]*completionRate
	closed   chan struct{}
	closeErr sync.Once
}

// New returns a Coordinator over db, reading the time from clock (nil: the system
// clock). It rebuilds its indexes of pending tasks and live leases from the store, so a
// coordinator started on the file of one that stopped carries on where it left off
// (leases that ran out meanwhile expire at the first look). Over a read-only db, the
// queries work and calls that change state return ErrReadOnly. The caller keeps
// ownership of db and closes it after Close.
func New(db *store.DB, clock Clock, o *Options) (*Coordinator, error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	if opts.LeaseDuration <= 0 {
		opts.LeaseDuration = DefaultLeaseDuration
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = DefaultRetryAfter
	}
	if opts.MaxTasksPerSweep <= 0 {
		opts.MaxTasksPerSweep = DefaultMaxTasks
	}
	if opts.MaxCheckpointBytes <= 0 {
		opts.MaxCheckpointBytes = DefaultMaxCheckpointBytes
	}
	if opts.ExpiryInterval <= 0 {
		opts.ExpiryInterval = DefaultExpiryInterval
	}
	if opts.WatchInterval <= 0 {
		opts.WatchInterval = DefaultWatchInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if clock == nil {
		clock = systemClock{}
	}
	c := &Coordinator{
		db:       db,
		clock:    clock,
		opts:     opts,
		log:      opts.Logger,
		queue:    newPendingQueue(),
		leases:   newLeaseSet(),
		attempts: map[string]uint32{},
		changed:  map[string]chan struct{}{},
		rates:    map[string]*completionRate{},
		closed:   make(chan struct{}),
	}
	err := db.View(func(tx *store.Tx) error {
		return tx.ForEachSweep(func(s *critsweepv1.Sweep) error {
			c.attempts[s.GetId()] = c.maxAttempts(s.GetSpec())
			return tx.ForEachTask(s.GetId(), 0, func(t *critsweepv1.Task) error {
				k := keyOf(t.GetRef())
				switch t.GetState() {
				case pending:
					c.queue.push(k)
				case leased:
					c.leases.set(k, t.GetEpoch(), t.GetLeaseExpires().AsTime().UnixNano())
				}
				return nil
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load coordinator state from %s: %w", db.Path(), err)
	}
	if c.stats, err = newMetrics(opts.Metrics, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Close makes every later call fail with ErrClosed, ends WatchSweep streams and
// unregisters the metrics. It does not close the store.
func (c *Coordinator) Close() error {
	c.closeErr.Do(func() {
		close(c.closed)
		c.stats.unregister()
	})
	return nil
}

// Run takes back expired leases every Options.ExpiryInterval until ctx is done or the
// coordinator is closed. Servers run it; tests with a fake clock call ExpireLeases.
func (c *Coordinator) Run(ctx context.Context) error {
	tick := time.NewTicker(c.opts.ExpiryInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.closed:
			return ErrClosed
		case <-tick.C:
			if _, err := c.ExpireLeases(ctx); err != nil && !errors.Is(err, ErrReadOnly) {
				c.log.Error("expire leases", "err", err)
			}
		}
	}
}

// begin returns the error that stops a call before it starts: a done context or a
// closed coordinator.
func (c *Coordinator) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-c.closed:
		return ErrClosed
	default:
		return nil
	}
}

// maxAttempts returns the failure budget of a sweep's tasks.
func (c *Coordinator) maxAttempts(spec *critsweepv1.SweepSpec) uint32 {
	if a := spec.GetMaxAttempts(); a > 0 {
		return a
	}
	return c.opts.MaxAttempts
}

// policyOf returns the lease policy of a sweep's tasks. The caller holds no lock.
func (c *Coordinator) policyOf(sweepID string) policy {
	c.mu.Lock()
	a, ok := c.attempts[sweepID]
	c.mu.Unlock()
	if !ok {
		a = c.opts.MaxAttempts
	}
	return policy{leaseDuration: c.opts.LeaseDuration, maxAttempts: a}
}

// notifyLocked wakes the watchers of a sweep. The caller holds c.mu.
func (c *Coordinator) notifyLocked(sweepID string) {
	if ch, ok := c.changed[sweepID]; ok {
		close(ch)
		delete(c.changed, sweepID)
	}
}

// changes returns a channel closed at the sweep's next change.
func (c *Coordinator) changes(sweepID string) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.changed[sweepID]
	if !ok {
		ch = make(chan struct{})
		c.changed[sweepID] = ch
	}
	return ch
}

// SubmitSweep validates a sweep spec, expands its grid and stores the sweep with all its
// tasks pending, in one transaction. The sweep id is made of the name and a number.
func (c *Coordinator) SubmitSweep(ctx context.Context, req *critsweepv1.SubmitSweepRequest) (*critsweepv1.SubmitSweepResponse, error) {
	if err := c.begin(ctx); err != nil {
		return nil, err
	}
	spec := proto.Clone(req.GetSpec()).(*critsweepv1.SweepSpec)
	if req.GetSpec() == nil {
		spec = nil
	}
	if err := validateSpec(spec, c.opts.MaxTasksPerSweep); err != nil {
		return nil, err
	}
	spec.Boundary = boundariesOf(spec)
	specs, err := Expand(spec)
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
		id = fmt.Sprintf("%s-%d", slug(spec.GetName()), seq)
		if err := tx.CreateSweep(&critsweepv1.Sweep{Id: id, Spec: spec, Created: timestamppb.New(now)}); err != nil {
			return err
		}
		return tx.AddTasks(id, newTasks(id, 0, specs))
	})
	if err != nil {
		return nil, storeErr(err)
	}
	c.mu.Lock()
	c.attempts[id] = c.maxAttempts(spec)
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
	if err := c.begin(ctx); err != nil {
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
	if err := c.begin(ctx); err != nil {
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

// WatchSweep calls send with the sweep's status now and after every change (merging
// changes closer than Options.WatchInterval), until the sweep is finished (nothing
// pending or leased: the last status sent says so), send fails, ctx is done or the
// coordinator is closed.
func (c *Coordinator) WatchSweep(ctx context.Context, req *critsweepv1.WatchSweepRequest, send func(*critsweepv1.SweepStatus) error) error {
	if err := c.begin(ctx); err != nil {
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
	if err := c.begin(ctx); err != nil {
		return nil, err
	}
	size := int(req.GetPageSize())
	switch {
	case size == 0:
		size = DefaultResultsPageSize
	case size > MaxResultsPageSize:
		size = MaxResultsPageSize
	}
	var from uint32
	if tok := req.GetPageToken(); tok != "" {
		n, err := strconv.ParseUint(tok, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: page_token %q is not one this server gave", ErrInvalidRequest, tok)
		}
		from = uint32(n)
	}
	var resp critsweepv1.QueryResultsResponse
	errPageFull := errors.New("page full")
	err := c.db.View(func(tx *store.Tx) error {
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
	if err := c.begin(ctx); err != nil {
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
	if err := c.begin(ctx); err != nil {
		return nil, err
	}
	grid := req.GetGrid()
	if grid == nil {
		return nil, specErr("grid", "is required: {beta, size, tau}")
	}
	var v violations
	points := validateGrid(&v, grid, "grid")
	if err := v.err(); err != nil {
		return nil, err
	}
	// Every point of the grid is in the extended sweep, so a grid larger than the limit
	// is refused before any of it is built: a huge grid must not cost memory or hold the
	// write transaction.
	if points > c.opts.MaxTasksPerSweep {
		return nil, specErr("grid", "holds %d points, more than the %d tasks a sweep may hold", points, c.opts.MaxTasksPerSweep)
	}
	id := req.GetSweepId()
	var added []*critsweepv1.Task
	var st *critsweepv1.SweepStatus
	err := c.db.Update(func(tx *store.Tx) error {
		added = nil
		s, err := tx.Sweep(id)
		if err != nil {
			return err
		}
		if s.GetCancelled() {
			return fmt.Errorf("extend sweep %s: %w", id, ErrSweepCancelled)
		}
		if n := points * len(boundariesOf(s.GetSpec())); n > c.opts.MaxTasksPerSweep {
			return specErr("grid", "holds %d tasks (%d points × %d boundaries), more than the %d a sweep may hold",
				n, points, n/points, c.opts.MaxTasksPerSweep)
		}
		have := map[Point]bool{}
		if err := tx.ForEachTask(id, 0, func(t *critsweepv1.Task) error {
			have[pointOf(t.GetSpec())] = true
			return nil
		}); err != nil {
			return err
		}
		all, err := gridPoints(grid, boundariesOf(s.GetSpec()), "grid")
		if err != nil {
			return err
		}
		var specs []*critsweepv1.TaskSpec
		for _, p := range all {
			if !have[p] {
				have[p] = true
				specs = append(specs, taskSpec(s.GetSpec(), p))
			}
		}
		if n := int(s.GetTasks()) + len(specs); n > c.opts.MaxTasksPerSweep {
			return specErr("grid", "would bring the sweep to %d tasks, at most %d allowed", n, c.opts.MaxTasksPerSweep)
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

// LeaseTask leases the next pending task to a worker, taking sweeps in turn and, within a
// sweep, the lowest index first. The response carries the task's spec, the lease's epoch
// and expiry, and the task's latest checkpoint when it has one; or leased = false and
// retry_after when nothing is pending. The lease is on disk before LeaseTask returns.
func (c *Coordinator) LeaseTask(ctx context.Context, req *critsweepv1.LeaseTaskRequest) (*critsweepv1.LeaseTaskResponse, error) {
	if err := c.begin(ctx); err != nil {
		return nil, err
	}
	started := time.Now()
	now := c.clock.Now()
	if _, err := c.expireDue(now); err != nil {
		return nil, storeErr(err)
	}
	for {
		c.mu.Lock()
		k, ok := c.queue.pop()
		c.mu.Unlock()
		if !ok {
			c.stats.leaseAnswered(false, started)
			return &critsweepv1.LeaseTaskResponse{RetryAfter: durationpb.New(c.opts.RetryAfter)}, nil
		}
		p := c.policyOf(k.sweep)
		var task *critsweepv1.Task
		var cp *critsweepv1.Checkpoint
		err := c.db.Batch(func(tx *store.Tx) error {
			task, cp = nil, nil
			t, err := tx.Task(k.ref())
			if errors.Is(err, store.ErrTaskNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if grantLease(t, req.GetWorker(), now, p) != nil {
				return nil // not pending after all: the index lagged the store
			}
			if err := tx.PutTask(t); err != nil {
				return err
			}
			if t.GetCheckpointStep() > 0 {
				cp, err = tx.Checkpoint(t.GetRef())
				if errors.Is(err, store.ErrCheckpointNotFound) {
					cp, err = nil, nil
				}
				if err != nil {
					return err
				}
			}
			task = t
			return nil
		})
		if err != nil {
			c.mu.Lock()
			c.queue.push(k)
			c.mu.Unlock()
			return nil, storeErr(err)
		}
		if task == nil {
			continue
		}
		c.mu.Lock()
		c.leases.set(k, task.GetEpoch(), task.GetLeaseExpires().AsTime().UnixNano())
		c.notifyLocked(k.sweep)
		c.mu.Unlock()
		c.stats.leaseAnswered(true, started)
		return &critsweepv1.LeaseTaskResponse{
			Ref:        task.GetRef(),
			Epoch:      task.GetEpoch(),
			Spec:       task.GetSpec(),
			Expires:    task.GetLeaseExpires(),
			Checkpoint: cp,
			Leased:     true,
		}, nil
	}
}

// ExpireLeases takes back every lease whose time is up: the task goes back to pending, or
// to failed when it has used its attempts, with "lease expired" among its failures. It
// returns how many leases it took back.
func (c *Coordinator) ExpireLeases(ctx context.Context) (int, error) {
	if err := c.begin(ctx); err != nil {
		return 0, err
	}
	n, err := c.expireDue(c.clock.Now())
	return n, storeErr(err)
}

func (c *Coordinator) expireDue(now time.Time) (int, error) {
	c.mu.Lock()
	due := c.leases.popDue(now.UnixNano())
	c.mu.Unlock()
	if len(due) == 0 {
		return 0, nil
	}
	var expired []*critsweepv1.Task
	err := c.db.Update(func(tx *store.Tx) error {
		expired = expired[:0]
		for _, e := range due {
			t, err := tx.Task(e.key.ref())
			if errors.Is(err, store.ErrTaskNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if !expire(t, now, c.policyOf(e.key.sweep)) {
				continue
			}
			if err := tx.PutTask(t); err != nil {
				return err
			}
			expired = append(expired, t)
		}
		return nil
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		for _, e := range due {
			c.leases.set(e.key, e.epoch, e.expires)
		}
		return 0, err
	}
	for _, t := range expired {
		k := keyOf(t.GetRef())
		if t.GetState() == pending {
			c.queue.push(k)
		}
		c.notifyLocked(k.sweep)
		c.log.Warn("lease expired", "task", refString(t.GetRef()), "epoch", t.GetEpoch(),
			"state", stateName(t.GetState()), "failures", len(t.GetFailures()))
	}
	c.stats.expired(len(expired))
	return len(expired), nil
}

// Heartbeat extends a live lease by Options.LeaseDuration and stores the worker's
// progress. When the task's sweep was cancelled, it answers cancelled = true and the
// worker should stop. A stale epoch is refused with ErrStaleEpoch.
func (c *Coordinator) Heartbeat(ctx context.Context, req *critsweepv1.HeartbeatRequest) (*critsweepv1.HeartbeatResponse, error) {
	if err := c.begin(ctx); err != nil {
		return nil, err
	}
	if err := checkRef(req.GetRef(), req.GetEpoch()); err != nil {
		return nil, err
	}
	now := c.clock.Now()
	p := c.policyOf(req.GetRef().GetSweepId())
	var refused error
	var isCancelled bool
	var expires *timestamppb.Timestamp
	err := c.db.Batch(func(tx *store.Tx) error {
		refused, isCancelled, expires = nil, false, nil
		t, err := tx.Task(req.GetRef())
		if err != nil {
			return batchRefusal(err, &refused)
		}
		isCancelled, refused = heartbeat(t, req.GetEpoch(), req.GetProgress(), now, p)
		if refused != nil || isCancelled {
			return nil
		}
		expires = t.GetLeaseExpires()
		return tx.PutTask(t)
	})
	if err != nil {
		return nil, storeErr(err)
	}
	if refused != nil {
		return nil, storeErr(refused)
	}
	if !isCancelled {
		c.mu.Lock()
		c.leases.set(keyOf(req.GetRef()), req.GetEpoch(), expires.AsTime().UnixNano())
		c.mu.Unlock()
	}
	return &critsweepv1.HeartbeatResponse{Expires: expires, Cancelled: isCancelled}, nil
}

// UploadCheckpoint makes cp the task's latest checkpoint, replacing the one before, if
// epoch is the task's live lease; a re-leased task is handed it. It is refused with
// ErrStaleEpoch otherwise, and with ErrCheckpointTooLarge past
// Options.MaxCheckpointBytes.
func (c *Coordinator) UploadCheckpoint(ctx context.Context, ref *critsweepv1.TaskRef, epoch uint64, cp *critsweepv1.Checkpoint) (*critsweepv1.UploadCheckpointResponse, error) {
	if err := c.begin(ctx); err != nil {
		return nil, err
	}
	if err := checkRef(ref, epoch); err != nil {
		return nil, err
	}
	if cp == nil {
		return nil, fmt.Errorf("%w: checkpoint is missing", ErrInvalidRequest)
	}
	size := proto.Size(cp)
	if size > c.opts.MaxCheckpointBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrCheckpointTooLarge, size, c.opts.MaxCheckpointBytes)
	}
	now := c.clock.Now()
	var refused error
	err := c.db.Update(func(tx *store.Tx) error {
		refused = nil
		t, err := tx.Task(ref)
		if err != nil {
			return batchRefusal(err, &refused)
		}
		if refused = acceptCheckpoint(t, epoch, cp.GetStep(), now); refused != nil {
			return nil
		}
		if err := tx.PutCheckpoint(ref, cp); err != nil {
			return err
		}
		return tx.PutTask(t)
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return nil, storeErr(err)
	}
	c.stats.checkpoint(size)
	return &critsweepv1.UploadCheckpointResponse{Bytes: uint64(size)}, nil
}

// checkLease returns nil when epoch is the task's live lease now, without changing
// anything: the server asks before it receives a large upload.
func (c *Coordinator) checkLease(ctx context.Context, ref *critsweepv1.TaskRef, epoch uint64) error {
	if err := c.begin(ctx); err != nil {
		return err
	}
	if err := checkRef(ref, epoch); err != nil {
		return err
	}
	now := c.clock.Now()
	err := c.db.View(func(tx *store.Tx) error {
		t, err := tx.Task(ref)
		if err != nil {
			return err
		}
		return checkLive(t, epoch, now)
	})
	return storeErr(err)
}

// CompleteTask stores the result of the task leased under epoch and marks it done,
// deleting its checkpoint; the result is on disk before CompleteTask returns. Concurrent
// completions share commits (group commit). A repeat for the same (task, epoch) is
// acknowledged and keeps the first result; a stale epoch is refused with ErrStaleEpoch.
func (c *Coordinator) CompleteTask(ctx context.Context, req *critsweepv1.CompleteTaskRequest) (*critsweepv1.CompleteTaskResponse, error) {
	if err := c.begin(ctx); err != nil {
		return nil, err
	}
	if err := checkRef(req.GetRef(), req.GetEpoch()); err != nil {
		return nil, err
	}
	if req.GetResult() == nil {
		return nil, fmt.Errorf("%w: result is missing", ErrInvalidRequest)
	}
	var refused error
	var repeat bool
	err := c.db.Batch(func(tx *store.Tx) error {
		refused, repeat = nil, false
		t, err := tx.Task(req.GetRef())
		if err != nil {
			return batchRefusal(err, &refused)
		}
		repeat, refused = complete(t, req.GetEpoch())
		if refused != nil || repeat {
			return nil
		}
		if err := tx.PutResult(req.GetRef(), req.GetResult()); err != nil {
			return err
		}
		if err := tx.DeleteCheckpoint(req.GetRef()); err != nil {
			return err
		}
		return tx.PutTask(t)
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return nil, storeErr(err)
	}
	if !repeat {
		k := keyOf(req.GetRef())
		now := c.clock.Now()
		c.mu.Lock()
		c.leases.remove(k, req.GetEpoch())
		r := c.rates[k.sweep]
		if r == nil {
			r = &completionRate{}
			c.rates[k.sweep] = r
		}
		r.add(now)
		c.notifyLocked(k.sweep)
		c.mu.Unlock()
		c.stats.completed()
	}
	return &critsweepv1.CompleteTaskResponse{}, nil
}

// FailTask ends the lease under epoch. With release (the worker is shutting down) the
// task goes back to pending and no failure is counted; otherwise the reason is kept and
// the task goes back to pending, or to failed when it has used its attempts. Ending a
// lease that has already ended is acknowledged; a stale epoch is refused.
func (c *Coordinator) FailTask(ctx context.Context, req *critsweepv1.FailTaskRequest) (*critsweepv1.FailTaskResponse, error) {
	if err := c.begin(ctx); err != nil {
		return nil, err
	}
	if err := checkRef(req.GetRef(), req.GetEpoch()); err != nil {
		return nil, err
	}
	p := c.policyOf(req.GetRef().GetSweepId())
	var refused error
	var task *critsweepv1.Task
	err := c.db.Batch(func(tx *store.Tx) error {
		refused, task = nil, nil
		t, err := tx.Task(req.GetRef())
		if err != nil {
			return batchRefusal(err, &refused)
		}
		ended, err := fail(t, req.GetEpoch(), req.GetReason(), req.GetRelease(), p)
		if err != nil || ended {
			refused = err
			return nil
		}
		task = t
		return tx.PutTask(t)
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return nil, storeErr(err)
	}
	if task != nil {
		k := keyOf(task.GetRef())
		c.mu.Lock()
		c.leases.remove(k, task.GetEpoch())
		if task.GetState() == pending {
			c.queue.push(k)
		}
		c.notifyLocked(k.sweep)
		c.mu.Unlock()
		c.stats.ended(req.GetRelease())
		if task.GetState() == failed {
			c.log.Warn("task failed", "task", refString(task.GetRef()), "failures", task.GetFailures())
		}
	}
	return &critsweepv1.FailTaskResponse{}, nil
}

// batchRefusal records a missing task as the call's refusal (so that the batch goes on)
// and returns any other error, which aborts the transaction.
func batchRefusal(err error, refused *error) error {
	if errors.Is(err, store.ErrTaskNotFound) || errors.Is(err, store.ErrInvalidID) {
		*refused = err
		return nil
	}
	return err
}

// checkRef validates the task and epoch a worker call names.
func checkRef(ref *critsweepv1.TaskRef, epoch uint64) error {
	switch {
	case ref == nil:
		return fmt.Errorf("%w: ref is missing", ErrInvalidRequest)
	case ref.GetSweepId() == "":
		return fmt.Errorf("%w: ref.sweep_id is empty", ErrInvalidRequest)
	case epoch == 0:
		return fmt.Errorf("%w: epoch is 0; name the epoch LeaseTask returned", ErrInvalidRequest)
	}
	return nil
}

// storeErr translates the store's errors into the coordinator's, keeping the store's
// message and both sentinels.
func storeErr(err error) error {
	for _, m := range []struct{ from, to error }{
		{store.ErrSweepNotFound, ErrSweepNotFound},
		{store.ErrTaskNotFound, ErrTaskNotFound},
		{store.ErrInvalidID, ErrInvalidRequest},
		{store.ErrReadOnly, ErrReadOnly},
	} {
		if errors.Is(err, m.from) {
			return &translated{sentinel: m.to, err: err}
		}
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %w: nothing was stored; free space on the disk that holds the database, then retry", ErrDiskFull, err)
	}
	return err
}

// translated is an error of the store reported as one of the coordinator's.
type translated struct {
	sentinel error
	err      error
}

func (e *translated) Error() string   { return e.err.Error() }
func (e *translated) Unwrap() []error { return []error{e.sentinel, e.err} }

func keyOf(r *critsweepv1.TaskRef) taskKey { return taskKey{r.GetSweepId(), r.GetIndex()} }

func (k taskKey) ref() *critsweepv1.TaskRef {
	return &critsweepv1.TaskRef{SweepId: k.sweep, Index: k.index}
}

// completionRate estimates a sweep's recent completions per second from the times of its
// last completions.
type completionRate struct {
	times [64]int64 // Unix ns, a ring
	n     int       // completions recorded
}

func (r *completionRate) add(now time.Time) {
	r.times[r.n%len(r.times)] = now.UnixNano()
	r.n++
}

// rate returns completions per second over the recorded window, or 0 when fewer than two
// completions were seen or the last is over a minute old.
func (r *completionRate) rate(now time.Time) float64 {
	k := min(r.n, len(r.times))
	if k < 2 {
		return 0
	}
	last := r.times[(r.n-1)%len(r.times)]
	first := r.times[(r.n-k)%len(r.times)]
	if now.UnixNano()-last > int64(time.Minute) || last <= first {
		return 0
	}
	return float64(k-1) / (float64(last-first) / 1e9)
}
