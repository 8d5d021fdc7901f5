package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"

	"github.com/critsweep/critsweep/coordinator"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/store"
)

// Keepalive and reconnection settings shared by the coordinator and its clients. The
// server permits pings as often as clients send them, or it would close their
// connections.
const (
	keepaliveTime    = 30 * time.Second
	keepaliveTimeout = 10 * time.Second
	reconnectMax     = 5 * time.Second
)

// authFlags are the flags every command that talks to a coordinator takes: the bearer
// token and the CA that signed the coordinator's TLS certificate.
type authFlags struct {
	tokenFile string
	tlsCA     string
}

func (f *authFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.tokenFile, "token-file", "", "file holding the coordinator's bearer token (leading and trailing white space is ignored)")
	fl.StringVar(&f.tlsCA, "tls-ca", "", "PEM file of the CA that signed the coordinator's certificate: connect with TLS (default: plaintext)")
}

// dial connects to the coordinator at target, with the token, TLS, keepalive and
// reconnection back-off. It does not wait for the connection.
func (f *authFlags) dial(target string) (*coordinator.Client, error) {
	if target == "" {
		return nil, usageErrorf("--coordinator is required: the coordinator's HOST:PORT")
	}
	token, err := readToken(f.tokenFile)
	if err != nil {
		return nil, err
	}
	var tlsConfig *tls.Config
	if f.tlsCA != "" {
		pem, err := os.ReadFile(f.tlsCA)
		if err != nil {
			return nil, usageErrorf("--tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageErrorf("--tls-ca: %s holds no PEM certificate", f.tlsCA)
		}
		tlsConfig = tlsConfigFor(pool)
	}
	cl, err := coordinator.Dial(target, &coordinator.DialOptions{
		Token: token,
		TLS:   tlsConfig,
		GRPC: []grpc.DialOption{
			grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: keepaliveTime, Timeout: keepaliveTimeout}),
			grpc.WithConnectParams(grpc.ConnectParams{
				Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: reconnectMax},
				MinConnectTimeout: 5 * time.Second,
			}),
		},
	})
	if err != nil {
		return nil, usage(err)
	}
	return cl, nil
}

// tlsConfigFor is the TLS configuration of a client that trusts the CAs in pool.
func tlsConfigFor(pool *x509.CertPool) *tls.Config {
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// readToken reads a bearer token from a file; "" for no file.
func readToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", usageErrorf("--token-file: %w", err)
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return "", usageErrorf("--token-file: %s is empty", path)
	}
	if strings.ContainsAny(token, "\r\n") {
		return "", usageErrorf("--token-file: %s holds more than one line", path)
	}
	return token, nil
}

// clientFlags are the flags of the client commands (submit, status, results, cancel):
// where the coordinator is, or the database to read offline.
type clientFlags struct {
	authFlags
	coordinator string
	db          string
	timeout     time.Duration
}

func (f *clientFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.coordinator, "coordinator", "", "the coordinator's HOST:PORT")
	fl.StringVar(&f.db, "db", "", "offline: the database FILE of a coordinator that is not running, instead of --coordinator")
	fl.DurationVar(&f.timeout, "timeout", time.Minute, "give up on the coordinator after this long")
	f.authFlags.register(fl)
}

// connection is the coordinator a client command talks to, and how to let it go.
type connection struct {
	api    coordinator.API
	where  string // "coordinator HOST:PORT" or "database FILE", for messages
	remote bool
	close  func()
}

