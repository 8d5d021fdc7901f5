package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dashboardURL finds the URL in the coordinator's JSON log line "dashboard listening".
func dashboardURL(t *testing.T, cc *coordinatorCmd) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for line := range strings.Lines(cc.stderr.String()) {
			var rec struct{ Msg, URL string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "dashboard listening" {
				return rec.URL
			}
		}
	}
	t.Fatalf("no dashboard URL in the logs: %s", cc.stderr.String())
	return ""
}

// get GETs url with the bearer token (none: "") and returns the status and body.
func get(t *testing.T, client *http.Client, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestCoordinatorHTTP serves the dashboard with `critsweep coordinator --http`: the
// token guards the page and the JSON endpoints, which answer with it.
func TestCoordinatorHTTP(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sweeps.db")
	token := writeFile(t, "token", "dash-token\n")
	coord := startCoordinatorCmd(t, "--db", db, "--token-file", token, "--http", "127.0.0.1:0")
	url := dashboardURL(t, coord)
	if code, out, errOut := runCLI(t, "submit", writeFile(t, "sweep.yaml", testSpec), "--coordinator", coord.addr, "--token-file", token); code != 0 {
		t.Fatalf("submit: %d %s %s", code, out, errOut)
	}
	c := http.DefaultClient
	for _, path := range []string{"", "api/v1/sweeps", "api/v1/workers", "static/app.js"} {
		if code, _ := get(t, c, url+path, ""); code != http.StatusUnauthorized {
			t.Errorf("GET /%s without the token: %d, want 401", path, code)
		}
		if code, _ := get(t, c, url+path, "wrong"); code != http.StatusUnauthorized {
			t.Errorf("GET /%s with a wrong token: %d, want 401", path, code)
		}
	}
	code, body := get(t, c, url+"api/v1/sweeps", "dash-token")
	if code != http.StatusOK || !strings.Contains(body, `"name":"cli test"`) || !strings.Contains(body, `"total":4`) {
		t.Errorf("GET /api/v1/sweeps with the token: %d %s", code, body)
	}
	if code, body := get(t, c, url, "dash-token"); code != http.StatusOK || !strings.Contains(body, "static/app.js") {
		t.Errorf("GET / with the token: %d", code)
	}
}

// TestCoordinatorHTTPS serves the dashboard over TLS with the coordinator's certificate.
func TestCoordinatorHTTPS(t *testing.T) {
	ca := newTestCA(t, "critsweep test CA")
	certPEM, keyPEM := ca.issueServer(t, []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"localhost"})
	cert, key := writeFile(t, "server.pem", certPEM), writeFile(t, "server-key.pem", keyPEM)
	token := writeFile(t, "token", "tls-dash\n")
	coord := startCoordinatorCmd(t, "--db", filepath.Join(t.TempDir(), "tls.db"), "--tls-cert", cert, "--tls-key", key,
		"--token-file", token, "--http", "127.0.0.1:0")
	url := dashboardURL(t, coord)
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("dashboard URL %s, want https", url)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(ca.certPEM))
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if code, _ := get(t, c, url+"api/v1/sweeps", "tls-dash"); code != http.StatusOK {
		t.Errorf("GET over TLS with the token: %d", code)
	}
	if code, _ := get(t, c, url+"api/v1/sweeps", ""); code != http.StatusUnauthorized {
		t.Errorf("GET over TLS without the token: %d, want 401", code)
	}
	if _, err := http.Get(strings.Replace(url, "https://", "http://", 1) + "api/v1/sweeps"); err == nil {
		// A plaintext request to a TLS port gets a 400 from Go's server, never the data.
		code, body := get(t, http.DefaultClient, strings.Replace(url, "https://", "http://", 1)+"api/v1/sweeps", "tls-dash")
		if code == http.StatusOK {
			t.Errorf("plaintext GET of the TLS dashboard answered 200: %s", body)
		}
	}
}

func TestPageURL(t *testing.T) {
	for _, tt := range []struct {
		addr  string
		https bool
		want  string
	}{
		{"127.0.0.1:8080", false, "http://127.0.0.1:8080/"},
		{"0.0.0.0:8080", true, "https://localhost:8080/"},
		{"[::]:9", false, "http://localhost:9/"},
		{"[::1]:9", false, "http://[::1]:9/"},
	} {
		a, err := net.ResolveTCPAddr("tcp", tt.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := pageURL(a, tt.https); got != tt.want {
			t.Errorf("pageURL(%s) = %s, want %s", tt.addr, got, tt.want)
		}
	}
}
