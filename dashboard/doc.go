// Package dashboard is the coordinator's web page: the sweeps with their progress, rate,
// ETA and current β_c; one sweep's σ_L, Binder and ξ/L curves with their crossings, its
// results table (filtered with package query, sorted, paged, downloaded as CSV or JSON)
// and its failures; one task's training curve and its estimates beside the exact values;
// the workers. It is served by `critsweep coordinator --http` and `critsweep run`.
//
// New returns a Server, an http.Handler, over a *coordinator.Coordinator; Serve serves it
// on a listener. The page (web/, embedded with go:embed) is plain JavaScript, CSS and SVG
// with no dependency and nothing fetched from elsewhere, so it works on a cluster with
// no network. Every view is also a JSON endpoint under /api/v1, listed at GET /api/v1 and
// described in docs/dashboard.md, so that a notebook reads a sweep with one request.
//
// The page follows the coordinator's change feed (coordinator.Changed) over server-sent
// events (GET /api/v1/events): each event says at which generation each sweep last
// changed, and a view fetches again only what moved, one fetch at a time. A sweep's
// analysis (package analysis, as `critsweep analyze` runs it) is cached by its number of
// results and recomputed at most every Options.AnalysisInterval while results come in.
//
// # Caveats
//
//   - With Options.Token every page and endpoint but the login answers 401 without the
//     token (a bearer header, or the HttpOnly, SameSite=Strict cookie that the login
//     sets from it); the actions, cancel and extend, need it too, as JSON from the page's
//     own origin. Without a token the dashboard is read-only: it offers no action.
//   - Options.TLS serves HTTPS; it should be the gRPC server's configuration.
//   - A sorted results page is a range of the sorted matches: results that arrive between
//     two pages may shift it.
package dashboard
