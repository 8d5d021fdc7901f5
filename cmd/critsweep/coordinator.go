package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/critsweep/critsweep/coordinator"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/store"
)

// coordinatorFlags are the flags of `critsweep coordinator`.
type coordinatorFlags struct {
	logFlags
	metricsFlags
	listen          string
	db              string
	leaseDuration   time.Duration
	retryAfter      time.Duration
	maxAttempts     uint32
	shutdownTimeout time.Duration
	tokenFile       string
	tlsCert         string
	tlsKey          string
	http            string
}

func newCoordinatorCmd() *cobra.Command {
	var f coordinatorFlags
	cmd := &cobra.Command{
		Use:   "coordinator",
		Short: "Serve sweeps to workers over gRPC, keeping every task, result and checkpoint in a database",
		Long: `coordinator serves the Coordinator gRPC service (and the standard health service) on
--listen: clients submit sweeps and query them, workers lease their tasks. Everything is
kept in the bbolt database --db, which the coordinator holds locked while it runs; started
again on the same file, it carries on where it stopped.

A lease lasts --lease-duration without a heartbeat; a task whose lease runs out goes back
to pending and resumes from its last checkpoint on the next worker. A task fails for good
after --max-attempts failed or expired leases (a sweep's max_attempts overrides it).

With --token-file, every call but the health service's must carry that bearer token
(clients and workers pass the same file). With --tls-cert and --tls-key it serves TLS.
With --http it serves the dashboard on that address: a web page of the sweeps, their
progress, σ_L curves and β_c, results, failures, tasks' training curves and workers, live,
with a JSON endpoint for each view (docs/dashboard.md); the token and TLS guard it as they
guard gRPC, and without a token it is read-only.
With --metrics-listen it serves Prometheus metrics at /metrics on that address: tasks by
state per sweep, leases granted, expired and released, lease latency, checkpoints,
completions and failures, and the Go runtime's.
SIGINT or SIGTERM stops it gracefully: calls in flight may finish for --shutdown-timeout.`,
		Example: `  critsweep coordinator --listen :7878 --db sweeps.db --token-file token
  critsweep coordinator --listen 0.0.0.0:7878 --db sweeps.db --token-file token --tls-cert cert.pem --tls-key key.pem --log-format json
  critsweep coordinator --listen 0.0.0.0:7878 --db sweeps.db --token-file token --metrics-listen 0.0.0.0:9090
  critsweep coordinator --listen 0.0.0.0:7878 --db sweeps.db --token-file token --http 0.0.0.0:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "localhost:7878", "HOST:PORT to serve on (port 0: any free port, logged)")
	fl.StringVar(&f.db, "db", "critsweep.db", "database FILE, created if missing")
	fl.DurationVar(&f.leaseDuration, "lease-duration", coordinator.DefaultLeaseDuration, "how long a lease lasts without a heartbeat")
	fl.DurationVar(&f.retryAfter, "retry-after", coordinator.DefaultRetryAfter, "how long idle workers wait before asking again")
	fl.Uint32Var(&f.maxAttempts, "max-attempts", coordinator.DefaultMaxAttempts, "failed or expired leases before a task fails for good")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", coordinator.DefaultShutdownTimeout, "how long calls in flight may finish at shutdown")
	fl.StringVar(&f.tokenFile, "token-file", "", "file holding the bearer token that every call must carry (default: no authentication)")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate (chain) to serve TLS with; needs --tls-key")
	fl.StringVar(&f.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fl.StringVar(&f.http, "http", "", "HOST:PORT to serve the dashboard on (web page and JSON endpoints; default: none; port 0: any free port, logged)")
	f.logFlags.register(fl)
	f.metricsFlags.register(fl)
	return cmd
}

func (f *coordinatorFlags) run(cmd *cobra.Command) error {
	log, err := f.logger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	switch {
	case f.leaseDuration <= 0:
		return usageErrorf("--lease-duration must be > 0, got %v", f.leaseDuration)
	case f.retryAfter <= 0:
		return usageErrorf("--retry-after must be > 0, got %v", f.retryAfter)
	case f.maxAttempts < 1 || f.maxAttempts > spec.MaxAttempts:
		return usageErrorf("--max-attempts must be in [1, %d], got %d", spec.MaxAttempts, f.maxAttempts)
	case f.shutdownTimeout <= 0:
		return usageErrorf("--shutdown-timeout must be > 0, got %v", f.shutdownTimeout)
	case (f.tlsCert == "") != (f.tlsKey == ""):
		return usageErrorf("--tls-cert and --tls-key go together")
	case f.db == "":
		return usageErrorf("--db is required: the database FILE")
	}
	token, err := readToken(f.tokenFile)
	if err != nil {
		return err
	}
	var tlsConfig *tls.Config
	if f.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return usageErrorf("--tls-cert/--tls-key: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	db, err := store.Open(f.db, nil)
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("database %s is in use by another process (another coordinator?): %w", f.db, err)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	reg, stopMetrics, err := f.serveMetrics(cmd.Context(), log)
	if err != nil {
		return err
	}
	defer stopMetrics()
	c, err := coordinator.New(db, nil, &coordinator.Options{
		LeaseDuration: f.leaseDuration,
		RetryAfter:    f.retryAfter,
		MaxAttempts:   f.maxAttempts,
		Logger:        log,
		Metrics:       reg,
		Resolve:       taskSettings,
	})
	if err != nil {
		return err
	}
	defer c.Close()

	lis, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	srv := coordinator.NewServer(c, &coordinator.ServerOptions{
		Token:           token,
		TLS:             tlsConfig,
		ShutdownTimeout: f.shutdownTimeout,
		Logger:          log,
		GRPC: []grpc.ServerOption{
			grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: keepaliveTime / 2, PermitWithoutStream: true}),
			grpc.KeepaliveParams(keepalive.ServerParameters{Time: 2 * keepaliveTime, Timeout: keepaliveTimeout}),
		},
	})
	if token == "" && !loopback(lis.Addr()) {
		log.Warn("no --token-file: anyone who can reach this address can submit and cancel sweeps", "addr", lis.Addr().String())
	}
	log.Info("coordinator listening", "addr", lis.Addr().String(), "db", f.db,
		"lease_duration", f.leaseDuration, "tls", tlsConfig != nil, "auth", token != "")
	if f.http != "" {
		url, wait, err := serveDashboard(cmd.Context(), f.http, c, token, tlsConfig, log)
		if err != nil {
			return err
		}
		defer wait()
		log.Info("dashboard listening", "url", url, "auth", token != "")
	}
	if err := srv.Serve(cmd.Context(), lis); err != nil {
		return err
	}
	log.Info("coordinator stopped", "db", f.db)
	return nil
}

// loopback reports whether addr is a loopback address.
func loopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
