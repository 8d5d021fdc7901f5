package coordinator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// The coordinator's Prometheus series, registered on Options.Metrics. Counters count
// what this process did since it started; the tasks gauge is read from the store at each
// scrape, so it holds across restarts.
const (
	MetricTasks           = "critsweep_coordinator_tasks"                  // gauge {sweep, state}
	MetricLeasesGranted   = "critsweep_coordinator_leases_granted_total"   // counter
	MetricLeasesExpired   = "critsweep_coordinator_leases_expired_total"   // counter
	MetricLeasesReleased  = "critsweep_coordinator_leases_released_total"  // counter
	MetricLeaseLatency    = "critsweep_coordinator_lease_latency_seconds"  // histogram {outcome}
	MetricCheckpoints     = "critsweep_coordinator_checkpoints_total"      // counter
	MetricCheckpointBytes = "critsweep_coordinator_checkpoint_bytes_total" // counter
	MetricCompletions     = "critsweep_coordinator_task_completions_total" // counter
	MetricFailures        = "critsweep_coordinator_task_failures_total"    // counter
)

// metricScrapeTimeout bounds the store read behind the tasks gauge at a scrape.
const metricScrapeTimeout = 5 * time.Second

// metrics are the coordinator's collectors. A nil *metrics records nothing, so the core
// runs the same with and without a registry.
type metrics struct {
	reg             prometheus.Registerer
	collectors      []prometheus.Collector
	leasesGranted   prometheus.Counter
	leasesExpired   prometheus.Counter
	leasesReleased  prometheus.Counter
	leaseLatency    *prometheus.HistogramVec
	checkpoints     prometheus.Counter
	checkpointBytes prometheus.Counter
	completions     prometheus.Counter
	failures        prometheus.Counter
}

// newMetrics registers the coordinator's series on reg and returns them; nil reg: no
// metrics (nil). It fails when reg already holds series of these names.
func newMetrics(reg prometheus.Registerer, c *Coordinator) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	m := &metrics{
		reg:            reg,
		leasesGranted:  counter(MetricLeasesGranted, "Leases granted to workers."),
		leasesExpired:  counter(MetricLeasesExpired, "Leases taken back because no heartbeat came in time."),
		leasesReleased: counter(MetricLeasesReleased, "Leases given back by workers shutting down."),
		leaseLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricLeaseLatency,
			Help:    "Time to answer LeaseTask, by outcome: granted (a task was leased) or empty (nothing pending).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5 ms … 4 s
		}, []string{"outcome"}),
		checkpoints:     counter(MetricCheckpoints, "Checkpoints accepted."),
		checkpointBytes: counter(MetricCheckpointBytes, "Bytes of the checkpoints accepted (encoded size)."),
		completions:     counter(MetricCompletions, "Tasks completed with a result (repeats not counted)."),
		failures:        counter(MetricFailures, "Task failures reported by workers (a task fails for good after max attempts)."),
	}
	m.collectors = []prometheus.Collector{
		m.leasesGranted, m.leasesExpired, m.leasesReleased, m.leaseLatency,
		m.checkpoints, m.checkpointBytes, m.completions, m.failures, &taskGauge{c: c},
	}
	for i, col := range m.collectors {
		if err := reg.Register(col); err != nil {
			for _, done := range m.collectors[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("register coordinator metrics: %w", err)
		}
	}
	// Both outcomes appear from the start, at zero.
	m.leaseLatency.WithLabelValues("granted")
	m.leaseLatency.WithLabelValues("empty")
	return m, nil
}

// unregister removes the series from the registry.
func (m *metrics) unregister() {
	if m == nil {
		return
	}
	for _, col := range m.collectors {
		m.reg.Unregister(col)
	}
}

func (m *metrics) leaseAnswered(granted bool, since time.Time) {
	if m == nil {
		return
	}
	outcome := "empty"
	if granted {
		outcome = "granted"
		m.leasesGranted.Inc()
	}
	m.leaseLatency.WithLabelValues(outcome).Observe(time.Since(since).Seconds())
}

func (m *metrics) expired(n int) {
	if m != nil && n > 0 {
		m.leasesExpired.Add(float64(n))
	}
}

func (m *metrics) checkpoint(bytes int) {
	if m != nil {
		m.checkpoints.Inc()
		m.checkpointBytes.Add(float64(bytes))
	}
}

func (m *metrics) completed() {
	if m != nil {
		m.completions.Inc()
	}
}

func (m *metrics) ended(release bool) {
	switch {
	case m == nil:
	case release:
		m.leasesReleased.Inc()
	default:
		m.failures.Inc()
	}
}

// taskGauge reports the tasks of every sweep by state, read from the store's counts at
// each scrape.
type taskGauge struct {
	c *Coordinator
}

var taskGaugeDesc = prometheus.NewDesc(MetricTasks,
	"Tasks of each sweep by state (pending, leased, done, failed, cancelled).",
	[]string{"sweep", "state"}, nil)

func (g *taskGauge) Describe(ch chan<- *prometheus.Desc) { ch <- taskGaugeDesc }

func (g *taskGauge) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), metricScrapeTimeout)
	defer cancel()
	resp, err := g.c.ListSweeps(ctx, &critsweepv1.ListSweepsRequest{})
	if err != nil {
		if !errors.Is(err, ErrClosed) {
			ch <- prometheus.NewInvalidMetric(taskGaugeDesc, err)
		}
		return
	}
	for _, st := range resp.GetSweeps() {
		for _, s := range []struct {
			state string
			n     uint32
		}{
			{"pending", st.GetPending()},
			{"leased", st.GetLeased()},
			{"done", st.GetDone()},
			{"failed", st.GetFailed()},
			{"cancelled", st.GetCancelled()},
		} {
			ch <- prometheus.MustNewConstMetric(taskGaugeDesc, prometheus.GaugeValue, float64(s.n), st.GetSweepId(), s.state)
		}
	}
}
