package coordinator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// DefaultChunkSize is the size of the pieces Client.UploadCheckpoint streams a
// checkpoint in, unless DialOptions.ChunkSize says otherwise.
const DefaultChunkSize = 1 << 20

// DialOptions tunes Dial. A nil *DialOptions means every field at its zero value, which
// selects the documented default.
type DialOptions struct {
	// Token is sent as "authorization: Bearer TOKEN" with every call. Empty: none.
	Token string

	// TLS connects with TLS and this configuration. Nil: plaintext.
	TLS *tls.Config

	// ChunkSize is the size of checkpoint upload chunks. Zero means DefaultChunkSize.
	ChunkSize int

	// MaxResponseBytes is the largest response accepted (a lease carries the task's
	// checkpoint). Zero means DefaultMaxCheckpointBytes + 1 MiB.
	MaxResponseBytes int

	// GRPC adds options to the connection (a custom dialer in tests, keepalive).
	GRPC []grpc.DialOption
}

// Client calls a coordinator over gRPC. It implements API with the errors of the
// Coordinator: errors.Is(err, ErrStaleEpoch) holds for a stale epoch, errors.As finds a
// *spec.Error for an invalid spec, and status.Code still gives the gRPC code. It is safe
// for concurrent use.
type Client struct {
	conn      *grpc.ClientConn
	rpc       critsweepv1.CoordinatorClient
	chunkSize int
}

// Dial returns a Client of the coordinator at target (host:port, or any gRPC target). It
// does not wait for the connection: the first call does.
func Dial(target string, o *DialOptions) (*Client, error) {
	var opts DialOptions
	if o != nil {
		opts = *o
	}
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxCheckpointBytes + 1<<20
	}
	transport := insecure.NewCredentials()
	if opts.TLS != nil {
		transport = credentials.NewTLS(opts.TLS)
	}
	dopts := []grpc.DialOption{
		grpc.WithTransportCredentials(transport),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(opts.MaxResponseBytes)),
	}
	if opts.Token != "" {
		dopts = append(dopts, grpc.WithPerRPCCredentials(bearerToken{token: opts.Token, secure: opts.TLS != nil}))
	}
	dopts = append(dopts, opts.GRPC...)
	conn, err := grpc.NewClient(target, dopts...)
	if err != nil {
		return nil, fmt.Errorf("dial coordinator %s: %w", target, err)
	}
	return &Client{conn: conn, rpc: critsweepv1.NewCoordinatorClient(conn), chunkSize: opts.ChunkSize}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// SubmitSweep calls Coordinator.SubmitSweep on the server.
func (c *Client) SubmitSweep(ctx context.Context, req *critsweepv1.SubmitSweepRequest) (*critsweepv1.SubmitSweepResponse, error) {
	resp, err := c.rpc.SubmitSweep(ctx, req)
	return resp, fromStatus(err)
}

// GetSweep calls Coordinator.GetSweep on the server.
func (c *Client) GetSweep(ctx context.Context, req *critsweepv1.GetSweepRequest) (*critsweepv1.GetSweepResponse, error) {
	resp, err := c.rpc.GetSweep(ctx, req)
	return resp, fromStatus(err)
}

// ListSweeps calls Coordinator.ListSweeps on the server.
func (c *Client) ListSweeps(ctx context.Context, req *critsweepv1.ListSweepsRequest) (*critsweepv1.ListSweepsResponse, error) {
	resp, err := c.rpc.ListSweeps(ctx, req)
	return resp, fromStatus(err)
}

// WatchSweep calls send with each status the server streams, until the sweep is finished
// (it returns nil), send fails, or ctx is done.
func (c *Client) WatchSweep(ctx context.Context, req *critsweepv1.WatchSweepRequest, send func(*critsweepv1.SweepStatus) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.rpc.WatchSweep(ctx, req)
	if err != nil {
		return fromStatus(err)
	}
	for {
		st, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fromStatus(err)
		}
		if err := send(st); err != nil {
			return err
		}
	}
}

// QueryResults calls Coordinator.QueryResults on the server.
func (c *Client) QueryResults(ctx context.Context, req *critsweepv1.QueryResultsRequest) (*critsweepv1.QueryResultsResponse, error) {
	resp, err := c.rpc.QueryResults(ctx, req)
	return resp, fromStatus(err)
}

