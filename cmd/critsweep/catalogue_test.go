package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/store"
)

// The catalogue of bad input: command lines, spec files, RPCs and database files that
// critsweep must refuse, each with the class of error it must give (exit code 2 for a
// usage error and 1 for any other; a gRPC code and the sentinel errors.Is finds) and
// words the message must hold: what is wrong, and how to put it right.

// catalogueEnv is set in a child process of the test binary that runs one command
// line and exits with its code (for cases that could crash the test process).
const catalogueEnv = "CRITSWEEP_CATALOGUE_ARGS"

// TestCatalogueHelperProcess is not a test: in a child started by runCLIProcess it runs
// the command line in catalogueEnv and exits with its code.
func TestCatalogueHelperProcess(t *testing.T) {
	args, ok := os.LookupEnv(catalogueEnv)
	if !ok {
		t.Skip("helper process for the catalogue")
	}
	os.Exit(run(context.Background(), strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
}

// runCLIProcess runs the command line in a child process and returns its exit code and
// outputs: a fault in the child cannot take the test down.
func runCLIProcess(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCatalogueHelperProcess$")
	cmd.Env = append(os.Environ(), catalogueEnv+"="+strings.Join(args, "\x1f"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// mustSay checks that text, a command's output, says every one of want.
func mustSay(t *testing.T, what, text string, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s %q does not say %q", what, text, w)
		}
	}
}

// catalogueFiles are the files the command-line cases refer to, made once per test.
type catalogueFiles struct {
	dir     string
	db      string // a sound database with one sweep, no coordinator on it
	spec    string // a valid spec
	empty   string // an empty file
	garbage string // not a database
	cert    string // not a certificate
}

func makeCatalogueFiles(t *testing.T) *catalogueFiles {
	t.Helper()
	dir := t.TempDir()
	f := &catalogueFiles{dir: dir, db: filepath.Join(dir, "sound.db"), spec: writeFile(t, "spec.yaml", testSpec),
		empty: writeFile(t, "empty", ""), garbage: writeFile(t, "garbage.db", strings.Repeat("garbage ", 4096)),
		cert: writeFile(t, "cert.pem", "not a certificate")}
	db, err := store.Open(f.db, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCatalogueCommandLines feeds every command bad flags and arguments.
func TestCatalogueCommandLines(t *testing.T) {
	f := makeCatalogueFiles(t)
	missing := filepath.Join(f.dir, "missing")
	tests := []struct {
		name string
		args []string
		code int
		want []string // in stderr: what is wrong and how to fix it
	}{
		// exact
		{"exact without -L", []string{"exact", "--beta", "0.4"}, 2, []string{"-L/--size is required", "[2, "}},
		{"exact β ≤ 0", []string{"exact", "--beta", "-0.1", "-L", "4"}, 2, []string{"--beta must be > 0 and finite", "got -0.1"}},
		{"exact potts without q", []string{"exact", "--model", "potts", "--beta", "1", "-L", "4"}, 2, []string{"--q is required for --model potts", "[2, "}},
		{"exact L too big to enumerate", []string{"exact", "--model", "potts", "--q", "3", "--beta", "1", "-L", "30"}, 2, []string{"exceeds the exact-enumeration limit", "use L <="}},
		{"exact unknown model", []string{"exact", "--model", "heisenberg", "--beta", "1", "-L", "4"}, 2, []string{"--model must be one of ising, potts, clock, ashkin-teller, custom", "heisenberg"}},
		{"exact ragged bond weight", []string{"exact", "--model", "custom", "--bond-weight", "2,0.5;0.5", "-L", "4"}, 2, []string{"--bond-weight"}},
		// train
		{"train zero steps", []string{"train", "--beta", "0.4", "-L", "4", "--steps", "0"}, 2, []string{"--steps must be >= 1", "got 0"}},
		{"train several τ with the default objective", []string{"train", "--beta", "0.4", "-L", "4", "--tau", "0.3,0.5"}, 2, []string{"--tau", "does not use τ", "--objective gumbel-rkl"}},
		{"train unknown objective", []string{"train", "--beta", "0.4", "-L", "4", "--objective", "magic"}, 2, []string{"--objective must be", "default", "gumbel-rkl", "magic"}},
		{"train bad hidden sizes", []string{"train", "--beta", "0.4", "-L", "4", "--hidden", "32,x"}, 2, []string{"--hidden", "\"x\"", "e.g. 32,32"}},
		{"train non-numeric flag", []string{"train", "--beta", "warm", "-L", "4"}, 2, []string{"--beta", "warm"}},
		// coordinator
		{"coordinator zero lease", []string{"coordinator", "--db", missing, "--lease-duration", "0s"}, 2, []string{"--lease-duration must be > 0"}},
		{"coordinator zero attempts", []string{"coordinator", "--db", missing, "--max-attempts", "0"}, 2, []string{"--max-attempts must be in [1, 100]", "got 0"}},
		{"coordinator cert without key", []string{"coordinator", "--db", missing, "--tls-cert", f.cert}, 2, []string{"--tls-cert and --tls-key go together"}},
		{"coordinator bad certificate", []string{"coordinator", "--db", missing, "--tls-cert", f.cert, "--tls-key", f.cert}, 2, []string{"--tls-cert/--tls-key"}},
		{"coordinator missing token file", []string{"coordinator", "--db", missing, "--token-file", missing}, 2, []string{"--token-file", "no such file"}},
		{"coordinator empty token file", []string{"coordinator", "--db", missing, "--token-file", f.empty}, 2, []string{"--token-file", "is empty"}},
		{"coordinator bad log format", []string{"coordinator", "--db", missing, "--log-format", "xml"}, 2, []string{"--log-format must be text or json", "xml"}},
		{"coordinator empty --db", []string{"coordinator", "--db", ""}, 2, []string{"--db is required"}},
		{"coordinator bad --http", []string{"coordinator", "--listen", "127.0.0.1:0", "--db", filepath.Join(f.dir, "http.db"), "--http", "nowhere"}, 2,
			[]string{"--http", "missing port"}},
		{"run bad --http", []string{"run", "--db", filepath.Join(f.dir, "run.db"), "--http", "256.0.0.1:99999"}, 2, []string{"--http"}},
		// worker
		{"worker without coordinator", []string{"worker"}, 2, []string{"--coordinator is required", "HOST:PORT"}},
		{"worker zero slots", []string{"worker", "--coordinator", "localhost:1", "--slots", "0"}, 2, []string{"--slots must be >= 1", "got 0"}},
		{"worker one estimate sample", []string{"worker", "--coordinator", "localhost:1", "--estimate-samples", "1"}, 2, []string{"--estimate-samples must be >= 2"}},
		{"worker CA that is no certificate", []string{"worker", "--coordinator", "localhost:1", "--tls-ca", f.cert}, 2, []string{"--tls-ca", "holds no PEM certificate"}},
		// submit, status, results, cancel, analyze
		{"submit without spec", []string{"submit", "--db", f.db}, 2, []string{"accepts 1 arg(s), received 0"}},
		{"submit missing spec", []string{"submit", missing, "--db", f.db}, 2, []string{"spec " + missing + ": no such file"}},
		{"submit with --coordinator and --db", []string{"submit", f.spec, "--db", f.db, "--coordinator", "localhost:1"}, 2, []string{"give --coordinator or --db, not both"}},
		{"status with neither", []string{"status"}, 2, []string{"--coordinator HOST:PORT is required", "--db FILE"}},
		{"status zero timeout", []string{"status", "--db", f.db, "--timeout", "0s"}, 2, []string{"--timeout must be > 0"}},
		{"status unknown sweep", []string{"status", "nope-1", "--db", f.db}, 1, []string{`sweep "nope-1"`, "not found"}},
		{"status missing --db file", []string{"status", "--db", missing}, 2, []string{"--db", "no such file", "a coordinator was started with"}},
		{"results bad format", []string{"results", "x-1", "--db", f.db, "--format", "xml"}, 2, []string{"--format must be csv or json", "xml"}},
		{"results --where with an unknown column", []string{"results", "--db", f.db, "--where", "model = 'potts' and sise >= 16"}, 2,
			[]string{`--where: column 21: unknown column "sise" (did you mean "size"?)`, "sise >= 16\n                      ^"}},
		{"results --where with or", []string{"results", "--db", f.db, "--where", "size = 8 or size = 16"}, 2,
			[]string{"--where: column 10: or is not supported", "in (…)"}},
		{"results --where text without quotes", []string{"results", "--db", f.db, "--where", "model = potts"}, 2,
			[]string{"--where: column 9: model is text: write its value in quotes, 'potts'"}},
		{"results --where number compared with text", []string{"results", "--db", f.db, "--where", "size >= 'big'"}, 2,
			[]string{`--where: column 9: size is a number, "big" (text) is not`}},
		{"results --where near without a number", []string{"results", "--db", f.db, "--where", "beta near"}, 2,
			[]string{"--where: column 10: near needs a number, found the end of the expression"}},
		{"results --where open string", []string{"results", "--db", f.db, "--where", "model = 'potts"}, 2,
			[]string{"--where: column 9: this string is not closed: add a ' after it"}},
		{"results --where negative tolerance", []string{"results", "--db", f.db, "--where", "beta near 1 within -1"}, 2,
			[]string{"--where: column 20: the tolerance must be ≥ 0"}},
		{"results --where dangling and", []string{"results", "--db", f.db, "--where", "size > 16 and"}, 2,
			[]string{"--where: column 14: a comparison must follow and"}},
		{"results --sort unknown column", []string{"results", "--db", f.db, "--sort", "bta desc"}, 2,
			[]string{`--sort: column 1: unknown column "bta" (did you mean "beta"?)`}},
		{"results --columns unknown column", []string{"results", "--db", f.db, "--columns", "beta,sizes"}, 2,
			[]string{`--columns: column 6: unknown column "sizes" (did you mean "size"?)`}},
		{"cancel two sweeps", []string{"cancel", "a-1", "b-1", "--db", f.db}, 2, []string{"accepts 1 arg(s), received 2"}},
		{"analyze unknown sweep", []string{"analyze", "nope-1", "--db", f.db}, 1, []string{`sweep "nope-1"`, "not found"}},
		// run, version, db, unknown commands
		{"run negative workers", []string{"run", "--workers", "-1"}, 2, []string{"--workers must be >= 0", "got -1"}},
		{"run negative threads", []string{"run", "--threads", "-2"}, 2, []string{"--threads must be >= 0", "got -2"}},
		{"worker negative threads", []string{"worker", "--coordinator", "localhost:1", "--threads", "-1"}, 2, []string{"--threads must be >= 0"}},
		{"worker negative estimate draws", []string{"worker", "--coordinator", "localhost:1", "--estimate-draws", "-5"}, 2, []string{"--estimate-draws must be >= 0"}},
		{"run missing spec", []string{"run", "--spec", missing}, 2, []string{"--spec", "no such file"}},
		{"run invalid spec", []string{"run", "--spec", f.garbage}, 2, []string{f.garbage, "invalid sweep spec"}},
		{"version with an argument", []string{"version", "extra"}, 2, []string{`unknown command "extra"`}},
		{"db check directory", []string{"db", "check", f.dir}, 2, []string{"is a directory"}},
		{"unknown command", []string{"sweep"}, 2, []string{`unknown command "sweep"`}},
		{"unknown flag", []string{"status", "--colour"}, 2, []string{"unknown flag: --colour"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("critsweep %s: exit code %d, want %d (stderr %q)", strings.Join(tt.args, " "), code, tt.code, errOut)
			}
			if out != "" {
				t.Errorf("critsweep %s printed %q on stdout, want nothing", strings.Join(tt.args, " "), out)
			}
			mustSay(t, "stderr", errOut, tt.want)
		})
	}
}

// TestCatalogueSpecs feeds spec.Parse and `critsweep submit` bad sweep specs: each must be
// a spec.ErrInvalid naming the field (a *spec.Error for a rule broken) and exit code 2.
func TestCatalogueSpecs(t *testing.T) {
	f := makeCatalogueFiles(t)
	const good = "name: x\nmodel: {kind: ising}\ngrid: {beta: [0.4], size: [4], tau: [1.0]}\ntraining: {steps: 10, batch: 16, learning_rate: 1e-3}\n"
	replace := func(old, new string) string {
		if !strings.Contains(good, old) {
			panic("no " + old)
		}
		return strings.Replace(good, old, new, 1)
	}
	tests := []struct {
		name  string
		yaml  string
		field string // the *spec.Error's field; "" for a document that does not parse
		want  []string
	}{
		{"unknown field", good + "trainig: {steps: 5}\n", "trainig", []string{"unknown field", "known here:", "training"}},
		{"unknown nested field", replace("steps: 10", "stepz: 10"), "training.stepz", []string{"unknown field", "steps"}},
		{"empty grid", replace("{beta: [0.4], size: [4], tau: [1.0]}", "{}"), "grid.beta", []string{"is required", "{from, to, step}"}},
		{"empty β list", replace("beta: [0.4]", "beta: []"), "grid.beta", []string{"is empty", "β > 0"}},
		{"β ≤ 0", replace("beta: [0.4]", "beta: [0.4, -0.1]"), "grid.beta.values[1]", []string{"β must be > 0", "-0.1"}},
		{"β range with zero step", replace("beta: [0.4]", "beta: {from: 0.4, to: 0.5, step: 0}"), "grid.beta.step", []string{"must be > 0"}},
		{"β range backwards", replace("beta: [0.4]", "beta: {from: 0.5, to: 0.4, step: 0.01}"), "grid.beta.to", []string{"≥ from"}},
		{"L < 2", replace("size: [4]", "size: [1]"), "grid.size[0]", []string{"must be in [2, 1024]", "got 1"}},
		{"L twice", replace("size: [4]", "size: [4, 4]"), "grid.size[1]", []string{"listed twice"}},
		{"τ ≤ 0", replace("tau: [1.0]", "tau: [0]"), "grid.tau[0]", []string{"τ must be > 0", "got 0"}},
		{"several τ with the default objective", replace("tau: [1.0]", "tau: [0.5, 1.0]"), "grid.tau", []string{`objective "default" does not use τ`, "give one value", "gumbel-rkl"}},
		{"negative custom bond weight", replace("{kind: ising}", "{kind: custom, bond_weight: [[2, -1], [0.5, 2]]}"), "model.bond_weight.values[1]", []string{"must be positive and finite", "-1"}},
		{"ragged custom bond weight", replace("{kind: ising}", "{kind: custom, bond_weight: [[2, 1], [0.5]]}"), "model.bond_weight[1]", []string{"must be a row of 2 numbers", "square"}},
		{"custom without bond weight", replace("{kind: ising}", "{kind: custom}"), "model.bond_weight", []string{"is required for custom", "q×q"}},
		{"unknown model", replace("{kind: ising}", "{kind: heisenberg}"), "model.kind", []string{"must be one of ising, potts, clock, ashkin-teller, custom", "heisenberg"}},
		{"potts without q", replace("{kind: ising}", "{kind: potts}"), "model.q", []string{"must be in [2, 64] for potts", "got 0"}},
		{"boundary twice", good + "boundary: [twisted, twisted]\n", "boundary[1]", []string{`"twisted" is listed twice`}},
		{"unknown boundary", good + "boundary: antiperiodic\n", "boundary[0]", []string{"must be one of periodic, twisted", "antiperiodic"}},
		{"negative learning rate", replace("learning_rate: 1e-3", "learning_rate: -1e-3"), "training.learning_rate", []string{"must be > 0 and finite", "-0.001"}},
		{"unknown objective", replace("steps: 10", "steps: 10, objective: magic"), "training.objective", []string{"must be one of default, gumbel-rkl", "magic"}},
		{"one estimate sample", replace("steps: 10", "steps: 10, estimate_samples: 1"), "training.estimate_samples", []string{"must be ≥ 2", "got 1"}},
		{"too many attempts", good + "max_attempts: 1000\n", "max_attempts", []string{"must be in [0, 100]", "got 1000"}},
		{"grid too big", replace("beta: [0.4]", "beta: {from: 0.001, to: 100, step: 0.0005}"), "grid", []string{"tasks", "at most 100000 allowed"}},
		{"empty file", "", "", []string{"spec is empty"}},
		{"two documents", good + "---\n" + good, "", []string{"more than one YAML document"}},
		{"not a mapping", "- name: x\n", "", []string{"must be a mapping of fields", "name, model"}},
		{"wrong type", replace("steps: 10", "steps: many"), "", []string{"steps"}},
		{"not YAML", "name: [unclosed\n", "", []string{"invalid sweep spec", "line"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := spec.Parse([]byte(tt.yaml))
			if !errors.Is(err, spec.ErrInvalid) {
				t.Fatalf("spec.Parse = %v, want an error wrapping spec.ErrInvalid", err)
			}
			var se *spec.Error
			if tt.field != "" {
				found := false
				if errors.As(err, &se) {
					for _, v := range se.Violations {
						found = found || v.Field == tt.field
					}
				}
				if !found {
					t.Errorf("spec.Parse = %v, want a *spec.Error naming field %q", err, tt.field)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("spec.Parse error %q does not say %q", err, w)
				}
			}
			path := writeFile(t, "spec.yaml", tt.yaml)
			code, out, errOut := runCLI(t, "submit", path, "--db", f.db)
			if code != 2 || out != "" || !strings.Contains(errOut, path) || (tt.field != "" && !strings.Contains(errOut, tt.field)) {
				t.Errorf("critsweep submit = (%d, %q, %q), want exit 2 naming the file and the field %q", code, out, errOut, tt.field)
			}
		})
	}
}

// catalogueServer is a coordinator served over gRPC on loopback with a token and a small
// checkpoint limit, and a client that presents the token.
type catalogueServer struct {
	addr string
	c    *coordinator.Coordinator
	cl   *coordinator.Client
	id   string // a submitted sweep of testSpec
}

const catalogueToken = "catalogue-token"

func startCatalogueServer(t *testing.T) *catalogueServer {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "critsweep.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	c, err := coordinator.New(db, nil, &coordinator.Options{MaxCheckpointBytes: 1024, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := coordinator.NewServer(c, &coordinator.ServerOptions{Token: catalogueToken, ShutdownTimeout: time.Second, Logger: quiet})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis) }()
	cs := &catalogueServer{addr: lis.Addr().String(), c: c}
	cs.cl = cs.dial(t, catalogueToken)
	var once sync.Once
	t.Cleanup(func() {
		once.Do(func() {
			cancel()
			<-served
			c.Close()
			if err := db.Check(); err != nil {
				t.Errorf("store check: %v", err)
			}
			db.Close()
		})
	})
	sweep, err := spec.Parse([]byte(testSpec))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: sweep})
	if err != nil {
		t.Fatal(err)
	}
	cs.id = sub.GetSweepId()
	return cs
}

func (cs *catalogueServer) dial(t *testing.T, token string) *coordinator.Client {
	t.Helper()
	cl, err := coordinator.Dial(cs.addr, &coordinator.DialOptions{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// TestCatalogueRPCs makes bad calls through a gRPC client against a real server.
func TestCatalogueRPCs(t *testing.T) {
	cs := startCatalogueServer(t)
	ctx := context.Background()
	// Task 0 is leased at epoch 2 (its epoch 1 was given back); task 1 at epoch 1.
	lease := func() *critsweepv1.LeaseTaskResponse {
		l, err := cs.cl.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "catalogue"})
		if err != nil || !l.GetLeased() {
			t.Fatalf("LeaseTask = %v, %v", l, err)
		}
		return l
	}
	first := lease()
	if _, err := cs.cl.FailTask(ctx, &critsweepv1.FailTaskRequest{Ref: first.GetRef(), Epoch: first.GetEpoch(), Release: true}); err != nil {
		t.Fatal(err)
	}
	again := lease()
	if again.GetEpoch() != 2 || again.GetRef().GetIndex() != 0 {
		t.Fatalf("second lease of task 0 = %v", again)
	}
	ref := again.GetRef()
	noToken := cs.dial(t, "")
	wrongToken := cs.dial(t, "not-the-token")
	bigCheckpoint := &critsweepv1.Checkpoint{Version: 1, Step: 1, Params: make([]float64, 1000)}

	// A second sweep, cancelled, for the calls a cancelled sweep refuses.
	sweep, _ := spec.Parse([]byte(testSpec))
	sub, err := cs.c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: sweep})
	if err != nil {
		t.Fatal(err)
	}
	cancelledLease, err := cs.c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "catalogue"})
	if err != nil {
		t.Fatal(err)
	}
	lease() // task 1 of the first sweep: the sweeps take turns
	if cancelledLease.GetRef().GetSweepId() != sub.GetSweepId() {
		t.Fatalf("lease of the second sweep = %v", cancelledLease)
	}
	if _, err := cs.c.CancelSweep(ctx, &critsweepv1.CancelSweepRequest{SweepId: sub.GetSweepId()}); err != nil {
		t.Fatal(err)
	}
	grid := &critsweepv1.Grid{Beta: &critsweepv1.Axis{Values: []float64{0.5}}, Size: []uint32{4}, Tau: []float64{1}}

	tests := []struct {
		name     string
		call     func() error
		code     codes.Code
		sentinel error // nil: none is expected (authentication happens before the coordinator)
		want     []string
	}{
		{"stale epoch", func() error {
			_, err := cs.cl.Heartbeat(ctx, &critsweepv1.HeartbeatRequest{Ref: ref, Epoch: 1})
			return err
		}, codes.FailedPrecondition, coordinator.ErrStaleEpoch, []string{"stale lease epoch", "names epoch 1", "at epoch 2"}},
		{"stale completion", func() error {
			_, err := cs.cl.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: ref, Epoch: 1, Result: &critsweepv1.Result{}})
			return err
		}, codes.FailedPrecondition, coordinator.ErrStaleEpoch, []string{"names epoch 1", "at epoch 2"}},
		{"stale checkpoint", func() error {
			_, err := cs.cl.UploadCheckpoint(ctx, ref, 1, &critsweepv1.Checkpoint{Version: 1, Step: 1})
			return err
		}, codes.FailedPrecondition, coordinator.ErrStaleEpoch, []string{"names epoch 1", "at epoch 2"}},
		{"epoch 0", func() error {
			_, err := cs.cl.Heartbeat(ctx, &critsweepv1.HeartbeatRequest{Ref: ref})
			return err
		}, codes.InvalidArgument, coordinator.ErrInvalidRequest, []string{"epoch is 0", "name the epoch LeaseTask returned"}},
		{"no task ref", func() error {
			_, err := cs.cl.FailTask(ctx, &critsweepv1.FailTaskRequest{Epoch: 1})
			return err
		}, codes.InvalidArgument, coordinator.ErrInvalidRequest, []string{"ref is missing"}},
		{"unknown sweep", func() error {
			_, err := cs.cl.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: "nope-1"})
			return err
		}, codes.NotFound, coordinator.ErrSweepNotFound, []string{`sweep "nope-1"`, "not found"}},
		{"cancel unknown sweep", func() error {
			_, err := cs.cl.CancelSweep(ctx, &critsweepv1.CancelSweepRequest{SweepId: "nope-1"})
			return err
		}, codes.NotFound, coordinator.ErrSweepNotFound, []string{`sweep "nope-1"`}},
		{"unknown task", func() error {
			_, err := cs.cl.Heartbeat(ctx, &critsweepv1.HeartbeatRequest{Ref: &critsweepv1.TaskRef{SweepId: cs.id, Index: 99}, Epoch: 1})
			return err
		}, codes.NotFound, coordinator.ErrTaskNotFound, []string{"/99", "task not found"}},
		{"search with a bad filter", func() error {
			_, err := cs.cl.SearchResults(ctx, &critsweepv1.SearchResultsRequest{Filter: "size >= 8 and bnder > 0.5"})
			return err
		}, codes.InvalidArgument, coordinator.ErrInvalidQuery, []string{"filter: column 15", `unknown column "bnder" (did you mean "binder"?)`}},
		{"search with a bad order", func() error {
			_, err := cs.cl.SearchResults(ctx, &critsweepv1.SearchResultsRequest{OrderBy: "size,,beta"})
			return err
		}, codes.InvalidArgument, coordinator.ErrInvalidQuery, []string{"order_by: column 6", "expected a column name"}},
		{"search an unknown sweep", func() error {
			_, err := cs.cl.SearchResults(ctx, &critsweepv1.SearchResultsRequest{SweepIds: []string{cs.id, "nope-1"}})
			return err
		}, codes.NotFound, coordinator.ErrSweepNotFound, []string{"sweep_ids[1]", `sweep "nope-1"`}},
		{"search with a foreign page token", func() error {
			_, err := cs.cl.SearchResults(ctx, &critsweepv1.SearchResultsRequest{PageToken: "page-two"})
			return err
		}, codes.InvalidArgument, coordinator.ErrInvalidRequest, []string{"page_token", `"page-two"`}},
		{"task of an unknown sweep", func() error {
			_, err := cs.cl.GetTask(ctx, &critsweepv1.GetTaskRequest{Ref: &critsweepv1.TaskRef{SweepId: "nope-1"}})
			return err
		}, codes.NotFound, coordinator.ErrSweepNotFound, []string{`sweep "nope-1"`}},
		{"task past the last", func() error {
			_, err := cs.cl.GetTask(ctx, &critsweepv1.GetTaskRequest{Ref: &critsweepv1.TaskRef{SweepId: cs.id, Index: 99}})
			return err
		}, codes.NotFound, coordinator.ErrTaskNotFound, []string{"/99", "task not found"}},
		{"tasks in no state", func() error {
			_, err := cs.cl.ListTasks(ctx, &critsweepv1.ListTasksRequest{SweepId: cs.id, States: []critsweepv1.TaskState{7}})
			return err
		}, codes.InvalidArgument, coordinator.ErrInvalidRequest, []string{"states[0] is 7", "not a task state"}},
		{"bad spec", func() error {
			bad := &critsweepv1.SweepSpec{Name: "bad", Model: &critsweepv1.ModelSpec{Kind: "ising"},
				Grid:     &critsweepv1.Grid{Beta: &critsweepv1.Axis{Values: []float64{0.4}}, Size: []uint32{1}, Tau: []float64{1}},
				Training: &critsweepv1.TrainingSpec{Steps: 1, Batch: 1, LearningRate: 1}}
			_, err := cs.cl.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: bad})
			var se *spec.Error
			if !errors.As(err, &se) || len(se.Violations) != 1 || se.Violations[0].Field != "grid.size[0]" {
				t.Errorf("SubmitSweep of a bad spec = %v, want a *spec.Error naming grid.size[0]", err)
			}
			return err
		}, codes.InvalidArgument, spec.ErrInvalid, []string{"grid.size[0]", "must be in [2, 1024]"}},
		{"no spec", func() error {
			_, err := cs.cl.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{})
			return err
		}, codes.InvalidArgument, spec.ErrInvalid, []string{"spec is missing"}},
		{"extend without grid", func() error {
			_, err := cs.cl.ExtendSweep(ctx, &critsweepv1.ExtendSweepRequest{SweepId: cs.id})
			return err
		}, codes.InvalidArgument, spec.ErrInvalid, []string{"grid", "is required"}},
		{"complete without result", func() error {
			_, err := cs.cl.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: ref, Epoch: 2})
			return err
		}, codes.InvalidArgument, coordinator.ErrInvalidRequest, []string{"result is missing"}},
		{"bad page token", func() error {
			_, err := cs.cl.QueryResults(ctx, &critsweepv1.QueryResultsRequest{SweepId: cs.id, PageToken: "page-two"})
			return err
		}, codes.InvalidArgument, coordinator.ErrInvalidRequest, []string{"page_token", `"page-two"`}},
		{"checkpoint too large", func() error {
			_, err := cs.cl.UploadCheckpoint(ctx, ref, 2, bigCheckpoint)
			return err
		}, codes.ResourceExhausted, coordinator.ErrCheckpointTooLarge, []string{"checkpoint too large", "at most 1024"}},
		{"extend a cancelled sweep", func() error {
			_, err := cs.cl.ExtendSweep(ctx, &critsweepv1.ExtendSweepRequest{SweepId: sub.GetSweepId(), Grid: grid})
			return err
		}, codes.FailedPrecondition, coordinator.ErrSweepCancelled, []string{sub.GetSweepId(), "sweep cancelled"}},
		{"checkpoint of a cancelled task", func() error {
			_, err := cs.cl.UploadCheckpoint(ctx, cancelledLease.GetRef(), cancelledLease.GetEpoch(), &critsweepv1.Checkpoint{Version: 1, Step: 1})
			return err
		}, codes.FailedPrecondition, coordinator.ErrSweepCancelled, []string{"sweep cancelled"}},
		{"missing token", func() error {
			_, err := noToken.ListSweeps(ctx, &critsweepv1.ListSweepsRequest{})
			return err
		}, codes.Unauthenticated, nil, []string{"missing bearer token", "--token-file"}},
		{"wrong token", func() error {
			_, err := wrongToken.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "intruder"})
			return err
		}, codes.Unauthenticated, nil, []string{"invalid bearer token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			st, _ := status.FromError(err)
			if err == nil || st.Code() != tt.code {
				t.Fatalf("got %v (code %v), want code %v", err, st.Code(), tt.code)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("errors.Is(%v, %v) is false", err, tt.sentinel)
			}
			for _, w := range tt.want {
				if !strings.Contains(st.Message(), w) {
					t.Errorf("message %q does not say %q", st.Message(), w)
				}
			}
		})
	}

	// The CLI explains the refusals it gets from a coordinator.
	tokenFile := writeFile(t, "token", catalogueToken+"\n")
	wrongFile := writeFile(t, "wrong", "not-the-token\n")
	cli := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"status without token", []string{"status", "--coordinator", cs.addr}, 1, []string{"Unauthenticated", "--token-file"}},
		{"status with the wrong token", []string{"status", "--coordinator", cs.addr, "--token-file", wrongFile}, 1, []string{"Unauthenticated", "invalid bearer token", "--token-file"}},
		{"status of an unknown sweep", []string{"status", "nope-1", "--coordinator", cs.addr, "--token-file", tokenFile}, 1, []string{"coordinator " + cs.addr, `sweep "nope-1"`, "not found"}},
		{"unreachable coordinator", []string{"status", "--coordinator", "127.0.0.1:1", "--timeout", "2s"}, 1, []string{"cannot reach coordinator 127.0.0.1:1", "is it running"}},
	}
	for _, tt := range cli {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != tt.code || out != "" {
				t.Errorf("critsweep %s = (%d, %q, %q), want exit %d and nothing on stdout", strings.Join(tt.args, " "), code, out, errOut, tt.code)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not say %q", errOut, w)
				}
			}
		})
	}
}

