package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"runtime/metrics"
	"strings"
	"time"

	"github.com/spf13/cobra"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/store"
)

func newDBCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Inspect a critsweep database file",
		Long: `db holds the commands that work on a coordinator's database file (bbolt) directly,
without a coordinator. The file must not be in use: a running coordinator holds it locked.`,
		// Runnable so that an unknown subcommand is a usage error rather than help and exit 0.
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newDBCheckCmd())
	return cmd
}

// dbCheckFlags are the flags of `critsweep db check`.
type dbCheckFlags struct {
	json bool
}

func newDBCheckCmd() *cobra.Command {
	var f dbCheckFlags
	cmd := &cobra.Command{
		Use:   "check FILE",
		Short: "Verify a database file: bbolt's structure and critsweep's invariants",
		Long: `check opens the database FILE read-only and verifies it: bbolt's own structure (pages,
freelist, key order), the schema version, that every record decodes, and the invariants
that tie sweeps, tasks, results and checkpoints together (state counts, one result per
done task, a checkpoint only where a task records one, ...).

It exits with 0 when the file is sound, 1 when it is not, listing every problem found
(or why the file cannot be read: in use by a running coordinator, written by a newer
critsweep, not a critsweep database, damaged), and 2 for a usage error.

--json prints one JSON object: {"file", "sound", "problems", "sweeps", "tasks",
"pending", "leased", "done", "failed", "cancelled"} (the counts are those the file
records, present when it could be read).`,
		Example: `  critsweep db check sweeps.db
  critsweep db check sweeps.db --json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("db check takes one argument, the database FILE (a coordinator's --db), got %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd.OutOrStdout(), args[0]) },
	}
	cmd.Flags().BoolVar(&f.json, "json", false, "print one JSON object on stdout")
	return cmd
}

// dbReport is what `critsweep db check` found; its --json output.
type dbReport struct {
	File     string   `json:"file"`
	Sound    bool     `json:"sound"`
	Problems []string `json:"problems"`
	// SchemaVersion is the file's layout version; an older one than this critsweep
	// writes is sound, and a coordinator that opens the file migrates it.
	SchemaVersion *uint64 `json:"schema_version,omitempty"`
	// Counts, as the file records them; nil when it could not be read.
	Sweeps    *int    `json:"sweeps,omitempty"`
	Tasks     *uint32 `json:"tasks,omitempty"`
	Pending   *uint32 `json:"pending,omitempty"`
	Leased    *uint32 `json:"leased,omitempty"`
	Done      *uint32 `json:"done,omitempty"`
	Failed    *uint32 `json:"failed,omitempty"`
	Cancelled *uint32 `json:"cancelled,omitempty"`
	// ProgressHistories counts the tasks with a stored training curve.
	ProgressHistories *int `json:"progress_histories,omitempty"`
}

// dbLockTimeout is how long db check waits for the file's lock: a coordinator holds it
// for as long as it runs, so waiting longer would not help.
const dbLockTimeout = 200 * time.Millisecond

func (f *dbCheckFlags) run(out io.Writer, path string) error {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usageErrorf("db check: %s: no such file (give the coordinator's --db FILE)", path)
	case err != nil:
		return usageErrorf("db check: %w", err)
	case info.IsDir():
		return usageErrorf("db check: %s is a directory, not a database file", path)
	}
	var report *dbReport
	if info.Size() == 0 {
		// bbolt would try to write a new database into it and fail obscurely.
		report = &dbReport{File: path, Problems: []string{path + " is empty: not a critsweep database (a coordinator's --db file is never empty)"}}
	} else {
		report = checkInChild(path)
	}
	if f.json {
		if err := json.NewEncoder(out).Encode(report); err != nil {
			return err
		}
	} else {
		writeDBReport(out, report)
	}
	if !report.Sound {
		return fmt.Errorf("database %s is not sound: %d problem(s)", path, len(report.Problems))
	}
	return nil
}

// dbCheckChildEnv makes a process the child of `critsweep db check` that does the
// checking: it checks the file the variable names, prints the report as JSON on stdout
// and exits (see checkInChild).
const dbCheckChildEnv = "CRITSWEEP_DB_CHECK_FILE"

func init() {
	if path, ok := os.LookupEnv(dbCheckChildEnv); ok {
		limit := uint64(dbCheckMaxHeap)
		if info, err := os.Stat(path); err == nil {
			limit += uint64(info.Size())
		}
		go watchHeap(limit)
		if err := json.NewEncoder(os.Stdout).Encode(checkDatabase(path)); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// dbCheckMaxHeap bounds the heap of the child that checks a file, on top of the file's
// size: a damaged branch page that points to itself sends bbolt's cursors round for ever,
// growing their stacks until the machine runs out of memory.
const dbCheckMaxHeap = 2 << 30

// watchHeap ends the process, as a crash, once its heap exceeds limit bytes.
func watchHeap(limit uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	for range time.Tick(50 * time.Millisecond) {
		metrics.Read(sample)
		if used := sample[0].Value.Uint64(); used > limit {
			fmt.Fprintf(os.Stderr, "fatal error: out of memory: checking took over %d MiB (a cycle of pages?)\n", used>>20)
			os.Exit(2)
		}
	}
}

// checkInChild checks the file in a child process, this executable run again with
// dbCheckChildEnv. bbolt checks pages in goroutines of its own, where a fault reading a
// damaged page (a key length that points past the file) kills the process and no
// recover can help: the child takes that risk, and its crash is the answer "damaged".
func checkInChild(path string) *dbReport {
	exe, err := os.Executable()
	if err != nil {
		return checkDatabase(path)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), dbCheckChildEnv+"="+path)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	runErr := cmd.Run()
	report := new(dbReport)
	if runErr == nil && json.Unmarshal(out.Bytes(), report) == nil && report.File == path {
		if report.Problems == nil {
			report.Problems = []string{}
		}
		return report
	}
	why := runErr
	for line := range strings.Lines(errOut.String()) {
		if strings.HasPrefix(line, "fatal error:") || strings.HasPrefix(line, "[signal") || strings.HasPrefix(line, "panic:") {
			why = errors.New(strings.TrimSpace(line))
			break
		}
	}
	if why == nil {
		why = errors.New("its report did not decode")
	}
	return &dbReport{File: path, Problems: []string{fmt.Sprintf(
		"the file is damaged: checking it crashed (%v); restore it from a backup", why)}}
}

// checkDatabase opens the file read-only, checks it and counts its tasks. A file that
// cannot be opened or checked is reported with why and what to do about it.
func checkDatabase(path string) *dbReport {
	report := &dbReport{File: path, Problems: []string{}}
	// The store turns what a damaged page does to bbolt into errors; what it cannot catch
	// crashes the child that runs this, and checkInChild reports the crash.
	db, err := store.Open(path, &store.Options{ReadOnly: true, Timeout: dbLockTimeout})
	if err != nil {
		report.Problems = append(report.Problems, explainOpenError(path, err))
		return report
	}
	defer db.Close()
	var ce *store.CheckError
	switch err := db.Check(); {
	case errors.As(err, &ce):
		report.Problems = append(report.Problems, ce.Problems...)
	case err != nil:
		report.Problems = append(report.Problems, err.Error())
	}
	countTasks(db, report)
	version := db.Version()
	report.SchemaVersion = &version
	report.Sound = len(report.Problems) == 0
	return report
}

// explainOpenError says why a database cannot be opened and what to do about it.
func explainOpenError(path string, err error) string {
	switch {
	case errors.Is(err, store.ErrLocked):
		return fmt.Sprintf("%s is in use by a running coordinator (it holds the file locked): stop the coordinator to check the file, "+
			"or ask it with `critsweep status --coordinator HOST:PORT`", path)
	case errors.Is(err, store.ErrSchemaNewer):
		return fmt.Sprintf("%v: check it with the critsweep that wrote it", err)
	case errors.Is(err, store.ErrSchemaUnknown):
		return fmt.Sprintf("%v: not a database that critsweep wrote", err)
	case errors.Is(err, store.ErrDamaged):
		return err.Error() // it says what is wrong and what to do
	}
	return fmt.Sprintf("cannot open %s as a critsweep database (%v): is it a coordinator's --db file? If it is, it is damaged: restore it from a backup", path, err)
}

// countTasks adds the sweep and task counts the file records to the report. A record
// that does not decode is left out of the counts; Check has reported it.
func countTasks(db *store.DB, report *dbReport) {
	var sweeps, histories int
	var total critsweepv1.SweepStatus
	_ = db.View(func(tx *store.Tx) error {
		return tx.ForEachSweep(func(s *critsweepv1.Sweep) error {
			sweeps++
			_ = tx.ForEachTask(s.GetId(), 0, func(t *critsweepv1.Task) error {
				if h, err := tx.ProgressHistory(t.GetRef()); err == nil && len(h.GetPoints()) > 0 {
					histories++
				}
				return nil
			})
			c, err := tx.Counts(s.GetId())
			if err != nil {
				return nil
			}
			total.Total += c.GetTotal()
			total.Pending += c.GetPending()
			total.Leased += c.GetLeased()
			total.Done += c.GetDone()
			total.Failed += c.GetFailed()
			total.Cancelled += c.GetCancelled()
			return nil
		})
	})
	report.Sweeps, report.ProgressHistories = &sweeps, &histories
	report.Tasks, report.Pending, report.Leased = &total.Total, &total.Pending, &total.Leased
	report.Done, report.Failed, report.Cancelled = &total.Done, &total.Failed, &total.Cancelled
}

// writeDBReport prints the report for a person.
func writeDBReport(out io.Writer, r *dbReport) {
	if r.Sound {
		fmt.Fprintf(out, "%s: sound\n", r.File)
	} else {
		fmt.Fprintf(out, "%s: NOT sound, %d problem(s):\n", r.File, len(r.Problems))
		for _, p := range r.Problems {
			fmt.Fprintf(out, "  - %s\n", p)
		}
	}
	if r.Sweeps != nil {
		fmt.Fprintf(out, "%d sweep(s), %d task(s): %d pending, %d leased, %d done, %d failed, %d cancelled\n",
			*r.Sweeps, *r.Tasks, *r.Pending, *r.Leased, *r.Done, *r.Failed, *r.Cancelled)
	}
	if r.ProgressHistories != nil {
		fmt.Fprintf(out, "%d task(s) with a training curve\n", *r.ProgressHistories)
	}
	if v := r.SchemaVersion; v != nil && *v < store.SchemaVersion {
		fmt.Fprintf(out, "schema version %d: a coordinator (or submit, cancel) that opens it for writing migrates it to %d\n",
			*v, store.SchemaVersion)
	}
}
