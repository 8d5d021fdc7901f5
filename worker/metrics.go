package worker

import (
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// The worker's Prometheus series, registered on Options.Metrics while Run runs.
const (
	MetricStepsPerSecond  = "critsweep_worker_steps_per_second"       // gauge {slot}
	MetricTrainingSteps   = "critsweep_worker_training_steps_total"   // counter
	MetricSlotsBusy       = "critsweep_worker_slots_busy"             // gauge
	MetricTasksCompleted  = "critsweep_worker_tasks_completed_total"  // counter
	MetricTasksFailed     = "critsweep_worker_tasks_failed_total"     // counter
	MetricCheckpoints     = "critsweep_worker_checkpoints_total"      // counter
	MetricCheckpointBytes = "critsweep_worker_checkpoint_bytes_total" // counter
)

// metrics are the worker's collectors. A nil *metrics records nothing, so the worker
// runs the same with and without a registry.
type metrics struct {
	reg             prometheus.Registerer
	collectors      []prometheus.Collector
	stepsPerSecond  *prometheus.GaugeVec
	steps           prometheus.Counter
	busy            prometheus.Gauge
	completed       prometheus.Counter
	failed          prometheus.Counter
	checkpoints     prometheus.Counter
	checkpointBytes prometheus.Counter
}

// registerMetrics registers the worker's series on reg, with a steps/s gauge at 0 for
// each of slots; nil reg: no metrics (nil).
func registerMetrics(reg prometheus.Registerer, slots int) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	m := &metrics{
		reg: reg,
		stepsPerSecond: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricStepsPerSecond,
			Help: "Training steps per second of each slot, over the last heartbeat interval (0 while idle).",
		}, []string{"slot"}),
		steps:           counter(MetricTrainingSteps, "Training steps taken by all slots."),
		busy:            prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricSlotsBusy, Help: "Slots holding a lease."}),
		completed:       counter(MetricTasksCompleted, "Tasks whose result the coordinator accepted."),
		failed:          counter(MetricTasksFailed, "Tasks that failed in training (reported to the coordinator)."),
		checkpoints:     counter(MetricCheckpoints, "Checkpoints uploaded."),
		checkpointBytes: counter(MetricCheckpointBytes, "Bytes of the checkpoints uploaded (encoded size)."),
	}
	m.collectors = []prometheus.Collector{m.stepsPerSecond, m.steps, m.busy, m.completed, m.failed, m.checkpoints, m.checkpointBytes}
	for i, c := range m.collectors {
		if err := reg.Register(c); err != nil {
			for _, done := range m.collectors[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("register worker metrics: %w", err)
		}
	}
	for i := range slots {
		m.stepsPerSecond.WithLabelValues(strconv.Itoa(i)).Set(0)
	}
	return m, nil
}

func (m *metrics) unregister() {
	if m == nil {
		return
	}
	for _, c := range m.collectors {
		m.reg.Unregister(c)
	}
}

// slotRate returns the steps/s gauge of a slot, or nil.
func (m *metrics) slotRate(slot int) prometheus.Gauge {
	if m == nil {
		return nil
	}
	return m.stepsPerSecond.WithLabelValues(strconv.Itoa(slot))
}

func (m *metrics) step() {
	if m != nil {
		m.steps.Inc()
	}
}

func (m *metrics) leased(busy bool) {
	switch {
	case m == nil:
	case busy:
		m.busy.Inc()
	default:
		m.busy.Dec()
	}
}

func (m *metrics) taskCompleted() {
	if m != nil {
		m.completed.Inc()
	}
}

func (m *metrics) taskFailed() {
	if m != nil {
		m.failed.Inc()
	}
}

func (m *metrics) checkpoint(bytes uint64) {
	if m != nil {
		m.checkpoints.Inc()
		m.checkpointBytes.Add(float64(bytes))
	}
}
