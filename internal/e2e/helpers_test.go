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
	"testing"
	"time"

	"github.com/critsweep/critsweep/coordinator"
	"github.com/critsweep/critsweep/internal/proctest"
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
	proctest.RunWithBinary(m, &binary)
}

// start starts critsweep with args under name; the test's cleanup kills it if it still
// runs.
func start(t *testing.T, name string, args ...string) *proctest.Proc {
	t.Helper()
	return proctest.Start(t, name, binary, args...)
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
func startCoordinator(t *testing.T, listen, db string, args ...string) (*proctest.Proc, string) {
	t.Helper()
	p := start(t, "coordinator", append([]string{"coordinator", "--listen", listen, "--db", db, "--log-format", "json", "--retry-after", "200ms"}, args...)...)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if recs := p.LogRecords("coordinator listening"); len(recs) > 0 {
			return p, recs[0]["addr"].(string)
		}
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("coordinator did not start listening: %s", p.Stderr())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startWorker starts `critsweep worker` against addr with one slot and args.
func startWorker(t *testing.T, name, addr string, args ...string) *proctest.Proc {
	t.Helper()
	return start(t, name, append([]string{"worker", "--coordinator", addr, "--slots", "1", "--name", name,
		"--estimate-samples", fmt.Sprint(estimateSamples), "--estimate-draws", fmt.Sprint(estimateDraws), "--log-format", "json"}, args...)...)
}

// estimateSamples keeps the final estimates of the tests' tasks cheap.
const estimateSamples = 2048

// estimateDraws keeps the ln λ estimates cheap.
const estimateDraws = 1 << 13

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

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
