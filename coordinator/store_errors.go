package coordinator

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/critsweep/critsweep/store"
)

// storeErr translates the store's errors into the coordinator's, keeping the store's
// message and both sentinels.
func storeErr(err error) error {
	for _, m := range []struct{ from, to error }{
		{store.ErrSweepNotFound, ErrSweepNotFound},
		{store.ErrTaskNotFound, ErrTaskNotFound},
		{store.ErrInvalidID, ErrInvalidRequest},
		{store.ErrReadOnly, ErrReadOnly},
	} {
		if errors.Is(err, m.from) {
			return &translated{sentinel: m.to, err: err}
		}
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %w: nothing was stored; free space on the disk that holds the database, then retry", ErrDiskFull, err)
	}
	return err
}

// translated is an error of the store reported as one of the coordinator's.
type translated struct {
	sentinel error
	err      error
}

func (e *translated) Error() string   { return e.err.Error() }
func (e *translated) Unwrap() []error { return []error{e.sentinel, e.err} }
