package coordinator

import (
	"fmt"
	"testing"
)

func TestPendingQueueRoundRobin(t *testing.T) {
	q := newPendingQueue()
	for i := uint32(0); i < 3; i++ {
		q.push(taskKey{"a", 2 - i}) // pushed out of order
	}
	q.push(taskKey{"b", 5})
	q.push(taskKey{"b", 5}) // duplicate: ignored
	q.push(taskKey{"c", 0})
	var got []string
	pop := func() {
		k, ok := q.pop()
		if !ok {
			got = append(got, "none")
			return
		}
		got = append(got, fmt.Sprintf("%s/%d", k.sweep, k.index))
	}
	pop()
	pop()
	q.push(taskKey{"b", 1}) // b left the ring when emptied; it rejoins after c, whose turn is next
	pop()
	pop()
	pop()
	q.removeSweep("a")
	pop()
	pop()
	if want := "[a/0 b/5 c/0 b/1 a/1 none none]"; fmt.Sprint(got) != want {
		t.Errorf("pops = %v, want %v", got, want)
	}
	if q.len() != 0 {
		t.Errorf("len = %d after draining", q.len())
	}
}

func TestLeaseSetDue(t *testing.T) {
	s := newLeaseSet()
	a, b, c := taskKey{"s", 0}, taskKey{"s", 1}, taskKey{"s", 2}
	s.set(a, 1, 100)
	s.set(b, 1, 50)
	s.set(c, 1, 70)
	s.set(b, 1, 150) // heartbeat: extended
	s.set(a, 1, 90)  // an older expiry of the same epoch never shortens a lease
	s.remove(c, 1)   // completed
	if next, ok := s.nextDue(); !ok || next != 100 {
		t.Errorf("nextDue = %d, %t; want 100", next, ok)
	}
	due := s.popDue(120)
	if len(due) != 1 || due[0].key != a {
		t.Errorf("popDue(120) = %v, want only task 0", due)
	}
	if due := s.popDue(140); len(due) != 0 {
		t.Errorf("popDue(140) = %v, want none", due)
	}
	s.set(b, 2, 10) // re-leased at a new epoch
	if due := s.popDue(149); len(due) != 1 || due[0].epoch != 2 {
		t.Errorf("popDue(149) = %v, want task 1 at epoch 2", due)
	}
	if _, ok := s.nextDue(); ok {
		t.Error("leases left after all were due")
	}
}
