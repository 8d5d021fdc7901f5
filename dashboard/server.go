package dashboard

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/query"
)

// Defaults used when a field of Options is zero.
const (
	DefaultShutdownTimeout = 5 * time.Second
	// DefaultEventInterval is the shortest time between two events of a stream: changes
	// closer than that are merged into one.
	DefaultEventInterval = 250 * time.Millisecond
	// DefaultAnalysisInterval is the shortest time between two analyses of a sweep whose
	// results keep coming: in between, views get the latest analysis, marked with the
	// number of results behind it.
	DefaultAnalysisInterval = 2 * time.Second
)

// Options tunes a Server. A nil *Options means every field at its zero value, which
// selects the documented default.
type Options struct {
	// Token is the coordinator's bearer token. With one, every page and endpoint but
	// the login answers 401 without it (an "Authorization: Bearer TOKEN" header, or the
	// session cookie the login sets), and the actions (cancel, extend) are offered to
	// those who have it. Empty: no authentication, and the dashboard is read-only.
	Token string

	// TLS serves HTTPS with this configuration (the gRPC server's). Nil: plain HTTP.
	TLS *tls.Config

	// Resolve fills in the training defaults for the results' columns (see
	// query.Resolver); the coordinator's. Nil: the settings as stored.
	Resolve query.Resolver

	// Reference returns a model's known critical point (Onsager's for Ising, ln(1+√q)
	// for Potts) and its name, shown beside the estimate and never used by it. Nil: none.
	Reference func(*critsweepv1.ModelSpec) (betaC float64, name string, ok bool)

	// ExactLnLambda returns a task's exact ln λ/L where a closed form gives it (Kaufman's
	// for Ising at any L), shown beside the estimate when the result carries no exact
	// comparison of its own. Nil: only the results' own.
	ExactLnLambda func(*critsweepv1.TaskSpec) (lnLambdaPerSite float64, method string, ok bool)

	// EventInterval is the shortest time between two events of a stream. Zero means
	// DefaultEventInterval (250 ms).
	EventInterval time.Duration

	// AnalysisInterval is the shortest time between two analyses of a live sweep. Zero
	// means DefaultAnalysisInterval (2 s).
	AnalysisInterval time.Duration

	// ShutdownTimeout is how long Serve waits for requests in flight once its context is
	// done. Zero means DefaultShutdownTimeout (5 s).
	ShutdownTimeout time.Duration

	// Logger receives panics, errors and the address served. Nil means slog.Default().
	Logger *slog.Logger
}

// Server is the dashboard of a coordinator: the web page and its JSON endpoints. It is
// an http.Handler; Serve serves it on a listener.
type Server struct {
	c        *coordinator.Coordinator
	opts     Options
	log      *slog.Logger
	auth     *auth
	mux      *http.ServeMux
	analyses *analyzer
	static   fs.FS

	failMu     sync.Mutex
	failCounts map[string]failCount

	followed   sync.WaitGroup
	stopFollow chan struct{}
	closeOnce  sync.Once

	streams     sync.WaitGroup
	stopStreams chan struct{}
	stopOnce    sync.Once
}

// failCount is a sweep's count of tasks with failures, at the state counts keyed.
type failCount struct {
	key string
	n   int
}

//go:embed web
var webFiles embed.FS

// New returns the dashboard of c. It does not listen: call Serve, or use it as an
// http.Handler.
func New(c *coordinator.Coordinator, o *Options) *Server {
	var opts Options
	if o != nil {
		opts = *o
	}
	if opts.EventInterval <= 0 {
		opts.EventInterval = DefaultEventInterval
	}
	if opts.AnalysisInterval <= 0 {
		opts.AnalysisInterval = DefaultAnalysisInterval
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.Resolve = query.Memo(opts.Resolve)
	static, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // the embedded tree is part of the binary
	}
	s := &Server{
		c: c, opts: opts, log: opts.Logger, auth: newAuth(opts.Token, opts.TLS != nil),
		static: static, stopStreams: make(chan struct{}), failCounts: map[string]failCount{}, stopFollow: make(chan struct{}),
	}
	s.analyses = newAnalyzer(opts.AnalysisInterval, s.analyze, func(msg string, args ...any) { s.log.Warn(msg, args...) })
	s.routes()
	s.followed.Add(1)
	go s.follow()
	return s
}

// Close stops the background work of the dashboard (the analyses and the following of
// the coordinator's changes). Serve closes it when it returns; a Server used as an
// http.Handler alone is closed by its owner.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.stopFollow)
		s.followed.Wait()
		s.analyses.close()
		s.endStreams()
	})
}

