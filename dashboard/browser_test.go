package dashboard

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/worker"
)

// The browser test drives Debian's chromium (installed by .ci/run) with chromedp
// through a live sweep. Without a chromium it skips, unless CRITSWEEP_BROWSER=required
// (CI sets it) makes that a failure. CRITSWEEP_SCREENSHOTS names a folder to keep the
// screenshots in (default: the test's temporary folder, logged).

// chromiumPath returns the browser to drive, "" when there is none.
func chromiumPath() string {
	for _, name := range []string{os.Getenv("CRITSWEEP_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserErrors collects what the page reports as errors: exceptions, console.error,
// and failed loads (but the 401 of the login page, which is the page asking for the
// token).
type browserErrors struct {
	mu   sync.Mutex
	errs []string
}

func (b *browserErrors) add(format string, args ...any) {
	b.mu.Lock()
	b.errs = append(b.errs, fmt.Sprintf(format, args...))
	b.mu.Unlock()
}

func (b *browserErrors) list() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errs...)
}

// TestBrowserLiveSweep loads the dashboard in chromium during a live sweep, signs in with
// the token, and watches: the progress advance, the σ_L plot appear, a filter narrow the
// results table, and a task's training curve draw. It saves screenshots and fails on any
// JavaScript error in the console.
func TestBrowserLiveSweep(t *testing.T) {
	if raceEnabled {
		t.Skip("under the race detector training is too slow for a live sweep; the plain run drives the browser")
	}
	browser := chromiumPath()
	if browser == "" {
		if os.Getenv("CRITSWEEP_BROWSER") == "required" {
			t.Fatal("no chromium to drive, and CRITSWEEP_BROWSER=required (apt-get install chromium)")
		}
		t.Skip("no chromium: apt-get install chromium (or set CRITSWEEP_CHROMIUM)")
	}
	shots := os.Getenv("CRITSWEEP_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	fx := newFixture(t, &Options{Token: testToken, EventInterval: 100 * time.Millisecond, AnalysisInterval: 500 * time.Millisecond})
	sweep := &critsweepv1.SweepSpec{
		Name:     "browser ising",
		Model:    &critsweepv1.ModelSpec{Kind: spec.ModelIsing},
		Boundary: []string{spec.Periodic, spec.Twisted},
		Grid:     &critsweepv1.Grid{Beta: &critsweepv1.Axis{Values: []float64{0.40, 0.42, 0.44, 0.46, 0.48}}, Size: []uint32{4, 6}},
		Network:  &critsweepv1.NetworkSpec{Hidden: []uint32{8}},
		Training: &critsweepv1.TrainingSpec{Steps: 10000, Batch: 32, Seed: 3, EstimateSamples: 256, EstimateDraws: 2000},
	}
	id := fx.submit(t, sweep)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srvCtx, stopSrv := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- fx.srv.Serve(srvCtx, lis) }()
	defer func() {
		stopSrv()
		<-served
	}()
	base := "http://" + lis.Addr().String() + "/"

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1800),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(func(string, ...any) {}))
	defer cancelBrowser()
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelTimeout()

	var errs browserErrors
	var signedIn atomic.Bool
	messages := chromedp.Console(ctx)
	consoleDone := make(chan struct{})
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			switch {
			case m.Type == chromedp.ConsoleException:
				errs.add("exception: %s (%s:%d)", m.Text, m.URL, m.Line+1)
			case m.Type != chromedp.ConsoleError:
			case !signedIn.Load() && m.Source == "network" && strings.Contains(m.Text, "401") && strings.TrimSuffix(m.URL, "?failed=1") == base:
				// The login page: the page asking for the token.
			default:
				errs.add("console error: %s (%s, %s)", m.Text, m.Source, m.URL)
			}
		}
	}()

	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		start := time.Now()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v (after %v; page errors %q)", what, err, time.Since(start).Round(time.Millisecond), errs.list())
		}
		t.Logf("%s: %v", what, time.Since(start).Round(time.Millisecond))
	}
	// text reads an element's text in one evaluation: the page may replace the element
	// between a query of its node and a read of that node.
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+strconv.Quote(sel)+`).textContent`))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	// waitJS polls a JavaScript condition until it holds.
	waitJS := func(what, cond string) {
		t.Helper()
		start := time.Now()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(100*time.Millisecond),
			chromedp.WithPollingTimeout(90*time.Second))); err != nil {
			t.Fatalf("%s: %v (page errors %q)", what, err, errs.list())
		}
		t.Logf("%s: %v", what, time.Since(start).Round(time.Millisecond))
	}
	screenshot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(shots, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}

	// Without the token the page asks for it; with it, the sweeps list.
	do("sign in", chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.CSS(`input[name="token"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="token"]`), testToken),
		chromedp.Func(func(context.Context, *chromedp.Target) error { signedIn.Store(true); return nil }),
		chromedp.Submit(chromedp.CSS(`input[name="token"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#sweeps-table tbody tr[data-sweep="`+id+`"]`)))

	// The sweep's view before any task ran, then the workers start.
	do("open the sweep", chromedp.Navigate(base+"#/sweeps/"+id), chromedp.WaitVisible(chromedp.CSS(`#progress-count`)))
	if before := text(`#progress-count`); !strings.HasPrefix(before, "0 of 20") {
		t.Fatalf("progress before any task ran: %q", before)
	}
	workCtx, stopWork := context.WithCancel(context.Background())
	workDone := make(chan struct{})
	go func() {
		defer close(workDone)
		w := worker.New(fx.c, &worker.Options{Name: "browser-node", Slots: 2, HeartbeatInterval: 100 * time.Millisecond,
			Logger: slog.New(slog.DiscardHandler)})
		w.Run(workCtx)
	}()
	defer func() {
		stopWork()
		<-workDone
	}()
	waitJS("the progress advances", `!document.querySelector('#progress-count').textContent.startsWith('0 of 20')`)

	// The workers at work: slots busy with tasks and their steps.
	do("open the workers", chromedp.Navigate(base+"#/workers"), chromedp.WaitVisible(chromedp.CSS(`#workers-table tbody tr`)))
	waitJS("the worker trains", `(() => {
		const t = document.querySelector('#workers-table tbody').textContent;
		return t.includes('browser-node') && / step \d+ of 10000/.test(t);
	})()`)
	screenshot("dashboard-workers.png")
	do("back to the sweep", chromedp.Navigate(base+"#/sweeps/"+id), chromedp.WaitVisible(chromedp.CSS(`#progress-count`)))
	waitJS("the σ_L plot appears", `document.querySelectorAll('#plot-sigma svg path.series').length >= 2`)

	// A filter narrows the results table.
	waitJS("results of both sizes", `(() => {
		const sizes = [...document.querySelectorAll('#results-table tbody tr')].map(tr => tr.children[2] && tr.children[2].textContent);
		return sizes.includes('4') && sizes.includes('6');
	})()`)
	countBefore := text(`#results-count`)
	do("filter the results", chromedp.SendKeys(chromedp.CSS(`#filter-input`), "size = 6 and boundary = 'periodic'\n"))
	waitJS("the filter narrows the table", `(() => {
		const c = document.querySelector('#results-count').textContent;
		const rows = [...document.querySelectorAll('#results-table tbody tr')];
		return c.includes('matching') && rows.length > 0 && rows.every(tr => tr.children[2].textContent === '6' && tr.children[4].textContent === 'periodic');
	})()`)
	t.Logf("results: %q, then filtered: %q", countBefore, text(`#results-count`))
	waitJS("the whole sweep finishes", `document.querySelector('#progress-count').textContent.startsWith('20 of 20')`)
	waitJS("the analysis catches up with every result", `(() => {
		const c = document.querySelector('#beta-c');
		return !!c && !document.querySelector('#analysis-behind') && (c.textContent.includes('from 20 results') || c.textContent.includes('not yet'));
	})()`)
	screenshot("dashboard-sweep.png")

	// A change shows within 2 s: the sweep grows by an extension.
	start := time.Now()
	if _, err := fx.c.ExtendSweep(context.Background(), &critsweepv1.ExtendSweepRequest{SweepId: id,
		Grid: &critsweepv1.Grid{Beta: &critsweepv1.Axis{Values: []float64{0.5}}, Size: []uint32{4, 6}}}); err != nil {
		t.Fatal(err)
	}
	waitJS("the extension shows", `/ of 24 tasks/.test(document.querySelector('#progress-count').textContent)`)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the page showed the extension after %v, want within 2 s", d)
	} else {
		t.Logf("the page showed the extension after %v", d.Round(time.Millisecond))
	}

	// A task's training curve.
	do("open a task", chromedp.Navigate(base+"#/sweeps/"+id+"/tasks/3"), chromedp.WaitVisible(chromedp.CSS(`#training-curve svg`)))
	waitJS("the training curve draws", `(() => {
		const p = document.querySelector('#training-curve svg path.series');
		return !!p && (p.getAttribute('d').match(/L/g) || []).length >= 2;
	})()`)
	waitJS("the estimates beside exact values", `document.querySelectorAll('#estimates-table tbody tr').length >= 2`)
	screenshot("dashboard-task.png")

	if shown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('#view-error')`)); err != nil || shown {
		t.Errorf("the page shows an error box (%v)", err)
	}
	cancelBrowser()
	<-consoleDone
	if e := errs.list(); len(e) > 0 {
		t.Errorf("the page reported errors:\n%s", strings.Join(e, "\n"))
	}
}
