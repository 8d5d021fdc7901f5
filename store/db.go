package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the version of the layout this package reads and writes. Open refuses a
// file whose version is newer or unknown; older versions would be migrated by Open (there
// are none yet).
const SchemaVersion = 1

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
}

// Bucket names. Every bucket is created by Open on a new file.
var (
	bucketMeta        = []byte("meta")
	bucketSweeps      = []byte("sweeps")
	bucketCounts      = []byte("counts")
	bucketTasks       = []byte("tasks")
	bucketResults     = []byte("results")
	bucketCheckpoints = []byte("checkpoints")

	allBuckets = [][]byte{bucketMeta, bucketSweeps, bucketCounts, bucketTasks, bucketResults, bucketCheckpoints}

	keySchemaVersion = []byte("schema_version")
)

// Open opens the database at path, creating it unless o.ReadOnly. A nil o means the
// defaults documented on Options. It fails with ErrLocked when another process holds the
// file, and with ErrSchemaNewer or ErrSchemaUnknown when the file is not one this
// critsweep can read.
func Open(path string, o *Options) (*DB, error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	timeout := opts.Timeout
	switch {
	case timeout == 0:
		timeout = DefaultTimeout
	case timeout < 0:
		timeout = 0 // bbolt: wait forever
	}
	mode := opts.Mode
	if mode == 0 {
		mode = DefaultMode
	}
	if opts.ReadOnly {
		// bbolt would open a missing file read-only with a confusing error; say it plainly.
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
	}
	bdb, err := bolt.Open(path, mode, &bolt.Options{
		Timeout:      timeout,
		ReadOnly:     opts.ReadOnly,
		NoSync:       opts.NoSync,
		FreelistType: bolt.FreelistMapType,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &lockedError{path: path}
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
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

// init creates the buckets of a new file and checks the schema version of an old one.
func (db *DB) init() error {
	var version uint64
	var found bool
	err := db.bolt.View(func(tx *bolt.Tx) error {
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
		return db.bolt.Update(func(tx *bolt.Tx) error {
			if err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
				return fmt.Errorf("database %s holds bucket %q but no critsweep schema: %w", db.path, name, ErrSchemaUnknown)
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
	return nil
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

// ReadOnly reports whether the database was opened with Options.ReadOnly.
func (db *DB) ReadOnly() bool { return db.readOnly }

// View runs fn in a read-only transaction. The records fn reads are copies and stay valid
// after it returns.
func (db *DB) View(fn func(*Tx) error) error {
	return db.bolt.View(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx}) })
}

// Update runs fn in a read-write transaction, committed (and synced, unless
// Options.NoSync) when fn returns nil and rolled back when it returns an error.
func (db *DB) Update(fn func(*Tx) error) error {
	if db.readOnly {
		return ErrReadOnly
	}
	return db.bolt.Update(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx}) })
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
	return db.bolt.Batch(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx}) })
}
