package coordinator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/store"
)

// The fuzz target of this file feeds the coordinator what a careless or hostile client
// could send: any bytes as a request message (spec's FuzzParse feeds it any YAML). Errors are expected;
// a panic, an Internal status for a caller's mistake, or a database that fails its
// consistency check afterwards is a bug. Run one with
//
//	go test -run '^$' -fuzz FuzzHandlers -fuzztime 5m ./coordinator
//
// Seed corpora live in testdata/fuzz/FuzzX.

// Methods FuzzHandlers calls, chosen by its first argument.
const (
	fuzzSubmit = iota
	fuzzGet
	fuzzList
	fuzzWatch
	fuzzQuery
	fuzzCancel
	fuzzExtend
	fuzzLease
	fuzzHeartbeat
	fuzzUploadDirect // Coordinator.UploadCheckpoint with a CheckpointChunk's ref, epoch and data
	fuzzUploadStream // Server.UploadCheckpoint with the message as its one or two chunks
	fuzzComplete
	fuzzFail
	fuzzGetTask
	fuzzListTasks
	fuzzListWorkers
	fuzzSearch
	fuzzMethods
)

// Flags of FuzzHandlers' second argument: they steer random requests towards the
// fixture's real sweep and live leases, where the interesting decisions are.
const (
	fuzzRealSweep = 1 << iota // a request's sweep id becomes the fixture's
	fuzzLiveEpoch             // a request's epoch becomes 1, the fixture's live leases
	fuzzExpire                // the clock moves past every lease before the call
	fuzzCancelled             // the fixture's sweep is cancelled before the call
	fuzzTwoChunks             // fuzzUploadStream sends the chunk twice
	fuzzTwice                 // the call is made twice (idempotence)
)

// fuzzFixture is a coordinator over a fresh store holding sweep "fuzz-1" of 4 tasks:
// task 0 leased (epoch 1) with a checkpoint at step 3, task 1 leased (epoch 1), task 2
// done (epoch 1), task 3 pending.
type fuzzFixture struct {
	db    *store.DB
	c     *Coordinator
	srv   *Server
	clock *fakeClock
	id    string
}

// fuzzTemplate is the fixture's database file, made once: each fuzz input starts from a
// copy, which is much faster than making it again.
var fuzzTemplate struct {
	once sync.Once
	data []byte
	err  error
}

func newFuzzFixture(t *testing.T) *fuzzFixture {
	t.Helper()
	fuzzTemplate.once.Do(func() {
		dir, err := os.MkdirTemp("", "critsweep-fuzz-")
		if err != nil {
			fuzzTemplate.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "fuzz.db")
		fx, err := openFuzzFixture(path)
		if err == nil {
			err = fx.populate()
			fx.c.Close()
			fx.db.Close()
		}
		if err != nil {
			fuzzTemplate.err = err
			return
		}
		fuzzTemplate.data, fuzzTemplate.err = os.ReadFile(path)
	})
	if fuzzTemplate.err != nil {
		t.Fatal(fuzzTemplate.err)
	}
	path := filepath.Join(t.TempDir(), "fuzz.db")
	if err := os.WriteFile(path, fuzzTemplate.data, 0o600); err != nil {
		t.Fatal(err)
	}
	fx, err := openFuzzFixture(path)
	if err != nil {
		t.Fatal(err)
	}
	fx.id = "fuzz-1"
	return fx
}

// openFuzzFixture opens the database at path under a coordinator with a fake clock, small
// limits and no fsync.
func openFuzzFixture(path string) (*fuzzFixture, error) {
	db, err := store.Open(path, &store.Options{NoSync: true, MaxBatchDelay: 10 * time.Microsecond})
	if err != nil {
		return nil, err
	}
	clock := newFakeClock()
	c, err := New(db, clock, &Options{Logger: discardLogger(), MaxTasksPerSweep: 64, MaxCheckpointBytes: 1 << 16, WatchInterval: time.Microsecond})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &fuzzFixture{db: db, c: c, srv: NewServer(c, &ServerOptions{Logger: discardLogger()}), clock: clock}, nil
}