// TestCatalogueDatabaseFiles opens bad database files with the store and with the
// commands that take one.
func TestCatalogueDatabaseFiles(t *testing.T) {
	// A sound file with a sweep in it, of several pages, and no coordinator on it.
	tc := startTestCluster(t, "")
	tc.submit(t)
	tc.stop()
	sound, err := os.ReadFile(tc.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	write := func(t *testing.T, data []byte) string {
		return writeFile(t, "critsweep.db", string(data))
	}
	newer := fmt.Sprintf("schema version %d", store.SchemaVersion+1)
	withBolt := func(t *testing.T, fn func(tx *bolt.Tx) error) string {
		path := write(t, sound)
		damage(t, path, fn)
		return path
	}
	live := startTestCluster(t, "") // holds its file locked while the test runs

	type run struct {
		args    []string // FILE stands for the file
		code    int
		want    []string
		process bool // run in a child process: it may crash
	}
	tests := []struct {
		name      string
		file      func(t *testing.T) string
		sentinels []error // from store.Open(FILE, read-only), each found by errors.Is
		runs      []run
	}{{
		name:      "garbage",
		file:      func(t *testing.T) string { return write(t, bytes.Repeat([]byte("garbage "), 4096)) },
		sentinels: []error{store.ErrDamaged, berrors.ErrInvalid},
		runs: []run{
			{args: []string{"db", "check", "FILE"}, code: 1, want: []string{"cannot open", "as a critsweep database", "restore it from a backup"}},
			{args: []string{"status", "--db", "FILE"}, code: 1, want: []string{"FILE", "invalid database", "critsweep database", "restore it from a backup"}},
		},
	}, {
		name:      "truncated",
		file:      func(t *testing.T) string { return write(t, sound[:len(sound)*3/8]) },
		sentinels: []error{store.ErrDamaged},
		runs: []run{
			{args: []string{"db", "check", "FILE"}, code: 1, want: []string{"cut short", "restore it from a backup"}},
			{args: []string{"coordinator", "--listen", "127.0.0.1:0", "--db", "FILE"}, code: 1, want: []string{"FILE", "cut short", "restore it from a backup"}, process: true},
			{args: []string{"status", "--db", "FILE"}, code: 1, want: []string{"FILE", "cut short", "restore it from a backup"}, process: true},
		},
	}, {
		name:      "empty",
		file:      func(t *testing.T) string { return write(t, nil) },
		sentinels: []error{store.ErrSchemaUnknown},
		runs: []run{
			{args: []string{"db", "check", "FILE"}, code: 1, want: []string{"is empty", "not a critsweep database"}},
			{args: []string{"status", "--db", "FILE"}, code: 1, want: []string{"FILE", "is empty", "not a critsweep database"}},
		},
	}, {
		name: "newer schema",
		file: func(t *testing.T) string {
			return withBolt(t, func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, store.SchemaVersion+1))
			})
		},
		sentinels: []error{store.ErrSchemaNewer},
		runs: []run{
			{args: []string{"status", "--db", "FILE"}, code: 1, want: []string{newer, fmt.Sprintf("knows up to %d", store.SchemaVersion), "upgrade critsweep"}},
			{args: []string{"coordinator", "--listen", "127.0.0.1:0", "--db", "FILE"}, code: 1, want: []string{newer, "upgrade critsweep"}},
			{args: []string{"db", "check", "FILE"}, code: 1, want: []string{newer, "upgrade critsweep"}},
		},
	}, {
		name: "unknown schema version",
		file: func(t *testing.T) string {
			return withBolt(t, func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte("v1"))
			})
		},
		sentinels: []error{store.ErrSchemaUnknown},
		runs: []run{
			{args: []string{"results", "x-1", "--db", "FILE"}, code: 1, want: []string{"schema version 0", "unknown schema"}},
		},
	}, {
		name: "missing bucket",
		file: func(t *testing.T) string {
			return withBolt(t, func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("results")) })
		},
		sentinels: []error{store.ErrDamaged},
		runs: []run{
			{args: []string{"status", "--db", "FILE"}, code: 1, want: []string{"FILE", "bucket results is missing", "restore it from a backup"}},
			{args: []string{"coordinator", "--listen", "127.0.0.1:0", "--db", "FILE"}, code: 1, want: []string{"bucket results is missing", "restore it from a backup"}},
			{args: []string{"db", "check", "FILE"}, code: 1, want: []string{"bucket results is missing", "critsweep db check"}},
		},
	}, {
		name: "another program's bbolt file",
		file: func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "other.db")
			damage(t, path, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err })
			return path
		},
		sentinels: []error{store.ErrSchemaUnknown},
		runs: []run{
			{args: []string{"coordinator", "--listen", "127.0.0.1:0", "--db", "FILE"}, code: 1, want: []string{`holds bucket "widgets" but no critsweep schema`}},
			{args: []string{"db", "check", "FILE"}, code: 1, want: []string{"no critsweep schema", "not a database that critsweep wrote"}},
		},
	}, {
		name:      "locked by a live coordinator",
		file:      func(t *testing.T) string { return live.dbPath },
		sentinels: []error{store.ErrLocked},
		runs: []run{
			{args: []string{"status", "--db", "FILE"}, code: 1, want: []string{"in use by a running coordinator", "ask it with --coordinator HOST:PORT instead of --db"}},
			{args: []string{"coordinator", "--listen", "127.0.0.1:0", "--db", "FILE"}, code: 1, want: []string{"in use by another process", "another coordinator?"}},
			{args: []string{"db", "check", "FILE"}, code: 1, want: []string{"in use by a running coordinator", "stop the coordinator"}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.file(t)
			if tt.sentinels != nil {
				db, err := store.Open(path, &store.Options{ReadOnly: true, Timeout: 50 * time.Millisecond})
				if err == nil {
					db.Close()
				}
				for _, sentinel := range tt.sentinels {
					if !errors.Is(err, sentinel) {
						t.Errorf("store.Open = %v, want an error wrapping %v", err, sentinel)
					}
				}
			}
			for _, r := range tt.runs {
				args := make([]string, len(r.args))
				for i, a := range r.args {
					args[i] = strings.ReplaceAll(a, "FILE", path)
				}
				t.Run(r.args[0], func(t *testing.T) {
					var code int
					var out, errOut string
					if r.process {
						code, out, errOut = runCLIProcess(t, args...)
					} else {
						code, out, errOut = runCLI(t, args...)
					}
					if code != r.code {
						t.Errorf("critsweep %s: exit code %d, want %d", strings.Join(args, " "), code, r.code)
					}
					text := errOut
					if r.args[0] == "db" {
						text = out // db check lists the problems on stdout
					}
					want := make([]string, len(r.want))
					for i, w := range r.want {
						want[i] = strings.ReplaceAll(w, "FILE", path)
					}
					mustSay(t, "output", firstLines(text, 3), want)
				})
			}
		})
	}
}

