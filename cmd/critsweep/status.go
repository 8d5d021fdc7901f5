package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// statusFlags are the flags of `critsweep status`.
type statusFlags struct {
	clientFlags
	json bool
}

func newStatusCmd() *cobra.Command {
	var f statusFlags
	cmd := &cobra.Command{
		Use:   "status [SWEEP]",
		Short: "Show how far a sweep (or every sweep) has got",
		Long: `status counts a sweep's tasks by state (pending, leased, done, failed, cancelled) and
shows the recent completion rate and the time left at that rate. Without SWEEP it lists
every sweep.

--json prints one JSON object: for one sweep {"sweep_id", "name", "state", "total",
"pending", "leased", "done", "failed", "cancelled", "done_per_second", "eta_seconds"}
("state" is running, finished or cancelled; "eta_seconds" is null when the rate is not
known), and without SWEEP {"sweeps": [...]} of those. Offline (--db) the rate is unknown.`,
		Example: `  critsweep status ising-critical-1 --coordinator coordinator:7878 --token-file token
  critsweep status --db sweeps.db --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd, args) },
	}
	f.clientFlags.register(cmd.Flags())
	cmd.Flags().BoolVar(&f.json, "json", false, "print one JSON object on stdout")
	return cmd
}

// sweepStatus is a sweep's line of `critsweep status --json`.
type sweepStatus struct {
	SweepID       string   `json:"sweep_id"`
	Name          string   `json:"name"`
	State         string   `json:"state"`
	Total         uint32   `json:"total"`
	Pending       uint32   `json:"pending"`
	Leased        uint32   `json:"leased"`
	Done          uint32   `json:"done"`
	Failed        uint32   `json:"failed"`
	Cancelled     uint32   `json:"cancelled"`
	DonePerSecond float64  `json:"done_per_second"`
	ETASeconds    *float64 `json:"eta_seconds"`
}

// newSweepStatus turns a coordinator's status into the command's, with the ETA at the
// recent rate.
func newSweepStatus(st *critsweepv1.SweepStatus, cancelled bool) sweepStatus {
	s := sweepStatus{
		SweepID:       st.GetSweepId(),
		Name:          st.GetName(),
		State:         "running",
		Total:         st.GetTotal(),
		Pending:       st.GetPending(),
		Leased:        st.GetLeased(),
		Done:          st.GetDone(),
		Failed:        st.GetFailed(),
		Cancelled:     st.GetCancelled(),
		DonePerSecond: st.GetDonePerSecond(),
	}
	s.State = coordinator.SweepState(st, cancelled)
	if eta, ok := coordinator.ETA(st); ok {
		s.ETASeconds = &eta
	}
	return s
}

func (f *statusFlags) run(cmd *cobra.Command, args []string) error {
	return f.withConnection(cmd, false, func(ctx context.Context, api coordinator.API) error {
		out := cmd.OutOrStdout()
		if len(args) == 1 {
			resp, err := api.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: args[0]})
			if err != nil {
				return err
			}
			st := newSweepStatus(resp.GetStatus(), resp.GetSweep().GetCancelled())
			if f.json {
				return json.NewEncoder(out).Encode(st)
			}
			return writeStatusTable(out, []sweepStatus{st})
		}
		resp, err := api.ListSweeps(ctx, &critsweepv1.ListSweepsRequest{})
		if err != nil {
			return err
		}
		all := make([]sweepStatus, 0, len(resp.GetSweeps()))
		for _, st := range resp.GetSweeps() {
			all = append(all, newSweepStatus(st, false))
		}
		if f.json {
			return json.NewEncoder(out).Encode(struct {
				Sweeps []sweepStatus `json:"sweeps"`
			}{all})
		}
		if len(all) == 0 {
			fmt.Fprintln(out, "no sweeps")
			return nil
		}
		return writeStatusTable(out, all)
	})
}

func writeStatusTable(out io.Writer, sweeps []sweepStatus) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SWEEP\tSTATE\tTOTAL\tPENDING\tLEASED\tDONE\tFAILED\tCANCELLED\tRATE\tETA\t")
	for _, s := range sweeps {
		rate, eta := "-", "-"
		if s.DonePerSecond > 0 {
			rate = fmt.Sprintf("%.3g/s", s.DonePerSecond)
		}
		if s.ETASeconds != nil {
			eta = (time.Duration(*s.ETASeconds * float64(time.Second))).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n",
			s.SweepID, s.State, s.Total, s.Pending, s.Leased, s.Done, s.Failed, s.Cancelled, rate, eta)
	}
	return tw.Flush()
}
