package dashboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// sessionCookie is the cookie the login sets: a value derived from the token (not the
// token), HttpOnly and SameSite=Strict, so that the page's requests and its event
// stream, which cannot send headers, carry it.
const sessionCookie = "critsweep_session"

// auth checks the coordinator's bearer token on dashboard requests.
type auth struct {
	on      bool
	token   [sha256.Size]byte // sha256 of the token
	session string            // the cookie's value
	secure  bool              // the cookie is sent over TLS only
}

func newAuth(token string, secure bool) *auth {
	a := &auth{on: token != "", secure: secure}
	if a.on {
		a.token = sha256.Sum256([]byte(token))
		mac := hmac.New(sha256.New, []byte(token))
		mac.Write([]byte("critsweep dashboard session v1"))
		a.session = hex.EncodeToString(mac.Sum(nil))
	}
	return a
}

// allowed reports whether r may see the dashboard: always without a token; with one,
// when r carries it as a bearer token or holds the session cookie.
func (a *auth) allowed(r *http.Request) bool {
	if !a.on {
		return true
	}
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return a.tokenIs(strings.TrimSpace(token))
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		return subtle.ConstantTimeCompare([]byte(c.Value), []byte(a.session)) == 1
	}
	return false
}

// tokenIs compares a token with the coordinator's in constant time.
func (a *auth) tokenIs(token string) bool {
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], a.token[:]) == 1
}

// canAct reports whether the actions (cancel, extend) are offered: only with a token,
// which every allowed request then holds.
func (a *auth) canAct() bool { return a.on }

// unauthorized answers a request without the token: 401, a JSON error for the API and
// the login form for pages.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="critsweep"`)
	if strings.HasPrefix(r.URL.Path, "/api/") || r.Method != http.MethodGet {
		writeError(w, http.StatusUnauthorized, errors.New(`the coordinator's token is required: send "Authorization: Bearer TOKEN" (the --token-file's content)`))
		return
	}
	// The form's page is self-contained: the assets are behind the token too.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusUnauthorized)
	loginPage.Execute(w, struct{ Failed bool }{r.URL.Query().Get("failed") != ""})
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>critsweep — sign in</title>
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px system-ui,sans-serif;background:#f5f6f8;color:#1d2330;display:flex;justify-content:center;padding-top:12vh}
form{background:#fff;border:1px solid #d8dce3;border-radius:8px;padding:24px 28px;width:360px}
h1{font-size:18px;margin:0 0 12px}p{color:#566074;font-size:13px}
input{width:100%;box-sizing:border-box;padding:8px;font:inherit;border:1px solid #bcc3cf;border-radius:4px}
button{margin-top:12px;padding:8px 16px;font:inherit;border:0;border-radius:4px;background:#2d5bd7;color:#fff}
.err{color:#b3261e}
</style></head><body>
<form method="post" action="login">
<h1>critsweep dashboard</h1>
<p>This coordinator asks for its bearer token: the content of its <code>--token-file</code>.</p>
{{if .Failed}}<p class="err">That is not the coordinator's token.</p>{{end}}
<input type="password" name="token" autocomplete="current-password" autofocus aria-label="token">
<button type="submit">Sign in</button>
</form></body></html>
`))

// login checks the token posted by the form (or as JSON {"token": …}) and sets the
// session cookie.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.auth.on {
		http.Redirect(w, r, "./", http.StatusSeeOther)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4096))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, errors.New("login: the body is too large"))
		return
	}
	token := ""
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var in struct {
			Token string `json:"token"`
		}
		if err := decodeJSON(body, &in); err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		token = in.Token
	} else {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			writeError(w, http.StatusBadRequest, errors.New("login: the form does not parse"))
			return
		}
		token = form.Get("token")
	}
	if !s.auth.tokenIs(strings.TrimSpace(token)) {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			writeError(w, http.StatusUnauthorized, errors.New("login: that is not the coordinator's token"))
			return
		}
		http.Redirect(w, r, "./?failed=1", http.StatusSeeOther)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.auth.session, Path: "/", HttpOnly: true,
		Secure: s.auth.secure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "./", http.StatusSeeOther)
}

// logout clears the session cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.auth.secure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "./", http.StatusSeeOther)
}

// checkAction refuses an action the dashboard does not offer (no token), or that comes
// from another site or not as JSON; it returns false having answered.
func (s *Server) checkAction(w http.ResponseWriter, r *http.Request) bool {
	if !s.auth.canAct() {
		writeError(w, http.StatusForbidden, errors.New("this dashboard is read-only: actions need the coordinator to run with --token-file, "+
			"and the dashboard to be opened with that token"))
		return false
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host != r.Host {
			writeError(w, http.StatusForbidden, errors.New("actions are accepted from the dashboard's own page only (the Origin differs)"))
			return false
		}
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, errors.New(`actions take a JSON body: send "Content-Type: application/json"`))
		return false
	}
	return true
}
