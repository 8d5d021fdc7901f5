package coordinator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// DefaultShutdownTimeout is how long Serve waits for calls in flight once its context is
// done, unless ServerOptions.ShutdownTimeout says otherwise.
const DefaultShutdownTimeout = 10 * time.Second

// ServerOptions tunes a Server. A nil *ServerOptions means every field at its zero value,
// which selects the documented default.
type ServerOptions struct {
	// Token is the bearer token every call but the health service's must present.
	// Empty: no authentication (an in-process or loopback-only coordinator).
	Token string

	// TLS serves TLS with this configuration. Nil: plaintext.
	TLS *tls.Config

	// ShutdownTimeout is how long Serve and Shutdown wait for calls in flight before they
	// cut them. Zero means DefaultShutdownTimeout (10 s).
	ShutdownTimeout time.Duration

	// Logger receives panics and internal errors. Nil means slog.Default().
	Logger *slog.Logger

	// GRPC adds options to the gRPC server (keepalive, message sizes).
	GRPC []grpc.ServerOption
}

// Server serves a Coordinator over gRPC: the Coordinator service, the standard health
// service, server reflection (for grpcurl and grpcui), bearer-token authentication and
// panic recovery. Each method only translates:
// the Coordinator decides, and its errors become status codes (InvalidArgument naming
// the field, NotFound, FailedPrecondition for a stale epoch, …).
type Server struct {
	critsweepv1.UnimplementedCoordinatorServer

	c        *Coordinator
	opts     ServerOptions
	log      *slog.Logger
	grpc     *grpc.Server
	health   *health.Server
	stopping chan struct{}
	stopOnce sync.Once
}

// NewServer returns a Server for c. It does not listen: call Serve.
func NewServer(c *Coordinator, o *ServerOptions) *Server {
	var opts ServerOptions
	if o != nil {
		opts = *o
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{c: c, opts: opts, log: opts.Logger, health: health.NewServer(), stopping: make(chan struct{})}
	rec := recovery{log: opts.Logger}
	unary := []grpc.UnaryServerInterceptor{rec.unary}
	stream := []grpc.StreamServerInterceptor{rec.stream}
	if opts.Token != "" {
		auth := newBearerAuth(opts.Token)
		unary = append(unary, auth.unary)
		stream = append(stream, auth.stream)
	}
	gopts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
	}
	if opts.TLS != nil {
		gopts = append(gopts, grpc.Creds(credentials.NewTLS(opts.TLS)))
	}
	gopts = append(gopts, opts.GRPC...)
	s.grpc = grpc.NewServer(gopts...)
	critsweepv1.RegisterCoordinatorServer(s.grpc, s)
	healthpb.RegisterHealthServer(s.grpc, s.health)
	// Server reflection, so that grpcurl and grpcui can list and call the API; the token
	// guards it like the Coordinator service.
	reflection.Register(s.grpc)
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	s.health.SetServingStatus(critsweepv1.Coordinator_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	return s
}

// Coordinator returns the coordinator the server serves, for in-process callers.
func (s *Server) Coordinator() *Coordinator { return s.c }

// Serve serves on lis and takes back expired leases until ctx is done, then shuts down
// gracefully (Shutdown with ServerOptions.ShutdownTimeout) and returns nil. It returns
// the listener's error if serving fails first.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	go func() {
		if err := s.c.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, ErrClosed) {
			s.log.Error("lease expiry stopped", "err", err)
		}
	}()
	served := make(chan error, 1)
	go func() { served <- s.grpc.Serve(lis) }()
	select {
	case err := <-served:
		if err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			return fmt.Errorf("serve %s: %w", lis.Addr(), err)
		}
		return nil
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	s.Shutdown(shutdownCtx)
	<-served
	return nil
}

// Shutdown stops the server: health turns NOT_SERVING, new calls are refused, watch
// streams end with Unavailable, and calls in flight may finish until ctx is done, when
// they are cut. Completions already acknowledged are on disk either way.
func (s *Server) Shutdown(ctx context.Context) {
	s.stopOnce.Do(func() {
		s.health.Shutdown()
		close(s.stopping)
	})
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		s.grpc.Stop()
		<-stopped
	}
}

