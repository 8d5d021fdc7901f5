package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
)

// submitFlags are the flags of `critsweep submit`.
type submitFlags struct {
	clientFlags
	json bool
}

func newSubmitCmd() *cobra.Command {
	var f submitFlags
	cmd := &cobra.Command{
		Use:   "submit SPEC",
		Short: "Submit a sweep spec (YAML) to a coordinator and print the sweep's id",
		Long: `submit reads a sweep spec (YAML; "-" reads stdin), checks it, and submits it: the
coordinator expands the grid into tasks, one per (β, L, τ, boundary), and workers start
leasing them. The sweep's id goes to stdout (with --json: {"sweep_id", "tasks"}).

Only name, model, grid.beta and grid.size are required; every other field takes its
default (` + "`critsweep spec init`" + ` prints them all, ` + "`critsweep spec check SPEC`" + ` shows
what a spec expands to and costs). A spec that breaks a rule is refused with the field
and the rule (exit code 2):

  name: ising-critical
  model: {kind: ising}            # ising | potts {q} | clock {q} | ashkin-teller {four_spin} | custom {bond_weight}
  boundary: [periodic, twisted]   # twisted doubles the tasks, for σ_L
  grid:
    beta: {from: 0.40, to: 0.48, step: 0.005}   # or a list
    size: [6, 8, 10, 12, 16]
    tau: [1.0]
  network: {hidden: [32, 32]}
  training: {objective: default, steps: 4000, batch: 256, learning_rate: 1e-3, seed: 1}

With --db instead of --coordinator the sweep is written to the database of a
coordinator that is not running; it starts on the sweep when it is started on the file.`,
		Example: `  critsweep submit ising.yaml --coordinator coordinator:7878 --token-file token
  id=$(critsweep submit ising.yaml --coordinator coordinator:7878 --token-file token)`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd, args[0]) },
	}
	f.clientFlags.register(cmd.Flags())
	cmd.Flags().BoolVar(&f.json, "json", false, `print one JSON object on stdout: {"sweep_id", "tasks"}`)
	return cmd
}

// submitResult is the --json output of `critsweep submit`.
type submitResult struct {
	SweepID string `json:"sweep_id"`
	Tasks   uint32 `json:"tasks"`
}

func (f *submitFlags) run(cmd *cobra.Command, path string) error {
	data, err := readSpec(cmd.InOrStdin(), path)
	if err != nil {
		return err
	}
	sweep, err := spec.Parse(data)
	if err != nil {
		return usageErrorf("%s: %w", path, err)
	}
	return f.withConnection(cmd, true, func(ctx context.Context, api coordinator.API) error {
		resp, err := api.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: sweep})
		if err != nil {
			return err
		}
		if f.json {
			return json.NewEncoder(cmd.OutOrStdout()).Encode(submitResult{SweepID: resp.GetSweepId(), Tasks: resp.GetTasks()})
		}
		fmt.Fprintln(cmd.OutOrStdout(), resp.GetSweepId())
		fmt.Fprintf(cmd.ErrOrStderr(), "submitted sweep %s: %d tasks\n", resp.GetSweepId(), resp.GetTasks())
		return nil
	})
}

// readSpec reads a spec file, or stdin for "-".
func readSpec(stdin io.Reader, path string) ([]byte, error) {
	if path == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read spec from stdin: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, usageErrorf("spec %s: no such file", path)
	}
	if err != nil {
		return nil, usageErrorf("spec: %w", err)
	}
	return data, nil
}
