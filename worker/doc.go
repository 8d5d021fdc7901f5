// Package worker trains the tasks of phase-diagram sweeps: it leases a task from a
// coordinator, trains the task's network with heartbeats and checkpoints, and reports the
// result.
//
// A Worker (New, Run) runs Options.Slots training loops against a coordinator.Leases: an
// in-process *coordinator.Coordinator or a *coordinator.Client over gRPC alike. Each slot
//
//   - leases a task, waiting the coordinator's retry_after (with jitter) when none is
//     pending and backing off when the coordinator cannot be reached;
//   - turns its spec into an attempt at training it (task.NewAttempt: the system, the
//     trainer's Config with train's defaults for what the spec leaves out); a spec that
//     cannot be trained is failed with the reason, so it uses up its attempts rather
//     than circling for ever;
//   - resumes from the lease's checkpoint if it has one (a checkpoint that does not fit is
//     reported and training starts from scratch);
//   - trains step by step, sending a heartbeat with the progress (step, loss, a running
//     ln λ estimate, seconds) every Options.HeartbeatInterval and uploading a checkpoint
//     every Options.CheckpointEvery steps or Options.CheckpointInterval, whichever comes
//     first;
//   - stops within one heartbeat when the coordinator says the sweep was cancelled or the
//     lease is no longer this worker's (coordinator.ErrStaleEpoch), reporting nothing;
//   - estimates ln λ and the observables, compares with the exact solution where
//     q^L ≤ train.ExactStateLimit, and completes the task with the Result
//     (task.Attempt.Result, the flow `critsweep train` runs too).
//
// When Run's context is done (SIGTERM), each slot uploads a last checkpoint, gives its
// lease back (FailTask with release, which costs the task no attempt) and Run returns. A
// panic in training fails that task with the panic's message; the process goes on.
//
// With Options.Metrics (a prometheus.Registerer) Run exports the worker's series, the
// Metric… constants: steps/s per slot, steps, busy slots, tasks completed and failed,
// checkpoints uploaded. Without it the worker records nothing.
//
// task.Train runs the same training in-process for one task spec, without a
// coordinator: it is the reference that a sweep's results can be checked against.
//
// # Reproducibility
//
// A task's result depends only on its spec (whose seed the coordinator derives from the
// sweep's seed and the grid point) and Options.EstimateSamples: a task resumed from a
// checkpoint, on this worker or another, ends with the same Result, bit for bit, as one
// run straight through, apart from seconds (the time of the last attempt). Training is
// always stopped by its number of steps, never by time, and final_loss averages the last
// min(task.FinalLossWindow, ⌈steps/10⌉) steps, inside which no checkpoint is taken.
//
// Example (in example_test.go) runs a coordinator and a worker in one process; against
// a remote coordinator the worker takes a *coordinator.Client (coordinator.Dial) instead.
//
// # Caveats
//
// The estimate after training cannot be interrupted; heartbeats go on meanwhile, and a
// worker stopped during it reports the result before it exits. A worker stopped inside
// the final-loss window takes no checkpoint, so at most task.FinalLossWindow steps are
// redone.
//
// Result.seconds is the wall time of the attempt that completed the task, training and
// estimate, not of the earlier attempts it resumed from.
package worker
