package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// Tx is a transaction of the database, read-only (View) or read-write (Update, Batch).
// Records it returns are decoded copies that the caller owns. A Tx must not be used after
// the function it was passed to returns.
type Tx struct {
	tx *bolt.Tx
	// states remembers the stored state of the tasks this Tx read or wrote, so that
	// PutTask need not decode the record again to keep the state counts.
	states map[string]critsweepv1.TaskState
}

// Writable reports whether the transaction may write.
func (tx *Tx) Writable() bool { return tx.tx.Writable() }

// marshal is how every record is encoded: deterministic, so that equal records are equal
// bytes.
var marshal = proto.MarshalOptions{Deterministic: true}

// get decodes the value at key of bucket into m; found is false when there is none.
func (tx *Tx) get(bucket, key []byte, m proto.Message) (found bool, err error) {
	v := tx.tx.Bucket(bucket).Get(key)
	if v == nil {
		return false, nil
	}
	if err := proto.Unmarshal(v, m); err != nil {
		return true, fmt.Errorf("decode %s record %s: %w", bucket, quote(key), err)
	}
	return true, nil
}

// put encodes m and stores it at key of bucket.
func (tx *Tx) put(bucket, key []byte, m proto.Message) error {
	v, err := marshal.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s record %s: %w", bucket, quote(key), err)
	}
	if err := tx.tx.Bucket(bucket).Put(key, v); err != nil {
		return fmt.Errorf("store %s record %s: %w", bucket, quote(key), err)
	}
	return nil
}

// forEachPrefix calls fn for each key of bucket that starts with prefix, in key order.
func (tx *Tx) forEachPrefix(bucket, prefix []byte, fn func(k, v []byte) error) error {
	c := tx.tx.Bucket(bucket).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

func hasPrefix(k, prefix []byte) bool {
	return len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix)
}

// unmarshalRecord decodes v, the value at k of bucket, into m.
func unmarshalRecord(bucket, k, v []byte, m proto.Message) error {
	if err := proto.Unmarshal(v, m); err != nil {
		return fmt.Errorf("decode %s record %s: %w", bucket, quote(k), err)
	}
	return nil
}