// populate submits the fixture's sweep and brings its tasks to their states.
func (fx *fuzzFixture) populate() error {
	ctx := context.Background()
	sub, err := fx.c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: testSpec("fuzz", 4)})
	if err != nil {
		return err
	}
	if sub.GetSweepId() != "fuzz-1" {
		return fmt.Errorf("fixture sweep is %q, want fuzz-1", sub.GetSweepId())
	}
	var leases []*critsweepv1.LeaseTaskResponse
	for range 3 {
		l, err := fx.c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "fuzz"})
		if err != nil || !l.GetLeased() {
			return fmt.Errorf("lease: %v, %v", l, err)
		}
		leases = append(leases, l)
	}
	if _, err := fx.c.UploadCheckpoint(ctx, leases[0].GetRef(), 1, &critsweepv1.Checkpoint{Version: 1, Step: 3, Params: []float64{1, 2}}); err != nil {
		return err
	}
	_, err = fx.c.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: leases[2].GetRef(), Epoch: 1, Result: &critsweepv1.Result{Steps: 10}})
	return err
}

func (fx *fuzzFixture) close(t *testing.T) {
	t.Helper()
	fx.c.Close()
	if err := fx.db.Check(); err != nil {
		t.Errorf("database inconsistent after the call: %v", err)
	}
	if err := fx.db.Close(); err != nil {
		t.Error(err)
	}
}

// steer applies the flags to a request's ref and epoch.
func (fx *fuzzFixture) steer(flags uint8, ref **critsweepv1.TaskRef, epoch *uint64) {
	if flags&fuzzRealSweep != 0 {
		if *ref == nil {
			*ref = &critsweepv1.TaskRef{}
		}
		(*ref).SweepId = fx.id
		(*ref).Index %= 6 // 4 and 5 do not exist
	}
	if flags&fuzzLiveEpoch != 0 && epoch != nil {
		*epoch = 1
	}
}

// FuzzHandlers decodes random bytes into the request of one of the Coordinator
// service's methods and calls it, through the Server's method (which calls the
// Coordinator's and maps its error to a status), on a coordinator with live leases. No
// panic may escape, no caller's mistake may come back as Internal, and the store must
// pass its consistency check afterwards.
func FuzzHandlers(f *testing.F) {
	addFuzzHandlerSeeds(f)
	f.Fuzz(func(t *testing.T, method, flags uint8, msg []byte) {
		m := int(method) % fuzzMethods
		fx := newFuzzFixture(t)
		defer fx.close(t)
		if flags&fuzzCancelled != 0 {
			if _, err := fx.c.CancelSweep(context.Background(), &critsweepv1.CancelSweepRequest{SweepId: fx.id}); err != nil {
				t.Fatal(err)
			}
		}
		if flags&fuzzExpire != 0 {
			fx.clock.Advance(2 * DefaultLeaseDuration)
		}
		call, ok := fx.call(m, flags, msg)
		if !ok {
			return // not a message of that type
		}
		for range 1 + int(flags>>5&1) {
			err := call()
			if code := status.Code(err); code == codes.Internal || code == codes.Unknown {
				t.Fatalf("method %d: %v status for a request: %v", m, code, err)
			}
		}
	})
}

