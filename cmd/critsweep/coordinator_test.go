package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/critsweep/critsweep/internal/proctest"
	"github.com/critsweep/critsweep/store"
)

// coordinatorCmd is `critsweep coordinator` running in-process on a loopback port.
type coordinatorCmd struct {
	addr   string
	stderr *proctest.Buffer
	stop   func() int // ends the command's context (SIGTERM) and returns its exit code
}

// startCoordinatorCmd runs `critsweep coordinator --listen 127.0.0.1:0 --log-format json`
// with args and waits until it listens.
func startCoordinatorCmd(t *testing.T, args ...string) *coordinatorCmd {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cc := &coordinatorCmd{stderr: &proctest.Buffer{}}
	var stdout proctest.Buffer
	exited := make(chan int, 1)
	go func() {
		exited <- runCLIContext(ctx, &stdout, cc.stderr, append([]string{"coordinator", "--listen", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	}()
	var once sync.Once
	code := -1
	cc.stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-exited:
			case <-time.After(30 * time.Second):
				t.Errorf("coordinator did not stop within 30 s")
			}
		})
		return code
	}
	t.Cleanup(func() { cc.stop() })
	deadline := time.Now().Add(30 * time.Second)
	for cc.addr == "" {
		select {
		case code := <-exited:
			t.Fatalf("coordinator exited with code %d before listening: %s", code, cc.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("coordinator did not listen within 30 s: %s", cc.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
		cc.addr = listeningAddr(cc.stderr.String())
	}
	return cc
}

// listeningAddr finds the address in the coordinator's JSON log line "coordinator
// listening", or "".
func listeningAddr(logs string) string {
	for line := range strings.Lines(logs) {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "coordinator listening" {
			return rec.Addr
		}
	}
	return ""
}

func TestCoordinatorCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sweeps.db")
	token := writeFile(t, "token", "tok\n")
	coord := startCoordinatorCmd(t, "--db", db, "--token-file", token, "--lease-duration", "10s")

	spec := writeFile(t, "sweep.yaml", testSpec)
	code, out, errOut := runCLI(t, "submit", spec, "--coordinator", coord.addr, "--token-file", token)
	if code != 0 || out != "cli-test-1\n" {
		t.Fatalf("submit to the coordinator command = (%d, %q), stderr %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "status", "--coordinator", coord.addr); code != 1 || !strings.Contains(errOut, "Unauthenticated") {
		t.Errorf("status without the token = (%d, %q), want Unauthenticated", code, errOut)
	}
	// A second coordinator on the same file is refused, not hung.
	var out2, err2 proctest.Buffer
	if code := runCLIContext(context.Background(), &out2, &err2, "coordinator", "--listen", "127.0.0.1:0", "--db", db); code != 1 || !strings.Contains(err2.String(), "in use") {
		t.Errorf("second coordinator on %s = (%d, %q), want exit 1 saying the file is in use", db, code, err2.String())
	}

	if code := coord.stop(); code != 0 {
		t.Fatalf("coordinator exit code %d after SIGTERM, want 0; logs:\n%s", code, coord.stderr.String())
	}
	if !strings.Contains(coord.stderr.String(), `"msg":"coordinator stopped"`) {
		t.Errorf("coordinator logs do not say it stopped:\n%s", coord.stderr.String())
	}
	if err := store.CheckFile(db); err != nil {
		t.Errorf("store check after shutdown: %v", err)
	}
	code, out, errOut = runCLI(t, "status", "cli-test-1", "--db", db, "--json")
	if code != 0 || !strings.Contains(out, `"pending":4`) {
		t.Errorf("status --db after shutdown = (%d, %q), stderr %q", code, out, errOut)
	}
}

func TestCoordinatorCommandBadFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	tests := [][]string{
		{"coordinator", "--db", db, "--log-format", "xml"},
		{"coordinator", "--db", db, "--lease-duration", "0s"},
		{"coordinator", "--db", db, "--tls-cert", "cert.pem"},
		{"coordinator", "--db", db, "--max-attempts", "0"},
		{"coordinator", "--db", db, "--token-file", "/no/such/token"},
	}
	for _, args := range tests {
		code, _, errOut := runCLI(t, args...)
		if code != 2 {
			t.Errorf("critsweep %s: exit %d, want 2 (stderr %q)", strings.Join(args, " "), code, errOut)
		}
	}
}

func TestHelpListsClusterCommands(t *testing.T) {
	code, out, _ := runCLI(t, "--help")
	if code != 0 {
		t.Fatalf("critsweep --help: exit code %d", code)
	}
	for _, name := range []string{"coordinator", "worker", "submit", "status", "results", "cancel"} {
		if !strings.Contains(out, "\n  "+name+" ") {
			t.Errorf("critsweep --help does not list %q:\n%s", name, out)
		}
	}
}
