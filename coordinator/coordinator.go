package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/query"
	"github.com/critsweep/critsweep/spec"
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
	// spec.MaxTasks (100000).
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

	// Resolve fills in the training settings a task's spec leaves to train's defaults,
	// for the query columns of SearchResults (q, hidden, batch, learning_rate, objective,
	// tau); the coordinator remembers its answers (query.Memo). Nil means the settings as
	// stored, 0 where the spec left the default (query.StoredSettings).
	Resolve query.Resolver

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
	workers  *workerSet
	feed     *changeFeed
	resolve  query.Resolver
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
		opts.MaxTasksPerSweep = spec.MaxTasks
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
		workers:  newWorkerSet(),
		resolve:  query.Memo(opts.Resolve),
		feed:     newChangeFeed(),
		closed:   make(chan struct{}),
	}
	// The indexes serve leases, which a read-only coordinator never grants: it skips
	// reading every task.
	err := db.View(func(tx *store.Tx) error {
		if db.ReadOnly() {
			return nil
		}
		return tx.ForEachSweep(func(s *critsweepv1.Sweep) error {
			c.attempts[s.GetId()] = c.maxAttempts(s.GetSpec())
			return tx.ForEachTask(s.GetId(), 0, func(t *critsweepv1.Task) error {
				k := keyOf(t.GetRef())
				switch t.GetState() {
				case pending:
					c.queue.push(k)
				case leased:
					c.leases.set(k, t.GetEpoch(), t.GetLeaseExpires().AsTime().UnixNano())
					c.workers.restored(t.GetWorker(), k, t.GetEpoch())
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

// checkOpen returns the error that refuses a call before it does anything: ctx's error
// when ctx is done, ErrClosed after Close; nil otherwise.
func (c *Coordinator) checkOpen(ctx context.Context) error {
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

// notifyLocked wakes the watchers of a sweep whose status changed. The caller holds c.mu.
func (c *Coordinator) notifyLocked(sweepID string) {
	if ch, ok := c.changed[sweepID]; ok {
		close(ch)
		delete(c.changed, sweepID)
	}
	c.feed.sweep(sweepID)
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

func keyOf(r *critsweepv1.TaskRef) taskKey { return taskKey{r.GetSweepId(), r.GetIndex()} }

func (k taskKey) ref() *critsweepv1.TaskRef {
	return &critsweepv1.TaskRef{SweepId: k.sweep, Index: k.index}
}
