package dashboard

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/statmech"
)

// Changes is the coordinator's, as the stream sends it.
type Changes = coordinator.Changes

func leaseReq(worker string) *critsweepv1.LeaseTaskRequest {
	return &critsweepv1.LeaseTaskRequest{Worker: worker}
}

func failReq(l *critsweepv1.LeaseTaskResponse, reason string) *critsweepv1.FailTaskRequest {
	return &critsweepv1.FailTaskRequest{Ref: l.GetRef(), Epoch: l.GetEpoch(), Reason: reason}
}

// TestAuth checks that with a token every page and endpoint but the login answers 401
// without it, that the bearer header and the login's cookie both open it, and that
// actions need the token, JSON and the page's own origin.
func TestAuth(t *testing.T) {
	fx := newFixture(t, &Options{Token: testToken})
	id := fx.submit(t, isingSpec("auth", []float64{0.4, 0.44}, 4))
	bearer := map[string]string{"Authorization": "Bearer " + testToken}
	for _, path := range []string{"/", "/static/app.js", "/api/v1", "/api/v1/sweeps", "/api/v1/sweeps/" + id, "/api/v1/sweeps/" + id + "/results",
		"/api/v1/sweeps/" + id + "/tasks/0", "/api/v1/workers", "/api/v1/events", "/api/v1/results?format=csv", "/api/v2/nothing"} {
		for _, h := range []map[string]string{nil, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic " + testToken},
			{"Cookie": sessionCookie + "=forged"}} {
			rec := fx.do(t, http.MethodGet, path, "", h)
			if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("GET %s with %v: %d, want 401 with WWW-Authenticate", path, h, rec.Code)
			}
		}
	}
	if rec := fx.do(t, http.MethodGet, "/", "", nil); !strings.Contains(rec.Body.String(), `<form method="post" action="login">`) {
		t.Errorf("the page without the token does not offer the login form: %s", rec.Body.String())
	}
	if rec := fx.do(t, http.MethodGet, "/api/v1/sweeps", "", bearer); rec.Code != http.StatusOK {
		t.Errorf("GET /api/v1/sweeps with the bearer token: %d %s", rec.Code, rec.Body.String())
	}

	// The login form sets the session cookie, which opens the page and the event stream.
	rec := fx.do(t, http.MethodPost, "/login", "token=wrong", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Set-Cookie") != "" || !strings.Contains(rec.Header().Get("Location"), "failed") {
		t.Errorf("login with a wrong token: %d, cookie %q, location %q", rec.Code, rec.Header().Get("Set-Cookie"), rec.Header().Get("Location"))
	}
	rec = fx.do(t, http.MethodPost, "/login", "token="+url.QueryEscape(testToken), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	cookie := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || len(cookie) != 1 || !cookie[0].HttpOnly || cookie[0].SameSite != http.SameSiteStrictMode ||
		strings.Contains(cookie[0].Value, testToken) {
		t.Fatalf("login: %d, cookies %v; want an HttpOnly, SameSite=Strict cookie that is not the token", rec.Code, cookie)
	}
	withCookie := map[string]string{"Cookie": cookie[0].Name + "=" + cookie[0].Value}
	for _, path := range []string{"/", "/static/app.css", "/api/v1/sweeps/" + id} {
		if rec := fx.do(t, http.MethodGet, path, "", withCookie); rec.Code != http.StatusOK {
			t.Errorf("GET %s with the session cookie: %d", path, rec.Code)
		}
	}
	var session struct{ Auth, Actions bool }
	req := httpGetJSON(t, fx, "/api/v1/session", withCookie, &session)
	if !session.Auth || !session.Actions {
		t.Errorf("session %+v (%s), want auth and actions", session, req)
	}

	// Actions: JSON from the page's own origin only.
	cancel := "/api/v1/sweeps/" + id + "/cancel"
	if rec := fx.do(t, http.MethodPost, cancel, "{}", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("cancel without the token: %d, want 401", rec.Code)
	}
	if rec := fx.do(t, http.MethodPost, cancel, "token=x", withCookie); rec.Code != http.StatusUnsupportedMediaType {
		t.Errorf("cancel as a form: %d, want 415", rec.Code)
	}
	foreign := map[string]string{"Cookie": withCookie["Cookie"], "Content-Type": "application/json", "Origin": "https://evil.example"}
	if rec := fx.do(t, http.MethodPost, cancel, "{}", foreign); rec.Code != http.StatusForbidden {
		t.Errorf("cancel from another origin: %d, want 403", rec.Code)
	}
	own := map[string]string{"Cookie": withCookie["Cookie"], "Content-Type": "application/json", "Origin": "http://example.com"}
	rec = fx.do(t, http.MethodPost, cancel, "{}", own)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"state":"cancelled"`) {
		t.Errorf("cancel with the token: %d %s, want the sweep cancelled", rec.Code, rec.Body.String())
	}
	rec = fx.do(t, http.MethodPost, "/logout", "", withCookie)
	if c := rec.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
		t.Errorf("logout: cookies %v, want the session cookie cleared", c)
	}
}

func httpGetJSON(t *testing.T, fx *fixture, path string, h map[string]string, v any) string {
	t.Helper()
	rec := fx.do(t, http.MethodGet, path, "", h)
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s (%v)", path, rec.Code, rec.Body.String(), err)
	}
	return rec.Body.String()
}

// TestReadOnlyWithoutToken checks that a dashboard without a token shows everything and
// offers no action.
func TestReadOnlyWithoutToken(t *testing.T) {
	fx := newFixture(t, nil)
	id := fx.submit(t, isingSpec("ro", []float64{0.4}, 4))
	if rec := fx.do(t, http.MethodGet, "/", "", nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "static/app.js") {
		t.Errorf("GET / without auth: %d", rec.Code)
	}
	for _, path := range []string{"/api/v1/sweeps/" + id + "/cancel", "/api/v1/sweeps/" + id + "/extend"} {
		rec := fx.do(t, http.MethodPost, path, `{"grid": {"beta": {"values": [0.5]}}}`, map[string]string{"Content-Type": "application/json"})
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "read-only") {
			t.Errorf("POST %s without a token: %d %s, want 403 read-only", path, rec.Code, rec.Body.String())
		}
	}
	var d struct{ Actions bool }
	fx.getJSON(t, "/api/v1/sweeps/"+id, &d)
	if d.Actions {
		t.Error("a dashboard without a token offers actions")
	}
}

// TestSweepViews checks the sweeps list and one sweep against what was stored: counts,
// β_c from Kaufman's exact σ_L near Onsager's, curves and crossings, failures.
func TestSweepViews(t *testing.T) {
	fx := newFixture(t, &Options{AnalysisInterval: 20 * time.Millisecond})
	id := fx.submit(t, isingSpec("views", betaGrid(0.40, 0.48, 9), 4, 6, 8))
	fx.work(t, "node/0", -1)
	other := fx.submit(t, isingSpec("other", []float64{0.4, 0.5}, 4))
	l, err := fx.c.LeaseTask(context.Background(), leaseReq("node/1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.c.FailTask(context.Background(), failReq(l, "loss is NaN at step 12")); err != nil {
		t.Fatal(err)
	}

	// The list shows the latest analysis, which catches up with the results in the
	// background.
	var list struct {
		Sweeps []sweepSummary `json:"sweeps"`
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		fx.getJSON(t, "/api/v1/sweeps", &list)
		if len(list.Sweeps) == 2 && !list.Sweeps[1].Analysing || time.Now().After(deadline) {
			break
		}
	}
	if len(list.Sweeps) != 2 || list.Sweeps[0].ID != other || list.Sweeps[1].ID != id {
		t.Fatalf("sweeps %+v, want %s then %s", list.Sweeps, other, id)
	}
	v := list.Sweeps[1]
	if v.State != "finished" || v.Done != 54 || v.Total != 54 || v.Model != "ising" || v.BetaC == nil || v.BetaC.Results != 54 {
		t.Fatalf("finished sweep's line %+v", v)
	}
	if b := float64(v.BetaC.Value); math.Abs(b-statmech.IsingBetaC) > 0.01 || !(v.BetaC.Stderr >= 0) {
		t.Errorf("β_c = %v ± %v, want near Onsager's %v", b, v.BetaC.Stderr, statmech.IsingBetaC)
	}
	if o := list.Sweeps[0]; o.State != "running" || o.Pending != 4 || o.BetaC != nil || o.ETASeconds != nil {
		t.Errorf("running sweep's line %+v: want 4 pending, no β_c, no ETA", o)
	}

	var d struct {
		sweepSummary
		Spec         map[string]any `json:"spec"`
		WithFailures int            `json:"with_failures"`
		Analysis     *sweepAnalysis `json:"analysis"`
		Reference    *reference     `json:"reference"`
		Results      []map[string]any
	}
	fx.getJSON(t, "/api/v1/sweeps/"+id+"?include=results", &d)
	if d.Analysis == nil || len(d.Analysis.Taus) != 1 || d.Reference == nil || len(d.Results) != 54 {
		t.Fatalf("sweep detail: analysis %v, reference %v, %d results", d.Analysis, d.Reference, len(d.Results))
	}
	ta := d.Analysis.Taus[0]
	count := map[string]int{}
	for _, c := range ta.Curves {
		count[c.Quantity]++
		if len(c.Points) != 9 {
			t.Errorf("%s curve of L = %d has %d points, want 9", c.Quantity, c.Size, len(c.Points))
		}
	}
	if count["sigma"] != 3 || count["binder"] != 3 || count["xi_over_l"] != 3 || count["ln_lambda_per_site"] != 0 || len(ta.Crossings) != 2 {
		t.Errorf("curves %v with %d σ crossings: want σ, Binder and ξ/L for L = 4, 6, 8 and 2 crossings", count, len(ta.Crossings))
	}
	if d.Spec["name"] != "views" {
		t.Errorf("spec %v", d.Spec)
	}
	var d2 struct {
		WithFailures int            `json:"with_failures"`
		Analysis     *sweepAnalysis `json:"analysis"`
	}
	fx.getJSON(t, "/api/v1/sweeps/"+other+"?analysis=false", &d2)
	if d2.WithFailures != 1 || d2.Analysis != nil {
		t.Errorf("other sweep: %d with failures, analysis %v; want 1 and none", d2.WithFailures, d2.Analysis)
	}
	var tasks struct {
		Tasks []taskJSON `json:"tasks"`
	}
	fx.getJSON(t, "/api/v1/sweeps/"+other+"/tasks?failures=true", &tasks)
	if len(tasks.Tasks) != 1 || !strings.Contains(tasks.Tasks[0].Failures[0], "loss is NaN at step 12") || tasks.Tasks[0].Attempts != 1 {
		t.Errorf("failures %+v", tasks.Tasks)
	}
}

// TestResultsEndpoint filters, sorts, pages and downloads a sweep's results.
func TestResultsEndpoint(t *testing.T) {
	fx := newFixture(t, nil)
	id := fx.submit(t, isingSpec("res", betaGrid(0.40, 0.48, 5), 4, 6))
	fx.work(t, "w/0", -1)
	var page resultsPage
	fx.getJSON(t, "/api/v1/sweeps/"+id+"/results?where="+url.QueryEscape("size = 6 and boundary = 'twisted' and beta >= 0.44")+
		"&sort=-beta&columns=index,beta,size&page_size=2", &page)
	if page.Total == nil || *page.Total != 3 || len(page.Results) != 2 || page.NextPageToken == "" ||
		page.Results[0]["beta"].(float64) != 0.48 || page.Results[1]["beta"].(float64) != 0.46 || len(page.Results[0]) != 3 {
		t.Fatalf("first page %+v", page)
	}
	var next resultsPage
	fx.getJSON(t, "/api/v1/sweeps/"+id+"/results?where="+url.QueryEscape("size = 6 and boundary = 'twisted' and beta >= 0.44")+
		"&sort=-beta&columns=index,beta,size&page_size=2&page_token="+url.QueryEscape(page.NextPageToken), &next)
	if len(next.Results) != 1 || next.Results[0]["beta"].(float64) != 0.44 || next.NextPageToken != "" {
		t.Errorf("second page %+v", next)
	}
	rec := fx.do(t, http.MethodGet, "/api/v1/sweeps/"+id+"/results?format=csv&sort=index&columns=index,beta,binder", "", nil)
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if rec.Code != http.StatusOK || err != nil || len(rows) != 21 || strings.Join(rows[0], ",") != "index,beta,binder" ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), id+"-results.csv") {
		t.Errorf("CSV download: %d, %d rows, header %v (%v)", rec.Code, len(rows), rows[0], err)
	}
	// Every match, sorted, in one answer (what the page's download links ask for).
	var sorted resultsPage
	fx.getJSON(t, "/api/v1/sweeps/"+id+"/results?sort="+url.QueryEscape("-beta,size,boundary")+"&columns=beta,size,boundary", &sorted)
	if len(sorted.Results) != 20 || *sorted.Total != 20 || sorted.Results[0]["beta"].(float64) != 0.48 ||
		sorted.Results[0]["boundary"] != "periodic" || sorted.Results[19]["beta"].(float64) != 0.4 || sorted.Results[19]["size"].(float64) != 6 {
		t.Errorf("every result sorted by -beta,size,boundary: first %v, last %v (%d)", sorted.Results[0], sorted.Results[len(sorted.Results)-1], len(sorted.Results))
	}
	// Across sweeps.
	other := fx.submit(t, isingSpec("res2", []float64{0.44}, 8))
	fx.work(t, "w/0", -1)
	var all resultsPage
	fx.getJSON(t, "/api/v1/results?where="+url.QueryEscape("beta near 0.44 and boundary = 'periodic'")+"&columns=sweep_id,size", &all)
	if len(all.Results) != 3 || all.Results[2]["sweep_id"] != other {
		t.Errorf("across sweeps: %+v", all.Results)
	}
}

// TestBadRequests is the dashboard's catalogue of bad requests: each gets its status and
// a JSON error naming what is wrong.
func TestBadRequests(t *testing.T) {
	fx := newFixture(t, &Options{Token: testToken})
	id := fx.submit(t, isingSpec("bad", []float64{0.4, 0.44}, 4))
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	action := map[string]string{"Authorization": "Bearer " + testToken, "Content-Type": "application/json"}
	sw := "/api/v1/sweeps/" + id
	for _, tt := range []struct {
		method, path, body string
		header             map[string]string
		code               int
		want               []string
	}{
		{"GET", sw + "/results?where=" + url.QueryEscape("model = 'potts' and sise >= 16"), "", auth, 400,
			[]string{`"parameter":"where"`, `"column":21`, `unknown column \"sise\" (did you mean \"size\"?)`, `"pointer"`}},
		{"GET", sw + "/results?where=" + url.QueryEscape("size = 4 or size = 6"), "", auth, 400, []string{"or is not supported", `"column":10`}},
		{"GET", sw + "/results?sort=" + url.QueryEscape("size sideways"), "", auth, 400, []string{`"parameter":"sort"`, `"column":6`}},
		{"GET", sw + "/results?columns=beta,siz", "", auth, 400, []string{`"parameter":"columns"`, "did you mean"}},
		{"GET", sw + "/results?page_size=lots", "", auth, 400, []string{`"parameter":"page_size"`, "whole number from 0 to 10000"}},
		{"GET", sw + "/results?page_size=20000", "", auth, 400, []string{"page_size"}},
		{"GET", sw + "/results?page_token=abc", "", auth, 400, []string{"page_token", "goes with page_size"}},
		{"GET", sw + "/results?page_size=5&page_token=abc", "", auth, 400, []string{"page_token", "not one this server gave"}},
		{"GET", sw + "/results?format=xml", "", auth, 400, []string{"format", "json, csv"}},
		{"GET", sw + "/results?wehre=size", "", auth, 400, []string{`"parameter":"wehre"`, "unknown parameter (known: where, sort"}},
		{"GET", "/api/v1/sweeps/nope-1", "", auth, 404, []string{`sweep \"nope-1\"`, "not found"}},
		{"GET", "/api/v1/sweeps/nope-1/results", "", auth, 404, []string{"not found"}},
		{"GET", sw + "/tasks/seven", "", auth, 400, []string{`"parameter":"index"`, "must be a task index"}},
		{"GET", sw + "/tasks/99", "", auth, 404, []string{"task not found"}},
		{"GET", sw + "/tasks?state=running", "", auth, 400, []string{`"parameter":"state"`, "pending, leased, done, failed or cancelled"}},
		{"GET", sw + "/tasks?failures=maybe", "", auth, 400, []string{"failures", "true or false"}},
		{"GET", sw + "?include=everything", "", auth, 400, []string{"include", "results"}},
		{"GET", "/api/v1/sweeps?x=1", "", auth, 400, []string{"takes none"}},
		{"GET", "/api/v1/events?after=-1", "", auth, 400, []string{"after"}},
		{"GET", "/api/v2/sweeps", "", auth, 404, []string{"no endpoint", "GET /api/v1 lists them"}},
		{"DELETE", sw, "", auth, 405, nil},
		{"GET", "/static/nothing.js", "", auth, 404, []string{"no file"}},
		{"POST", sw + "/extend", `{"grid": {"beta": {"from": 0.5, "to": 0.6, "step": 0.05}}, "extra": 1}`, action, 400, []string{`"parameter":"extra"`, "unknown field"}},
		{"POST", sw + "/extend", `{"grid": {"beta": {"from": "high"}}}`, action, 400, []string{`"parameter":"grid"`}},
		{"POST", sw + "/extend", `{"grid": {"beta": {"from": 0.6, "to": 0.5, "step": 0.05}}}`, action, 400, []string{"grid.beta.to", "≥ from"}},
		{"POST", sw + "/extend", `{}`, action, 400, []string{`"parameter":"grid"`, "is required"}},
		{"POST", sw + "/extend", `{"grid": {}} {}`, action, 400, []string{"more than one JSON value"}},
		{"POST", sw + "/extend", `{"grid": ` + strings.Repeat(" ", 70<<10) + `{}}`, action, 400, []string{"larger than 65536 bytes"}},
		{"POST", "/api/v1/sweeps/nope-1/cancel", `{}`, action, 404, []string{"not found"}},
		{"POST", "/login", `{"token": "wrong"}`, map[string]string{"Content-Type": "application/json"}, 401, []string{"not the coordinator's token"}},
	} {
		rec := fx.do(t, tt.method, tt.path, tt.body, tt.header)
		body := rec.Body.String()
		if rec.Code != tt.code {
			t.Errorf("%s %s: %d %s, want %d", tt.method, tt.path, rec.Code, body, tt.code)
			continue
		}
		if tt.code != 405 && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: Content-Type %q, want JSON", tt.method, tt.path, rec.Header().Get("Content-Type"))
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s %s: %s does not say %s", tt.method, tt.path, body, w)
			}
		}
	}
	// A good extension after all the bad ones.
	rec := fx.do(t, "POST", sw+"/extend", `{"grid": {"beta": {"from": 0.5, "to": 0.6, "step": 0.05}}}`, action)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"total":10`) {
		t.Errorf("extend: %d %s, want 10 tasks (2 + 3 β × 2 seams)", rec.Code, rec.Body.String())
	}
}

// TestTaskAndWorkers checks a task's training curve, its estimates beside the exact
// values (from a closed form when the result has none) and the workers' view.
func TestTaskAndWorkers(t *testing.T) {
	kaufman := func(ts *critsweepv1.TaskSpec) (float64, string, bool) {
		b, _ := statmech.ParseBoundary(ts.GetBoundary())
		ln, err := statmech.KaufmanLogLambda(ts.GetBeta(), int(ts.GetSize()), b)
		return ln / float64(ts.GetSize()), "kaufman", err == nil
	}
	fx := newFixture(t, &Options{ExactLnLambda: kaufman})
	id := fx.submit(t, isingSpec("task", []float64{0.44}, 32))
	ctx := context.Background()
	l, err := fx.c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "node7/1", Slots: 2})
	if err != nil || !l.GetLeased() {
		t.Fatal(l, err)
	}
	for step := uint64(10); step <= 30; step += 10 {
		if _, err := fx.c.Heartbeat(ctx, &critsweepv1.HeartbeatRequest{Ref: l.GetRef(), Epoch: l.GetEpoch(),
			Progress: &critsweepv1.Progress{Step: step, TotalSteps: 100, Loss: 2 / float64(step), LnLambdaPerSite: 0.93, Seconds: float64(step)}}); err != nil {
			t.Fatal(err)
		}
	}
	path := fmt.Sprintf("/api/v1/sweeps/%s/tasks/%d", id, l.GetRef().GetIndex())
	var d taskDetailJSON
	fx.getJSON(t, path, &d)
	if d.State != "leased" || len(d.Curve) != 3 || d.Curve[2].Step != 30 || d.Curve[0].Loss != 0.2 || d.Result != nil || d.Worker != "node7/1" {
		t.Fatalf("leased task: %+v", d)
	}
	var ws struct {
		Workers []struct {
			Name          string  `json:"name"`
			Connected     bool    `json:"connected"`
			Slots         uint32  `json:"slots"`
			LastHeartbeat *string `json:"last_heartbeat"`
			Tasks         []struct {
				Index    uint32        `json:"index"`
				Progress *progressJSON `json:"progress"`
			} `json:"tasks"`
			StepsPerSecond float64 `json:"steps_per_second"`
		} `json:"workers"`
	}
	fx.getJSON(t, "/api/v1/workers", &ws)
	if len(ws.Workers) != 1 || ws.Workers[0].Name != "node7" || !ws.Workers[0].Connected || ws.Workers[0].Slots != 2 ||
		ws.Workers[0].LastHeartbeat == nil || len(ws.Workers[0].Tasks) != 1 || ws.Workers[0].Tasks[0].Progress.Step != 30 ||
		ws.Workers[0].StepsPerSecond != 1 {
		t.Errorf("workers %+v", ws)
	}

	res := kaufmanResult(l.GetSpec())
	res.Exact = nil // beyond enumeration: the closed form gives ln λ/L
	res.LnLambdaPerSite.Value += 3e-7
	if _, err := fx.c.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: l.GetRef(), Epoch: l.GetEpoch(), Result: res}); err != nil {
		t.Fatal(err)
	}
	fx.getJSON(t, path, &d)
	if d.State != "done" || d.Result == nil || len(d.Curve) != 3 || len(d.Estimates) == 0 {
		t.Fatalf("done task: %+v", d)
	}
	e := d.Estimates[0]
	if e.Name != "ln_lambda_per_site" || e.Exact == nil || e.Method != "kaufman" || e.Sigmas == nil || math.Abs(float64(*e.Sigmas)-3) > 1e-3 {
		t.Errorf("ln λ/L beside its exact value: %+v, want Kaufman's and 3 σ", e)
	}
	for _, e := range d.Estimates[1:] {
		if e.Exact != nil {
			t.Errorf("%s has an exact value %v without an exact comparison", e.Name, *e.Exact)
		}
	}
}

// taskDetailJSON decodes a task's answer.
type taskDetailJSON struct {
	State     string         `json:"state"`
	Worker    string         `json:"worker"`
	Curve     []progressJSON `json:"curve"`
	Result    map[string]any `json:"result"`
	Estimates []struct {
		Name   string  `json:"name"`
		Value  float64 `json:"value"`
		Exact  *number `json:"exact"`
		Method string  `json:"exact_method"`
		Sigmas *number `json:"sigmas"`
	} `json:"estimates"`
}

// TestEvents follows the event stream over a real listener: an event at once, one after
// a heartbeat, and the end of the stream when the server shuts down.
func TestEvents(t *testing.T) {
	fx := newFixture(t, &Options{Token: testToken, EventInterval: 10 * time.Millisecond})
	id := fx.submit(t, isingSpec("events", []float64{0.44}, 4))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- fx.srv.Serve(ctx, lis) }()
	req, _ := http.NewRequest(http.MethodGet, "http://"+lis.Addr().String()+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := make(chan Changes, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var ch Changes
				if json.Unmarshal([]byte(data), &ch) == nil && ch.Generation > 0 {
					events <- ch
				}
			}
		}
		close(events)
	}()
	next := func() Changes {
		select {
		case ch, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			return ch
		case <-time.After(2 * time.Second):
			t.Fatal("no event within 2 s")
		}
		return Changes{}
	}
	first := next()
	l, err := fx.c.LeaseTask(context.Background(), leaseReq("w/0"))
	if err != nil {
		t.Fatal(err)
	}
	var got Changes
	for got = next(); got.Sweeps[id] <= first.Sweeps[id]; got = next() {
	}
	if _, err := fx.c.Heartbeat(context.Background(), &critsweepv1.HeartbeatRequest{Ref: l.GetRef(), Epoch: l.GetEpoch(), Progress: &critsweepv1.Progress{Step: 1}}); err != nil {
		t.Fatal(err)
	}
	if after := next(); after.Sweeps[id] <= got.Sweeps[id] {
		t.Errorf("after a heartbeat: %+v, want sweep %s past %d", after, id, got.Sweeps[id])
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return with an event stream open")
	}
	for range events {
	}
}
