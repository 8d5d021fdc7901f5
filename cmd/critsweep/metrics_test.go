package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/critsweep/critsweep/coordinator"
	"github.com/critsweep/critsweep/internal/proctest"
	"github.com/critsweep/critsweep/worker"
)

// metricsSpec is a sweep of 4 tasks long enough (about half a second each) to be scraped
// while they train.
const metricsSpec = `name: metrics test
model: {kind: ising}
boundary: [periodic, twisted]
grid: {beta: [0.40, 0.44], size: [6], tau: [1.0]}
network: {hidden: [8]}
training: {steps: 3000, batch: 64, learning_rate: 1e-2, seed: 3}
`

// TestMetricsEndpoints runs a sweep with `critsweep coordinator` and `critsweep worker`
// both serving --metrics-listen, scrapes /metrics while the tasks train and after, and
// checks the named series and their values.
func TestMetricsEndpoints(t *testing.T) {
	const tasks, steps = 4, 3000
	db := filepath.Join(t.TempDir(), "metrics.db")
	token := writeFile(t, "token", "tok\n")
	coord := startCoordinatorCmd(t, "--db", db, "--token-file", token, "--metrics-listen", "127.0.0.1:0")
	coordMetrics := waitLogAddr(t, coord.stderr, "metrics listening")

	code, out, errOut := runCLI(t, "submit", writeFile(t, "sweep.yaml", metricsSpec), "--coordinator", coord.addr, "--token-file", token)
	if code != 0 {
		t.Fatalf("submit = (%d, %q), stderr %q", code, out, errOut)
	}
	sweep := strings.TrimSpace(out)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wout, werr proctest.Buffer
	exited := make(chan int, 1)
	go func() {
		exited <- runCLIContext(ctx, &wout, &werr, "worker", "--coordinator", coord.addr, "--token-file", token,
			"--slots", "2", "--estimate-samples", "256", "--estimate-draws", "4096", "--heartbeat", "100ms", "--checkpoint-every", "500",
			"--metrics-listen", "127.0.0.1:0", "--log-format", "json", "--name", "metrics-worker")
	}()
	workerMetrics := waitLogAddr(t, &werr, "metrics listening")

	// While the sweep runs: some slot trains at a positive rate, and the coordinator
	// counts leased tasks.
	var maxRate, maxBusy, maxLeased float64
	deadline := time.Now().Add(60 * time.Second)
	for {
		w := scrape(t, workerMetrics)
		for slot := range 2 {
			maxRate = max(maxRate, w.value(worker.MetricStepsPerSecond, "slot", strconv.Itoa(slot)))
		}
		maxBusy = max(maxBusy, w.value(worker.MetricSlotsBusy))
		c := scrape(t, coordMetrics)
		maxLeased = max(maxLeased, c.value(coordinator.MetricTasks, "sweep", sweep, "state", "leased"))
		if c.value(coordinator.MetricTasks, "sweep", sweep, "state", "done") == tasks {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sweep not done within 60 s; coordinator metrics:\n%s\nworker logs:\n%s", c.text, werr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if maxRate <= 0 || maxBusy < 1 || maxLeased < 1 {
		t.Errorf("during the sweep: max steps/s %v, max busy slots %v, max leased tasks %v; want all > 0", maxRate, maxBusy, maxLeased)
	}

	// Once the last result is in, the worker's counters have caught up (it counts a
	// completion once the coordinator acknowledged it, so poll briefly).
	var w *exposition
	for range 100 {
		if w = scrape(t, workerMetrics); w.value(worker.MetricTasksCompleted) == tasks {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	c := scrape(t, coordMetrics)
	checks := []struct {
		what      string
		got, want float64
	}{
		{"coordinator tasks done", c.value(coordinator.MetricTasks, "sweep", sweep, "state", "done"), tasks},
		{"coordinator tasks pending", c.value(coordinator.MetricTasks, "sweep", sweep, "state", "pending"), 0},
		{"coordinator tasks leased", c.value(coordinator.MetricTasks, "sweep", sweep, "state", "leased"), 0},
		{"coordinator leases granted", c.value(coordinator.MetricLeasesGranted), tasks},
		{"coordinator leases expired", c.value(coordinator.MetricLeasesExpired), 0},
		{"coordinator completions", c.value(coordinator.MetricCompletions), tasks},
		{"coordinator failures", c.value(coordinator.MetricFailures), 0},
		{"coordinator granted lease latencies", c.value(coordinator.MetricLeaseLatency+"_count", "outcome", "granted"), tasks},
		{"worker tasks completed", w.value(worker.MetricTasksCompleted), tasks},
		{"worker tasks failed", w.value(worker.MetricTasksFailed), 0},
		{"worker training steps", w.value(worker.MetricTrainingSteps), tasks * steps},
		{"worker busy slots", w.value(worker.MetricSlotsBusy), 0},
		{"worker checkpoints = coordinator's", w.value(worker.MetricCheckpoints), c.value(coordinator.MetricCheckpoints)},
		{"worker checkpoint bytes = coordinator's", w.value(worker.MetricCheckpointBytes), c.value(coordinator.MetricCheckpointBytes)},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.what, ch.got, ch.want)
		}
	}
	if n := c.value(coordinator.MetricCheckpoints); n < tasks {
		t.Errorf("coordinator checkpoints = %v, want at least one per task (--checkpoint-every 500 of %d steps)", n, steps)
	}
	if b := c.value(coordinator.MetricCheckpointBytes); b <= 0 {
		t.Errorf("coordinator checkpoint bytes = %v, want > 0", b)
	}
	if lat := c.value(coordinator.MetricLeaseLatency+"_sum", "outcome", "granted"); lat <= 0 || lat > 10 {
		t.Errorf("coordinator lease latency sum = %v s over %d leases, want in (0, 10]", lat, tasks)
	}
	for _, series := range []struct {
		e    *exposition
		name string
	}{{c, "go_goroutines"}, {w, "go_goroutines"}, {c, "process_cpu_seconds_total"}} {
		if !series.e.has(series.name) {
			t.Errorf("%s missing from /metrics", series.name)
		}
	}

	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("worker exit code %d, want 0; logs:\n%s", code, werr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not stop within 30 s")
	}
	if _, err := http.Get("http://" + workerMetrics + "/metrics"); err == nil {
		t.Error("the worker's metrics endpoint still answers after it stopped")
	}
}

func TestMetricsListenBadAddress(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	for _, args := range [][]string{
		{"coordinator", "--db", db, "--listen", "127.0.0.1:0", "--metrics-listen", "no-such-host.invalid:x"},
		{"worker", "--coordinator", "127.0.0.1:1", "--metrics-listen", "127.0.0.1:-1"},
	} {
		code, _, errOut := runCLI(t, args...)
		if code != 2 || !strings.Contains(errOut, "--metrics-listen") {
			t.Errorf("critsweep %s = (%d, %q), want exit 2 naming --metrics-listen", strings.Join(args, " "), code, errOut)
		}
	}
}

// waitLogAddr waits for the JSON log record msg in logs and returns its addr.
func waitLogAddr(t *testing.T, logs *proctest.Buffer, msg string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for line := range strings.Lines(logs.String()) {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == msg && rec.Addr != "" {
				return rec.Addr
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no %q log record within 30 s:\n%s", msg, logs.String())
	return ""
}

// exposition is a scraped /metrics page in the Prometheus text format.
type exposition struct {
	text    string
	samples []sample
}

type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// scrape fetches http://addr/metrics and parses it.
func scrape(t *testing.T, addr string) *exposition {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", addr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s, %v", addr, resp.Status, err)
	}
	e := &exposition{text: string(body)}
	sc := bufio.NewScanner(strings.NewReader(e.text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			t.Fatalf("scrape %s: %v", addr, err)
		}
		e.samples = append(e.samples, s)
	}
	return e
}

// parseSample parses `name{k="v",...} value` (label values without quotes or commas).
func parseSample(line string) (sample, error) {
	i := strings.LastIndexByte(line, ' ')
	if i < 0 {
		return sample{}, fmt.Errorf("no value in %q", line)
	}
	head, val := line[:i], line[i+1:]
	v, err := strconv.ParseFloat(val, 64)
	if err != nil {
		return sample{}, fmt.Errorf("value of %q: %w", line, err)
	}
	s := sample{name: head, labels: map[string]string{}, value: v}
	if name, rest, found := strings.Cut(head, "{"); found {
		s.name = name
		for pair := range strings.SplitSeq(strings.TrimSuffix(rest, "}"), ",") {
			if pair == "" {
				continue
			}
			k, v, _ := strings.Cut(pair, "=")
			s.labels[k] = strings.Trim(v, `"`)
		}
	}
	return s, nil
}

// value returns the value of the sample with that name and those label pairs (k, v,
// …), or -1 when there is none.
func (e *exposition) value(name string, labels ...string) float64 {
next:
	for _, s := range e.samples {
		if s.name != name {
			continue
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if s.labels[labels[i]] != labels[i+1] {
				continue next
			}
		}
		return s.value
	}
	return -1
}

func (e *exposition) has(name string) bool {
	for _, s := range e.samples {
		if s.name == name {
			return true
		}
	}
	return false
}