// follow keeps the analyses of the sweeps whose results change up to date: at start
// every sweep with results is analysed in the background, newest first, and then each
// sweep whose done count moves.
func (s *Server) follow() {
	defer s.followed.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.stopFollow
		cancel()
	}()
	done := map[string]uint32{}
	var after uint64
	for {
		ch, err := s.c.Changed(ctx, after)
		if err != nil {
			return
		}
		for id, gen := range ch.Sweeps {
			if after != 0 && gen <= after {
				continue
			}
			got, err := s.c.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: id})
			if err != nil {
				continue
			}
			if n := got.GetStatus().GetDone(); n > 0 && n != done[id] {
				done[id] = n
				s.analyses.request(id, n)
			}
		}
		if after == 0 {
			// The sweeps that did not change since the coordinator started.
			if list, err := s.c.ListSweeps(ctx, &critsweepv1.ListSweepsRequest{}); err == nil {
				for i := len(list.GetSweeps()) - 1; i >= 0; i-- {
					st := list.GetSweeps()[i]
					if _, seen := done[st.GetSweepId()]; !seen && st.GetDone() > 0 {
						done[st.GetSweepId()] = st.GetDone()
						s.analyses.request(st.GetSweepId(), st.GetDone())
					}
				}
			}
		}
		after = ch.Generation
		select {
		case <-time.After(s.opts.EventInterval):
		case <-ctx.Done():
			return
		}
	}
}

// routes registers every page and endpoint; docs/dashboard.md describes the endpoints.
func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.page)
	m.HandleFunc("GET /static/{file}", s.file)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("POST /logout", s.logout)
	m.HandleFunc("GET /api/v1", s.index)
	m.HandleFunc("GET /api/v1/session", s.session)
	m.HandleFunc("GET /api/v1/columns", s.columns)
	m.HandleFunc("GET /api/v1/sweeps", s.sweeps)
	m.HandleFunc("GET /api/v1/sweeps/{id}", s.sweep)
	m.HandleFunc("GET /api/v1/sweeps/{id}/results", s.sweepResults)
	m.HandleFunc("GET /api/v1/sweeps/{id}/tasks", s.tasks)
	m.HandleFunc("GET /api/v1/sweeps/{id}/tasks/{index}", s.task)
	m.HandleFunc("POST /api/v1/sweeps/{id}/cancel", s.cancel)
	m.HandleFunc("POST /api/v1/sweeps/{id}/extend", s.extend)
	m.HandleFunc("GET /api/v1/results", s.results)
	m.HandleFunc("GET /api/v1/workers", s.workers)
	m.HandleFunc("GET /api/v1/events", s.events)
	notFound := func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no endpoint %s %s: GET /api/v1 lists them", r.Method, r.URL.Path))
	}
	m.HandleFunc("GET /api/", notFound)
	m.HandleFunc("POST /api/", notFound)
	s.mux = m
}

// ServeHTTP serves the dashboard: security headers on every answer, authentication
// before anything but the login, and a panic turned into a 500 that is logged.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("panic in dashboard handler", "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			writeError(w, http.StatusInternalServerError, errors.New("internal error: the coordinator's log says more"))
		}
	}()
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	if r.URL.Path != "/login" && !s.auth.allowed(r) {
		s.unauthorized(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Serve serves the dashboard on lis (HTTPS with Options.TLS) until ctx is done, then
// shuts down, ending event streams and waiting up to Options.ShutdownTimeout for the
// requests in flight. It returns the listener's error if serving fails first.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if s.opts.TLS != nil {
		srv.TLSConfig = s.opts.TLS.Clone()
		lis = tls.NewListener(lis, srv.TLSConfig)
	}
	srv.RegisterOnShutdown(s.endStreams)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	select {
	case err := <-served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve dashboard on %s: %w", lis.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	<-served
	s.streams.Wait()
	s.Close()
	return nil
}

// endStreams ends every event stream: a shutdown does not wait for them.
func (s *Server) endStreams() { s.stopOnce.Do(func() { close(s.stopStreams) }) }

// page serves the single page; the hash of its address picks the view.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	data, err := fs.ReadFile(s.static, "index.html")
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(data)
}

// file serves an embedded asset.
func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if name == "index.html" || !fs.ValidPath(name) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no file %q", name))
		return
	}
	if _, err := fs.Stat(s.static, name); err != nil {
		writeError(w, http.StatusNotFound, fmt.Errorf("no file %q", name))
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, s.static, name)
}
