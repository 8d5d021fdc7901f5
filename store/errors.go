package store

import (
	"errors"
	"fmt"
)

// These errors can be returned by Open.
var (
	// ErrLocked is returned (wrapped, with the file's name) when another process holds
	// the database file: a running coordinator keeps it locked for as long as it runs.
	ErrLocked = errors.New("database is locked")

	// ErrSchemaNewer is returned when the file was written by a newer critsweep whose
	// schema this one does not know.
	ErrSchemaNewer = errors.New("database schema is newer than this critsweep")

	// ErrSchemaUnknown is returned when the file is a bbolt database but not one that
	// critsweep wrote, or its schema version is not one critsweep knows.
	ErrSchemaUnknown = errors.New("not a critsweep database or unknown schema version")

	// ErrDamaged is returned (wrapped, saying what is wrong) when the file is cut short,
	// lacks one of critsweep's buckets, or is not a bbolt file bbolt can read: garbage,
	// or a database damaged beyond reading. critsweep db check FILE tells more.
	ErrDamaged = errors.New("database file is damaged")
)

// These errors can be returned when reading records.
var (
	// ErrSweepNotFound is returned when no sweep has the given id.
	ErrSweepNotFound = errors.New("sweep not found")

	// ErrTaskNotFound is returned when a sweep has no task with the given index.
	ErrTaskNotFound = errors.New("task not found")

	// ErrResultNotFound is returned when a task has no stored result.
	ErrResultNotFound = errors.New("result not found")

	// ErrCheckpointNotFound is returned when a task has no stored checkpoint.
	ErrCheckpointNotFound = errors.New("checkpoint not found")
)

// These errors can be returned when writing records.
var (
	// ErrReadOnly is returned by Update and Batch on a database opened read-only.
	ErrReadOnly = errors.New("database is open read-only")

	// ErrInvalidID is returned when a sweep id is empty, too long or holds a NUL byte.
	ErrInvalidID = errors.New("invalid sweep id")

	// ErrSweepExists is returned by CreateSweep when the id is taken.
	ErrSweepExists = errors.New("sweep already exists")
)

// ErrInconsistent is returned (wrapped in a *CheckError) by Check when the file breaks an
// invariant of bbolt or of critsweep.
var ErrInconsistent = errors.New("database is inconsistent")

// lockedError says which file is locked, in the words a user needs.
type lockedError struct{ path string }

func (e *lockedError) Error() string {
	return "database " + e.path + " is in use by another process (a running coordinator?)"
}

func (e *lockedError) Unwrap() error { return ErrLocked }

// damagedError says what is wrong with a damaged file and what to do about it.
type damagedError struct {
	path    string
	what    string // what is wrong, when known
	cause   error  // bbolt's error, if any
	notOurs bool   // the file may not be a critsweep database at all
}

func (e *damagedError) Error() string {
	if e.notOurs {
		return fmt.Sprintf("cannot open %s as a critsweep database (%v): it is not one, or it is damaged beyond reading; "+
			"check the path, and if it is a coordinator's --db file, restore it from a backup", e.path, e.cause)
	}
	return fmt.Sprintf("database %s is damaged: %s; restore it from a backup (critsweep db check %s lists what is wrong)",
		e.path, e.what, e.path)
}

// Unwrap makes errors.Is find ErrDamaged and bbolt's error.
func (e *damagedError) Unwrap() []error {
	if e.cause != nil {
		return []error{ErrDamaged, e.cause}
	}
	return []error{ErrDamaged}
}
