package worker

import (
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMetrics runs a worker with a registry through a small sweep and reads its series;
// they exist while Run runs and are gone after.
func TestMetrics(t *testing.T) {
	const steps = 200
	tc := newTestCoordinator(t, nil, nil)
	id := tc.submit(t, sweepYAML("metrics", "[0.40, 0.44]", "[4]", steps))
	reg := prometheus.NewPedanticRegistry()
	rw := startWorker(t, tc, &Options{Slots: 2, CheckpointEvery: 50, Metrics: reg})
	tc.wait(t, id, time.Minute)

	count := func(name string) float64 {
		n, err := testutil.GatherAndCount(reg, name)
		if err != nil {
			t.Fatal(err)
		}
		return float64(n)
	}
	value := func(name string) float64 {
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == name {
				m := f.GetMetric()[0]
				return m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
		t.Fatalf("no series %s", name)
		return 0
	}
	// The worker counts a completion once the coordinator acknowledged it.
	waitFor(t, 10*time.Second, "4 completions counted", func() bool { return value(MetricTasksCompleted) == 4 })
	for _, tt := range []struct {
		name string
		want float64
	}{
		{MetricTasksFailed, 0},
		{MetricTrainingSteps, 4 * steps},
		{MetricSlotsBusy, 0},
	} {
		if got := value(tt.name); got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, got, tt.want)
		}
	}
	if n, b := value(MetricCheckpoints), value(MetricCheckpointBytes); n < 4 || b <= 0 {
		t.Errorf("%v checkpoints of %v bytes, want at least one a task (every 50 of %d steps)", n, b, steps)
	}
	if n := count(MetricStepsPerSecond); n != 2 {
		t.Errorf("%d %s series, want one a slot (2)", int(n), MetricStepsPerSecond)
	}

	// A second worker on the same registry is refused at once.
	second := New(tc, &Options{Metrics: reg, Logger: discardLogger()})
	var already prometheus.AlreadyRegisteredError
	if err := second.Run(t.Context()); !errors.As(err, &already) {
		t.Errorf("second worker on the registry: Run = %v, want AlreadyRegisteredError", err)
	}

	if err := rw.stop(); err != nil {
		t.Fatal(err)
	}
	if families, err := reg.Gather(); err != nil || len(families) != 0 {
		t.Errorf("after Run: %d families (%v), want none", len(families), err)
	}
}
