// Package store keeps critsweep's sweeps, tasks, results and checkpoints in one bbolt
// file, so that a coordinator restarted on the same file carries on where it stopped.
//
// A DB is opened with Open (nil options: the documented defaults) and read and written
// through a Tx inside View, Update or Batch. Every record is a protobuf message of
// critsweep.v1, encoded deterministically:
//
//   - meta: the schema version (SchemaVersion); Open refuses a newer or unknown one.
//   - sweeps: Sweep by id, and counts: the sweep's SweepStatus (tasks per state), kept by
//     AddTasks and PutTask so that a status costs one read.
//   - tasks: Task by (sweep id, index), keyed so that a sweep's tasks are contiguous and
//     ordered by index.
//   - results: Result by task, written once when the task is done.
//   - checkpoints: the latest Checkpoint by task, replaced by each upload and deleted
//     when the task is done.
//   - progress: the ProgressHistory by task, the training curve its heartbeats reported,
//     at most MaxProgressPoints points (thinned evenly over the run); kept when the task
//     is done (schema version 2; Open migrates a version 1 file it opens for writing).
//
// The store records state; it does not decide it. Which transitions are allowed (leases,
// epochs, attempts) is the coordinator package's business, and each of its state changes
// is one write transaction here. DB.Check verifies bbolt's structure and the invariants
// that tie the buckets together; tests run it after each test.
//
// Example (in example_test.go) opens a file, stores a sweep with its tasks, and counts
// them.
//
// Completions from many goroutines go through Batch, which groups concurrent calls into
// one transaction and one fsync (group commit); each call returns once its change is on
// disk.
//
// # Caveats
//
// A file is locked by the process that opens it for writing: a second Open fails with
// ErrLocked after Options.Timeout. A read-only Open takes a shared lock and so also fails
// while a coordinator runs; ask the coordinator instead.
//
// A function passed to Batch may run more than once and must have no effect outside its
// transaction (see DB.Batch).
//
// Records returned by a Tx are copies; changing them changes nothing until they are put
// back in a write transaction.
package store
