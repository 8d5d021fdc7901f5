// Package coordinator runs phase-diagram sweeps: it turns a sweep spec into tasks (one
// per grid point), hands them to workers under leases, and records their results and
// checkpoints in a store, so that a sweep survives the death of any worker and of the
// coordinator itself.
//
// What a spec means — its schema, defaults, rules and the expansion of its grid into
// tasks — is package spec's; the coordinator validates and expands with it. It has two
// layers:
//
//   - The lease state machine, pure: pending → leased → done | failed | cancelled, and
//     leased → pending when a lease expires or is given back. Each lease has an epoch
//     (fencing token) and every worker call names task and epoch; a stale epoch is
//     refused with ErrStaleEpoch. Time comes from an injected Clock. Coordinator applies
//     one transition per write transaction of the store; the scenarios in
//     testdata/scripts drive it with a fake clock.
//   - Transport: Server serves a Coordinator over gRPC (bearer token, health, panic
//     recovery, errors as status codes) and Client calls one remotely. Both
//     *Coordinator and *Client implement API (Sweeps for clients, Leases for workers),
//     with the same errors, so a worker or the CLI runs against either.
//
// SearchResults searches the finished tasks of any sweeps with a filter and an order of
// package query ("model = 'potts' and size >= 16 and beta near 1.005"), reading a task's
// result only when the filter needs it.
//
// Besides leases, it keeps for views what it learns as it goes: each task's training
// curve in the store (GetTask; heartbeats append to it), the workers that called since it
// started (ListWorkers: slots, leases held, last heartbeat, throughput; in memory only),
// and a change feed (Changed) that says which sweeps changed since a generation, so that
// a dashboard fetches again only what moved.
//
// With Options.Metrics (a prometheus.Registerer) the coordinator exports its series, the
// Metric… constants: tasks by state per sweep (read from the store at each scrape),
// leases granted, expired and released, the latency of LeaseTask, checkpoints,
// completions and failures. Without it the coordinator records nothing.
//
// Example (in example_test.go) runs a coordinator in-process over a store, submits a
// sweep and plays a worker through its leases. Server serves the same Coordinator over
// gRPC (NewServer, Serve), and Dial returns the Client that workers and the CLI use
// elsewhere.
//
// # Caveats
//
// Leases and completions are on disk before they are acknowledged, and concurrent ones
// share commits (the store's Batch), so a lone call waits up to the store's
// MaxBatchDelay.
//
// A heartbeat or checkpoint at or after the lease's expiry time is refused even if the
// expiry has not been processed yet; a completion in that window is accepted, since
// nothing else holds the task.
//
// A failed task keeps its checkpoint; done and cancelled tasks lose theirs.
//
// The coordinator owns its file: one coordinator per store, and the store's lock makes a
// second one fail with store.ErrLocked.
package coordinator
