package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/critsweep/critsweep/coordinator"
	"github.com/critsweep/critsweep/internal/proctest"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// TestTLSWithCA serves `critsweep coordinator` with a server certificate signed by a CA
// made in the test (for 127.0.0.1 and localhost) and checks who gets through: clients
// and workers that trust that CA do, by IP and by name; those that trust another CA,
// or speak plaintext, are refused and say why; the bearer token is still required over
// TLS.
func TestTLSWithCA(t *testing.T) {
	ca := newTestCA(t, "critsweep test CA")
	other := newTestCA(t, "some other CA")
	certPEM, keyPEM := ca.issueServer(t, []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"localhost"})
	cert, key := writeFile(t, "server.pem", certPEM), writeFile(t, "server-key.pem", keyPEM)
	rightCA, wrongCA := writeFile(t, "ca.pem", ca.certPEM), writeFile(t, "other-ca.pem", other.certPEM)
	token := writeFile(t, "token", "tls-token\n")

	db := filepath.Join(t.TempDir(), "tls.db")
	coord := startCoordinatorCmd(t, "--db", db, "--tls-cert", cert, "--tls-key", key, "--token-file", token, "--lease-duration", "10s")
	_, port, _ := net.SplitHostPort(coord.addr)
	byName := net.JoinHostPort("localhost", port)

	code, out, errOut := runCLI(t, "submit", writeFile(t, "sweep.yaml", testSpec), "--coordinator", coord.addr, "--tls-ca", rightCA, "--token-file", token)
	if code != 0 {
		t.Fatalf("submit over TLS with the right CA = (%d, %q), stderr %q", code, out, errOut)
	}
	sweep := strings.TrimSpace(out)

	clients := []struct {
		name   string
		args   []string
		code   int
		stderr []string // all in stderr
	}{
		{"right CA", []string{"--coordinator", coord.addr, "--tls-ca", rightCA, "--token-file", token}, 0, nil},
		{"right CA, by name", []string{"--coordinator", byName, "--tls-ca", rightCA, "--token-file", token}, 0, nil},
		{"wrong CA", []string{"--coordinator", coord.addr, "--tls-ca", wrongCA, "--token-file", token}, 1, []string{"cannot reach", "--tls-ca", "certificate"}},
		{"plaintext", []string{"--coordinator", coord.addr, "--token-file", token}, 1, []string{"cannot reach"}},
		{"right CA, no token", []string{"--coordinator", coord.addr, "--tls-ca", rightCA}, 1, []string{"Unauthenticated"}},
	}
	for _, tt := range clients {
		t.Run("status/"+tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"status", sweep, "--json", "--timeout", "10s"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stdout %q, stderr %q", code, tt.code, out, errOut)
			}
			if tt.code == 0 && !strings.Contains(out, `"total":4`) {
				t.Errorf("stdout %q, want the sweep's status", out)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr %q lacks %q", errOut, want)
				}
			}
		})
	}

	observer := tlsClient(t, coord.addr, ca.certPEM, "tls-token")
	pending := func() uint32 {
		t.Helper()
		resp, err := observer.GetSweep(context.Background(), &critsweepv1.GetSweepRequest{SweepId: sweep})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetStatus().GetPending()
	}

	t.Run("worker/wrong CA", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var stdout, stderr proctest.Buffer
		exited := make(chan int, 1)
		go func() {
			exited <- runCLIContext(ctx, &stdout, &stderr, "worker", "--coordinator", coord.addr, "--tls-ca", wrongCA,
				"--token-file", token, "--slots", "1", "--log-format", "json", "--name", "untrusting")
		}()
		// It cannot verify the coordinator, says so and keeps trying; it leases nothing.
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(stderr.String(), "certificate signed by unknown authority") {
			if time.Now().After(deadline) {
				t.Fatalf("the worker with the wrong CA did not report the certificate error within 20 s:\n%s", stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		if n := pending(); n != 4 {
			t.Errorf("%d tasks pending while only the untrusting worker runs, want 4", n)
		}
		cancel()
		if code := <-exited; code != 0 {
			t.Errorf("worker exit code %d after SIGTERM, want 0", code)
		}
		if strings.Contains(stderr.String(), "task leased") {
			t.Errorf("the worker with the wrong CA leased a task:\n%s", stderr.String())
		}
	})

	t.Run("worker/right CA", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var stdout, stderr proctest.Buffer
		exited := make(chan int, 1)
		go func() {
			exited <- runCLIContext(ctx, &stdout, &stderr, "worker", "--coordinator", byName, "--tls-ca", rightCA,
				"--token-file", token, "--slots", "2", "--estimate-samples", "256", "--estimate-draws", "4096", "--heartbeat", "100ms", "--log-format", "json")
		}()
		waitCtx, stop := context.WithTimeout(context.Background(), time.Minute)
		defer stop()
		if err := observer.WatchSweep(waitCtx, &critsweepv1.WatchSweepRequest{SweepId: sweep}, func(*critsweepv1.SweepStatus) error { return nil }); err != nil {
			t.Fatalf("sweep did not finish over TLS: %v; worker logs:\n%s", err, stderr.String())
		}
		cancel()
		if code := <-exited; code != 0 {
			t.Errorf("worker exit code %d after SIGTERM, want 0; logs:\n%s", code, stderr.String())
		}
		results, err := coordinator.AllResults(context.Background(), observer, sweep)
		if err != nil || len(results) != 4 {
			t.Errorf("%d results (%v), want 4", len(results), err)
		}
	})
}

// tlsClient returns a gRPC client of addr that trusts caPEM and sends token.
func tlsClient(t *testing.T, addr, caPEM, token string) *coordinator.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caPEM)) {
		t.Fatal("CA certificate does not parse")
	}
	cl, err := coordinator.Dial(addr, &coordinator.DialOptions{Token: token, TLS: tlsConfigFor(pool)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// testCA is a certificate authority made for one test.
type testCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM string
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, certPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

// issueServer returns a server certificate for ips and names signed by the CA, and its
// key, both PEM.
func (ca *testCA) issueServer(t *testing.T, ips []net.IP, names []string) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "critsweep coordinator"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  ips,
		DNSNames:     names,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
}
