package coordinator

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
)

const testToken = "s3cret-token"

// testServer is a real Server on a loopback port over a store in t.TempDir.
type testServer struct {
	addr   string
	c      *Coordinator
	clock  *fakeClock
	client *Client
	stop   func() // stops serving and waits for Serve to return
}

func startServer(t *testing.T, copts *Options) *testServer {
	t.Helper()
	db := openTestDB(t, nil)
	clock := newFakeClock()
	if copts == nil {
		copts = &Options{}
	}
	copts.Logger = discardLogger()
	if copts.WatchInterval == 0 {
		copts.WatchInterval = time.Millisecond
	}
	c, err := New(db, clock, copts)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(c, &ServerOptions{Token: testToken, ShutdownTimeout: 2 * time.Second, Logger: discardLogger()})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis) }()
	ts := &testServer{addr: lis.Addr().String(), c: c, clock: clock}
	var once sync.Once
	ts.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-served; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	ts.client = ts.dial(t, testToken, nil)
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) dial(t *testing.T, token string, o *DialOptions) *Client {
	t.Helper()
	if o == nil {
		o = &DialOptions{}
	}
	o.Token = token
	cl, err := Dial(ts.addr, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// wantCode fails the test unless err has the status code and wraps the sentinel.
func wantCode(t *testing.T, what string, err error, code codes.Code, sentinel error) {
	t.Helper()
	if got := status.Code(err); got != code {
		t.Errorf("%s: code %v (%v), want %v", what, got, err, code)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Errorf("%s: %v does not wrap %v", what, err, sentinel)
	}
}

func TestServerWorkerFlow(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	cl := ts.dial(t, testToken, &DialOptions{ChunkSize: 7}) // many chunks per checkpoint
	sub, err := cl.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: testSpec("flow", 2)})
	if err != nil {
		t.Fatalf("SubmitSweep: %v", err)
	}
	lease, err := cl.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "w1"})
	if err != nil || !lease.GetLeased() || lease.GetEpoch() != 1 || lease.GetCheckpoint() != nil {
		t.Fatalf("LeaseTask = %v, %v; want a lease at epoch 1 without checkpoint", lease, err)
	}
	ref := lease.GetRef()
	hb, err := cl.Heartbeat(ctx, &critsweepv1.HeartbeatRequest{Ref: ref, Epoch: 1, Progress: &critsweepv1.Progress{Step: 10, TotalSteps: 10}})
	if err != nil || hb.GetCancelled() {
		t.Fatalf("Heartbeat = %v, %v", hb, err)
	}
	cp := &critsweepv1.Checkpoint{Version: 1, Step: 10, Params: []float64{0.5, -1, 2}, Rng: []byte("rng state"),
		Adam: &critsweepv1.AdamState{M: []float64{1}, V: []float64{2}, Step: 10}}
	up, err := cl.UploadCheckpoint(ctx, ref, 1, cp)
	if err != nil || up.GetBytes() != uint64(proto.Size(cp)) {
		t.Fatalf("UploadCheckpoint = %v, %v; want %d bytes", up, err, proto.Size(cp))
	}
	// The worker shuts down: the task goes back without a failure, and the next lease
	// resumes from the checkpoint, bit for bit.
	if _, err := cl.FailTask(ctx, &critsweepv1.FailTaskRequest{Ref: ref, Epoch: 1, Release: true}); err != nil {
		t.Fatalf("release: %v", err)
	}
	again, err := cl.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "w2"})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(again.GetRef(), ref) {
		// Task 1 was pending too; lowest index first means task 0 comes back first.
		t.Fatalf("re-lease got %v, want %v", again.GetRef(), ref)
	}
	if again.GetEpoch() != 2 || !proto.Equal(again.GetCheckpoint(), cp) {
		t.Fatalf("re-lease: epoch %d, checkpoint %v; want epoch 2 and %v", again.GetEpoch(), again.GetCheckpoint(), cp)
	}
	_, err = cl.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: ref, Epoch: 1, Result: &critsweepv1.Result{}})
	wantCode(t, "complete with the released epoch", err, codes.FailedPrecondition, ErrStaleEpoch)
	_, err = cl.Heartbeat(ctx, &critsweepv1.HeartbeatRequest{Ref: ref, Epoch: 1})
	wantCode(t, "heartbeat with the released epoch", err, codes.FailedPrecondition, ErrStaleEpoch)

	result := &critsweepv1.Result{LnLambdaPerSite: &critsweepv1.Estimate{Value: 0.93, Stderr: 1e-3}, Steps: 10}
	for i := 0; i < 2; i++ { // the repeat is acknowledged
		if _, err := cl.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: ref, Epoch: 2, Result: result}); err != nil {
			t.Fatalf("CompleteTask #%d: %v", i+1, err)
		}
	}
	results, err := AllResults(ctx, cl, sub.GetSweepId())
	if err != nil || len(results) != 1 || !proto.Equal(results[0].GetResult(), result) || results[0].GetAttempts() != 2 {
		t.Fatalf("results = %v, %v; want one with %v after 2 attempts", results, err, result)
	}
	got, err := cl.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: sub.GetSweepId()})
	if err != nil {
		t.Fatal(err)
	}
	if st := got.GetStatus(); st.GetTotal() != 2 || st.GetDone() != 1 || st.GetPending() != 1 || st.GetName() != "flow" {
		t.Errorf("status = %v, want 2 tasks, 1 done, 1 pending, name flow", st)
	}
	list, err := cl.ListSweeps(ctx, &critsweepv1.ListSweepsRequest{})
	if err != nil || len(list.GetSweeps()) != 1 {
		t.Errorf("ListSweeps = %v, %v", list, err)
	}
	_, err = cl.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: "nope-1"})
	wantCode(t, "unknown sweep", err, codes.NotFound, ErrSweepNotFound)
	_, err = cl.Heartbeat(ctx, &critsweepv1.HeartbeatRequest{Ref: &critsweepv1.TaskRef{SweepId: sub.GetSweepId(), Index: 99}, Epoch: 1})
	wantCode(t, "unknown task", err, codes.NotFound, ErrTaskNotFound)
	_, err = cl.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: ref, Epoch: 2})
	wantCode(t, "completion without result", err, codes.InvalidArgument, ErrInvalidRequest)
}

