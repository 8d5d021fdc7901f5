// Package systemd_test checks the systemd units in this folder: a Go parser of their
// INI syntax checks the settings that matter (hardening, the token as a credential, the
// state directory holding the database, stop timeouts that leave room for a graceful
// shutdown, command lines that critsweep accepts), and where systemd-analyze is
// installed, `systemd-analyze verify` must accept the units and `systemd-analyze
// security --offline` must rate them OK.
package systemd_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/critsweep/critsweep/internal/deploytest"
)

// binary is where the units expect critsweep.
const binary = "/usr/local/bin/critsweep"

// maxExposure is the highest `systemd-analyze security` exposure accepted (0 is best,
// 10 worst; below 2 systemd calls it OK).
const maxExposure = 2.0

var units = []string{"critsweep-coordinator.service", "critsweep-worker.service"}

// unit is a parsed unit file: section → key → values in order (a key may repeat).
type unit map[string]map[string][]string

// last returns the effective value of a key: the last one given, or "".
func (u unit) last(section, key string) string {
	vs := u[section][key]
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// parseUnit reads systemd's INI syntax: [Section] headers, Key=Value lines, comments
// (# and ;), and lines continued with a trailing backslash.
func parseUnit(path string) (unit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	u := unit{}
	section := ""
	var pending string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if pending == "" && (line == "" || line[0] == '#' || line[0] == ';') {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			pending += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		line, pending = pending+line, ""
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("%s:%d: bad section header %q", path, n, line)
			}
			section = line[1 : len(line)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			return nil, fmt.Errorf("%s:%d: want Key=Value in a section, got %q", path, n, line)
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		u[section][key] = append(u[section][key], value)
	}
	return u, sc.Err()
}

// execWords splits an ExecStart value into words (white space separates; double quotes
// group) and replaces the specifiers the units use with example values: %d (the
// credentials directory) and %S (the state directory root).
func execWords(value string) []string {
	r := strings.NewReplacer("%d", "/run/credentials/x.service", "%S", "/var/lib", "%%", "%")
	var words []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, c := range value {
		switch {
		case c == '"':
			quoted, inWord = !quoted, true
		case (c == ' ' || c == '\t') && !quoted:
			if inWord {
				words = append(words, r.Replace(cur.String()))
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, r.Replace(cur.String()))
	}
	return words
}

func TestUnits(t *testing.T) {
	flags, err := deploytest.LoadFlags()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range units {
		t.Run(name, func(t *testing.T) {
			u, err := parseUnit(name)
			if err != nil {
				t.Fatal(err)
			}
			svc := u["Service"]
			if svc == nil || u["Unit"] == nil || u["Install"] == nil {
				t.Fatalf("sections %v, want Unit, Service and Install", slices.Sorted(mapKeys(u)))
			}

			// Settings every unit must have.
			want := map[string]string{
				"Type":                  "exec",
				"DynamicUser":           "yes",
				"NoNewPrivileges":       "yes",
				"ProtectSystem":         "strict",
				"ProtectHome":           "yes",
				"PrivateTmp":            "yes",
				"PrivateDevices":        "yes",
				"ProtectKernelModules":  "yes",
				"ProtectKernelTunables": "yes",
				"ProtectControlGroups":  "yes",
				"RestrictSUIDSGID":      "yes",
				"RestrictNamespaces":    "yes",
				"LockPersonality":       "yes",
				"CapabilityBoundingSet": "",
				"UMask":                 "0077",
				"Restart":               "on-failure",
			}
			for key, value := range want {
				if _, set := svc[key]; !set {
					t.Errorf("[Service] %s is not set, want %q", key, value)
				} else if got := u.last("Service", key); got != value {
					t.Errorf("[Service] %s=%s, want %q", key, got, value)
				}
			}
			if got := u.last("Install", "WantedBy"); got != "multi-user.target" {
				t.Errorf("[Install] WantedBy=%s, want multi-user.target", got)
			}
			if after := u.last("Unit", "After"); !strings.Contains(after, "network-online.target") {
				t.Errorf("[Unit] After=%s, want network-online.target (it serves or dials the network)", after)
			}
			families := strings.Fields(u.last("Service", "RestrictAddressFamilies"))
			for _, f := range families {
				if !slices.Contains([]string{"AF_INET", "AF_INET6", "AF_UNIX"}, f) {
					t.Errorf("RestrictAddressFamilies allows %s", f)
				}
			}
			if !slices.Contains(families, "AF_INET") || !slices.Contains(families, "AF_INET6") {
				t.Errorf("RestrictAddressFamilies=%s, want AF_INET and AF_INET6 at least", strings.Join(families, " "))
			}
			if filters := svc["SystemCallFilter"]; !slices.Contains(filters, "@system-service") || !slices.Contains(filters, "~@privileged") {
				t.Errorf("SystemCallFilter %q, want @system-service and ~@privileged", filters)
			}
			if _, user := svc["User"]; user {
				t.Error("User= is set: DynamicUser=yes picks a transient one")
			}

			// The command line: critsweep, a command it has, flags it accepts.
			execs := svc["ExecStart"]
			if len(execs) != 1 {
				t.Fatalf("%d ExecStart lines, want 1", len(execs))
			}
			words := execWords(execs[0])
			if len(words) < 2 || words[0] != binary {
				t.Fatalf("ExecStart=%s, want %s COMMAND …", execs[0], binary)
			}
			cl, err := flags.Parse(words[1:])
			if err != nil {
				t.Fatalf("ExecStart=%s: %v", execs[0], err)
			}
			if want := strings.TrimSuffix(strings.TrimPrefix(name, "critsweep-"), ".service"); cl.Command != want {
				t.Errorf("%s runs `critsweep %s`, want %s", name, cl.Command, want)
			}

			// The token is a credential: LoadCredential=token:FILE and --token-file %d/token.
			var credentials []string
			for _, lc := range svc["LoadCredential"] {
				id, path, _ := strings.Cut(lc, ":")
				credentials = append(credentials, id)
				if !filepath.IsAbs(path) {
					t.Errorf("LoadCredential=%s: want ID:/absolute/path", lc)
				}
			}
			tokenFile := cl.Flags["--token-file"]
			dir, id := filepath.Split(tokenFile)
			if dir != "/run/credentials/x.service/" || !slices.Contains(credentials, id) {
				t.Errorf("--token-file %s (from %q), want %%d/ID with LoadCredential=ID:… (have %v)", tokenFile, execs[0], credentials)
			}

			// Stopping leaves room for --shutdown-timeout.
			stop, err := time.ParseDuration(u.last("Service", "TimeoutStopSec"))
			if err != nil {
				t.Fatalf("TimeoutStopSec=%q: %v", u.last("Service", "TimeoutStopSec"), err)
			}
			shutdown := 10 * time.Second // both commands' default
			if s := cl.Flags["--shutdown-timeout"]; s != "" {
				shutdown, _ = time.ParseDuration(s)
			}
			if stop < shutdown+10*time.Second {
				t.Errorf("TimeoutStopSec=%v < --shutdown-timeout %v + 10 s: systemd would kill it mid-shutdown", stop, shutdown)
			}

			switch cl.Command {
			case "coordinator":
				// The database is in the state directory, which only the service can write.
				state := u.last("Service", "StateDirectory")
				if state != "critsweep" {
					t.Errorf("StateDirectory=%s, want critsweep", state)
				}
				if db := cl.Flags["--db"]; filepath.Dir(db) != filepath.Join("/var/lib", state) {
					t.Errorf("--db %s, want it in the state directory %%S/%s", db, state)
				}
				if mode := u.last("Service", "StateDirectoryMode"); mode != "0700" {
					t.Errorf("StateDirectoryMode=%s, want 0700", mode)
				}
			case "worker":
				if c := cl.Flags["--coordinator"]; c == "" {
					t.Error("the worker names no --coordinator")
				}
			}
			if ml := cl.Flags["--metrics-listen"]; ml != "" && !strings.HasPrefix(ml, "127.0.0.1:") && !strings.HasPrefix(ml, "[::1]:") {
				t.Errorf("--metrics-listen %s: serve the unauthenticated metrics on loopback by default", ml)
			}
		})
	}
}

// TestSystemdAnalyze runs `systemd-analyze verify` and `systemd-analyze security
// --offline` on the units, with the binary's path pointing at an executable that
// exists here.
func TestSystemdAnalyze(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed; TestUnits checks the settings")
	}
	stand, err := exec.LookPath("true")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range units {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		data = []byte(strings.ReplaceAll(string(data), binary, stand))
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	verify := exec.Command(analyze, append([]string{"verify", "--man=no"}, units...)...)
	verify.Dir = dir
	if out, err := verify.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, name := range units {
		security := exec.Command(analyze, "security", "--offline=yes", "--no-pager", name)
		security.Dir = dir
		out, err := security.CombinedOutput()
		if err != nil {
			t.Errorf("systemd-analyze security %s: %v\n%s", name, err, out)
			continue
		}
		exposure := -1.0
		for line := range strings.Lines(string(out)) {
			if _, rest, ok := strings.Cut(line, "Overall exposure level for "+name+": "); ok {
				fields := strings.Fields(rest)
				if len(fields) > 0 {
					exposure, _ = strconv.ParseFloat(fields[0], 64)
				}
			}
		}
		switch {
		case exposure < 0:
			t.Errorf("systemd-analyze security %s: no overall exposure level in\n%s", name, out)
		case exposure > maxExposure:
			t.Errorf("%s: exposure %.1f, want at most %.1f:\n%s", name, exposure, maxExposure, out)
		default:
			t.Logf("%s: exposure %.1f", name, exposure)
		}
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
