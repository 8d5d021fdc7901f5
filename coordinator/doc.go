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
// With Options.Metrics (a prometheus.Registerer) the coordinator exports its series, the
// Metric… constants: tasks by state per sweep (read from the store at each scrape),
// leases granted, expired and released, the latency of LeaseTask, checkpoints,
// completions and failures. Without it the coordinator records nothing.
//
// # Example
//
// A coordinator in-process, with a worker loop reduced to its calls:
//
//	db, err := store.Open("critsweep.db", nil)
//	if err != nil {
//		return err
//	}
//	defer db.Close()
//	c, err := coordinator.New(db, nil, nil) // system clock, default options
//	if err != nil {
//		return err
//	}
//	defer c.Close()
//
//	spec, err := spec.Parse(yamlBytes) // a *spec.Error names the bad field
//	if err != nil {
//		return err
//	}
//	sub, err := c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: spec})
//
//	// A worker (here in-process; coordinator.Dial gives the same API over gRPC):
//	var api coordinator.Leases = c
//	lease, err := api.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "node7/0"})
//	if !lease.GetLeased() {
//		time.Sleep(lease.GetRetryAfter().AsDuration()) // nothing pending
//	}
//	// ... train lease.GetSpec(), resuming from lease.GetCheckpoint() if set, calling
//	// Heartbeat (stop when it says cancelled) and UploadCheckpoint now and then ...
//	_, err = api.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{
//		Ref: lease.GetRef(), Epoch: lease.GetEpoch(), Result: result,
//	})
//	if errors.Is(err, coordinator.ErrStaleEpoch) {
//		// The lease was lost (expired, taken over): drop the task.
//	}
//
// Serving it over the network:
//
//	srv := coordinator.NewServer(c, &coordinator.ServerOptions{Token: token})
//	lis, err := net.Listen("tcp", ":7878")
//	...
//	err = srv.Serve(ctx, lis) // until ctx is done, then a graceful shutdown
//
// and from a worker or the CLI elsewhere:
//
//	cl, err := coordinator.Dial("coordinator:7878", &coordinator.DialOptions{Token: token})
//	...
//	err = cl.WatchSweep(ctx, &critsweepv1.WatchSweepRequest{SweepId: id}, func(st *critsweepv1.SweepStatus) error {
//		fmt.Printf("%d/%d done\n", st.GetDone(), st.GetTotal())
//		return nil
//	})
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