func TestServerAuth(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	for _, token := range []string{"", "wrong", testToken + "x"} {
		cl := ts.dial(t, token, nil)
		_, err := cl.ListSweeps(ctx, &critsweepv1.ListSweepsRequest{})
		wantCode(t, "ListSweeps with token "+token, err, codes.Unauthenticated, nil)
		err = cl.WatchSweep(ctx, &critsweepv1.WatchSweepRequest{SweepId: "x"}, func(*critsweepv1.SweepStatus) error { return nil })
		wantCode(t, "WatchSweep with token "+token, err, codes.Unauthenticated, nil)
	}
	// Probes need no token.
	conn, err := grpc.NewClient(ts.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, service := range []string{"", "critsweep.v1.Coordinator"} {
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health of %q = %v, %v; want SERVING", service, resp, err)
		}
	}
}

func TestServerInvalidSpec(t *testing.T) {
	ts := startServer(t, nil)
	bad := testSpec("bad", 1)
	bad.Grid.Size = []uint32{1}
	_, err := ts.client.SubmitSweep(context.Background(), &critsweepv1.SubmitSweepRequest{Spec: bad})
	wantCode(t, "bad spec", err, codes.InvalidArgument, ErrInvalidSpec)
	if !strings.Contains(status.Convert(err).Message(), "grid.size[0]") {
		t.Errorf("message %q does not name grid.size[0]", status.Convert(err).Message())
	}
	var se *spec.Error
	if !errors.As(err, &se) || len(se.Violations) != 1 || se.Violations[0].Field != "grid.size[0]" {
		t.Errorf("errors.As(*spec.Error) = %v, want one violation of grid.size[0]", se)
	}
	var br *errdetails.BadRequest
	for _, d := range status.Convert(err).Details() {
		if d, ok := d.(*errdetails.BadRequest); ok {
			br = d
		}
	}
	if br == nil || br.GetFieldViolations()[0].GetField() != "grid.size[0]" {
		t.Errorf("status details %v, want a BadRequest naming grid.size[0]", status.Convert(err).Details())
	}
	_, err = ts.client.SubmitSweep(context.Background(), &critsweepv1.SubmitSweepRequest{})
	wantCode(t, "no spec", err, codes.InvalidArgument, ErrInvalidSpec)
}

