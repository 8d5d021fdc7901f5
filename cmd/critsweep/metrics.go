package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/pflag"
)

// metricsFlags are the flags of the long-running commands (coordinator, worker) that
// serve Prometheus metrics.
type metricsFlags struct {
	metricsListen string
}

func (f *metricsFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.metricsListen, "metrics-listen", "", "HOST:PORT to serve Prometheus metrics on, at /metrics (default: no metrics; port 0: any free port, logged)")
}

// metricsShutdownTimeout bounds how long scrapes in flight may finish at shutdown.
const metricsShutdownTimeout = 2 * time.Second

// serveMetrics starts serving /metrics on --metrics-listen, with the Go runtime,
// process and build-info collectors, until ctx is done, and returns the registry the
// command registers its own series on. With no --metrics-listen it returns a nil
// registry (no metrics) and a no-op stop. stop ends serving and waits for it.
func (f *metricsFlags) serveMetrics(ctx context.Context, log *slog.Logger) (reg prometheus.Registerer, stop func(), err error) {
	if f.metricsListen == "" {
		return nil, func() {}, nil
	}
	lis, err := net.Listen("tcp", f.metricsListen)
	if err != nil {
		return nil, nil, usageErrorf("--metrics-listen: %w", err)
	}
	r := prometheus.NewRegistry()
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(r, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          r, // promhttp's own request counters
		EnableOpenMetrics: true,
	}))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	log.Info("metrics listening", "addr", lis.Addr().String(), "path", "/metrics")

	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
		case err := <-served:
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server stopped", "err", fmt.Errorf("serve %s: %w", lis.Addr(), err))
			}
			return
		}
		shutdownCtx, stop := context.WithTimeout(context.Background(), metricsShutdownTimeout)
		defer stop()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			srv.Close()
		}
		<-served
	}()
	return r, func() {
		cancel()
		<-done
	}, nil
}
