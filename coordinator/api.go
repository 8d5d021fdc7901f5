package coordinator

import (
	"context"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// Sweeps is the coordinator as clients (the CLI's submit, status, results, cancel) see
// it. *Coordinator implements it in-process, *Client over gRPC, with the same errors.
type Sweeps interface {
	SubmitSweep(ctx context.Context, req *critsweepv1.SubmitSweepRequest) (*critsweepv1.SubmitSweepResponse, error)
	GetSweep(ctx context.Context, req *critsweepv1.GetSweepRequest) (*critsweepv1.GetSweepResponse, error)
	ListSweeps(ctx context.Context, req *critsweepv1.ListSweepsRequest) (*critsweepv1.ListSweepsResponse, error)
	WatchSweep(ctx context.Context, req *critsweepv1.WatchSweepRequest, send func(*critsweepv1.SweepStatus) error) error
	QueryResults(ctx context.Context, req *critsweepv1.QueryResultsRequest) (*critsweepv1.QueryResultsResponse, error)
	CancelSweep(ctx context.Context, req *critsweepv1.CancelSweepRequest) (*critsweepv1.CancelSweepResponse, error)
	ExtendSweep(ctx context.Context, req *critsweepv1.ExtendSweepRequest) (*critsweepv1.ExtendSweepResponse, error)
	GetTask(ctx context.Context, req *critsweepv1.GetTaskRequest) (*critsweepv1.GetTaskResponse, error)
	ListTasks(ctx context.Context, req *critsweepv1.ListTasksRequest) (*critsweepv1.ListTasksResponse, error)
	ListWorkers(ctx context.Context, req *critsweepv1.ListWorkersRequest) (*critsweepv1.ListWorkersResponse, error)
	SearchResults(ctx context.Context, req *critsweepv1.SearchResultsRequest) (*critsweepv1.SearchResultsResponse, error)
}

// Leases is the coordinator as workers see it. *Coordinator implements it in-process,
// *Client over gRPC, with the same errors: a worker drops its task on ErrStaleEpoch or
// ErrSweepCancelled.
type Leases interface {
	LeaseTask(ctx context.Context, req *critsweepv1.LeaseTaskRequest) (*critsweepv1.LeaseTaskResponse, error)
	Heartbeat(ctx context.Context, req *critsweepv1.HeartbeatRequest) (*critsweepv1.HeartbeatResponse, error)
	UploadCheckpoint(ctx context.Context, ref *critsweepv1.TaskRef, epoch uint64, cp *critsweepv1.Checkpoint) (*critsweepv1.UploadCheckpointResponse, error)
	CompleteTask(ctx context.Context, req *critsweepv1.CompleteTaskRequest) (*critsweepv1.CompleteTaskResponse, error)
	FailTask(ctx context.Context, req *critsweepv1.FailTaskRequest) (*critsweepv1.FailTaskResponse, error)
}

// API is the whole coordinator service.
type API interface {
	Sweeps
	Leases
}

var (
	_ API = (*Coordinator)(nil)
	_ API = (*Client)(nil)
)

// AllResults pages through QueryResults and returns every finished task of a sweep in
// index order.
func AllResults(ctx context.Context, api Sweeps, sweepID string) ([]*critsweepv1.TaskResult, error) {
	var all []*critsweepv1.TaskResult
	token := ""
	for {
		resp, err := api.QueryResults(ctx, &critsweepv1.QueryResultsRequest{SweepId: sweepID, PageToken: token})
		if err != nil {
			return nil, err
		}
		all = append(all, resp.GetResults()...)
		token = resp.GetNextPageToken()
		if token == "" {
			return all, nil
		}
	}
}
