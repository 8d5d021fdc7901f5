package coordinator

import (
	"container/heap"
)

// taskKey names a task in the in-memory indexes.
type taskKey struct {
	sweep string
	index uint32
}

// pendingQueue is the in-memory index of pending tasks, rebuilt from the store at start.
// It hands out one task per sweep in turn (round robin), and within a sweep the lowest
// index first. It is a hint: the leasing transaction checks the stored record, so a
// stale entry costs a retry, never a wrong lease.
type pendingQueue struct {
	sweeps map[string]*indexHeap
	ring   []string // sweeps that may have pending tasks, in turn order
	next   int      // position in ring of the sweep whose turn is next
	queued map[taskKey]bool
}

func newPendingQueue() *pendingQueue {
	return &pendingQueue{sweeps: map[string]*indexHeap{}, queued: map[taskKey]bool{}}
}

// push adds a task; adding one already queued does nothing.
func (q *pendingQueue) push(k taskKey) {
	if q.queued[k] {
		return
	}
	q.queued[k] = true
	h := q.sweeps[k.sweep]
	if h == nil {
		h = &indexHeap{}
		q.sweeps[k.sweep] = h
		q.ring = append(q.ring, k.sweep)
	}
	heap.Push(h, k.index)
}

// pop removes and returns the next task, taking sweeps in turn.
func (q *pendingQueue) pop() (taskKey, bool) {
	for len(q.ring) > 0 {
		if q.next >= len(q.ring) {
			q.next = 0
		}
		id := q.ring[q.next]
		h := q.sweeps[id]
		if h.Len() == 0 {
			q.dropAt(q.next)
			continue
		}
		k := taskKey{id, heap.Pop(h).(uint32)}
		delete(q.queued, k)
		if h.Len() == 0 {
			q.dropAt(q.next)
		} else {
			q.next++
		}
		return k, true
	}
	return taskKey{}, false
}

// removeSweep forgets every queued task of a sweep.
func (q *pendingQueue) removeSweep(id string) {
	h := q.sweeps[id]
	if h == nil {
		return
	}
	for _, index := range *h {
		delete(q.queued, taskKey{id, index})
	}
	for i, s := range q.ring {
		if s == id {
			q.dropAt(i)
			break
		}
	}
}

// dropAt removes the sweep at ring position i.
func (q *pendingQueue) dropAt(i int) {
	delete(q.sweeps, q.ring[i])
	q.ring = append(q.ring[:i], q.ring[i+1:]...)
	if q.next > i {
		q.next--
	}
}

// len returns the number of queued tasks.
func (q *pendingQueue) len() int { return len(q.queued) }

// indexHeap is a min-heap of task indices.
type indexHeap []uint32

func (h indexHeap) Len() int           { return len(h) }
func (h indexHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h indexHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *indexHeap) Push(x any)        { *h = append(*h, x.(uint32)) }
func (h *indexHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// leaseSet is the in-memory index of live leases, rebuilt from the store at start: the
// latest known (epoch, expiry) of each leased task and a heap ordered by expiry, so that
// the leases due to expire are found without a scan. Heap entries whose lease has since
// been extended or ended are skipped when they surface. Like pendingQueue, it is a hint
// checked against the stored record.
type leaseSet struct {
	live map[taskKey]leaseEntry
	due  expiryHeap
}

type leaseEntry struct {
	key     taskKey
	epoch   uint64
	expires int64 // Unix nanoseconds
}

func newLeaseSet() *leaseSet { return &leaseSet{live: map[taskKey]leaseEntry{}} }

// set records that the task's lease at epoch expires at expires (ns). An entry of an
// older epoch is replaced; of the same epoch, the later expiry wins.
func (s *leaseSet) set(k taskKey, epoch uint64, expires int64) {
	if old, ok := s.live[k]; ok && (old.epoch > epoch || old.epoch == epoch && old.expires >= expires) {
		return
	}
	e := leaseEntry{key: k, epoch: epoch, expires: expires}
	s.live[k] = e
	heap.Push(&s.due, e)
}

// remove forgets the task's lease at epoch (a later epoch's lease stays).
func (s *leaseSet) remove(k taskKey, epoch uint64) {
	if old, ok := s.live[k]; ok && old.epoch <= epoch {
		delete(s.live, k)
	}
}

// popDue removes and returns the leases whose expiry is at or before now (ns).
func (s *leaseSet) popDue(now int64) []leaseEntry {
	var out []leaseEntry
	for s.due.Len() > 0 && s.due[0].expires <= now {
		e := heap.Pop(&s.due).(leaseEntry)
		if s.live[e.key] == e {
			delete(s.live, e.key)
			out = append(out, e)
		}
	}
	// Drop stale entries at the top so that the heap does not grow without bound.
	for s.due.Len() > 0 && s.live[s.due[0].key] != s.due[0] {
		heap.Pop(&s.due)
	}
	return out
}

// nextDue returns the earliest expiry (ns) of a live lease, and false when there is none.
func (s *leaseSet) nextDue() (int64, bool) {
	for s.due.Len() > 0 {
		if e := s.due[0]; s.live[e.key] == e {
			return e.expires, true
		}
		heap.Pop(&s.due)
	}
	return 0, false
}

type expiryHeap []leaseEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires < h[j].expires }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(leaseEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
