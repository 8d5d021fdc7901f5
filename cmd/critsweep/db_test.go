package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/store"
)

// finishedDB returns the path of a database holding testSpec's sweep with every task
// done, closed so that `db check` may open it.
func finishedDB(t *testing.T) (path, sweepID string) {
	t.Helper()
	tc := startTestCluster(t, "")
	id := tc.submit(t)
	tc.finish(t, id)
	tc.stop()
	return tc.dbPath, id
}

// damage changes a closed database with fn in a bbolt write transaction, below the store
// and its rules.
func damage(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// copyFile copies src to a new file in t.TempDir and returns its path.
func copyFile(t *testing.T, src string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestDBCheckSound(t *testing.T) {
	path, _ := finishedDB(t)
	code, out, errOut := runCLI(t, "db", "check", path)
	if code != 0 || !strings.Contains(out, path+": sound") || !strings.Contains(out, "1 sweep(s), 4 task(s): 0 pending, 0 leased, 4 done") {
		t.Errorf("db check of a sound file = (%d, %q, %q), want exit 0, \"sound\" and the counts", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "db", "check", path, "--json")
	var got struct {
		File     string   `json:"file"`
		Sound    bool     `json:"sound"`
		Problems []string `json:"problems"`
		Sweeps   int      `json:"sweeps"`
		Tasks    int      `json:"tasks"`
		Done     int      `json:"done"`
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("db check --json = (%d, %q, %q): %v", code, out, errOut, err)
	}
	if !got.Sound || got.File != path || got.Problems == nil || len(got.Problems) != 0 || got.Sweeps != 1 || got.Tasks != 4 || got.Done != 4 {
		t.Errorf("db check --json = %+v, want sound, no problems ([]), 1 sweep, 4 tasks done", got)
	}
	if errOut != "" {
		t.Errorf("db check of a sound file wrote to stderr: %q", errOut)
	}
}

// TestDBCheckSchema1 checks a file that a critsweep of schema version 1 wrote: sound, at
// version 1, with a note that opening it for writing migrates it.
func TestDBCheckSchema1(t *testing.T) {
	path := copyFile(t, filepath.Join("..", "..", "store", "testdata", "schema-v1.db"))
	code, out, errOut := runCLI(t, "db", "check", path)
	want := fmt.Sprintf("schema version 1: a coordinator (or submit, cancel) that opens it for writing migrates it to %d", store.SchemaVersion)
	if code != 0 || !strings.Contains(out, path+": sound") || !strings.Contains(out, want) || !strings.Contains(out, "0 task(s) with a training curve") {
		t.Errorf("db check of a version 1 file = (%d, %q, %q), want sound, no curves and %q", code, out, errOut, want)
	}
	code, out, _ = runCLI(t, "db", "check", path, "--json")
	var got struct {
		Sound         bool   `json:"sound"`
		SchemaVersion uint64 `json:"schema_version"`
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || !got.Sound || got.SchemaVersion != 1 {
		t.Errorf("db check --json = (%d, %q, %v), want sound with schema_version 1", code, out, err)
	}
}

func TestDBCheckFindsProblems(t *testing.T) {
	path, id := finishedDB(t)
	taskKey := func(index uint32) []byte {
		return binary.BigEndian.AppendUint32(append([]byte(id), 0), index)
	}
	// Cases that break the file in different ways, each with what the report must name.
	tests := []struct {
		name   string
		damage func(tx *bolt.Tx) error
		want   []string
	}{{
		name:   "result of a missing task",
		damage: func(tx *bolt.Tx) error { return tx.Bucket([]byte("results")).Put(taskKey(9), []byte{}) },
		want:   []string{"result of task " + id + "/9, which does not exist"},
	}, {
		name:   "done task without its result",
		damage: func(tx *bolt.Tx) error { return tx.Bucket([]byte("results")).Delete(taskKey(2)) },
		want:   []string{"task " + id + "/2 is done but has no result"},
	}, {
		name:   "task that does not decode",
		damage: func(tx *bolt.Tx) error { return tx.Bucket([]byte("tasks")).Put(taskKey(1), []byte{0xff, 0xff}) },
		want:   []string{"task " + id + "/1: does not decode"},
	}, {
		name: "two problems",
		damage: func(tx *bolt.Tx) error {
			if err := tx.Bucket([]byte("counts")).Put([]byte(id), []byte{0x18, 0x07}); err != nil { // total = 7
				return err
			}
			return tx.Bucket([]byte("checkpoints")).Put(taskKey(0), []byte{})
		},
		want: []string{"stored counts total=7", "checkpoint of task " + id + "/0, which is done"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := copyFile(t, path)
			damage(t, file, tt.damage)
			code, out, errOut := runCLI(t, "db", "check", file)
			if code != 1 || !strings.Contains(out, "NOT sound") || !strings.Contains(errOut, "is not sound") {
				t.Errorf("db check = (%d, %q, %q), want exit 1 and NOT sound", code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("db check output does not name the problem %q:\n%s", w, out)
				}
			}
			code, out, _ = runCLI(t, "db", "check", file, "--json")
			var got dbReport
			if err := json.Unmarshal([]byte(out), &got); code != 1 || err != nil {
				t.Fatalf("db check --json = (%d, %q): %v", code, out, err)
			}
			if got.Sound || len(got.Problems) < len(tt.want) {
				t.Errorf("db check --json: sound %v, problems %q; want at least %d", got.Sound, got.Problems, len(tt.want))
			}
		})
	}
}

// TestDBCheckUnreadable covers files that cannot be checked at all: each is reported as
// a problem (exit 1) with what to do, never a crash.
func TestDBCheckUnreadable(t *testing.T) {
	path, _ := finishedDB(t)
	sound, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	write := func(t *testing.T, data []byte) string {
		file := filepath.Join(t.TempDir(), "critsweep.db")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	tests := []struct {
		name string
		file func(t *testing.T) string
		want []string
	}{{
		name: "garbage",
		file: func(t *testing.T) string { return write(t, []byte(strings.Repeat("not a database ", 2000))) },
		want: []string{"cannot open", "as a critsweep database", "restore it from a backup"},
	}, {
		name: "empty",
		file: func(t *testing.T) string { return write(t, nil) },
		want: []string{"is empty: not a critsweep database"},
	}, {
		name: "cut short",
		file: func(t *testing.T) string { return write(t, sound[:3*4096]) },
		want: []string{"cut short", "restore it from a backup"},
	}, {
		name: "damaged page",
		file: func(t *testing.T) string {
			// Every page past the two meta pages names another page id.
			data := append([]byte(nil), sound...)
			for off := 2 * 4096; off < len(data); off += 4096 {
				copy(data[off:], []byte{1, 0, 2, 0})
			}
			return write(t, data)
		},
		want: []string{"damaged", "restore it from a backup"},
	}, {
		// The first key of the root page claims a gigabyte: the store's Open finds no
		// bucket where one must be.
		name: "key past the end of the file",
		file: func(t *testing.T) string {
			data := append([]byte(nil), sound...)
			root := int(binary.LittleEndian.Uint64(activeMeta(data)[16:]))   // the root bucket's page
			binary.LittleEndian.PutUint32(data[root*4096+16+8:], 0x3fffffff) // element 0's key size
			return write(t, data)
		},
		want: []string{"damaged", "restore it from a backup"},
	}, {
		// The freelist claims 2⁴⁰ pages: bbolt's check loads it in a goroutine of its
		// own, where reading past the mapping (or making room for it) kills the process
		// that checks; db check runs the check in a child for that.
		name: "damaged freelist",
		file: func(t *testing.T) string {
			data := append([]byte(nil), sound...)
			free := int(binary.LittleEndian.Uint64(activeMeta(data)[32:])) * 4096 // the freelist's page
			binary.LittleEndian.PutUint16(data[free+10:], 0xffff)                 // count: see the first element
			binary.LittleEndian.PutUint64(data[free+16:], 1<<40)                  // which claims 2⁴⁰ ids
			return write(t, data)
		},
		want: []string{"damaged", "checking it crashed", "restore it from a backup"},
	}, {
		name: "newer schema",
		file: func(t *testing.T) string {
			file := copyFile(t, path)
			damage(t, file, func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, store.SchemaVersion+1))
			})
			return file
		},
		want: []string{fmt.Sprintf("schema version %d", store.SchemaVersion+1), "upgrade critsweep"},
	}, {
		name: "another program's bbolt file",
		file: func(t *testing.T) string {
			file := filepath.Join(t.TempDir(), "other.db")
			damage(t, file, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err })
			return file
		},
		want: []string{"no critsweep schema", "not a database that critsweep wrote"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file(t)
			code, out, errOut := runCLI(t, "db", "check", file)
			if code != 1 || !strings.Contains(out, "NOT sound") {
				t.Errorf("db check = (%d, %q, %q), want exit 1 and NOT sound", code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("db check output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestDBCheckLockedByCoordinator(t *testing.T) {
	tc := startTestCluster(t, "")
	tc.submit(t)
	code, out, errOut := runCLI(t, "db", "check", tc.dbPath)
	if code != 1 || !strings.Contains(out, "in use by a running coordinator") || !strings.Contains(out, "stop the coordinator") {
		t.Errorf("db check of a file in use = (%d, %q, %q), want exit 1, \"in use by a running coordinator\" and what to do", code, out, errOut)
	}
	// The coordinator was not disturbed.
	if _, err := tc.c.ListSweeps(context.Background(), &critsweepv1.ListSweepsRequest{}); err != nil {
		t.Errorf("coordinator after db check: %v", err)
	}
}

func TestDBCheckUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"db", "check"}, "db check takes one argument, the database FILE"},
		{[]string{"db", "check", "a.db", "b.db"}, "db check takes one argument"},
		{[]string{"db", "check", filepath.Join(dir, "missing.db")}, "no such file"},
		{[]string{"db", "check", dir}, "is a directory"},
		{[]string{"db", "check", "x.db", "--no-such-flag"}, "unknown flag: --no-such-flag"},
		{[]string{"db", "no-such-subcommand"}, `unknown command "no-such-subcommand"`},
	}
	for _, tt := range tests {
		code, out, errOut := runCLI(t, tt.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tt.want) {
			t.Errorf("critsweep %s = (%d, %q, %q), want exit 2, nothing on stdout and %q", strings.Join(tt.args, " "), code, out, errOut, tt.want)
		}
	}
}

// activeMeta returns the body of the meta page bbolt reads in a file of 4 KiB pages: of
// the two, the one with the higher transaction id. Its fields (little-endian): magic,
// version, page size, flags (uint32 each), then the root bucket's page at 16, the
// freelist's page at 32, the page count at 40 and the transaction id at 48.
func activeMeta(data []byte) []byte {
	meta := func(i int) []byte { return data[i*4096+16:] } // after the page header
	if binary.LittleEndian.Uint64(meta(1)[48:]) > binary.LittleEndian.Uint64(meta(0)[48:]) {
		return meta(1)
	}
	return meta(0)
}
