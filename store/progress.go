package store

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// MaxProgressPoints bounds a task's progress history: AppendProgress thins the history
// to half when it would hold more.
const MaxProgressPoints = 256

// ProgressHistory returns the training curve that the heartbeats of the task ref names
// reported (see critsweepv1.ProgressHistory); an empty history when there is none, and
// ErrTaskNotFound when there is no such task. On a file of schema version 1 opened
// read-only, which has no histories yet, every history is empty.
func (tx *Tx) ProgressHistory(ref *critsweepv1.TaskRef) (*critsweepv1.ProgressHistory, error) {
	key, err := refKey(ref)
	if err != nil {
		return nil, err
	}
	if tx.tx.Bucket(bucketTasks).Get(key) == nil {
		return nil, fmt.Errorf("task %s/%d: %w", ref.GetSweepId(), ref.GetIndex(), ErrTaskNotFound)
	}
	h := new(critsweepv1.ProgressHistory)
	if tx.tx.Bucket(bucketProgress) == nil {
		return h, nil
	}
	if _, err := tx.get(bucketProgress, key, h); err != nil {
		return nil, err
	}
	return h, nil
}

// AppendProgress adds p to the progress history of an existing task (ErrTaskNotFound
// otherwise), keeping at most MaxProgressPoints points: see critsweepv1.ProgressHistory
// for how the history is thinned and how a step that goes back is handled.
func (tx *Tx) AppendProgress(ref *critsweepv1.TaskRef, p *critsweepv1.Progress) error {
	if p == nil {
		return nil
	}
	h, err := tx.ProgressHistory(ref)
	if err != nil {
		return err
	}
	appendProgress(h, proto.Clone(p).(*critsweepv1.Progress), MaxProgressPoints)
	return tx.put(bucketProgress, taskKey(ref.GetSweepId(), ref.GetIndex()), h)
}

// appendProgress adds p to h, keeping at most limit (≥ 4) points. The points before the
// latest are spaced at least h.Stride steps apart; the latest is always the last reported.
func appendProgress(h *critsweepv1.ProgressHistory, p *critsweepv1.Progress, limit int) {
	pts := h.Points
	// A lease that starts over from an earlier step supersedes what came after it.
	for len(pts) > 0 && pts[len(pts)-1].GetStep() >= p.GetStep() {
		pts = pts[:len(pts)-1]
	}
	if h.Stride == 0 {
		h.Stride = 1
	}
	// The latest point is replaced rather than kept while it is closer than stride to
	// the point before it.
	if n := len(pts); n >= 2 && pts[n-1].GetStep()-pts[n-2].GetStep() < h.Stride {
		pts = pts[:n-1]
	}
	pts = append(pts, p)
	if len(pts) > limit {
		// Keep the first, every other one after it, and the latest; the stride becomes
		// the mean spacing of what is left, so that later points are spread alike.
		kept := pts[:1]
		for i := 2; i < len(pts)-1; i += 2 {
			kept = append(kept, pts[i])
		}
		kept = append(kept, pts[len(pts)-1])
		for i := len(kept); i < len(pts); i++ {
			pts[i] = nil
		}
		pts = kept
		if span := pts[len(pts)-1].GetStep() - pts[0].GetStep(); len(pts) > 1 {
			h.Stride = max(h.Stride, span/uint64(len(pts)-1))
		}
	}
	h.Points = pts
}

// checkProgress reports what is wrong with a stored history, "" when nothing.
func checkProgress(h *critsweepv1.ProgressHistory) string {
	if n := len(h.GetPoints()); n > MaxProgressPoints {
		return fmt.Sprintf("holds %d points, at most %d", n, MaxProgressPoints)
	}
	for i, p := range h.GetPoints() {
		if p == nil {
			return fmt.Sprintf("point %d is empty", i)
		}
		if i > 0 && p.GetStep() <= h.GetPoints()[i-1].GetStep() {
			return fmt.Sprintf("point %d at step %d does not follow step %d", i, p.GetStep(), h.GetPoints()[i-1].GetStep())
		}
	}
	return ""
}
