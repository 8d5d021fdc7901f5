package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// newRootCmd builds the whole command tree. Tests build it afresh for every case.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "critsweep",
		Short: "Phase diagrams from neural-network transfer matrices",
		Long: `critsweep learns the stationary distribution of a 2D lattice model's row-to-row
transfer matrix with an autoregressive network, runs sweeps of that training over a grid of
(β, L, τ) on a cluster, stores every result and checkpoint, and locates the critical point.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Runnable so that an unknown command is a usage error rather than help and exit 0.
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErrorf("%v", err)
	})
	root.AddCommand(
		newRunCmd(),
		newAnalyzeCmd(),
		newVersionCmd(),
		newExactCmd(),
		newTrainCmd(),
		newCoordinatorCmd(),
		newWorkerCmd(),
		newSubmitCmd(),
		newStatusCmd(),
		newResultsCmd(),
		newCancelCmd(),
		newDBCmd(),
		newSpecCmd(),
	)
	markArgErrorsAsUsage(root)
	return root
}

// markArgErrorsAsUsage makes a failed positional-argument check of cmd or any command
// below it a usage error, so that `critsweep version extra` exits with code 2 like a bad
// flag does. A command without subcommands or a check of its own gets cobra.NoArgs.
func markArgErrorsAsUsage(cmd *cobra.Command) {
	check := cmd.Args
	if check == nil {
		if cmd.HasSubCommands() {
			check = func(c *cobra.Command, args []string) error {
				if len(args) > 0 {
					return fmt.Errorf("unknown command %q for %q", args[0], c.CommandPath())
				}
				return nil
			}
		} else {
			check = cobra.NoArgs
		}
	}
	cmd.Args = func(c *cobra.Command, args []string) error { return usage(check(c, args)) }
	for _, sub := range cmd.Commands() {
		markArgErrorsAsUsage(sub)
	}
}

// run executes the command line args and returns the process exit code: 0 on success, 2 for
// bad input (a usage error), 1 for any other failure.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "critsweep:", err)
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// usageError marks bad input from the user: a flag or argument out of its allowed range.
// The CLI exits with code 2 on it.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usageErrorf formats a usage error; %w wraps as in fmt.Errorf.
func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// usage marks err, if not nil, as a usage error.
func usage(err error) error {
	if err == nil {
		return nil
	}
	return &usageError{err: err}
}
