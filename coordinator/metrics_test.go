package coordinator

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// TestMetrics drives a coordinator through every counted event with a fake clock and
// reads the series from its registry.
func TestMetrics(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	reg := prometheus.NewPedanticRegistry()
	c, err := New(openTestDB(t, nil), clock, &Options{Logger: discardLogger(), LeaseDuration: time.Minute, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: testSpec("metrics", 4)})
	if err != nil {
		t.Fatal(err)
	}
	id := sub.GetSweepId()
	lease := func() *critsweepv1.LeaseTaskResponse {
		t.Helper()
		l, err := c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "w"})
		if err != nil || !l.GetLeased() {
			t.Fatalf("LeaseTask = %v, %v", l, err)
		}
		return l
	}
	a, b, d := lease(), lease(), lease()
	lease() // its lease will run out
	if l, err := c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "w"}); err != nil || l.GetLeased() {
		t.Fatalf("fifth LeaseTask = %v, %v; want nothing to lease", l, err)
	}
	cp := &critsweepv1.Checkpoint{Version: 1, Step: 3, Params: []float64{1, 2}}
	if _, err := c.UploadCheckpoint(ctx, a.GetRef(), a.GetEpoch(), cp); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: a.GetRef(), Epoch: a.GetEpoch(), Result: &critsweepv1.Result{Steps: 1}}); err != nil {
		t.Fatal(err)
	}
	// A repeated completion is acknowledged but not counted again.
	if _, err := c.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: a.GetRef(), Epoch: a.GetEpoch(), Result: &critsweepv1.Result{Steps: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FailTask(ctx, &critsweepv1.FailTaskRequest{Ref: b.GetRef(), Epoch: b.GetEpoch(), Reason: "boom"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FailTask(ctx, &critsweepv1.FailTaskRequest{Ref: d.GetRef(), Epoch: d.GetEpoch(), Release: true}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)
	if n, err := c.ExpireLeases(ctx); err != nil || n != 1 {
		t.Fatalf("ExpireLeases = %d, %v; want 1", n, err)
	}

	for _, tt := range []struct {
		name string
		got  prometheus.Collector
		want float64
	}{
		{MetricLeasesGranted, c.stats.leasesGranted, 4},
		{MetricLeasesExpired, c.stats.leasesExpired, 1},
		{MetricLeasesReleased, c.stats.leasesReleased, 1},
		{MetricCheckpoints, c.stats.checkpoints, 1},
		{MetricCheckpointBytes, c.stats.checkpointBytes, float64(proto.Size(cp))},
		{MetricCompletions, c.stats.completions, 1},
		{MetricFailures, c.stats.failures, 1},
	} {
		if got := testutil.ToFloat64(tt.got); got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, got, tt.want)
		}
	}

	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	latency := family(families, MetricLeaseLatency)
	counts := map[string]uint64{}
	for _, m := range latency.GetMetric() {
		counts[label(m, "outcome")] = m.GetHistogram().GetSampleCount()
	}
	if counts["granted"] != 4 || counts["empty"] != 1 {
		t.Errorf("%s sample counts = %v, want granted 4, empty 1", MetricLeaseLatency, counts)
	}
	// After the failure, the release and the expiry, three tasks are pending again.
	tasks := map[string]float64{}
	for _, m := range family(families, MetricTasks).GetMetric() {
		if label(m, "sweep") != id {
			t.Errorf("%s has sweep %q, want %q", MetricTasks, label(m, "sweep"), id)
		}
		tasks[label(m, "state")] = m.GetGauge().GetValue()
	}
	want := map[string]float64{"pending": 3, "leased": 0, "done": 1, "failed": 0, "cancelled": 0}
	for state, n := range want {
		if tasks[state] != n {
			t.Errorf("%s{state=%q} = %v, want %v (all: %v)", MetricTasks, state, tasks[state], n, tasks)
		}
	}

	// Close unregisters every series, so that a new coordinator may register on reg.
	c.Close()
	if families, err := reg.Gather(); err != nil || len(families) != 0 {
		t.Errorf("after Close: %d families (%v), want none", len(families), err)
	}
}

// TestMetricsRegisteredTwice checks that a second coordinator on a registry in use is
// refused, and that nil Options.Metrics means none.
func TestMetricsRegisteredTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	c, err := New(openTestDB(t, nil), nil, &Options{Logger: discardLogger(), Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var already prometheus.AlreadyRegisteredError
	if _, err := New(openTestDB(t, nil), nil, &Options{Logger: discardLogger(), Metrics: reg}); !errors.As(err, &already) {
		t.Errorf("second coordinator on the same registry: err = %v, want AlreadyRegisteredError", err)
	}
	quiet, err := New(openTestDB(t, nil), nil, &Options{Logger: discardLogger()})
	if err != nil || quiet.stats != nil {
		t.Errorf("no registry: stats = %v, err = %v; want nil, nil", quiet.stats, err)
	}
	quiet.Close()
}

func family(families []*dto.MetricFamily, name string) *dto.MetricFamily {
	for _, f := range families {
		if f.GetName() == name {
			return f
		}
	}
	return nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
