// Package chaos holds critsweep's fault-injection tests. They build the critsweep binary
// and run a sweep of about 200 quick tasks with real coordinator and worker processes
// while a driver kills the coordinator (SIGKILL, restarted on the same file and port) and
// the workers (SIGKILL, restarted) at random moments and cuts one worker, in a network
// namespace of its own, off the network and back. At the end every task must have
// exactly one result, bit-identical (apart from seconds) to an uninterrupted in-process
// run of its spec, and the database must pass store.CheckFile. A second test fills the
// disk under the database and checks that the coordinator refuses calls with errors,
// corrupts nothing and carries on once there is space again.
//
// The tests are slow and need root for the network namespace and the tmpfs, so they run
// only when asked:
//
//	go test -v ./internal/chaos -chaos=short      # CI: about 1-3 minutes
//	go test -v ./internal/chaos -chaos=full       # locally: at most 15 minutes
//	CRITSWEEP_CHAOS=short go test ./...           # the same through the environment
//	CRITSWEEP_CHAOS_NETNS=off …                   # without the network namespace
//
// Each run prints its seed; -chaos.seed=N replays the same schedule of faults (the
// moments are tied to the sweep's progress, so a replay is close, not exact). The
// package has no code of its own.
package chaos
