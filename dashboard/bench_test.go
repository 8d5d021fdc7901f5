package dashboard

import (
	"context"

	"net/http"
	"testing"
	"time"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// firstLoad is what the page asks for when it opens a sweep: the page and its assets, the
// sweep's line, the sweep with its analysis, the columns, the first page of results and
// the failures (as app.js does; the browser sends them in parallel, this sums them).
func firstLoad(id string) []string {
	sw := "/api/v1/sweeps/" + id
	return []string{
		"/", "/static/app.js", "/static/plot.js", "/static/app.css", "/static/favicon.svg",
		sw + "?analysis=false", sw, "/api/v1/columns",
		sw + "/results?columns=" + tableColumns + "&page_size=100&sort=index&page_token=",
		sw + "/tasks?failures=true&page_size=50&page_token=",
	}
}

// BenchmarkSweepPageFirstLoad measures the server time of a sweep page's first load with
// 10,000 stored results (10 sizes × 500 β × 2 seams of Ising results with Kaufman's
// σ_L), summing the requests the page makes (the browser sends them in parallel). Each
// iteration is a fresh dashboard:
//
//   - warm: opened once the dashboard has analysed the sweep, as it does in the
//     background from its start and whenever results come in: a user's first load;
//   - cold: opened at once, so the load waits for the first analysis.
//
// It reports ms/load, and the sweep request's share (where the analysis is) as
// ms/sweep.
func BenchmarkSweepPageFirstLoad(b *testing.B) {
	fx := newFixture(b, nil)
	id := fx.submit(b, isingSpec("bench", betaGrid(0.40, 0.48, 500), 6, 8, 10, 12, 16, 20, 24, 32, 40, 48))
	fx.workFast(b)
	var st struct{ Done uint32 }
	fx.getJSON(b, "/api/v1/sweeps/"+id+"?analysis=false", &st)
	if st.Done != 10000 {
		b.Fatalf("%d results stored, want 10000", st.Done)
	}
	for _, warm := range []bool{true, false} {
		name := "cold"
		if warm {
			name = "warm"
		}
		b.Run(name, func(b *testing.B) {
			var total, sweep time.Duration
			for b.Loop() {
				b.StopTimer()
				fx.srv.Close()
				fx.srv = New(fx.c, &Options{Logger: fx.srv.log, Reference: fx.srv.opts.Reference})
				if warm {
					for fx.srv.analyses.latest(id) == nil {
						time.Sleep(time.Millisecond)
					}
				}
				b.StartTimer()
				for _, path := range firstLoad(id) {
					start := time.Now()
					rec := fx.do(b, http.MethodGet, path, "", nil)
					d := time.Since(start)
					total += d
					if path == "/api/v1/sweeps/"+id {
						sweep += d
					}
					if rec.Code != http.StatusOK {
						b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String())
					}
				}
			}
			b.ReportMetric(float64(total.Microseconds())/1e3/float64(b.N), "ms/load")
			b.ReportMetric(float64(sweep.Microseconds())/1e3/float64(b.N), "ms/sweep")
		})
	}
}

// workFast completes every pending task with Kaufman's values, without heartbeats.
func (fx *fixture) workFast(b testing.TB) {
	ctx := context.Background()
	for {
		l, err := fx.c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "bench/0"})
		if err != nil {
			b.Fatal(err)
		}
		if !l.GetLeased() {
			return
		}
		if _, err := fx.c.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: l.GetRef(), Epoch: l.GetEpoch(), Result: kaufmanResult(l.GetSpec())}); err != nil {
			b.Fatal(err)
		}
	}
}