// call returns a function that makes the call of method m with msg decoded as its
// request, or false when msg does not decode.
func (fx *fuzzFixture) call(m int, flags uint8, msg []byte) (func() error, bool) {
	ctx := context.Background()
	s := fx.srv
	decode := func(req proto.Message) bool { return proto.Unmarshal(msg, req) == nil }
	switch m {
	case fuzzSubmit:
		req := new(critsweepv1.SubmitSweepRequest)
		return func() error { _, err := s.SubmitSweep(ctx, req); return err }, decode(req)
	case fuzzGet:
		req := new(critsweepv1.GetSweepRequest)
		ok := decode(req)
		if flags&fuzzRealSweep != 0 {
			req.SweepId = fx.id
		}
		return func() error { _, err := s.GetSweep(ctx, req); return err }, ok
	case fuzzList:
		req := new(critsweepv1.ListSweepsRequest)
		return func() error { _, err := s.ListSweeps(ctx, req); return err }, decode(req)
	case fuzzWatch:
		req := new(critsweepv1.WatchSweepRequest)
		ok := decode(req)
		if flags&fuzzRealSweep != 0 {
			req.SweepId = fx.id
		}
		errSeen := errors.New("seen one status")
		return func() error {
			err := fx.c.WatchSweep(ctx, req, func(*critsweepv1.SweepStatus) error { return errSeen })
			if errors.Is(err, errSeen) {
				return nil
			}
			return toStatus(err)
		}, ok
	case fuzzQuery:
		req := new(critsweepv1.QueryResultsRequest)
		ok := decode(req)
		if flags&fuzzRealSweep != 0 {
			req.SweepId = fx.id
		}
		return func() error { _, err := s.QueryResults(ctx, req); return err }, ok
	case fuzzCancel:
		req := new(critsweepv1.CancelSweepRequest)
		ok := decode(req)
		if flags&fuzzRealSweep != 0 {
			req.SweepId = fx.id
		}
		return func() error { _, err := s.CancelSweep(ctx, req); return err }, ok
	case fuzzExtend:
		req := new(critsweepv1.ExtendSweepRequest)
		ok := decode(req)
		if flags&fuzzRealSweep != 0 {
			req.SweepId = fx.id
		}
		return func() error { _, err := s.ExtendSweep(ctx, req); return err }, ok
	case fuzzLease:
		req := new(critsweepv1.LeaseTaskRequest)
		return func() error { _, err := s.LeaseTask(ctx, req); return err }, decode(req)
	case fuzzHeartbeat:
		req := new(critsweepv1.HeartbeatRequest)
		ok := decode(req)
		fx.steer(flags, &req.Ref, &req.Epoch)
		return func() error { _, err := s.Heartbeat(ctx, req); return err }, ok
	case fuzzUploadDirect:
		chunk := new(critsweepv1.CheckpointChunk)
		ok := decode(chunk)
		fx.steer(flags, &chunk.Ref, &chunk.Epoch)
		cp := new(critsweepv1.Checkpoint)
		if proto.Unmarshal(chunk.GetData(), cp) != nil {
			cp = nil
		}
		return func() error {
			_, err := fx.c.UploadCheckpoint(ctx, chunk.GetRef(), chunk.GetEpoch(), cp)
			return toStatus(err)
		}, ok
	case fuzzUploadStream:
		chunk := new(critsweepv1.CheckpointChunk)
		ok := decode(chunk)
		fx.steer(flags, &chunk.Ref, &chunk.Epoch)
		chunks := []*critsweepv1.CheckpointChunk{chunk}
		if flags&fuzzTwoChunks != 0 {
			chunks = append(chunks, proto.Clone(chunk).(*critsweepv1.CheckpointChunk))
		}
		return func() error { return s.UploadCheckpoint(&fakeUploadStream{ctx: ctx, chunks: chunks}) }, ok
	case fuzzComplete:
		req := new(critsweepv1.CompleteTaskRequest)
		ok := decode(req)
		fx.steer(flags, &req.Ref, &req.Epoch)
		return func() error { _, err := s.CompleteTask(ctx, req); return err }, ok
	case fuzzFail:
		req := new(critsweepv1.FailTaskRequest)
		ok := decode(req)
		fx.steer(flags, &req.Ref, &req.Epoch)
		return func() error { _, err := s.FailTask(ctx, req); return err }, ok
	case fuzzGetTask:
		req := new(critsweepv1.GetTaskRequest)
		ok := decode(req)
		fx.steer(flags, &req.Ref, nil)
		return func() error { _, err := s.GetTask(ctx, req); return err }, ok
	case fuzzListTasks:
		req := new(critsweepv1.ListTasksRequest)
		ok := decode(req)
		if flags&fuzzRealSweep != 0 {
			req.SweepId = fx.id
		}
		return func() error { _, err := s.ListTasks(ctx, req); return err }, ok
	case fuzzListWorkers:
		req := new(critsweepv1.ListWorkersRequest)
		return func() error { _, err := s.ListWorkers(ctx, req); return err }, decode(req)
	case fuzzSearch:
		req := new(critsweepv1.SearchResultsRequest)
		ok := decode(req)
		if flags&fuzzRealSweep != 0 {
			req.SweepIds = []string{fx.id}
		}
		return func() error { _, err := s.SearchResults(ctx, req); return err }, ok
	}
	panic("unknown fuzz method")
}

// fakeUploadStream is the server side of an UploadCheckpoint call that receives the
// given chunks and then the end of the stream.
type fakeUploadStream struct {
	ctx    context.Context
	chunks []*critsweepv1.CheckpointChunk
	resp   *critsweepv1.UploadCheckpointResponse
}

var _ grpc.ClientStreamingServer[critsweepv1.CheckpointChunk, critsweepv1.UploadCheckpointResponse] = (*fakeUploadStream)(nil)

func (s *fakeUploadStream) Recv() (*critsweepv1.CheckpointChunk, error) {
	if len(s.chunks) == 0 {
		return nil, io.EOF
	}
	c := s.chunks[0]
	s.chunks = s.chunks[1:]
	return c, nil
}