// SubmitSweep serves Coordinator.SubmitSweep over gRPC.
func (s *Server) SubmitSweep(ctx context.Context, req *critsweepv1.SubmitSweepRequest) (*critsweepv1.SubmitSweepResponse, error) {
	resp, err := s.c.SubmitSweep(ctx, req)
	return resp, s.toStatus(err)
}

// GetSweep serves Coordinator.GetSweep over gRPC.
func (s *Server) GetSweep(ctx context.Context, req *critsweepv1.GetSweepRequest) (*critsweepv1.GetSweepResponse, error) {
	resp, err := s.c.GetSweep(ctx, req)
	return resp, s.toStatus(err)
}

// ListSweeps serves Coordinator.ListSweeps over gRPC.
func (s *Server) ListSweeps(ctx context.Context, req *critsweepv1.ListSweepsRequest) (*critsweepv1.ListSweepsResponse, error) {
	resp, err := s.c.ListSweeps(ctx, req)
	return resp, s.toStatus(err)
}

// WatchSweep serves Coordinator.WatchSweep over gRPC.
func (s *Server) WatchSweep(req *critsweepv1.WatchSweepRequest, stream grpc.ServerStreamingServer[critsweepv1.SweepStatus]) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := s.c.WatchSweep(ctx, req, stream.Send)
	select {
	case <-s.stopping:
		return status.Error(codes.Unavailable, "coordinator shutting down: watch again")
	default:
	}
	return s.toStatus(err)
}

// QueryResults serves Coordinator.QueryResults over gRPC.
func (s *Server) QueryResults(ctx context.Context, req *critsweepv1.QueryResultsRequest) (*critsweepv1.QueryResultsResponse, error) {
	resp, err := s.c.QueryResults(ctx, req)
	return resp, s.toStatus(err)
}

// CancelSweep serves Coordinator.CancelSweep over gRPC.
func (s *Server) CancelSweep(ctx context.Context, req *critsweepv1.CancelSweepRequest) (*critsweepv1.CancelSweepResponse, error) {
	resp, err := s.c.CancelSweep(ctx, req)
	return resp, s.toStatus(err)
}

// ExtendSweep serves Coordinator.ExtendSweep over gRPC.
func (s *Server) ExtendSweep(ctx context.Context, req *critsweepv1.ExtendSweepRequest) (*critsweepv1.ExtendSweepResponse, error) {
	resp, err := s.c.ExtendSweep(ctx, req)
	return resp, s.toStatus(err)
}

// GetTask serves Coordinator.GetTask over gRPC.
func (s *Server) GetTask(ctx context.Context, req *critsweepv1.GetTaskRequest) (*critsweepv1.GetTaskResponse, error) {
	resp, err := s.c.GetTask(ctx, req)
	return resp, s.toStatus(err)
}

// ListTasks serves Coordinator.ListTasks over gRPC.
func (s *Server) ListTasks(ctx context.Context, req *critsweepv1.ListTasksRequest) (*critsweepv1.ListTasksResponse, error) {
	resp, err := s.c.ListTasks(ctx, req)
	return resp, s.toStatus(err)
}

// ListWorkers serves Coordinator.ListWorkers over gRPC.
func (s *Server) ListWorkers(ctx context.Context, req *critsweepv1.ListWorkersRequest) (*critsweepv1.ListWorkersResponse, error) {
	resp, err := s.c.ListWorkers(ctx, req)
	return resp, s.toStatus(err)
}

// SearchResults serves Coordinator.SearchResults over gRPC.
func (s *Server) SearchResults(ctx context.Context, req *critsweepv1.SearchResultsRequest) (*critsweepv1.SearchResultsResponse, error) {
	resp, err := s.c.SearchResults(ctx, req)
	return resp, s.toStatus(err)
}

// LeaseTask serves Coordinator.LeaseTask over gRPC.
func (s *Server) LeaseTask(ctx context.Context, req *critsweepv1.LeaseTaskRequest) (*critsweepv1.LeaseTaskResponse, error) {
	resp, err := s.c.LeaseTask(ctx, req)
	return resp, s.toStatus(err)
}

