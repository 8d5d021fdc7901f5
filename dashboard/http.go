package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/critsweep/critsweep/coordinator"
	"github.com/critsweep/critsweep/query"
	"github.com/critsweep/critsweep/spec"
)

// apiError is the body of every error answer: {"error": "...", and for a mistake in a
// parameter "parameter", and in an expression "column"}.
type apiError struct {
	Error     string `json:"error"`
	Parameter string `json:"parameter,omitempty"`
	Column    int    `json:"column,omitempty"`
	// Pointer is the expression with a caret under the column, for a monospace display.
	Pointer string `json:"pointer,omitempty"`
}

// paramError is a mistake in a request parameter.
type paramError struct {
	param string
	err   error
}

func (e *paramError) Error() string { return e.param + ": " + e.err.Error() }
func (e *paramError) Unwrap() error { return e.err }

func badParam(param, format string, args ...any) error {
	return &paramError{param: param, err: fmt.Errorf(format, args...)}
}

// writeJSON answers v as JSON with status 200.
func writeJSON(w http.ResponseWriter, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // a JSON answer is not HTML: "size >= 16" stays as written
	if err := enc.Encode(v); err != nil {
		writeError(w, http.StatusInternalServerError, fmt.Errorf("encode the answer: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}

// writeError answers err with status and the apiError body.
func writeError(w http.ResponseWriter, status int, err error) {
	body := apiError{Error: err.Error()}
	var pe *paramError
	if errors.As(err, &pe) {
		body.Parameter = pe.param
	}
	var qe *query.Error
	if errors.As(err, &qe) {
		body.Column, body.Pointer = qe.Column, qe.Pointer()
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// fail answers an error of the coordinator or of the request with its status: 400 for a
// mistake of the caller, 404 for what does not exist, 409 for a state that refuses the
// call, 503 when the coordinator is closing, 500 otherwise (logged).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var pe *paramError
	status := http.StatusInternalServerError
	switch {
	case errors.As(err, &pe), errors.Is(err, coordinator.ErrInvalidQuery), errors.Is(err, coordinator.ErrInvalidRequest),
		errors.Is(err, spec.ErrInvalid):
		status = http.StatusBadRequest
	case errors.Is(err, coordinator.ErrSweepNotFound), errors.Is(err, coordinator.ErrTaskNotFound):
		status = http.StatusNotFound
	case errors.Is(err, coordinator.ErrSweepCancelled), errors.Is(err, coordinator.ErrReadOnly):
		status = http.StatusConflict
	case errors.Is(err, coordinator.ErrClosed), errors.Is(err, coordinator.ErrDiskFull):
		status = http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status = http.StatusServiceUnavailable
	default:
		s.log.Error("dashboard request failed", "path", r.URL.Path, "err", err)
	}
	writeError(w, status, err)
}

// params reads a request's query parameters, refusing any it does not know, so that a
// typo is an error rather than a silent default.
type params struct {
	v     url.Values
	known []string
}

func newParams(r *http.Request, known ...string) (*params, error) {
	v := r.URL.Query()
	for k := range v {
		if !slices.Contains(known, k) {
			if len(known) == 0 {
				return nil, badParam(k, "unknown parameter: this endpoint takes none")
			}
			return nil, badParam(k, "unknown parameter (known: %s)", strings.Join(known, ", "))
		}
	}
	return &params{v: v, known: known}, nil
}

func (p *params) str(name string) string { return p.v.Get(name) }

func (p *params) list(name string) []string {
	var out []string
	for _, v := range p.v[name] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// uint reads a non-negative integer parameter at most limit; def when absent.
func (p *params) uint(name string, def, limit uint64) (uint64, error) {
	v := p.v.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > limit {
		return 0, badParam(name, "must be a whole number from 0 to %d, got %q", limit, v)
	}
	return n, nil
}

// bool reads a true/false parameter ("1", "true", "0", "false").
func (p *params) bool(name string) (bool, error) {
	v := p.v.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badParam(name, "must be true or false, got %q", v)
	}
	return b, nil
}

// oneOf reads a parameter that takes one of choices; def when absent.
func (p *params) oneOf(name, def string, choices ...string) (string, error) {
	v := p.v.Get(name)
	if v == "" {
		return def, nil
	}
	if !slices.Contains(choices, v) {
		return "", badParam(name, "must be one of %s, got %q", strings.Join(choices, ", "), v)
	}
	return v, nil
}

// decodeJSON decodes a request body strictly: unknown fields and trailing data are
// errors naming what is wrong.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return badParam(te.Field, "must be %s, got %s", te.Type, te.Value)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return badParam(strings.Trim(f, `"`), "unknown field")
		}
		return badParam("body", "not valid JSON: %v", err)
	}
	if dec.More() {
		return badParam("body", "holds more than one JSON value")
	}
	return nil
}
