package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// soundFile returns the bytes of a closed, sound database of one sweep of n tasks.
func soundFile(t *testing.T, n int) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sound.db")
	db, err := Open(path, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	addSweep(t, db, "s", n)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeDB(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "critsweep.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOpenDamagedFiles opens files that are cut short, garbage, empty or missing a
// bucket, read-only and for writing: each gives the error that says what is wrong,
// never a fault (a cut file used to fault reading its freelist past the end).
func TestOpenDamagedFiles(t *testing.T) {
	sound := soundFile(t, 300)
	if len(sound) < 16*4096 {
		t.Fatalf("the sound file is %d bytes: too few pages to cut", len(sound))
	}
	noResults := writeDB(t, sound)
	bdb, err := bolt.Open(noResults, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketResults) }); err != nil {
		t.Fatal(err)
	}
	bdb.Close()

	tests := []struct {
		name      string
		path      string
		readOnly  bool
		sentinels []error
		want      []string
	}{
		{"cut, read-only", writeDB(t, sound[:len(sound)*3/8]), true, []error{ErrDamaged}, []string{"cut short", "its pages reach", "restore it from a backup"}},
		{"cut, for writing", writeDB(t, sound[:len(sound)*3/8]), false, []error{ErrDamaged}, []string{"cut short", "restore it from a backup"}},
		{"cut to one page", writeDB(t, sound[:4096]), false, []error{ErrDamaged}, []string{"is damaged", "restore it from a backup"}},
		{"garbage", writeDB(t, bytes.Repeat([]byte("garbage "), 4096)), false, []error{ErrDamaged, berrors.ErrInvalid},
			[]string{"cannot open", "invalid database", "not one, or it is damaged", "check the path"}},
		{"missing bucket", noResults, true, []error{ErrDamaged}, []string{"bucket results is missing", "critsweep db check"}},
		{"empty, read-only", writeDB(t, nil), true, []error{ErrSchemaUnknown}, []string{"is empty", "not a critsweep database"}},
		{"directory", t.TempDir(), false, nil, []string{"is a directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(tt.path, &Options{ReadOnly: tt.readOnly})
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			for _, s := range tt.sentinels {
				if !errors.Is(err, s) {
					t.Errorf("Open = %v, want an error wrapping %v", err, s)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Open = %q, want it to say %q", err, w)
				}
			}
		})
	}

	// A writable Open makes a new database in an empty file.
	db, err := Open(writeDB(t, nil), nil)
	if err != nil {
		t.Fatalf("writable Open of an empty file: %v", err)
	}
	if err := db.Check(); err != nil {
		t.Error(err)
	}
	db.Close()
}

// TestDamagedPagesAreErrors damages the leaf pages of a sound file one at a time, in
// two ways: a key length that reaches far outside the mapped file (reading it faults),
// and a page type bbolt does not know (bbolt panics). View must return an ErrDamaged
// error that says so, instead of the process dying.
func TestDamagedPagesAreErrors(t *testing.T) {
	sound := soundFile(t, 300)
	const pageSize = 4096
	for _, d := range []struct {
		name   string
		damage func(page []byte)
		says   string
	}{
		// The first element: flags, pos, ksize, vsize (uint32 each) after the 16-byte header.
		{"huge key", func(page []byte) { binary.LittleEndian.PutUint32(page[16+8:], 1<<30) }, "faulted"},
		{"page type", func(page []byte) { binary.LittleEndian.PutUint16(page[8:], 0x40) }, "bbolt panicked"},
	} {
		t.Run(d.name, func(t *testing.T) {
			caught := map[string]int{}
			for off := 2 * pageSize; off+pageSize <= len(sound); off += pageSize {
				flags := binary.LittleEndian.Uint16(sound[off+8:])
				count := binary.LittleEndian.Uint16(sound[off+10:])
				if flags != 0x02 || count == 0 { // a leaf page with elements
					continue
				}
				data := bytes.Clone(sound)
				d.damage(data[off : off+pageSize])
				db, err := Open(writeDB(t, data), &Options{ReadOnly: true})
				if errors.Is(err, ErrDamaged) {
					continue // a leaf that Open reads (the buckets')
				}
				if err != nil {
					t.Fatalf("Open of a file with a damaged leaf at %d: %v", off, err)
				}
				readAll := func(tx *Tx) error {
					if err := tx.ForEachTask("s", 0, func(*critsweepv1.Task) error { return nil }); err != nil {
						return err
					}
					return tx.ForEachSweep(func(*critsweepv1.Sweep) error { return nil })
				}
				viewErr := db.View(readAll)
				db.Close()
				// Batch runs its function in bbolt's goroutine, where the guard must be too.
				db, err = Open(db.Path(), &Options{NoSync: true})
				if err != nil {
					t.Fatalf("writable Open of a file with a damaged leaf at %d: %v", off, err)
				}
				batchErr := db.Batch(readAll)
				db.Close()
				for what, err := range map[string]error{"View": viewErr, "Batch": batchErr} {
					if !errors.Is(err, ErrDamaged) {
						continue
					}
					caught[what]++
					if !strings.Contains(err.Error(), d.says) || !strings.Contains(err.Error(), "restore it from a backup") {
						t.Errorf("%s over a damaged leaf at %d = %q, want it to say %q and what to do", what, off, err, d.says)
					}
				}
			}
			if caught["View"] == 0 || caught["Batch"] == 0 {
				t.Fatalf("damaged leaves read as ErrDamaged: %v; want some by View and by Batch", caught)
			}
			t.Logf("damaged leaves read as ErrDamaged: %v", caught)
		})
	}
}

func TestQuoteCutsLongKeys(t *testing.T) {
	long := strings.Repeat("k", 1<<20)
	for _, got := range []string{quote(long), quote([]byte(long)), clip(long)} {
		if len(got) > maxQuoted+40 || !strings.Contains(got, "(1048576 bytes)") {
			t.Errorf("a 1 MiB key is shown as %d bytes: %.100q", len(got), got)
		}
	}
	if got := quote("s\x00"); got != `"s\x00"` {
		t.Errorf(`quote("s\x00") = %s`, got)
	}
	if got := clip("sweep-1"); got != "sweep-1" {
		t.Errorf("clip(sweep-1) = %s", got)
	}
}