// CancelSweep calls Coordinator.CancelSweep on the server.
func (c *Client) CancelSweep(ctx context.Context, req *critsweepv1.CancelSweepRequest) (*critsweepv1.CancelSweepResponse, error) {
	resp, err := c.rpc.CancelSweep(ctx, req)
	return resp, fromStatus(err)
}

// ExtendSweep calls Coordinator.ExtendSweep on the server.
func (c *Client) ExtendSweep(ctx context.Context, req *critsweepv1.ExtendSweepRequest) (*critsweepv1.ExtendSweepResponse, error) {
	resp, err := c.rpc.ExtendSweep(ctx, req)
	return resp, fromStatus(err)
}

// GetTask calls Coordinator.GetTask on the server.
func (c *Client) GetTask(ctx context.Context, req *critsweepv1.GetTaskRequest) (*critsweepv1.GetTaskResponse, error) {
	resp, err := c.rpc.GetTask(ctx, req)
	return resp, fromStatus(err)
}

// ListTasks calls Coordinator.ListTasks on the server.
func (c *Client) ListTasks(ctx context.Context, req *critsweepv1.ListTasksRequest) (*critsweepv1.ListTasksResponse, error) {
	resp, err := c.rpc.ListTasks(ctx, req)
	return resp, fromStatus(err)
}

// ListWorkers calls Coordinator.ListWorkers on the server.
func (c *Client) ListWorkers(ctx context.Context, req *critsweepv1.ListWorkersRequest) (*critsweepv1.ListWorkersResponse, error) {
	resp, err := c.rpc.ListWorkers(ctx, req)
	return resp, fromStatus(err)
}

// SearchResults calls Coordinator.SearchResults on the server.
func (c *Client) SearchResults(ctx context.Context, req *critsweepv1.SearchResultsRequest) (*critsweepv1.SearchResultsResponse, error) {
	resp, err := c.rpc.SearchResults(ctx, req)
	return resp, fromStatus(err)
}

// LeaseTask calls Coordinator.LeaseTask on the server.
func (c *Client) LeaseTask(ctx context.Context, req *critsweepv1.LeaseTaskRequest) (*critsweepv1.LeaseTaskResponse, error) {
	resp, err := c.rpc.LeaseTask(ctx, req)
	return resp, fromStatus(err)
}

// Heartbeat calls Coordinator.Heartbeat on the server.
func (c *Client) Heartbeat(ctx context.Context, req *critsweepv1.HeartbeatRequest) (*critsweepv1.HeartbeatResponse, error) {
	resp, err := c.rpc.Heartbeat(ctx, req)
	return resp, fromStatus(err)
}

// UploadCheckpoint encodes cp and streams it in chunks of DialOptions.ChunkSize, the
// first naming the task, epoch, step and size.
func (c *Client) UploadCheckpoint(ctx context.Context, ref *critsweepv1.TaskRef, epoch uint64, cp *critsweepv1.Checkpoint) (*critsweepv1.UploadCheckpointResponse, error) {
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(cp)
	if err != nil {
		return nil, fmt.Errorf("encode checkpoint: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.rpc.UploadCheckpoint(ctx)
	if err != nil {
		return nil, fromStatus(err)
	}
	first := &critsweepv1.CheckpointChunk{Ref: ref, Epoch: epoch, Step: cp.GetStep(), Size: uint64(len(data))}
	for off := 0; off < len(data) || off == 0; off += c.chunkSize {
		chunk := &critsweepv1.CheckpointChunk{}
		if off == 0 {
			chunk = first
		}
		chunk.Data = data[off:min(off+c.chunkSize, len(data))]
		if err := stream.Send(chunk); err != nil {
			if errors.Is(err, io.EOF) {
				break // the server ended the call: CloseAndRecv says why
			}
			return nil, fromStatus(err)
		}
		if len(data) == 0 {
			break
		}
	}
	resp, err := stream.CloseAndRecv()
	return resp, fromStatus(err)
}

// CompleteTask calls Coordinator.CompleteTask on the server.
func (c *Client) CompleteTask(ctx context.Context, req *critsweepv1.CompleteTaskRequest) (*critsweepv1.CompleteTaskResponse, error) {
	resp, err := c.rpc.CompleteTask(ctx, req)
	return resp, fromStatus(err)
}

// FailTask calls Coordinator.FailTask on the server.
func (c *Client) FailTask(ctx context.Context, req *critsweepv1.FailTaskRequest) (*critsweepv1.FailTaskResponse, error) {
	resp, err := c.rpc.FailTask(ctx, req)
	return resp, fromStatus(err)
}
