package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// cancelFlags are the flags of `critsweep cancel`.
type cancelFlags struct {
	clientFlags
	json bool
}

func newCancelCmd() *cobra.Command {
	var f cancelFlags
	cmd := &cobra.Command{
		Use:   "cancel SWEEP",
		Short: "Cancel a sweep: its pending and leased tasks stop, its results stay",
		Long: `cancel cancels every pending and leased task of a sweep and deletes their checkpoints;
workers training one stop at their next heartbeat. Tasks already done keep their results.
Cancelling a cancelled sweep changes nothing. It prints the sweep's status afterwards
(--json: as ` + "`critsweep status SWEEP --json`" + `).

With --db instead of --coordinator it cancels in the database of a coordinator that is
not running.`,
		Example: `  critsweep cancel ising-critical-1 --coordinator coordinator:7878 --token-file token`,
		Args:    cobra.ExactArgs(1),
		RunE:    func(cmd *cobra.Command, args []string) error { return f.run(cmd, args[0]) },
	}
	f.clientFlags.register(cmd.Flags())
	cmd.Flags().BoolVar(&f.json, "json", false, "print the sweep's status as one JSON object on stdout")
	return cmd
}

func (f *cancelFlags) run(cmd *cobra.Command, sweepID string) error {
	return f.withConnection(cmd, true, func(ctx context.Context, api coordinator.API) error {
		resp, err := api.CancelSweep(ctx, &critsweepv1.CancelSweepRequest{SweepId: sweepID})
		if err != nil {
			return err
		}
		st := newSweepStatus(resp.GetStatus(), true)
		if f.json {
			return json.NewEncoder(cmd.OutOrStdout()).Encode(st)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "cancelled sweep %s: %d tasks cancelled, %d done, %d failed of %d\n",
			sweepID, st.Cancelled, st.Done, st.Failed, st.Total)
		return nil
	})
}
