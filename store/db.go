package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the version of the layout this package writes. Open refuses a file
// whose version is newer or unknown, and migrates an older one when it opens it for
// writing (read-only, it reads it as it is):
//
//   - 1: sweeps, counts, tasks, results and checkpoints.
//   - 2: adds the progress bucket, the tasks' progress histories; a version 1 file gains
//     it empty, and nothing stored is rewritten.
const SchemaVersion = 2

// Defaults used when a field of Options is zero.
const (
	DefaultTimeout       = time.Second
	DefaultMaxBatchSize  = 1000
	DefaultMaxBatchDelay = 5 * time.Millisecond
	DefaultMode          = os.FileMode(0o600)
)

// Options tunes Open. A nil *Options means every field at its zero value, which selects
// the documented default.
type Options struct {
	// Timeout is how long Open waits for the file lock that another process holds before
	// it fails with ErrLocked. Zero means DefaultTimeout (1 s); a negative value waits
	// forever.
	Timeout time.Duration

	// ReadOnly opens an existing file for offline queries: it takes a shared lock, so a
	// running coordinator (which holds an exclusive one) makes Open fail with ErrLocked.
	// Update and Batch return ErrReadOnly. Zero value: open for writing, creating the file.
	ReadOnly bool

	// NoSync skips the fsync after each commit. Zero value: every commit is on disk
	// before Update or Batch returns. Only for tests and throwaway databases: a crash can
	// lose or corrupt data.
	NoSync bool

	// MaxBatchSize is the most calls Batch groups into one transaction. Zero means
	// DefaultMaxBatchSize.
	MaxBatchSize int

	// MaxBatchDelay is how long Batch waits for more calls before it commits a group.
	// Zero means DefaultMaxBatchDelay; it bounds the latency Batch adds to a lone call.
	MaxBatchDelay time.Duration

	// Mode is the permission of a file that Open creates. Zero means DefaultMode (0600).
	Mode os.FileMode
}

// DB is a critsweep database: one bbolt file holding sweeps, tasks, results and
// checkpoints. It is safe for concurrent use.
type DB struct {
	bolt     *bolt.DB
	path     string
	readOnly bool
	version  uint64 // the file's schema version, once open
}

// Bucket names. Every bucket is created by Open on a new file.
var (
	bucketMeta        = []byte("meta")
	bucketSweeps      = []byte("sweeps")
	bucketCounts      = []byte("counts")
	bucketTasks       = []byte("tasks")
	bucketResults     = []byte("results")
	bucketCheckpoints = []byte("checkpoints")
	bucketProgress    = []byte("progress") // since schema version 2

	allBuckets = [][]byte{bucketMeta, bucketSweeps, bucketCounts, bucketTasks, bucketResults, bucketCheckpoints, bucketProgress}

	keySchemaVersion = []byte("schema_version")
)

// bucketsOf returns the buckets a file of schema version v holds.
func bucketsOf(v uint64) [][]byte {
	if v < 2 {
		return allBuckets[:6]
	}
	return allBuckets
}

// Open opens the database at path, creating it unless o.ReadOnly. A nil o means the
// defaults documented on Options. It fails with ErrLocked when another process holds the
// file, with ErrSchemaNewer or ErrSchemaUnknown when the file is not one this critsweep
// can read, and with ErrDamaged when the file is cut short or bbolt cannot read it.
//
// Before a writable open, the file is opened read-only and its length checked against
// the pages its header counts: a writable open reads the freelist, and a file cut short
// (a copy or a disk that ran out) would fault there instead of failing.
func Open(path string, o *Options) (*DB, error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	bo := &bolt.Options{
		Timeout:      opts.Timeout,
		ReadOnly:     opts.ReadOnly,
		NoSync:       opts.NoSync,
		FreelistType: bolt.FreelistMapType,
	}
	switch {
	case bo.Timeout == 0:
		bo.Timeout = DefaultTimeout
	case bo.Timeout < 0:
		bo.Timeout = 0 // bbolt: wait forever
	}
	mode := opts.Mode
	if mode == 0 {
		mode = DefaultMode
	}
	info, err := os.Stat(path)
	switch {
	case err != nil && (opts.ReadOnly || !errors.Is(err, fs.ErrNotExist)):
		// bbolt would open a missing file read-only with a confusing error; say it plainly.
		return nil, fmt.Errorf("open database: %w", err)
	case err != nil: // a new file
	case info.IsDir():
		return nil, fmt.Errorf("open database %s: is a directory, not a database file", path)
	case info.Size() == 0 && opts.ReadOnly:
		// A writable open makes a new database in an empty file; a read-only one cannot.
		return nil, fmt.Errorf("database %s is empty: not a critsweep database (a coordinator's --db file is never empty): %w",
			path, ErrSchemaUnknown)
	case !opts.ReadOnly && info.Size() > 0:
		probe, err := openBolt(path, mode, &bolt.Options{Timeout: bo.Timeout, ReadOnly: true})
		if err != nil {
			return nil, err
		}
		err = checkLength(probe, path)
		_ = probe.Close()
		if err != nil {
			return nil, err
		}
	}
	bdb, err := openBolt(path, mode, bo)
	if err != nil {
		return nil, err
	}
	bdb.MaxBatchSize = opts.MaxBatchSize
	if bdb.MaxBatchSize <= 0 {
		bdb.MaxBatchSize = DefaultMaxBatchSize
	}
	bdb.MaxBatchDelay = opts.MaxBatchDelay
	if bdb.MaxBatchDelay <= 0 {
		bdb.MaxBatchDelay = DefaultMaxBatchDelay
	}
	db := &DB{bolt: bdb, path: path, readOnly: opts.ReadOnly}
	if err := db.init(); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	return db, nil
}