// Heartbeat serves Coordinator.Heartbeat over gRPC.
func (s *Server) Heartbeat(ctx context.Context, req *critsweepv1.HeartbeatRequest) (*critsweepv1.HeartbeatResponse, error) {
	resp, err := s.c.Heartbeat(ctx, req)
	return resp, s.toStatus(err)
}

// CompleteTask serves Coordinator.CompleteTask over gRPC.
func (s *Server) CompleteTask(ctx context.Context, req *critsweepv1.CompleteTaskRequest) (*critsweepv1.CompleteTaskResponse, error) {
	resp, err := s.c.CompleteTask(ctx, req)
	return resp, s.toStatus(err)
}

// FailTask serves Coordinator.FailTask over gRPC.
func (s *Server) FailTask(ctx context.Context, req *critsweepv1.FailTaskRequest) (*critsweepv1.FailTaskResponse, error) {
	resp, err := s.c.FailTask(ctx, req)
	return resp, s.toStatus(err)
}

// UploadCheckpoint assembles a streamed checkpoint. The first chunk names the task,
// epoch, step and total size; the lease is checked before the rest is read, the size is
// held to the announced one and to the coordinator's limit, and the assembled bytes must
// decode to a Checkpoint of the announced step.
func (s *Server) UploadCheckpoint(stream grpc.ClientStreamingServer[critsweepv1.CheckpointChunk, critsweepv1.UploadCheckpointResponse]) error {
	ctx := stream.Context()
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return status.Error(codes.InvalidArgument, "upload_checkpoint: no chunks")
	}
	if err != nil {
		return err
	}
	ref, epoch, step, size := first.GetRef(), first.GetEpoch(), first.GetStep(), first.GetSize()
	limit := uint64(s.c.opts.MaxCheckpointBytes)
	switch {
	case size == 0:
		return status.Error(codes.InvalidArgument, "upload_checkpoint: the first chunk must announce size > 0")
	case size > limit:
		return s.toStatus(fmt.Errorf("%w: announced %d bytes, at most %d", ErrCheckpointTooLarge, size, limit))
	}
	if err := s.c.checkLease(ctx, ref, epoch); err != nil {
		return s.toStatus(err)
	}
	data := make([]byte, 0, size)
	for chunk := first; ; {
		if chunk != first && (chunk.GetRef() != nil && !proto.Equal(chunk.GetRef(), ref) ||
			chunk.GetEpoch() != 0 && chunk.GetEpoch() != epoch) {
			return status.Error(codes.InvalidArgument, "upload_checkpoint: a later chunk names another task or epoch")
		}
		if uint64(len(data))+uint64(len(chunk.GetData())) > size {
			return status.Errorf(codes.InvalidArgument, "upload_checkpoint: more than the announced %d bytes", size)
		}
		data = append(data, chunk.GetData()...)
		chunk, err = stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	if uint64(len(data)) != size {
		return status.Errorf(codes.InvalidArgument, "upload_checkpoint: received %d bytes, announced %d", len(data), size)
	}
	cp := new(critsweepv1.Checkpoint)
	if err := proto.Unmarshal(data, cp); err != nil {
		return status.Errorf(codes.InvalidArgument, "upload_checkpoint: bytes do not decode to a Checkpoint: %v", err)
	}
	if cp.GetStep() != step {
		return status.Errorf(codes.InvalidArgument, "upload_checkpoint: announced step %d, checkpoint holds step %d", step, cp.GetStep())
	}
	resp, err := s.c.UploadCheckpoint(ctx, ref, epoch, cp)
	if err != nil {
		return s.toStatus(err)
	}
	return stream.SendAndClose(resp)
}

// toStatus maps a coordinator error to a status, logging the ones that are the server's
// fault and a full disk, which its operator must put right.
func (s *Server) toStatus(err error) error {
	st := toStatus(err)
	switch {
	case errors.Is(err, ErrDiskFull):
		s.log.Error("disk full: calls are refused until there is space", "err", err)
	case st != nil && status.Code(st) == codes.Internal:
		s.log.Error("internal error", "err", err)
	}
	return st
}
