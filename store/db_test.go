package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestOpenCreatesSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatalf("Open new file: %v", err)
	}
	if err := db.Check(); err != nil {
		t.Errorf("Check of a new file: %v", err)
	}
	if got := db.Path(); got != path {
		t.Errorf("Path() = %q, want %q", got, path)
	}
	db.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != DefaultMode {
		t.Errorf("file mode = %v, want %v", got, DefaultMode)
	}
	// Reopening finds the schema it wrote.
	db, err = Open(path, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	db.Close()
}

func TestOpenLockedFailsFast(t *testing.T) {
	db := openTest(t, nil)
	for _, readOnly := range []bool{false, true} {
		start := time.Now()
		_, err := Open(db.Path(), &Options{Timeout: 50 * time.Millisecond, ReadOnly: readOnly})
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("second Open (read-only %t) = %v, want ErrLocked", readOnly, err)
		}
		want := "database " + db.Path() + " is in use by another process (a running coordinator?)"
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Open took %v with a 50ms timeout", d)
		}
	}
}

func TestOpenReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.db")
	if _, err := Open(path, &Options{ReadOnly: true}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only Open of a missing file = %v, want ErrNotExist", err)
	}
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	addSweep(t, db, "s", 3)
	db.Close()

	ro, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open: %v", err)
	}
	defer ro.Close()
	if !ro.ReadOnly() {
		t.Error("ReadOnly() = false")
	}
	err = ro.View(func(tx *Tx) error {
		c, err := tx.Counts("s")
		if err != nil {
			return err
		}
		if c.GetPending() != 3 {
			t.Errorf("pending = %d, want 3", c.GetPending())
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	if err := ro.Update(func(*Tx) error { return nil }); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Update on read-only = %v, want ErrReadOnly", err)
	}
	if err := ro.Batch(func(*Tx) error { return nil }); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Batch on read-only = %v, want ErrReadOnly", err)
	}
	if err := ro.Check(); err != nil {
		t.Errorf("Check read-only: %v", err)
	}
	// Two offline readers may share the file.
	ro2, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("second read-only Open: %v", err)
	}
	ro2.Close()
}

// writeRaw makes a bbolt file at path and lets fn fill it.
func writeRaw(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
	b.Close()
}

func TestOpenRefusesForeignSchemas(t *testing.T) {
	version := func(v uint64) func(tx *bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket(bucketMeta)
			if err != nil {
				return err
			}
			return b.Put(keySchemaVersion, binary.BigEndian.AppendUint64(nil, v))
		}
	}
	tests := []struct {
		name     string
		fill     func(tx *bolt.Tx) error
		readOnly bool
		want     error
		wantText string
	}{
		{"newer", version(SchemaVersion + 1), false, ErrSchemaNewer,
			fmt.Sprintf("has schema version %d; this critsweep knows up to %d", SchemaVersion+1, SchemaVersion)},
		{"newer read-only", version(99), true, ErrSchemaNewer, "schema version 99"},
		{"zero", version(0), false, ErrSchemaUnknown, "schema version 0"},
		{"foreign buckets", func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("etcd")); return err }, false,
			ErrSchemaUnknown, `holds bucket "etcd"`},
		{"empty read-only", func(*bolt.Tx) error { return nil }, true, ErrSchemaUnknown, "no critsweep schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.db")
			writeRaw(t, path, tt.fill)
			db, err := Open(path, &Options{ReadOnly: tt.readOnly})
			if err == nil {
				db.Close()
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("Open = %v, want %v containing %q", err, tt.want, tt.wantText)
			}
		})
	}
}

func TestOpenNotBolt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if db, err := Open(path, nil); err == nil {
		db.Close()
		t.Fatal("Open of a junk file succeeded")
	}
}