// firstLines returns the first n lines of s: a crash's stack is not a message.
func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// TestCatalogueHTTP sends the dashboard of `critsweep coordinator --http` bad requests:
// each gets its status and a JSON error that names the parameter or field and says what
// is wrong (the table of every endpoint is the dashboard package's TestBadRequests).
func TestCatalogueHTTP(t *testing.T) {
	db := filepath.Join(t.TempDir(), "http.db")
	token := writeFile(t, "token", "cat-token\n")
	coord := startCoordinatorCmd(t, "--db", db, "--token-file", token, "--http", "127.0.0.1:0")
	url := dashboardURL(t, coord)
	if code, out, errOut := runCLI(t, "submit", writeFile(t, "sweep.yaml", testSpec), "--coordinator", coord.addr, "--token-file", token); code != 0 {
		t.Fatalf("submit: %d %s %s", code, out, errOut)
	}
	list, err := coord.sweepIDs(t, url, "cat-token")
	if err != nil || len(list) != 1 {
		t.Fatalf("sweeps %v: %v", list, err)
	}
	sw := "api/v1/sweeps/" + list[0]
	bearer := map[string]string{"Authorization": "Bearer cat-token"}
	action := map[string]string{"Authorization": "Bearer cat-token", "Content-Type": "application/json"}
	for _, tt := range []struct {
		name         string
		method, path string
		body         string
		header       map[string]string
		code         int
		want         []string
	}{
		{"no token", "GET", sw, "", nil, 401, []string{"token is required", "Authorization: Bearer TOKEN"}},
		{"wrong token", "GET", sw, "", map[string]string{"Authorization": "Bearer nope"}, 401, []string{"token is required"}},
		{"where: unknown column", "GET", sw + "/results?where=" + urlQuery("model = 'potts' and sise >= 16"), "", bearer, 400,
			[]string{`"parameter":"where"`, `"column":21`, `did you mean \"size\"`}},
		{"where: or", "GET", sw + "/results?where=" + urlQuery("size = 4 or size = 6"), "", bearer, 400, []string{"or is not supported"}},
		{"sort: not an order", "GET", sw + "/results?sort=" + urlQuery("size,,beta"), "", bearer, 400, []string{`"parameter":"sort"`, "expected a column name"}},
		{"columns: unknown", "GET", sw + "/results?columns=beta,bnder", "", bearer, 400, []string{`"parameter":"columns"`, `did you mean \"binder\"`}},
		{"page size not a number", "GET", sw + "/results?page_size=ten", "", bearer, 400, []string{"page_size", "whole number"}},
		{"unknown parameter", "GET", sw + "/results?wher=size", "", bearer, 400, []string{`"parameter":"wher"`, "known: where"}},
		{"unknown sweep", "GET", "api/v1/sweeps/nope-9", "", bearer, 404, []string{"not found"}},
		{"task index not a number", "GET", sw + "/tasks/x", "", bearer, 400, []string{`"parameter":"index"`}},
		{"task past the last", "GET", sw + "/tasks/99", "", bearer, 404, []string{"task not found"}},
		{"unknown task state", "GET", sw + "/tasks?state=sleeping", "", bearer, 400, []string{"state", "not a task state"}},
		{"unknown endpoint", "GET", "api/v1/nothing", "", bearer, 404, []string{"no endpoint", "GET /api/v1 lists them"}},
		{"cancel as a form", "POST", sw + "/cancel", "x=1", map[string]string{"Authorization": "Bearer cat-token", "Content-Type": "application/x-www-form-urlencoded"},
			415, []string{"JSON body"}},
		{"cancel from another site", "POST", sw + "/cancel", "{}", map[string]string{"Authorization": "Bearer cat-token", "Content-Type": "application/json",
			"Origin": "https://elsewhere.example"}, 403, []string{"own page"}},
		{"extend without grid", "POST", sw + "/extend", "{}", action, 400, []string{`"parameter":"grid"`, "is required"}},
		{"extend with an unknown field", "POST", sw + "/extend", `{"grid": {"beta": {"values": [0.5]}}, "size": [4]}`, action, 400,
			[]string{`"parameter":"size"`, "unknown field"}},
		{"extend with a bad grid", "POST", sw + "/extend", `{"grid": {"beta": {"values": [-0.5]}}}`, action, 400, []string{"grid.beta.values[0]", "β must be > 0"}},
		{"extend with no JSON", "POST", sw + "/extend", `{"grid": `, action, 400, []string{`"parameter":"body"`, "not valid JSON"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, url+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.code || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("%s %s: %d (%s) %s, want %d and JSON", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, tt.code)
			}
			mustSay(t, "answer", string(body), tt.want)
		})
	}
}

// sweepIDs lists the sweeps through the dashboard.
func (cc *coordinatorCmd) sweepIDs(t *testing.T, url, token string) ([]string, error) {
	code, body := get(t, http.DefaultClient, url+"api/v1/sweeps", token)
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v1/sweeps: %d %s", code, body)
	}
	var out struct{ Sweeps []struct{ ID string } }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		return nil, err
	}
	var ids []string
	for _, s := range out.Sweeps {
		ids = append(ids, s.ID)
	}
	return ids, nil
}

func urlQuery(s string) string { return url.QueryEscape(s) }