// connect returns the coordinator named by --coordinator or, offline, one over --db:
// read-only unless write (submit and cancel change the file, which a coordinator started
// on it later carries on with).
func (f *clientFlags) connect(write bool) (*connection, error) {
	switch {
	case f.coordinator != "" && f.db != "":
		return nil, usageErrorf("give --coordinator or --db, not both")
	case f.coordinator == "" && f.db == "":
		return nil, usageErrorf("--coordinator HOST:PORT is required (or, with no coordinator running, --db FILE)")
	case f.timeout <= 0:
		return nil, usageErrorf("--timeout must be > 0, got %v", f.timeout)
	}
	if f.coordinator != "" {
		cl, err := f.dial(f.coordinator)
		if err != nil {
			return nil, err
		}
		return &connection{api: cl, where: "coordinator " + f.coordinator, remote: true, close: func() { cl.Close() }}, nil
	}
	switch info, err := os.Stat(f.db); {
	case errors.Is(err, fs.ErrNotExist):
		return nil, usageErrorf("--db %s: no such file (give the database FILE a coordinator was started with)", f.db)
	case err != nil:
		return nil, usageErrorf("--db: %w", err)
	case info.IsDir():
		return nil, usageErrorf("--db %s is a directory, not a database file", f.db)
	}
	db, err := store.Open(f.db, &store.Options{ReadOnly: !write})
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("database %s is in use by a running coordinator: ask it with --coordinator HOST:PORT instead of --db", f.db)
	}
	if err != nil {
		return nil, err
	}
	c, err := coordinator.New(db, nil, &coordinator.Options{Logger: slog.New(slog.DiscardHandler), Resolve: taskSettings})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &connection{api: c, where: "database " + f.db, close: func() {
		c.Close()
		db.Close()
	}}, nil
}

// explain turns an error from the coordinator into what the user needs to read: an
// invalid spec or request is a usage error (exit 2); being refused or unable to reach
// the coordinator says so and what to do.
func (c *connection) explain(err error) error {
	if err == nil {
		return nil
	}
	var specErr *spec.Error
	switch {
	case errors.As(err, &specErr):
		return usage(specErr)
	case errors.Is(err, spec.ErrInvalid), errors.Is(err, coordinator.ErrInvalidRequest):
		return usage(err)
	case errors.Is(err, coordinator.ErrSweepNotFound):
		return fmt.Errorf("%s: %w", c.where, err)
	case errors.Is(err, coordinator.ErrReadOnly):
		return fmt.Errorf("%s is open read-only: %w", c.where, err)
	case errors.Is(err, coordinator.ErrDiskFull):
		return fmt.Errorf("%s: %w", c.where, err) // it says what to do
	}
	if !c.remote {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.Unauthenticated:
		msg := st.Message()
		if !strings.Contains(msg, "--token-file") {
			msg += "; pass its token with --token-file"
		}
		return fmt.Errorf("%s refused the call (Unauthenticated): %s", c.where, msg)
	case codes.PermissionDenied:
		return fmt.Errorf("%s refused the call (PermissionDenied): %s", c.where, st.Message())
	case codes.Unavailable:
		return fmt.Errorf("cannot reach %s (is it running, and is --tls-ca right?): %s", c.where, st.Message())
	case codes.DeadlineExceeded:
		return fmt.Errorf("%s did not answer in time (--timeout): %s", c.where, st.Message())
	}
	return fmt.Errorf("%s: %s: %s", c.where, st.Code(), st.Message())
}

// logFlags choose how the long-running commands (coordinator, worker) log to stderr.
type logFlags struct {
	format string
	level  string
}

func (f *logFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.format, "log-format", "text", "log format on stderr: text or json")
	fl.StringVar(&f.level, "log-level", "info", "least severe level logged: debug, info, warn or error")
}

// logger returns the logger the flags describe, writing to w.
func (f *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.level)); err != nil {
		return nil, usageErrorf("--log-level must be debug, info, warn or error, got %q", f.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch f.format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageErrorf("--log-format must be text or json, got %q", f.format)
}

// withConnection runs fn against the command's coordinator, with a context bounded by
// --timeout, and explains its error.
func (f *clientFlags) withConnection(cmd *cobra.Command, write bool, fn func(ctx context.Context, api coordinator.API) error) error {
	conn, err := f.connect(write)
	if err != nil {
		return err
	}
	defer conn.close()
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	return conn.explain(fn(ctx, conn.api))
}
