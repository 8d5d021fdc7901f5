package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// binary is the critsweep binary built by TestMain.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("skipping process-level tests in -short mode")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "critsweep-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "critsweep")
	build := exec.Command("go", "build", "-o", binary, "github.com/critsweep/critsweep/cmd/critsweep")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build critsweep:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a critsweep process.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{}
	code   int
}

// start starts critsweep with args; the test's cleanup kills it if it still runs.
func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(binary, args...), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		defer close(p.done)
		p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s (%s) stderr:\n%s", name, strings.Join(args, " "), p.stderr.String())
		}
	})
	return p
}

// stop sends SIGTERM and returns the exit code.
func (p *proc) stop(t *testing.T) int {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	return p.wait(t, 30*time.Second)
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	p.cmd.Process.Kill()
	p.wait(t, 30*time.Second)
}

func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(timeout):
		t.Fatalf("%s did not exit within %v", p.name, timeout)
		return -1
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// logRecords returns the process's JSON log records whose msg is msg.
func (p *proc) logRecords(msg string) []map[string]any {
	var recs []map[string]any
	for line := range strings.Lines(p.stderr.String()) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			recs = append(recs, rec)
		}
	}
	return recs
}

// cli runs critsweep to the end and returns its exit code and outputs.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("run critsweep %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// startCoordinator starts `critsweep coordinator` on listen (port 0: any) with db and
// args, and returns it with the address it listens on.
func startCoordinator(t *testing.T, listen, db string, args ...string) (*proc, string) {
	t.Helper()
	p := start(t, "coordinator", append([]string{"coordinator", "--listen", listen, "--db", db, "--log-format", "json", "--retry-after", "200ms"}, args...)...)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if recs := p.logRecords("coordinator listening"); len(recs) > 0 {
			return p, recs[0]["addr"].(string)
		}
		if p.exited() || time.Now().After(deadline) {
			t.Fatalf("coordinator did not start listening: %s", p.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startWorker starts `critsweep worker` against addr with one slot and args.
func startWorker(t *testing.T, name, addr string, args ...string) *proc {
	t.Helper()
	return start(t, name, append([]string{"worker", "--coordinator", addr, "--slots", "1", "--name", name,
		"--estimate-samples", fmt.Sprint(estimateSamples), "--log-format", "json"}, args...)...)
}

// estimateSamples keeps the final estimates of the tests' tasks cheap.
const estimateSamples = 2048

// submit submits a spec with the CLI and returns the sweep id.
func submit(t *testing.T, addr, spec string, args ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sweep.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, append([]string{"submit", path, "--coordinator", addr, "--json"}, args...)...)
	var resp struct {
		SweepID string `json:"sweep_id"`
	}
	if err := json.Unmarshal([]byte(out), &resp); code != 0 || err != nil || resp.SweepID == "" {
		t.Fatalf("submit = (%d, %q, %q): %v", code, out, errOut, err)
	}
	return resp.SweepID
}

// dial returns a gRPC client of the coordinator at addr, for the test's own queries.
func dial(t *testing.T, addr, token string) *coordinator.Client {
	t.Helper()
	cl, err := coordinator.Dial(addr, &coordinator.DialOptions{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// waitStatus polls the sweep's status until cond holds, failing the test after timeout.
// Errors (a coordinator restarting) are retried.
func waitStatus(t *testing.T, cl *coordinator.Client, id string, timeout time.Duration, cond func(*critsweepv1.SweepStatus) bool) *critsweepv1.SweepStatus {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last *critsweepv1.SweepStatus
	var lastErr error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := cl.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: id})
		cancel()
		if err == nil {
			last = resp.GetStatus()
			if cond(last) {
				return last
			}
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("sweep %s: condition not met within %v (last status %v, last error %v)", id, timeout, last, lastErr)
	return nil
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