// openBolt opens the bbolt file, turning bbolt's errors into the store's. A panic or a
// fault while bbolt reads the file's first pages means the file is damaged: it becomes
// an ErrDamaged error. (bbolt then keeps the file open until the process ends.)
func openBolt(path string, mode os.FileMode, bo *bolt.Options) (bdb *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			bdb, err = nil, &damagedError{path: path, what: fmt.Sprintf("reading its first pages failed (%v)", p)}
		}
	}()
	bdb, err = bolt.Open(path, mode, bo)
	switch {
	case err == nil:
		return bdb, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, &lockedError{path: path}
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return nil, &damagedError{path: path, cause: err, notOurs: true}
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) { // opening or locking the file failed: not its content
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// The rest are bbolt's complaints about the content ("file size too small").
	return nil, &damagedError{path: path, what: fmt.Sprintf("bbolt cannot read it (%v)", err), cause: err}
}

// checkLength returns an ErrDamaged error when the file is shorter than the pages its
// header counts. Reading a page past the end of a mapped file faults, so no later read
// is safe on such a file.
func checkLength(bdb *bolt.DB, path string) error {
	var want int64
	err := bdb.View(func(tx *bolt.Tx) error {
		want = tx.Size()
		return nil
	})
	if err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	if info.Size() < want {
		return &damagedError{path: path, what: fmt.Sprintf("it is cut short: it holds %d bytes, but its pages reach %d (a copy or a disk that was cut off?)",
			info.Size(), want)}
	}
	return nil
}

// init creates the buckets of a new file and checks the schema version and the buckets
// of an old one.
func (db *DB) init() (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer catchDamage(db.path, &err)
	if err := checkLength(db.bolt, db.path); err != nil {
		return err
	}
	var version uint64
	var found bool
	err = db.bolt.View(func(tx *bolt.Tx) error {
		version, found = readVersion(tx)
		return nil
	})
	if err != nil {
		return err
	}
	if !found {
		if db.readOnly {
			return fmt.Errorf("database %s has no critsweep schema: %w", db.path, ErrSchemaUnknown)
		}
		db.version = SchemaVersion
		return db.bolt.Update(func(tx *bolt.Tx) error {
			if err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
				return fmt.Errorf("database %s holds bucket %s but no critsweep schema: %w", db.path, quote(name), ErrSchemaUnknown)
			}); err != nil {
				return err
			}
			for _, name := range allBuckets {
				if _, err := tx.CreateBucket(name); err != nil {
					return fmt.Errorf("create bucket %s: %w", name, err)
				}
			}
			return tx.Bucket(bucketMeta).Put(keySchemaVersion, binary.BigEndian.AppendUint64(nil, SchemaVersion))
		})
	}
	switch {
	case version > SchemaVersion:
		return fmt.Errorf("database %s has schema version %d; this critsweep knows up to %d (upgrade critsweep): %w",
			db.path, version, SchemaVersion, ErrSchemaNewer)
	case version < 1:
		return fmt.Errorf("database %s has schema version %d: %w", db.path, version, ErrSchemaUnknown)
	}
	// Every reader relies on the buckets: a file without one is refused here rather than
	// failing in the middle of a transaction.
	err = db.bolt.View(func(tx *bolt.Tx) error {
		for _, name := range bucketsOf(version) {
			if tx.Bucket(name) == nil {
				return &damagedError{path: db.path, what: fmt.Sprintf("bucket %s is missing", name)}
			}
		}
		return nil
	})
	if err != nil || version == SchemaVersion || db.readOnly {
		db.version = version
		return err
	}
	if err := db.bolt.Update(func(tx *bolt.Tx) error { return migrate(tx, version) }); err != nil {
		return fmt.Errorf("migrate database %s from schema version %d to %d: %w", db.path, version, SchemaVersion, err)
	}
	db.version = SchemaVersion
	return nil
}

