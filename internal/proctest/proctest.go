// Package proctest runs critsweep as real processes for the process-level tests
// (internal/e2e, internal/chaos): it builds the binary, starts processes with their
// output captured, signals them, and reads their JSON log records; and it compares the
// results they store with references.
package proctest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// RunWithBinary is TestMain's body for tests that run the critsweep binary: it builds
// the binary into a temporary directory, sets *binary to its path, runs the tests and
// exits with their code, removing the directory. A failed build exits with 1.
func RunWithBinary(m *testing.M, binary *string) {
	dir, err := os.MkdirTemp("", "critsweep-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*binary, err = Build(dir)
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// Build builds the critsweep command into dir and returns the binary's path. Its
// compiler output goes to stderr.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "critsweep")
	build := exec.Command("go", "build", "-o", bin, "github.com/critsweep/critsweep/cmd/critsweep")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build critsweep: %w", err)
	}
	return bin, nil
}

// Proc is a running (or finished) process whose output is kept.
type Proc struct {
	Name string   // the label it is logged under
	Args []string // its arguments, without the program

	cmd            *exec.Cmd
	stdout, stderr Buffer
	done           chan struct{}
	code           int
}

// Start starts program with args under the label name. When the test ends, the process
// is killed if it still runs, and its stderr is logged if the test failed.
func Start(t testing.TB, name, program string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Name: name, Args: args, cmd: exec.Command(program, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		defer close(p.done)
		p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
	}()
	t.Cleanup(func() {
		if !p.Exited() {
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s (%s) stderr, last lines:\n%s", name, strings.Join(args, " "), p.Tail(40))
		}
	})
	return p
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Proc) Kill(t testing.TB) {
	t.Helper()
	p.cmd.Process.Kill()
	p.Wait(t, 30*time.Second)
}

// Stop sends SIGTERM and returns the exit code.
func (p *Proc) Stop(t testing.TB) int {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	return p.Wait(t, 30*time.Second)
}

// Signal sends sig to the process.
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Wait waits for the process to exit and returns its exit code; the test fails when it
// has not exited within timeout.
func (p *Proc) Wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(timeout):
		t.Fatalf("%s did not exit within %v", p.Name, timeout)
		return -1
	}
}

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Code returns the exit code of a process that has exited (-1 when a signal ended it).
func (p *Proc) Code() int {
	<-p.done
	return p.code
}

// Stdout and Stderr return what the process has written so far.
func (p *Proc) Stdout() string { return p.stdout.String() }
func (p *Proc) Stderr() string { return p.stderr.String() }

// LogRecords returns the process's JSON log records (on stderr) whose msg is msg.
func (p *Proc) LogRecords(msg string) []map[string]any {
	var recs []map[string]any
	for line := range strings.Lines(p.stderr.String()) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			recs = append(recs, rec)
		}
	}
	return recs
}

// Tail returns the last n lines of the process's stderr.
func (p *Proc) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(p.stderr.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Buffer is a bytes.Buffer safe for concurrent use: a process's or a logger's output
// read while it is written.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// SameResult reports whether two results are equal bit for bit, apart from the seconds
// their training took.
func SameResult(a, b *critsweepv1.Result) bool {
	enc := func(r *critsweepv1.Result) []byte {
		r = proto.Clone(r).(*critsweepv1.Result)
		r.Seconds = 0
		data, _ := proto.MarshalOptions{Deterministic: true}.Marshal(r)
		return data
	}
	return bytes.Equal(enc(a), enc(b))
}
