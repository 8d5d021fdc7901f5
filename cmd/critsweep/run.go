package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/critsweep/critsweep/analysis"
	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/store"
	"github.com/critsweep/critsweep/worker"
)

//go:embed default_sweep.yaml
var defaultSweep []byte

// runFlags are the flags of `critsweep run`.
type runFlags struct {
	db      string
	spec    string
	workers int
	threads int
	out     string
	json    bool
	quiet   bool
	http    string
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run a whole sweep on this machine and locate the critical point",
		Long: `run is critsweep on one machine, with no cluster: an in-process coordinator keeps the
sweep in a bbolt file (--db), one worker slot per core trains its grid points, a progress
bar shows how far it is, and at the end the critical point β_c is estimated from the
crossings of σ_L(β) = L·(ln λ_periodic − ln λ_twisted), with a bootstrap error bar; the
results go to a CSV file and the plots to --out.

Without --spec it runs the embedded default: the Ising model on both seams at L = 6, 8,
10 for β from 0.42 to 0.46, about 10 minutes on 2 cores. Ctrl-C checkpoints the tasks in
flight and stops; running the same command again resumes the sweep without redoing the
finished tasks.`,
		Example: `  critsweep run
  critsweep run --spec my-sweep.yaml --workers 8 --out results/
  critsweep run --json > beta_c.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.db, "db", "critsweep.db", "the bbolt file that holds the sweep, its results and checkpoints")
	fl.StringVar(&f.spec, "spec", "", "sweep spec (YAML); empty runs the embedded default Ising sweep")
	fl.IntVar(&f.workers, "workers", 0, "worker slots, each training one task at a time, >= 0 (0: one per core, but no more than the tasks to train)")
	fl.IntVar(&f.threads, "threads", 0, "goroutines each slot's task may use, >= 0 (0: the cores left to each slot); results do not depend on it")
	fl.StringVar(&f.out, "out", "critsweep-results", "folder for the results CSV and the plots")
	fl.BoolVar(&f.json, "json", false, "print one JSON object with the estimate on stdout (progress stays on stderr)")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	fl.StringVar(&f.http, "http", "localhost:0", `HOST:PORT of the dashboard, whose URL is printed (port 0: any free port; "": none)`)
	return cmd
}

func (f *runFlags) run(cmd *cobra.Command) error {
	if f.workers < 0 {
		return usageErrorf("--workers must be >= 0 (0: one per core), got %d", f.workers)
	}
	if f.threads < 0 {
		return usageErrorf("--threads must be >= 0 (0: the cores left to each slot), got %d", f.threads)
	}
	specYAML, source := defaultSweep, "the embedded default sweep"
	if f.spec != "" {
		data, err := os.ReadFile(f.spec)
		if err != nil {
			return usageErrorf("--spec: %v", err)
		}
		specYAML, source = data, f.spec
	}
	sweep, err := spec.Parse(specYAML)
	if err != nil {
		return usageErrorf("%s: %w", source, err)
	}

	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	db, err := store.Open(f.db, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	// Logs would tear the progress bar; only warnings and errors go through.
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	coord, err := coordinator.New(db, nil, &coordinator.Options{
		// Short leases: after a crash of this process, its tasks come back quickly.
		LeaseDuration: 15 * time.Second,
		RetryAfter:    200 * time.Millisecond,
		Logger:        logger,
		Resolve:       taskSettings,
	})
	if err != nil {
		return err
	}
	defer coord.Close()
	coordCtx, stopCoord := context.WithCancel(context.WithoutCancel(ctx))
	defer stopCoord()
	go coord.Run(coordCtx)

	sweepID, status, resumed, err := findOrSubmit(coordCtx, coord, sweep)
	if err != nil {
		return err
	}
	if f.http != "" {
		url, wait, err := serveDashboard(coordCtx, f.http, coord, "", nil, logger)
		if err != nil {
			return err
		}
		defer wait()
		defer stopCoord()
		fmt.Fprintf(stderr, "dashboard: %s#/sweeps/%s\n", url, sweepID)
	}
	switch {
	case resumed && status.GetDone() == status.GetTotal():
		fmt.Fprintf(stderr, "sweep %s in %s is complete (%d tasks); nothing to train\n", sweepID, f.db, status.GetTotal())
	case resumed:
		fmt.Fprintf(stderr, "resuming sweep %s in %s: %d of %d tasks already done, %d to train\n",
			sweepID, f.db, status.GetDone(), status.GetTotal(), status.GetTotal()-status.GetDone()-status.GetFailed()-status.GetCancelled())
	default:
		fmt.Fprintf(stderr, "sweep %s (%s): %d tasks in %s\n", sweepID, source, status.GetTotal(), f.db)
	}
	open := int(status.GetPending() + status.GetLeased())
	f.workers, f.threads = slotsAndThreads(f.workers, f.threads, runtime.NumCPU(), open)
	if open > 0 {
		fmt.Fprintf(stderr, "training on %d worker slots × %d threads (%d cores, %d tasks to train)\n", f.workers, f.threads, runtime.NumCPU(), open)
	}

	if open := status.GetPending() + status.GetLeased(); open > 0 {
		if err := f.train(ctx, coordCtx, coord, sweepID, status, logger, stderr); err != nil {
			return err
		}
	}
	return f.report(cmd, coordCtx, coord, sweepID)
}

// findOrSubmit returns the sweep of the store with the same spec, or submits spec.
func findOrSubmit(ctx context.Context, coord *coordinator.Coordinator, spec *critsweepv1.SweepSpec) (id string, status *critsweepv1.SweepStatus, resumed bool, err error) {
	list, err := coord.ListSweeps(ctx, &critsweepv1.ListSweepsRequest{})
	if err != nil {
		return "", nil, false, err
	}
	for _, s := range list.GetSweeps() {
		got, err := coord.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: s.GetSweepId()})
		if err != nil {
			return "", nil, false, err
		}
		if proto.Equal(got.GetSweep().GetSpec(), spec) && !got.GetSweep().GetCancelled() {
			return s.GetSweepId(), got.GetStatus(), true, nil
		}
	}
	sub, err := coord.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: spec})
	if err != nil {
		return "", nil, false, usage(err)
	}
	got, err := coord.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: sub.GetSweepId()})
	if err != nil {
		return "", nil, false, err
	}
	return sub.GetSweepId(), got.GetStatus(), false, nil
}

// train runs local worker slots until the sweep has nothing pending or leased, showing a
// progress bar; on ctx's end (Ctrl-C) the slots checkpoint and give their leases back.
func (f *runFlags) train(ctx, coordCtx context.Context, coord *coordinator.Coordinator, sweepID string, status *critsweepv1.SweepStatus, logger *slog.Logger, stderr io.Writer) error {
	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	w := worker.New(coord, &worker.Options{
		Name:              "local",
		Slots:             f.workers,
		Threads:           f.threads,
		HeartbeatInterval: 2 * time.Second,
		Logger:            logger,
	})
	done := make(chan error, 1)
	go func() { done <- w.Run(workCtx) }()

	total := int(status.GetTotal())
	already := int(status.GetDone() + status.GetFailed() + status.GetCancelled())
	// The bar counts what this run trains, so that its rate and ETA are this run's.
	bar := progressbar.NewOptions(total-already,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("training"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionFullWidth(),
		progressbar.OptionSetVisibility(!f.quiet),
	)

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	finished := already
	for {
		select {
		case <-ctx.Done():
			stopWork()
			<-done
			fmt.Fprintln(stderr)
			got, err := coord.GetSweep(coordCtx, &critsweepv1.GetSweepRequest{SweepId: sweepID})
			if err == nil {
				status = got.GetStatus()
			}
			return fmt.Errorf("interrupted: %d of %d tasks done, the tasks in flight checkpointed; run the same command again to resume", status.GetDone(), status.GetTotal())
		case err := <-done:
			return fmt.Errorf("local worker stopped: %w", err)
		case <-tick.C:
		}
		got, err := coord.GetSweep(coordCtx, &critsweepv1.GetSweepRequest{SweepId: sweepID})
		if err != nil {
			return err
		}
		s := got.GetStatus()
		if n := int(s.GetDone() + s.GetFailed() + s.GetCancelled()); n != finished {
			finished = n
			_ = bar.Set(n - already)
			if desc := f.liveEstimate(coordCtx, coord, sweepID); desc != "" {
				bar.Describe(desc)
			}
		}
		if s.GetPending()+s.GetLeased() == 0 {
			stopWork()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			_ = bar.Finish()
			fmt.Fprintln(stderr)
			if s.GetFailed() > 0 {
				fmt.Fprintf(stderr, "warning: %d tasks failed; `critsweep status %s --db %s` shows why\n", s.GetFailed(), sweepID, f.db)
			}
			return nil
		}
	}
}

// liveEstimate is the progress bar's description: β_c from the results so far, once the
// σ_L curves cross (for several slices, how many have one).
func (f *runFlags) liveEstimate(ctx context.Context, coord *coordinator.Coordinator, sweepID string) string {
	results, err := coordinator.AllResults(ctx, coord, sweepID)
	if err != nil || len(results) == 0 {
		return ""
	}
	sw, err := analyzeResults(results)
	if err != nil {
		return "training"
	}
	ok := 0
	for _, a := range sw.Slices {
		if a.OK() {
			ok++
		}
	}
	switch {
	case len(sw.Slices) == 1 && ok == 1:
		return fmt.Sprintf("β_c ≈ %.4f ± %.4f", sw.Slices[0].BetaC, sw.Slices[0].BetaCError)
	case len(sw.Slices) > 1:
		return fmt.Sprintf("β_c in %d of %d slices", ok, len(sw.Slices))
	}
	return "training"
}

// report analyses the finished sweep: the table (or --json) on stdout, with the phase
// boundary of a sweep of several slices; the results CSV, the phase boundary CSV and the
// plots (a folder per slice, the phase diagram) in --out.
func (f *runFlags) report(cmd *cobra.Command, ctx context.Context, coord *coordinator.Coordinator, sweepID string) error {
	results, err := coordinator.AllResults(ctx, coord, sweepID)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return err
	}
	csvPath := filepath.Join(f.out, "results.csv")
	records := make([]resultRecord, len(results))
	for i, r := range results {
		records[i] = newResultRecord(r)
	}
	if err := writeFileAtomic(csvPath, func(w io.Writer) error { return writeResultsCSV(w, records) }); err != nil {
		return err
	}
	sw, err := analyzeResults(results)
	if err != nil {
		return fmt.Errorf("analysing sweep %s: %w (the results are in %s)", sweepID, err, csvPath)
	}
	boundaryPath, err := writeBoundaryCSV(f.out, sw)
	if err != nil {
		return err
	}
	plots, err := analysis.WriteSweepPlots(f.out, sw)
	if err != nil {
		return err
	}
	if f.json {
		return writeAnalysisJSON(cmd.OutOrStdout(), sweepID, sw, append([]string{csvPath, boundaryPath}, plots...))
	}
	out := cmd.OutOrStdout()
	writeAnalysisTable(out, sw)
	fmt.Fprintf(out, "\nresults:        %s\nphase boundary: %s\nplots:          %s (%d files)\n", csvPath, boundaryPath, f.out, len(plots))
	if diagram := filepath.Join(f.out, analysis.FigurePhaseDiagram+".png"); slices.Contains(plots, diagram) {
		fmt.Fprintf(out, "phase diagram:  %s\n", diagram)
	}
	return nil
}

// writeFileAtomic writes path through fill: into a temporary file beside it, renamed into
// place once complete, so that an interrupted write never leaves half a file.
func writeFileAtomic(path string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := fill(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// slotsAndThreads chooses how a machine of cores trains open tasks: one slot per core
// while there are tasks for them (a task on one core is the most efficient use of it),
// and the cores left over shared as threads among the slots, so that a sweep with fewer
// tasks than cores still uses them all. A value the user gave (> 0) wins.
func slotsAndThreads(slots, threads, cores, open int) (int, int) {
	if slots <= 0 {
		slots = max(1, min(cores, open))
	}
	if threads <= 0 {
		threads = max(1, cores/slots)
	}
	return slots, threads
}
