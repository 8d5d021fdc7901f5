package coordinator

import (
	"context"
	"maps"
)

// Changes is where the coordinator stands in its sequence of changes: Generation grows by
// one with every change (a task's state, a heartbeat's progress, a sweep submitted,
// extended or cancelled, a worker heard from for the first time), and Sweeps and Workers
// say at which generation each sweep, and the set of workers, last changed. A view that
// remembers the Changes it showed knows what to fetch again.
type Changes struct {
	Generation uint64            `json:"generation"`
	Sweeps     map[string]uint64 `json:"sweeps"`
	Workers    uint64            `json:"workers"`
}

// changeFeed counts the coordinator's changes for Changed. The caller holds the
// coordinator's lock.
type changeFeed struct {
	gen     uint64
	sweeps  map[string]uint64
	workers uint64
	wake    chan struct{} // closed at the next change
}

func newChangeFeed() *changeFeed {
	// Generation 1 is the state the coordinator started with.
	return &changeFeed{gen: 1, sweeps: map[string]uint64{}, workers: 1, wake: make(chan struct{})}
}

func (f *changeFeed) bump() {
	f.gen++
	close(f.wake)
	f.wake = make(chan struct{})
}

// sweep records a change of a sweep.
func (f *changeFeed) sweep(id string) {
	f.bump()
	f.sweeps[id] = f.gen
}

// workerSet records a change of the set of workers (one joined, or a lease moved).
func (f *changeFeed) workerSet() {
	f.bump()
	f.workers = f.gen
}

// Changed returns the coordinator's Changes once its generation is past after: at once
// when it already is, else at the next change. It returns ctx's error when ctx is done
// first, and ErrClosed after Close. Changed(ctx, 0) returns the current Changes at once
// (the generation starts at 1).
func (c *Coordinator) Changed(ctx context.Context, after uint64) (*Changes, error) {
	for {
		c.mu.Lock()
		f := c.feed
		if f.gen > after {
			ch := &Changes{Generation: f.gen, Sweeps: maps.Clone(f.sweeps), Workers: f.workers}
			c.mu.Unlock()
			return ch, nil
		}
		wake := f.wake
		c.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.closed:
			return nil, ErrClosed
		}
	}
}