func TestServerCancel(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	sub, err := ts.client.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: testSpec("cancel", 3)})
	if err != nil {
		t.Fatal(err)
	}
	lease, err := ts.client.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "w"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ts.client.CancelSweep(ctx, &critsweepv1.CancelSweepRequest{SweepId: sub.GetSweepId()})
	if err != nil || resp.GetStatus().GetCancelled() != 3 {
		t.Fatalf("CancelSweep = %v, %v; want 3 cancelled", resp, err)
	}
	hb, err := ts.client.Heartbeat(ctx, &critsweepv1.HeartbeatRequest{Ref: lease.GetRef(), Epoch: lease.GetEpoch()})
	if err != nil || !hb.GetCancelled() {
		t.Errorf("Heartbeat after cancel = %v, %v; want cancelled", hb, err)
	}
	_, err = ts.client.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: lease.GetRef(), Epoch: lease.GetEpoch(), Result: &critsweepv1.Result{}})
	wantCode(t, "complete after cancel", err, codes.FailedPrecondition, ErrSweepCancelled)
	next, err := ts.client.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "w"})
	if err != nil || next.GetLeased() || next.GetRetryAfter().AsDuration() != DefaultRetryAfter {
		t.Errorf("LeaseTask after cancel = %v, %v; want none with retry_after %v", next, err, DefaultRetryAfter)
	}
	_, err = ts.client.CancelSweep(ctx, &critsweepv1.CancelSweepRequest{SweepId: "nope-7"})
	wantCode(t, "cancel unknown", err, codes.NotFound, ErrSweepNotFound)
}

// TestServerUploadChecks sends hand-made chunk streams that break the upload's rules.
func TestServerUploadChecks(t *testing.T) {
	ts := startServer(t, &Options{MaxCheckpointBytes: 1000})
	ctx := context.Background()
	if _, err := ts.client.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: testSpec("up", 1)}); err != nil {
		t.Fatal(err)
	}
	lease, err := ts.client.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "w"})
	if err != nil {
		t.Fatal(err)
	}
	ref := lease.GetRef()
	data, _ := proto.Marshal(&critsweepv1.Checkpoint{Version: 1, Step: 3, Params: []float64{1, 2, 3}})
	tests := []struct {
		name   string
		chunks []*critsweepv1.CheckpointChunk
		code   codes.Code
		text   string
	}{
		{"ok", []*critsweepv1.CheckpointChunk{{Ref: ref, Epoch: 1, Step: 3, Size: uint64(len(data)), Data: data[:5]}, {Data: data[5:]}}, codes.OK, ""},
		{"short", []*critsweepv1.CheckpointChunk{{Ref: ref, Epoch: 1, Step: 3, Size: uint64(len(data)), Data: data[:5]}}, codes.InvalidArgument, "received 5 bytes"},
		{"long", []*critsweepv1.CheckpointChunk{{Ref: ref, Epoch: 1, Step: 3, Size: 5, Data: data}}, codes.InvalidArgument, "more than the announced 5 bytes"},
		{"no size", []*critsweepv1.CheckpointChunk{{Ref: ref, Epoch: 1, Step: 3, Data: data}}, codes.InvalidArgument, "announce size"},
		{"too large", []*critsweepv1.CheckpointChunk{{Ref: ref, Epoch: 1, Step: 3, Size: 5000}}, codes.ResourceExhausted, "at most 1000"},
		{"stale", []*critsweepv1.CheckpointChunk{{Ref: ref, Epoch: 2, Step: 3, Size: uint64(len(data)), Data: data}}, codes.FailedPrecondition, "stale lease epoch"},
		{"step", []*critsweepv1.CheckpointChunk{{Ref: ref, Epoch: 1, Step: 4, Size: uint64(len(data)), Data: data}}, codes.InvalidArgument, "announced step 4"},
		{"garbage", []*critsweepv1.CheckpointChunk{{Ref: ref, Epoch: 1, Step: 3, Size: 3, Data: []byte{0xff, 0xff, 0xff}}}, codes.InvalidArgument, "do not decode"},
		{"other task", []*critsweepv1.CheckpointChunk{{Ref: ref, Epoch: 1, Step: 3, Size: uint64(len(data)), Data: data[:5]},
			{Ref: &critsweepv1.TaskRef{SweepId: "x"}, Data: data[5:]}}, codes.InvalidArgument, "another task"},
		{"empty", nil, codes.InvalidArgument, "no chunks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream, err := ts.client.rpc.UploadCheckpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tt.chunks {
				if err := stream.Send(c); err != nil {
					break
				}
			}
			_, err = stream.CloseAndRecv()
			if status.Code(err) != tt.code || !strings.Contains(status.Convert(err).Message(), tt.text) {
				t.Errorf("got %v, want %v containing %q", err, tt.code, tt.text)
			}
		})
	}
	_, err = ts.client.UploadCheckpoint(ctx, ref, 1, &critsweepv1.Checkpoint{Version: 1, Params: make([]float64, 200)})
	wantCode(t, "client upload over the limit", err, codes.ResourceExhausted, ErrCheckpointTooLarge)
}

