package coordinator

import (
	"testing"
	"time"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// TestWorkerSetLateHeartbeat checks that a heartbeat recorded after the completion of its
// lease (the calls crossed: the heartbeat was answered first) does not bring the task
// back to the worker's list.
func TestWorkerSetLateHeartbeat(t *testing.T) {
	ws := newWorkerSet()
	now := time.Unix(1000, 0)
	k := taskKey{"s-1", 4}
	ws.leased("node/0", k, 1, now)
	ws.ended(k, 1, endCompleted, now)
	ws.heartbeat("node/0", k, 1, &critsweepv1.Progress{Step: 9}, now)
	list := ws.list(now, time.Minute)
	if len(list) != 1 || len(list[0].GetTasks()) != 0 || list[0].GetCompleted() != 1 {
		t.Errorf("after a late heartbeat: %v, want node holding nothing with 1 completed", list)
	}
}

func TestWorkerOf(t *testing.T) {
	for slot, want := range map[string]string{"node/3": "node", "a/b/12": "a/b", "solo": "solo", "x/": "x/", "x/y": "x/y", "": "unnamed worker"} {
		if got := workerOf(slot); got != want {
			t.Errorf("workerOf(%q) = %q, want %q", slot, got, want)
		}
	}
}
