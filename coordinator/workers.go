package coordinator

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// workerForgetAfter is how long a worker that holds no lease stays listed after its last
// call; maxWorkers bounds how many are listed (more are not recorded).
const (
	workerForgetAfter = time.Hour
	maxWorkers        = 10000
)

// workerSet is the in-memory record of the workers that called since the coordinator
// started: their slots, the leases they hold, their last calls and throughput. It is
// what ListWorkers reports, and nothing decides by it. Slot "NAME/i" belongs to worker
// NAME (see workerOf). The caller holds the coordinator's lock.
type workerSet struct {
	byName  map[string]*workerState
	holders map[taskKey]string // the worker holding each live lease
}

type workerState struct {
	name          string
	slotsSaid     uint32
	slotsSeen     map[string]bool
	firstSeen     time.Time
	lastSeen      time.Time
	lastHeartbeat time.Time
	tasks         map[taskKey]*workerTask
	completed     uint64
	failed        uint64
	rate          completionRate
}

type workerTask struct {
	slot        string
	epoch       uint64
	progress    *critsweepv1.Progress
	stepsPerSec float64
}

func newWorkerSet() *workerSet {
	return &workerSet{byName: map[string]*workerState{}, holders: map[taskKey]string{}}
}

// workerOf returns the worker a slot belongs to: "NAME/i" is slot i of NAME.
func workerOf(slot string) string {
	if i := strings.LastIndexByte(slot, '/'); i > 0 {
		if _, err := strconv.ParseUint(slot[i+1:], 10, 16); err == nil {
			return slot[:i]
		}
	}
	if slot == "" {
		return "unnamed worker"
	}
	return slot
}

// seen records a call of slot at now (slots: the slot count the worker said, 0 if it
// did not) and reports whether the worker is new.
func (ws *workerSet) seen(slot string, slots uint32, now time.Time) (*workerState, bool) {
	name := workerOf(slot)
	w := ws.byName[name]
	isNew := w == nil || w.firstSeen.IsZero()
	if w == nil && len(ws.byName) >= maxWorkers {
		return &workerState{name: name, slotsSeen: map[string]bool{}, tasks: map[taskKey]*workerTask{}}, false // not recorded
	}
	if w == nil {
		w = &workerState{name: name, slotsSeen: map[string]bool{}, tasks: map[taskKey]*workerTask{}}
		ws.byName[name] = w
	}
	if w.firstSeen.IsZero() {
		w.firstSeen = now
	}
	if len(w.slotsSeen) < 4096 {
		w.slotsSeen[slot] = true
	}
	if slots > 0 {
		w.slotsSaid = slots
	}
	w.lastSeen = now
	return w, isNew
}

// leased records that slot holds the task's lease at epoch.
func (ws *workerSet) leased(slot string, k taskKey, epoch uint64, now time.Time) {
	ws.drop(k)
	w, _ := ws.seen(slot, 0, now)
	w.tasks[k] = &workerTask{slot: slot, epoch: epoch}
	ws.holders[k] = w.name
}

// restored records a lease found in the store when the coordinator started: the
// worker is listed, holding it, but not seen until it calls.
func (ws *workerSet) restored(slot string, k taskKey, epoch uint64) {
	name := workerOf(slot)
	w := ws.byName[name]
	if w == nil {
		if len(ws.byName) >= maxWorkers {
			return
		}
		w = &workerState{name: name, slotsSeen: map[string]bool{}, tasks: map[taskKey]*workerTask{}}
		ws.byName[name] = w
	}
	w.slotsSeen[slot] = true
	w.tasks[k] = &workerTask{slot: slot, epoch: epoch}
	ws.holders[k] = name
}

// heartbeat records the progress of the task's lease at epoch, held by slot. A
// heartbeat of a lease that already ended (it was answered before the completion that
// followed it, and is recorded after) changes nothing but the worker's last call.
func (ws *workerSet) heartbeat(slot string, k taskKey, epoch uint64, p *critsweepv1.Progress, now time.Time) {
	w, _ := ws.seen(slot, 0, now)
	w.lastHeartbeat = now
	t := w.tasks[k]
	if t == nil || t.epoch != epoch || p == nil {
		return
	}
	if prev := t.progress; prev != nil && p.GetSeconds() > prev.GetSeconds() && p.GetStep() >= prev.GetStep() {
		t.stepsPerSec = float64(p.GetStep()-prev.GetStep()) / (p.GetSeconds() - prev.GetSeconds())
	}
	t.progress = proto.Clone(p).(*critsweepv1.Progress)
}

// How a lease ended, for ended.
type leaseEnd int

const (
	endCompleted leaseEnd = iota
	endFailed             // failed by the worker, or expired
	endReleased           // given back, or cancelled with its sweep
)

// ended records that the task's lease at epoch ended.
func (ws *workerSet) ended(k taskKey, epoch uint64, how leaseEnd, now time.Time) {
	name, ok := ws.holders[k]
	if !ok {
		return
	}
	w := ws.byName[name]
	if w == nil {
		delete(ws.holders, k)
		return
	}
	if t := w.tasks[k]; t == nil || t.epoch > epoch {
		return
	}
	ws.drop(k)
	switch how {
	case endCompleted:
		w.completed++
		w.rate.add(now)
	case endFailed:
		w.failed++
	}
}

// drop forgets who holds the task's lease.
func (ws *workerSet) drop(k taskKey) {
	if name, ok := ws.holders[k]; ok {
		if w := ws.byName[name]; w != nil {
			delete(w.tasks, k)
		}
		delete(ws.holders, k)
	}
}

// list returns the workers by name, forgetting those gone for workerForgetAfter that
// hold no lease. A worker is connected when it called within connected.
func (ws *workerSet) list(now time.Time, connected time.Duration) []*critsweepv1.WorkerStatus {
	var out []*critsweepv1.WorkerStatus
	for name, w := range ws.byName {
		if len(w.tasks) == 0 && now.Sub(w.lastSeen) > workerForgetAfter {
			delete(ws.byName, name)
			continue
		}
		st := &critsweepv1.WorkerStatus{
			Name:          w.name,
			Slots:         max(w.slotsSaid, uint32(len(w.slotsSeen))),
			Connected:     !w.lastSeen.IsZero() && now.Sub(w.lastSeen) < connected,
			Completed:     w.completed,
			Failed:        w.failed,
			DonePerSecond: w.rate.rate(now),
		}
		if !w.firstSeen.IsZero() {
			st.FirstSeen, st.LastSeen = timestamppb.New(w.firstSeen), timestamppb.New(w.lastSeen)
		}
		if !w.lastHeartbeat.IsZero() {
			st.LastHeartbeat = timestamppb.New(w.lastHeartbeat)
		}
		for k, t := range w.tasks {
			st.Tasks = append(st.Tasks, &critsweepv1.WorkerTask{Ref: k.ref(), Slot: t.slot, Epoch: t.epoch, Progress: t.progress})
			st.StepsPerSecond += t.stepsPerSec
		}
		slices.SortFunc(st.Tasks, func(a, b *critsweepv1.WorkerTask) int { return strings.Compare(a.GetSlot(), b.GetSlot()) })
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b *critsweepv1.WorkerStatus) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out
}
