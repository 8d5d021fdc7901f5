// Command critsweep trains autoregressive networks on the transfer matrices of 2D lattice
// models and runs phase-diagram sweeps of that training on a cluster. Run
// `critsweep --help` for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