func TestServerWatchSweep(t *testing.T) {
	ts := startServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub, err := ts.client.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: testSpec("watch", 3)})
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan struct{})
	var statuses []*critsweepv1.SweepStatus
	watched := make(chan error, 1)
	go func() {
		watched <- ts.client.WatchSweep(ctx, &critsweepv1.WatchSweepRequest{SweepId: sub.GetSweepId()}, func(st *critsweepv1.SweepStatus) error {
			if len(statuses) == 0 {
				close(first)
			}
			statuses = append(statuses, st)
			return nil
		})
	}()
	<-first
	for i := 0; i < 3; i++ {
		lease, err := ts.client.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "w"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ts.client.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: lease.GetRef(), Epoch: lease.GetEpoch(), Result: &critsweepv1.Result{}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-watched; err != nil {
		t.Fatalf("WatchSweep: %v", err)
	}
	if len(statuses) < 2 || statuses[0].GetPending() != 3 || statuses[len(statuses)-1].GetDone() != 3 {
		t.Errorf("statuses %v: want the first with 3 pending and the last with 3 done", statuses)
	}
	err = ts.client.WatchSweep(ctx, &critsweepv1.WatchSweepRequest{SweepId: "nope-1"}, func(*critsweepv1.SweepStatus) error { return nil })
	wantCode(t, "watch unknown", err, codes.NotFound, ErrSweepNotFound)
}

func TestServerShutdownEndsWatches(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	sub, err := ts.client.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: testSpec("stop", 1)})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	watched := make(chan error, 1)
	go func() {
		watched <- ts.client.WatchSweep(ctx, &critsweepv1.WatchSweepRequest{SweepId: sub.GetSweepId()}, func(*critsweepv1.SweepStatus) error {
			close(started)
			return nil
		})
	}()
	<-started
	begin := time.Now()
	ts.stop()
	if d := time.Since(begin); d > time.Second {
		t.Errorf("shutdown took %v with a watch open", d)
	}
	wantCode(t, "watch during shutdown", <-watched, codes.Unavailable, nil)
	_, err = ts.client.ListSweeps(ctx, &critsweepv1.ListSweepsRequest{})
	wantCode(t, "call after shutdown", err, codes.Unavailable, nil)
}

func TestRecoveryInterceptor(t *testing.T) {
	rec := recovery{log: discardLogger()}
	_, err := rec.unary(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/x/Y"},
		func(context.Context, any) (any, error) { panic("boom") })
	wantCode(t, "unary panic", err, codes.Internal, nil)
	err = rec.stream(nil, nil, &grpc.StreamServerInfo{FullMethod: "/x/Z"},
		func(any, grpc.ServerStream) error { panic("boom") })
	wantCode(t, "stream panic", err, codes.Internal, nil)
}
