// Package deploy_test checks the deployment files under deploy/ that have no package of
// their own: the Dockerfile. The Kubernetes manifests, systemd units and Slurm scripts
// are checked in their folders.
package deploy_test

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/critsweep/critsweep/internal/deploytest"
)

// testVersion is passed as the Dockerfile's VERSION build argument.
const testVersion = "v0.0.0-dockerfile-test"

// TestDockerfile parses deploy/Dockerfile, builds the binary exactly as its build stage
// does (the stage's ENV and its `go build` line, for this machine's GOOS and GOARCH,
// with VERSION set like --build-arg would), and checks that the binary is statically
// linked, runs with an empty environment (as on distroless) and reports VERSION; and
// that the final stage copies that binary, runs it as ENTRYPOINT as a non-root user, on
// a static base image, with the Go version of go.mod.
func TestDockerfile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole binary in the Dockerfile's configuration (-trimpath, no cgo): slow on a cold cache")
	}
	root, err := deploytest.Root()
	if err != nil {
		t.Fatal(err)
	}
	df, err := parseDockerfile(filepath.Join(root, "deploy", "Dockerfile"), map[string]string{
		"TARGETOS": runtime.GOOS, "TARGETARCH": runtime.GOARCH, "BUILDPLATFORM": runtime.GOOS + "/" + runtime.GOARCH,
		"VERSION": testVersion,
	})
	if err != nil {
		t.Fatal(err)
	}
	build, final := df.buildStage, df.stages[len(df.stages)-1]
	if build == nil {
		t.Fatal("no stage runs `go build`")
	}
	if build == final {
		t.Fatal("the `go build` stage is the final one: want a multi-stage build")
	}

	// The builder's Go is go.mod's.
	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(goMod)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	if want := "golang:" + string(m[1]); !strings.HasPrefix(build.image, want) {
		t.Errorf("build stage FROM %s, want %s… (go.mod says go %s)", build.image, want, m[1])
	}

	// Build as the Dockerfile does.
	var cmd []string
	for _, run := range build.runs {
		if len(run) >= 2 && run[0] == "go" && run[1] == "build" {
			cmd = run
		}
	}
	out := slices.Index(cmd, "-o")
	if out < 0 || out+1 >= len(cmd) {
		t.Fatalf("the go build line %q has no -o OUTPUT", cmd)
	}
	imagePath := cmd[out+1]
	if !slices.Contains(cmd, "-trimpath") {
		t.Errorf("the go build line %q lacks -trimpath", cmd)
	}
	if build.env["CGO_ENABLED"] != "0" {
		t.Errorf("build stage ENV CGO_ENABLED = %q, want 0", build.env["CGO_ENABLED"])
	}
	bin := filepath.Join(t.TempDir(), "critsweep")
	args := slices.Clone(cmd[1:])
	args[out] = bin
	goCmd := exec.Command("go", args...)
	goCmd.Dir = root // WORKDIR /src holds the whole module (COPY . .)
	goCmd.Env = buildEnv(build.env)
	var stderr bytes.Buffer
	goCmd.Stdout, goCmd.Stderr = &stderr, &stderr
	start := time.Now()
	if err := goCmd.Run(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	t.Logf("built with %v go %s in %v", envList(build.env), strings.Join(args, " "), time.Since(start).Round(time.Millisecond))

	checkStatic(t, bin)
	version := exec.Command(bin, "version")
	version.Env = []string{} // distroless: no PATH, no HOME
	got, err := version.CombinedOutput()
	if want := "critsweep " + testVersion + "\n"; err != nil || string(got) != want {
		t.Errorf("critsweep version = %q, %v; want %q", got, err, want)
	}

	// The final stage runs that binary, as a non-root user, on a static base.
	if !strings.HasPrefix(final.image, "gcr.io/distroless/static") && final.image != "scratch" {
		t.Errorf("final stage FROM %s, want gcr.io/distroless/static… or scratch", final.image)
	}
	copied := ""
	for _, c := range final.copies {
		if c.from == build.name && c.src == imagePath {
			copied = c.dst
		}
	}
	if copied == "" {
		t.Fatalf("the final stage does not COPY --from=%s %s", build.name, imagePath)
	}
	if len(final.entrypoint) == 0 || final.entrypoint[0] != copied {
		t.Errorf("ENTRYPOINT %q, want [%q] (exec form)", final.entrypoint, copied)
	}
	user, _, _ := strings.Cut(final.user, ":")
	if user == "" || user == "0" || user == "root" {
		t.Errorf("final stage USER %q, want a non-root user", final.user)
	}
}