// migrate brings a file of schema version from up to SchemaVersion, in one transaction:
// a crash leaves it at its old version, whole.
func migrate(tx *bolt.Tx, from uint64) error {
	if from < 2 {
		if _, err := tx.CreateBucketIfNotExists(bucketProgress); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketProgress, err)
		}
	}
	return tx.Bucket(bucketMeta).Put(keySchemaVersion, binary.BigEndian.AppendUint64(nil, SchemaVersion))
}

// readVersion returns the schema version recorded in the meta bucket; found is false when
// there is no meta bucket or no version in it. A version that is not 8 bytes reads as 0.
func readVersion(tx *bolt.Tx) (version uint64, found bool) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, false
	}
	v := meta.Get(keySchemaVersion)
	if v == nil {
		return 0, false
	}
	if len(v) != 8 {
		return 0, true
	}
	return binary.BigEndian.Uint64(v), true
}

// Close releases the file and its lock. Transactions in flight finish first.
func (db *DB) Close() error { return db.bolt.Close() }

// Path returns the path the database was opened from.
func (db *DB) Path() string { return db.path }

// Version returns the file's schema version: SchemaVersion, or an older one that a
// read-only open left as it is.
func (db *DB) Version() uint64 { return db.version }

// ReadOnly reports whether the database was opened with Options.ReadOnly.
func (db *DB) ReadOnly() bool { return db.readOnly }

// View runs fn in a read-only transaction. The records fn reads are copies and stay valid
// after it returns. A damaged page that makes bbolt fault or panic ends it with an
// ErrDamaged error instead of ending the process.
func (db *DB) View(fn func(*Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer catchDamage(db.path, &err)
	return db.bolt.View(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx}) })
}

// Update runs fn in a read-write transaction, committed (and synced, unless
// Options.NoSync) when fn returns nil and rolled back when it returns an error. Like
// View, it returns an ErrDamaged error when reading the file faults.
func (db *DB) Update(fn func(*Tx) error) (err error) {
	if db.readOnly {
		return ErrReadOnly
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer catchDamage(db.path, &err)
	return db.bolt.Update(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx}) })
}

// catchDamage, deferred by View and Update with SetPanicOnFault on, turns what a damaged
// page does to bbolt into an ErrDamaged error: a fault (a page that points outside the
// mapped file) or a panic raised in bbolt's code (its assertions on what it reads).
// bbolt has rolled the transaction back by then. Any other panic goes on: it is a bug,
// not bad data.
func catchDamage(path string, err *error) {
	p := recover()
	if p == nil {
		return
	}
	if f, ok := p.(interface{ Addr() uintptr }); ok {
		*err = &damagedError{path: path, what: fmt.Sprintf("reading it faulted at address %#x (%v)", f.Addr(), p)}
		return
	}
	if raisedInBbolt() {
		*err = &damagedError{path: path, what: fmt.Sprintf("bbolt panicked reading it (%v)", p)}
		return
	}
	panic(p)
}

// raisedInBbolt reports, from a deferred function during a panic, whether the panic was
// raised in bbolt's code: the first frame below the runtime's panic machinery is bbolt's.
func raisedInBbolt() bool {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	inPanic := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			inPanic = true
		case !inPanic || strings.HasPrefix(f.Function, "runtime."):
		default:
			return strings.HasPrefix(f.Function, "go.etcd.io/bbolt.") || strings.HasPrefix(f.Function, "go.etcd.io/bbolt/")
		}
		if !more {
			return false
		}
	}
}

// Batch runs fn in a read-write transaction shared with other concurrent Batch calls, so
// that they share one commit and one fsync: group commit. It returns once the shared
// transaction is on disk.
//
// fn may run more than once: when one call of a group returns an error, the group is
// rolled back and the others run again. fn must therefore change nothing outside the
// transaction, reset whatever it records at its start, and return an error only to abort
// (a refusal the caller reports is better recorded in a variable and returned as nil).
func (db *DB) Batch(fn func(*Tx) error) error {
	if db.readOnly {
		return ErrReadOnly
	}
	// fn runs in bbolt's batch goroutine: the guard against damaged pages goes inside.
	return db.bolt.Batch(func(btx *bolt.Tx) (err error) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer catchDamage(db.path, &err)
		return fn(&Tx{tx: btx})
	})
}
