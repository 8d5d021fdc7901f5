package coordinator

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// The transitions are pure: these tests need neither store nor clock, only times.
var (
	t0      = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	policy2 = policy{leaseDuration: time.Minute, maxAttempts: 2}
)

func leasedTask(epoch uint64, expires time.Time) *critsweepv1.Task {
	return &critsweepv1.Task{
		Ref: &critsweepv1.TaskRef{SweepId: "s", Index: 0}, State: leased,
		Epoch: epoch, Attempts: uint32(epoch), Worker: "w", LeaseExpires: timestamppb.New(expires),
	}
}

func TestTransitionsRefuseWithReason(t *testing.T) {
	exp := t0.Add(time.Minute)
	tests := []struct {
		name string
		task *critsweepv1.Task
		do   func(*critsweepv1.Task) error
		want error
	}{
		{"heartbeat live", leasedTask(2, exp), func(t *critsweepv1.Task) error {
			_, err := heartbeat(t, 2, nil, exp.Add(-time.Nanosecond), policy2)
			return err
		}, nil},
		{"heartbeat at expiry", leasedTask(2, exp), func(t *critsweepv1.Task) error {
			_, err := heartbeat(t, 2, nil, exp, policy2)
			return err
		}, ErrStaleEpoch},
		{"heartbeat old epoch", leasedTask(2, exp), func(t *critsweepv1.Task) error {
			_, err := heartbeat(t, 1, nil, t0, policy2)
			return err
		}, ErrStaleEpoch},
		{"heartbeat future epoch", leasedTask(2, exp), func(t *critsweepv1.Task) error {
			_, err := heartbeat(t, 3, nil, t0, policy2)
			return err
		}, ErrStaleEpoch},
		{"checkpoint after expiry", leasedTask(1, exp), func(t *critsweepv1.Task) error {
			return acceptCheckpoint(t, 1, 5, exp.Add(time.Second))
		}, ErrStaleEpoch},
		{"complete after expiry, not yet taken back", leasedTask(1, exp), func(t *critsweepv1.Task) error {
			_, err := complete(t, 1)
			return err
		}, nil},
		{"complete pending", &critsweepv1.Task{State: pending, Epoch: 1}, func(t *critsweepv1.Task) error {
			_, err := complete(t, 1)
			return err
		}, ErrStaleEpoch},
		{"complete cancelled", &critsweepv1.Task{State: cancelled, Epoch: 1}, func(t *critsweepv1.Task) error {
			_, err := complete(t, 1)
			return err
		}, ErrSweepCancelled},
		{"lease leased", leasedTask(1, exp), func(t *critsweepv1.Task) error {
			return grantLease(t, "w2", t0, policy2)
		}, errNotPending},
		{"fail done", &critsweepv1.Task{State: done, Epoch: 1}, func(t *critsweepv1.Task) error {
			_, err := fail(t, 1, "x", false, policy2)
			return err
		}, ErrStaleEpoch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(tt.task); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestExpireCountsAttempts(t *testing.T) {
	task := &critsweepv1.Task{Ref: &critsweepv1.TaskRef{SweepId: "s"}, State: pending}
	for attempt := 1; attempt <= 2; attempt++ {
		now := t0.Add(time.Duration(attempt) * time.Hour)
		if err := grantLease(task, "w", now, policy2); err != nil {
			t.Fatal(err)
		}
		if expire(task, now.Add(policy2.leaseDuration-time.Nanosecond), policy2) {
			t.Fatal("expired before its time")
		}
		if !expire(task, now.Add(policy2.leaseDuration), policy2) {
			t.Fatal("did not expire at its time")
		}
	}
	if task.GetState() != failed || len(task.GetFailures()) != 2 || task.GetEpoch() != 2 {
		t.Errorf("after 2 expiries: %v, want failed with 2 failures at epoch 2", task)
	}
	if expire(task, t0.Add(100*time.Hour), policy2) {
		t.Error("a failed task expired again")
	}
}
