package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// MaxIDLen is the longest sweep id the store accepts, in bytes.
const MaxIDLen = 128

// Task, result and checkpoint keys are the sweep id, a NUL byte and the task index as a
// big-endian uint32. Sweep ids hold no NUL, so the keys of one sweep are contiguous (they
// all start with id+NUL) and ordered by index.

// checkID returns ErrInvalidID (wrapped, naming the id) when id cannot be a key.
func checkID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty", ErrInvalidID)
	case len(id) > MaxIDLen:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidID, len(id), MaxIDLen)
	case strings.IndexByte(id, 0) >= 0:
		return fmt.Errorf("%w: %s holds a NUL byte", ErrInvalidID, quote(id))
	}
	return nil
}

// taskPrefix returns the common prefix of every task key of the sweep.
func taskPrefix(sweepID string) []byte {
	k := make([]byte, 0, len(sweepID)+5)
	k = append(k, sweepID...)
	return append(k, 0)
}

// taskKey returns the key of task index of the sweep.
func taskKey(sweepID string, index uint32) []byte {
	return binary.BigEndian.AppendUint32(taskPrefix(sweepID), index)
}

// refKey returns the key of ref, or an error when ref is nil or its sweep id invalid.
func refKey(ref *critsweepv1.TaskRef) ([]byte, error) {
	if ref == nil {
		return nil, fmt.Errorf("%w: nil task ref", ErrInvalidID)
	}
	if err := checkID(ref.GetSweepId()); err != nil {
		return nil, err
	}
	return taskKey(ref.GetSweepId(), ref.GetIndex()), nil
}

// maxQuoted is the most bytes of a key that errors and Check's problems quote: a damaged
// page can hand out a "key" gigabytes long.
const maxQuoted = 64

// quote returns k quoted for a message, cut to maxQuoted bytes with its length told.
func quote[K ~string | ~[]byte](k K) string {
	if len(k) <= maxQuoted {
		return strconv.Quote(string(k))
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(string(k[:maxQuoted])), len(k))
}

// clip returns s for a message, cut to maxQuoted bytes with its length told.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes)", strings.ToValidUTF8(s[:maxQuoted], "?"), len(s))
}

// parseTaskKey splits a task key into sweep id and index.
func parseTaskKey(k []byte) (sweepID string, index uint32, err error) {
	i := bytes.IndexByte(k, 0)
	if i <= 0 || len(k) != i+5 {
		return "", 0, fmt.Errorf("malformed task key %s", quote(k))
	}
	return string(k[:i]), binary.BigEndian.Uint32(k[i+1:]), nil
}
