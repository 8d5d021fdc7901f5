package main

import (
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/critsweep/critsweep/worker"
)

// workerFlags are the flags of `critsweep worker`.
type workerFlags struct {
	authFlags
	logFlags
	metricsFlags
	coordinator        string
	slots              int
	name               string
	heartbeat          time.Duration
	checkpointEvery    int
	checkpointInterval time.Duration
	estimateSamples    int
	estimateDraws      int
	threads            int
	shutdownTimeout    time.Duration
}

func newWorkerCmd() *cobra.Command {
	var f workerFlags
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Lease tasks from a coordinator and train them",
		Long: `worker leases tasks from the coordinator at --coordinator and trains them, --slots at a
time. Each task sends a heartbeat with its progress every --heartbeat (at most a third of
the coordinator's lease duration) and uploads a checkpoint every --checkpoint-every steps
or --checkpoint-interval, whichever comes first; a task leased again resumes from its last
checkpoint and ends with the same result, bit for bit, as one run straight through.

The worker reconnects by itself when the coordinator restarts. SIGINT or SIGTERM stops
it: each slot uploads a last checkpoint and gives its lease back, so its task is leased
again at once rather than when the lease runs out. A worker whose token the coordinator
refuses exits with code 1.

With --metrics-listen it serves Prometheus metrics at /metrics on that address: training
steps/s per slot, steps, busy slots, tasks completed and failed, checkpoints uploaded,
and the Go runtime's.`,
		Example: `  critsweep worker --coordinator coordinator:7878 --token-file token
  critsweep worker --coordinator coordinator:7878 --token-file token --tls-ca ca.pem --slots 16 --log-format json
  critsweep worker --coordinator coordinator:7878 --token-file token --metrics-listen :9091`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.coordinator, "coordinator", "", "the coordinator's HOST:PORT (required)")
	fl.IntVar(&f.slots, "slots", runtime.NumCPU(), "tasks trained at once, >= 1")
	fl.StringVar(&f.name, "name", "", "name the worker leases under (default HOSTNAME:PID)")
	fl.DurationVar(&f.heartbeat, "heartbeat", worker.DefaultHeartbeatInterval, "time between two heartbeats of a task")
	fl.IntVar(&f.checkpointEvery, "checkpoint-every", worker.DefaultCheckpointEvery, "upload a checkpoint every N training steps (0: not by steps)")
	fl.DurationVar(&f.checkpointInterval, "checkpoint-interval", worker.DefaultCheckpointInterval, "upload a checkpoint when this long has passed since the last (0: not by time)")
	fl.IntVar(&f.estimateSamples, "estimate-samples", 0, "samples behind each task's final estimates (default: the trainer's, 65536); every worker of a sweep must agree")
	fl.IntVar(&f.estimateDraws, "estimate-draws", 0, "row proposals behind each task's ln λ estimate when its spec does not say (default: the trainer's, which depends on L); every worker of a sweep must agree")
	fl.IntVar(&f.threads, "threads", 0, "goroutines each slot's task may use, >= 0 (default 0: cores/slots, at least 1); results do not depend on it")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", worker.DefaultShutdownTimeout, "how long the last checkpoint and giving leases back may take at shutdown")
	f.authFlags.register(fl)
	f.logFlags.register(fl)
	f.metricsFlags.register(fl)
	return cmd
}

func (f *workerFlags) run(cmd *cobra.Command) error {
	log, err := f.logger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	switch {
	case f.slots < 1:
		return usageErrorf("--slots must be >= 1, got %d", f.slots)
	case f.heartbeat <= 0:
		return usageErrorf("--heartbeat must be > 0, got %v", f.heartbeat)
	case f.checkpointEvery < 0:
		return usageErrorf("--checkpoint-every must be >= 0, got %d", f.checkpointEvery)
	case f.checkpointInterval < 0:
		return usageErrorf("--checkpoint-interval must be >= 0, got %v", f.checkpointInterval)
	case f.estimateSamples != 0 && f.estimateSamples < 2:
		return usageErrorf("--estimate-samples must be >= 2, got %d", f.estimateSamples)
	case f.estimateDraws < 0:
		return usageErrorf("--estimate-draws must be >= 0 (0: the trainer's default), got %d", f.estimateDraws)
	case f.threads < 0:
		return usageErrorf("--threads must be >= 0 (0: cores/slots), got %d", f.threads)
	case f.shutdownTimeout <= 0:
		return usageErrorf("--shutdown-timeout must be > 0, got %v", f.shutdownTimeout)
	}
	cl, err := f.dial(f.coordinator)
	if err != nil {
		return err
	}
	defer cl.Close()
	reg, stopMetrics, err := f.serveMetrics(cmd.Context(), log)
	if err != nil {
		return err
	}
	defer stopMetrics()
	// In Options a negative value turns a checkpoint trigger off; on the command line, 0.
	every, interval := f.checkpointEvery, f.checkpointInterval
	if every == 0 {
		every = -1
	}
	if interval == 0 {
		interval = -1
	}
	w := worker.New(cl, &worker.Options{
		Name:               f.name,
		Slots:              f.slots,
		HeartbeatInterval:  f.heartbeat,
		CheckpointEvery:    every,
		CheckpointInterval: interval,
		EstimateSamples:    f.estimateSamples,
		EstimateDraws:      f.estimateDraws,
		Threads:            f.threads,
		ShutdownTimeout:    f.shutdownTimeout,
		Logger:             log.With("coordinator", f.coordinator),
		Metrics:            reg,
	})
	return w.Run(cmd.Context())
}
