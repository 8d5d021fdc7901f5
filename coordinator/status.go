package coordinator

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/critsweep/critsweep/spec"
)

// errorDomain is the ErrorInfo domain of the coordinator's errors on the wire.
const errorDomain = "critsweep.v1"

// wireErrors pairs each sentinel with its status code and the ErrorInfo reason that
// carries it across the wire, so that Client returns the sentinel the server saw.
var wireErrors = []struct {
	err    error
	code   codes.Code
	reason string
}{
	{ErrInvalidSpec, codes.InvalidArgument, "INVALID_SPEC"},
	{ErrInvalidRequest, codes.InvalidArgument, "INVALID_REQUEST"},
	{ErrInvalidQuery, codes.InvalidArgument, "INVALID_QUERY"},
	{ErrSweepNotFound, codes.NotFound, "SWEEP_NOT_FOUND"},
	{ErrTaskNotFound, codes.NotFound, "TASK_NOT_FOUND"},
	{ErrStaleEpoch, codes.FailedPrecondition, "STALE_EPOCH"},
	{ErrSweepCancelled, codes.FailedPrecondition, "SWEEP_CANCELLED"},
	{ErrReadOnly, codes.FailedPrecondition, "READ_ONLY"},
	{ErrCheckpointTooLarge, codes.ResourceExhausted, "CHECKPOINT_TOO_LARGE"},
	{ErrClosed, codes.Unavailable, "CLOSED"},
	{ErrDiskFull, codes.Unavailable, "DISK_FULL"},
}

// toStatus turns an error of the coordinator into a gRPC status error: the sentinel's
// code with an ErrorInfo naming it, and for a *spec.Error a BadRequest listing the fields.
// Errors it does not know become Internal.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	for _, w := range wireErrors {
		if !errors.Is(err, w.err) {
			continue
		}
		st := status.New(w.code, err.Error())
		details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: w.reason, Domain: errorDomain}}
		var se *spec.Error
		var qe *queryError
		if errors.As(err, &qe) {
			details = append(details, &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{
				Field: qe.field, Description: qe.err.Error(),
			}}})
		}
		if errors.As(err, &se) {
			br := &errdetails.BadRequest{}
			for _, v := range se.Violations {
				br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
					Field: v.Field, Description: v.Description,
				})
			}
			details = append(details, br)
		}
		if withDetails, derr := st.WithDetails(details...); derr == nil {
			st = withDetails
		}
		return st.Err()
	}
	return status.Error(codes.Internal, err.Error())
}

// fromStatus turns a status error from the server back into the coordinator's error: the
// sentinel named by its ErrorInfo (a *spec.Error for an invalid spec), wrapped with the
// server's message. Other errors are returned as they are.
func fromStatus(err error) error {
	st, ok := status.FromError(err)
	if !ok || err == nil {
		return err
	}
	var reason string
	var specErr *spec.Error
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			if d.GetDomain() == errorDomain {
				reason = d.GetReason()
			}
		case *errdetails.BadRequest:
			specErr = &spec.Error{}
			for _, v := range d.GetFieldViolations() {
				specErr.Violations = append(specErr.Violations, spec.Violation{Field: v.GetField(), Description: v.GetDescription()})
			}
		}
	}
	if reason == "INVALID_SPEC" && specErr != nil {
		return &remoteError{sentinel: specErr, status: st}
	}
	for _, w := range wireErrors {
		if w.reason == reason {
			return &remoteError{sentinel: w.err, status: st}
		}
	}
	switch st.Code() {
	case codes.Canceled:
		return fmt.Errorf("%w: %s", context.Canceled, st.Message())
	case codes.DeadlineExceeded:
		return fmt.Errorf("%w: %s", context.DeadlineExceeded, st.Message())
	}
	return err
}

// remoteError is a coordinator error that crossed the wire: errors.Is matches its
// sentinel (errors.As its *spec.Error), and status.FromError still finds its status.
type remoteError struct {
	sentinel error
	status   *status.Status
}

func (e *remoteError) Error() string              { return e.status.Message() }
func (e *remoteError) Unwrap() error              { return e.sentinel }
func (e *remoteError) GRPCStatus() *status.Status { return e.status }
