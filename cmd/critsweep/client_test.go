package main

import (
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
)

func TestTokenRequired(t *testing.T) {
	tc := startTestCluster(t, "s3cret")
	id := tc.submit(t)
	tests := []struct {
		name  string
		extra []string
		code  int
		want  string // in stderr
	}{
		{"no token", nil, 1, "Unauthenticated"},
		{"wrong token", []string{"--token-file", writeFile(t, "wrong", "guess\n")}, 1, "invalid bearer token"},
		{"empty token file", []string{"--token-file", writeFile(t, "empty", "\n")}, 2, "is empty"},
		{"right token", []string{"--token-file", writeFile(t, "token", "s3cret\n")}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"status", id, "--coordinator", tc.addr}, tt.extra...)
			code, _, errOut := runCLI(t, args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, tt.code, tt.want)
			}
			if tt.code == 1 && !strings.Contains(errOut, "--token-file") {
				t.Errorf("stderr %q does not point to --token-file", errOut)
			}
		})
	}
}

func TestOfflineDB(t *testing.T) {
	tc := startTestCluster(t, "")
	id := tc.submit(t)

	// While the coordinator holds the file: a clear refusal, not a hang.
	start := time.Now()
	code, _, errOut := runCLI(t, "status", id, "--db", tc.dbPath)
	if code != 1 || !strings.Contains(errOut, tc.dbPath) || !strings.Contains(errOut, "--coordinator") {
		t.Errorf("status --db on a live coordinator's file = (%d, %q), want exit 1 naming the file and --coordinator", code, errOut)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("status --db on a locked file took %v", d)
	}

	tc.finish(t, id)
	tc.stop()
	code, out, errOut := runCLI(t, "status", id, "--db", tc.dbPath, "--json")
	if code != 0 || !strings.Contains(out, `"done":4`) {
		t.Errorf("status --db = (%d, %q), stderr %q; want 4 done", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "results", id, "--db", tc.dbPath)
	if code != 0 || strings.Count(out, "\n") != 5 {
		t.Errorf("results --db = (%d, %q), stderr %q; want a header and 4 rows", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "status", id, "--db", tc.dbPath+".missing")
	if code != 2 || !strings.Contains(errOut, "no such file") {
		t.Errorf("status --db on a missing file = (%d, %q)", code, errOut)
	}
}

// TestTLS serves the coordinator command with TLS and talks to it with and without the CA.
func TestTLS(t *testing.T) {
	cert, key := selfSignedCert(t)
	db := filepath.Join(t.TempDir(), "tls.db")
	coord := startCoordinatorCmd(t, "--db", db, "--tls-cert", cert, "--tls-key", key)

	code, out, errOut := runCLI(t, "status", "--coordinator", coord.addr, "--tls-ca", cert)
	if code != 0 || out != "no sweeps\n" {
		t.Errorf("status over TLS = (%d, %q), stderr %q", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "status", "--coordinator", coord.addr)
	if code != 1 || !strings.Contains(errOut, "cannot reach") {
		t.Errorf("status in plaintext to a TLS coordinator = (%d, %q), want exit 1 saying it cannot reach it", code, errOut)
	}
	code, _, errOut = runCLI(t, "status", "--coordinator", coord.addr, "--tls-ca", writeFile(t, "bad.pem", "not a certificate"))
	if code != 2 || !strings.Contains(errOut, "--tls-ca") {
		t.Errorf("status with a bad --tls-ca = (%d, %q), want exit 2", code, errOut)
	}
}

// selfSignedCert writes a self-signed certificate for 127.0.0.1 and its key, and returns
// their paths; the certificate is its own CA.
func selfSignedCert(t *testing.T) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "critsweep test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath = writeFile(t, "cert.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	keyPath = writeFile(t, "key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
	return certPath, keyPath
}