func (s *fakeUploadStream) SendAndClose(r *critsweepv1.UploadCheckpointResponse) error {
	s.resp = r
	return nil
}

func (s *fakeUploadStream) Context() context.Context     { return s.ctx }
func (s *fakeUploadStream) SetHeader(metadata.MD) error  { return nil }
func (s *fakeUploadStream) SendHeader(metadata.MD) error { return nil }
func (s *fakeUploadStream) SetTrailer(metadata.MD)       {}
func (s *fakeUploadStream) SendMsg(any) error            { return nil }
func (s *fakeUploadStream) RecvMsg(any) error            { return nil }

// addFuzzHandlerSeeds adds a valid request of every method, steered and not.
func addFuzzHandlerSeeds(f *testing.F) {
	ref := func(i uint32) *critsweepv1.TaskRef { return &critsweepv1.TaskRef{SweepId: "fuzz-1", Index: i} }
	cp, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&critsweepv1.Checkpoint{Version: 1, Step: 4, Params: []float64{3, 4}})
	seeds := map[int]proto.Message{
		fuzzSubmit:       &critsweepv1.SubmitSweepRequest{Spec: testSpec("seed", 3)},
		fuzzGet:          &critsweepv1.GetSweepRequest{SweepId: "fuzz-1"},
		fuzzList:         &critsweepv1.ListSweepsRequest{},
		fuzzWatch:        &critsweepv1.WatchSweepRequest{SweepId: "fuzz-1"},
		fuzzQuery:        &critsweepv1.QueryResultsRequest{SweepId: "fuzz-1", PageSize: 1, PageToken: "2"},
		fuzzCancel:       &critsweepv1.CancelSweepRequest{SweepId: "fuzz-1"},
		fuzzExtend:       &critsweepv1.ExtendSweepRequest{SweepId: "fuzz-1", Grid: &critsweepv1.Grid{Beta: &critsweepv1.Axis{From: 0.1, To: 0.2, Step: 0.05}, Size: []uint32{4, 6}, Tau: []float64{1}}},
		fuzzLease:        &critsweepv1.LeaseTaskRequest{Worker: "w"},
		fuzzHeartbeat:    &critsweepv1.HeartbeatRequest{Ref: ref(0), Epoch: 1, Progress: &critsweepv1.Progress{Step: 5, TotalSteps: 10}},
		fuzzUploadDirect: &critsweepv1.CheckpointChunk{Ref: ref(1), Epoch: 1, Step: 4, Size: uint64(len(cp)), Data: cp},
		fuzzUploadStream: &critsweepv1.CheckpointChunk{Ref: ref(1), Epoch: 1, Step: 4, Size: uint64(len(cp)), Data: cp},
		fuzzComplete:     &critsweepv1.CompleteTaskRequest{Ref: ref(0), Epoch: 1, Result: &critsweepv1.Result{Steps: 10, FinalLoss: 0.5}},
		fuzzFail:         &critsweepv1.FailTaskRequest{Ref: ref(1), Epoch: 1, Reason: "boom"},
		fuzzGetTask:      &critsweepv1.GetTaskRequest{Ref: ref(2)},
		fuzzListTasks:    &critsweepv1.ListTasksRequest{SweepId: "fuzz-1", States: []critsweepv1.TaskState{critsweepv1.TaskState_TASK_STATE_LEASED}, PageSize: 1},
		fuzzListWorkers:  &critsweepv1.ListWorkersRequest{},
		fuzzSearch:       &critsweepv1.SearchResultsRequest{Filter: "size = 4 and steps > 5", OrderBy: "beta desc", PageSize: 1},
	}
	for m := range fuzzMethods {
		data, err := proto.MarshalOptions{Deterministic: true}.Marshal(seeds[m])
		if err != nil {
			f.Fatal(err)
		}
		for _, flags := range []uint8{0, fuzzRealSweep | fuzzLiveEpoch, fuzzExpire | fuzzTwice, fuzzCancelled | fuzzRealSweep | fuzzLiveEpoch} {
			f.Add(uint8(m), flags, data)
		}
	}
}

// TestFuzzSeedCorpusExists keeps the committed corpus directories from being dropped
// unnoticed: the fuzz targets' regression inputs live there.
func TestFuzzSeedCorpusExists(t *testing.T) {
	for _, name := range []string{"FuzzHandlers"} {
		entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", name))
		if err != nil || len(entries) == 0 {
			t.Errorf("testdata/fuzz/%s: no committed seed corpus (%v)", name, err)
		}
	}
}
