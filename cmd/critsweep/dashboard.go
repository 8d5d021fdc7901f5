package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/critsweep/critsweep/coordinator"
	"github.com/critsweep/critsweep/dashboard"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/statmech"
)

// serveDashboard serves the dashboard of c on addr (HOST:PORT; port 0: any free port)
// until ctx is done, with the coordinator's token and TLS. It returns the page's URL and
// a function that waits for the server to stop.
func serveDashboard(ctx context.Context, addr string, c *coordinator.Coordinator, token string, tlsConfig *tls.Config, log *slog.Logger) (url string, wait func(), err error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, usageErrorf("--http: %w", err)
	}
	srv := dashboard.New(c, &dashboard.Options{
		Token:         token,
		TLS:           tlsConfig,
		Resolve:       taskSettings,
		Reference:     referenceBetaC,
		ExactLnLambda: exactLnLambda,
		Logger:        log,
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ctx, lis); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("dashboard stopped", "err", err)
		}
	}()
	return pageURL(lis.Addr(), tlsConfig != nil), func() { <-done }, nil
}

// pageURL is the URL a browser opens for the dashboard on addr: a wildcard address is
// reached on localhost.
func pageURL(addr net.Addr, https bool) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	scheme := "http"
	if https {
		scheme = "https"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("%s://%s:%s/", scheme, host, port)
}

// referenceBetaC is the known critical point of a model, for the dashboard to show
// beside the estimate: Onsager's for Ising, ln(1+√q) for Potts (W = exp(β δ)).
func referenceBetaC(m *critsweepv1.ModelSpec) (float64, string, bool) {
	switch m.GetKind() {
	case spec.ModelIsing:
		return statmech.IsingBetaC, "Onsager β_c", true
	case spec.ModelPotts:
		return statmech.PottsBetaC(int(m.GetQ())), fmt.Sprintf("Potts β_c = ln(1+√%d)", m.GetQ()), true
	}
	return 0, "", false
}

// exactLnLambda is a task's exact ln λ/L where Kaufman's closed form gives it: the Ising
// model at any L (train.SolveExact's reference).
func exactLnLambda(ts *critsweepv1.TaskSpec) (float64, string, bool) {
	if ts.GetModel().GetKind() != spec.ModelIsing || ts.GetSize() < 2 || !(ts.GetBeta() > 0) {
		return 0, "", false
	}
	b := statmech.Periodic
	if ts.GetBoundary() != "" {
		var err error
		if b, err = statmech.ParseBoundary(ts.GetBoundary()); err != nil {
			return 0, "", false
		}
	}
	ln, err := statmech.KaufmanLogLambda(ts.GetBeta(), int(ts.GetSize()), b)
	if err != nil {
		return 0, "", false
	}
	return ln / float64(ts.GetSize()), "kaufman", true
}