// checkStatic fails the test unless the ELF file at path is statically linked: no
// program interpreter, no dynamic section, no shared libraries.
func checkStatic(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s has a %v program header: dynamically linked", path, p.Type)
		}
	}
	if f.Section(".dynamic") != nil || f.Section(".interp") != nil {
		t.Errorf("%s has a .dynamic or .interp section: dynamically linked", path)
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		t.Errorf("%s needs shared libraries %v", path, libs)
	}
}

// buildEnv is this process's environment with the Go settings replaced by the
// Dockerfile's ENV.
func buildEnv(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "CGO_ENABLED", "GOOS", "GOARCH", "GOFLAGS", "GOEXPERIMENT", "GOAMD64", "GOARM64":
			continue
		}
		if _, set := env[k]; !set {
			out = append(out, kv)
		}
	}
	return append(out, envList(env)...)
}

func envList(env map[string]string) []string {
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// dockerfile is what the test reads of a Dockerfile.
type dockerfile struct {
	stages     []*stage
	buildStage *stage // the stage that runs `go build`
}

type stage struct {
	name       string
	image      string
	env        map[string]string
	runs       [][]string // shell words of each RUN, --mount options removed
	copies     []copyOp
	user       string
	entrypoint []string
}

type copyOp struct{ from, src, dst string }

// parseDockerfile reads the instructions the test relies on: FROM, ARG, ENV, RUN, COPY,
// USER, ENTRYPOINT (exec form). Variables are expanded from ARG defaults, ENV and args
// (which act as --build-arg and as the platform ARGs); an unknown variable or a RUN the
// test cannot split into words is an error, so that the Dockerfile cannot drift into
// something the test no longer understands.
func parseDockerfile(path string, args map[string]string) (*dockerfile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var lines []string
	var cur strings.Builder
	for _, l := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(l)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	df := &dockerfile{}
	global := map[string]string{}
	for k, v := range args {
		if strings.HasPrefix(k, "TARGET") || strings.HasPrefix(k, "BUILD") {
			global[k] = v // the platform ARGs are predefined in the global scope
		}
	}
	var st *stage
	var vars map[string]string // the variables in scope
	for _, line := range lines {
		instr, rest, _ := strings.Cut(line, " ")
		instr = strings.ToUpper(instr)
		rest = strings.TrimSpace(rest)
		scope := global
		if st != nil {
			scope = vars
		}
		expanded, err := expand(rest, scope)
		if err != nil && instr != "ARG" {
			return nil, fmt.Errorf("%s: %w", line, err)
		}
		switch instr {
		case "ARG":
			for _, decl := range strings.Fields(rest) {
				name, def, hasDef := strings.Cut(decl, "=")
				v, ok := args[name]
				if !ok && st != nil {
					v, ok = global[name] // a global ARG redeclared in a stage
				}
				if !ok && hasDef {
					v, ok = def, true
				}
				if !ok {
					return nil, fmt.Errorf("ARG %s has no value", name)
				}
				scope[name] = v
			}
		case "FROM":
			words := strings.Fields(expanded)
			for len(words) > 0 && strings.HasPrefix(words[0], "--") {
				words = words[1:]
			}
			if len(words) != 1 && !(len(words) == 3 && strings.EqualFold(words[1], "AS")) {
				return nil, fmt.Errorf("FROM %q: want IMAGE [AS NAME]", expanded)
			}
			st = &stage{image: words[0], env: map[string]string{}, name: fmt.Sprint(len(df.stages))}
			if len(words) == 3 {
				st.name = words[2]
			}
			df.stages = append(df.stages, st)
			vars = map[string]string{} // a stage sees a global ARG only once it declares it
		case "ENV":
			words, err := shellWords(expanded)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", line, err)
			}
			for _, w := range words {
				k, v, ok := strings.Cut(w, "=")
				if !ok {
					return nil, fmt.Errorf("ENV %q: want KEY=VALUE pairs", expanded)
				}
				st.env[k], vars[k] = v, v
			}
		case "RUN":
			words, err := shellWords(expanded)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", line, err)
			}
			for len(words) > 0 && strings.HasPrefix(words[0], "--") {
				words = words[1:]
			}
			if slices.ContainsFunc(words, func(w string) bool { return strings.ContainsAny(w, ";&|") }) {
				return nil, fmt.Errorf("RUN %q: one command per RUN, please: the test runs it", expanded)
			}
			st.runs = append(st.runs, words)
			if len(words) >= 2 && words[0] == "go" && words[1] == "build" {
				if df.buildStage != nil {
					return nil, fmt.Errorf("more than one `go build` RUN")
				}
				df.buildStage = st
			}
		case "COPY":
			words := strings.Fields(expanded)
			var from string
			for len(words) > 0 && strings.HasPrefix(words[0], "--") {
				if f, ok := strings.CutPrefix(words[0], "--from="); ok {
					from = f
				}
				words = words[1:]
			}
			if len(words) == 2 {
				st.copies = append(st.copies, copyOp{from: from, src: words[0], dst: words[1]})
			}
		case "USER":
			st.user = expanded
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(expanded), &st.entrypoint); err != nil {
				return nil, fmt.Errorf("ENTRYPOINT %s: want the exec form [\"…\"]: %w", expanded, err)
			}
		}
	}
	if len(df.stages) == 0 {
		return nil, fmt.Errorf("%s has no FROM", path)
	}
	return df, nil
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// expand replaces ${NAME} and $NAME by their values in vars; an unknown name is an
// error.
func expand(s string, vars map[string]string) (string, error) {
	var missing []string
	out := varRef.ReplaceAllStringFunc(s, func(ref string) string {
		m := varRef.FindStringSubmatch(ref)
		name := m[1] + m[2]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("unknown variables %v", missing)
	}
	return out, nil
}

// shellWords splits s into words as a POSIX shell would for the simple commands of a
// Dockerfile: white space separates, single and double quotes group (and are removed).
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case r == '\\':
			return nil, fmt.Errorf("backslash escapes in %q: keep the build line simple", s)
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unbalanced quote in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// TestParseDockerfileRefuses checks that the parser above refuses what it would not
// understand, rather than build something else than the Dockerfile does.
func TestParseDockerfileRefuses(t *testing.T) {
	for _, tt := range []struct{ name, text, want string }{
		{"unknown variable", "FROM golang:1.26 AS build\nRUN go build -o /out/x ${WHERE}\n", "unknown variables [WHERE]"},
		{"two commands", "FROM golang:1.26 AS build\nRUN go mod download && go build -o /out/x .\n", "one command per RUN"},
		{"two builds", "FROM golang:1.26 AS build\nRUN go build -o /a .\nRUN go build -o /b .\n", "more than one"},
		{"shell-form entrypoint", "FROM scratch\nENTRYPOINT /critsweep\n", "exec form"},
		{"legacy ENV", "FROM golang:1.26 AS build\nENV CGO_ENABLED 0\n", "KEY=VALUE"},
		{"ARG without value", "ARG X\nFROM golang:1.26\n", "ARG X has no value"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "Dockerfile")
			if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := parseDockerfile(path, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseDockerfile = %v, want an error with %q", err, tt.want)
			}
		})
	}
}
