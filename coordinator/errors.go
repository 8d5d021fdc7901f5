package coordinator

import (
	"errors"

	"github.com/critsweep/critsweep/query"
	"github.com/critsweep/critsweep/spec"
)

// These errors are returned by Coordinator methods, and by Client methods when the server
// returned them; the gRPC server maps each to a status code.
var (
	// ErrInvalidSpec is spec.ErrInvalid, wrapped by a *spec.Error, when a sweep spec or
	// grid breaks a rule (InvalidArgument).
	ErrInvalidSpec = spec.ErrInvalid

	// ErrInvalidQuery is query.ErrInvalid, returned when a search's filter or order_by
	// does not parse; the message names the field and the column of the expression
	// (InvalidArgument, with a BadRequest naming the field).
	ErrInvalidQuery = query.ErrInvalid

	// ErrInvalidRequest is returned when a request lacks a field it needs or holds a value
	// out of range (InvalidArgument).
	ErrInvalidRequest = errors.New("invalid request")

	// ErrSweepNotFound is returned when no sweep has the given id (NotFound).
	ErrSweepNotFound = errors.New("sweep not found")

	// ErrTaskNotFound is returned when a sweep has no task with the given index (NotFound).
	ErrTaskNotFound = errors.New("task not found")

	// ErrStaleEpoch is returned to a worker call whose epoch is not the task's live lease:
	// the lease expired, was given back, or the task was leased again or finished under
	// another epoch. The worker must drop the task (FailedPrecondition).
	ErrStaleEpoch = errors.New("stale lease epoch")

	// ErrSweepCancelled is returned when a call needs a live sweep and it was cancelled
	// (FailedPrecondition).
	ErrSweepCancelled = errors.New("sweep cancelled")

	// ErrCheckpointTooLarge is returned when a checkpoint exceeds Options.MaxCheckpointBytes
	// (ResourceExhausted).
	ErrCheckpointTooLarge = errors.New("checkpoint too large")

	// ErrReadOnly is returned by calls that change state on a coordinator over a read-only
	// store (FailedPrecondition).
	ErrReadOnly = errors.New("coordinator is read-only")

	// ErrClosed is returned by calls made after Close (Unavailable).
	ErrClosed = errors.New("coordinator closed")

	// ErrDiskFull is returned when the disk that holds the database is full (or the
	// quota spent): the call stored nothing and can be retried once there is space
	// (Unavailable, so that workers retry it).
	ErrDiskFull = errors.New("the coordinator's disk is full")
)
