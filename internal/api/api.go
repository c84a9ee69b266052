// Package api serves the JSON API under /api/v1 over the same services as
// the pages. Errors are application/problem+json (RFC 9457) with a stable
// type per error kind. Every route is declared once in routes.go with its
// documentation, and the OpenAPI 3.1 document is generated from that table,
// so the document and the router cannot drift apart.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/agency"
	"bulwark/internal/audit"
	"bulwark/internal/auth"
	"bulwark/internal/detect"
	"bulwark/internal/directive"
	"bulwark/internal/errs"
	"bulwark/internal/fraud"
	"bulwark/internal/incident"
	"bulwark/internal/intel"
	"bulwark/internal/notify"
	"bulwark/internal/report"
	"bulwark/internal/sysinv"
	"bulwark/internal/web"
)

// MaxBody is the default limit of a JSON request body.
const MaxBody = 1 << 20

// Handler serves the API.
type Handler struct {
	log      *slog.Logger
	auth     *auth.Service
	agencies *agency.Service
	audit    *audit.Log
	routes   []Route
	version  string

	incidents *incident.Service
	notify    *notify.Outbox
	systems   *sysinv.Service

	fraud      *fraud.Service
	trustProxy bool

	intel      *intel.Service
	intelSpool string

	detect *detect.Service

	directives *directive.Service
	reports    *report.Builder
}

// Deps are the services the API uses.
type Deps struct {
	Auth     *auth.Service
	Agencies *agency.Service
	Audit    *audit.Log
	Log      *slog.Logger
	Version  string

	Incidents *incident.Service // nil leaves the incident routes out
	Notify    *notify.Outbox

	// Systems is the information systems capability; nil leaves its routes out.
	Systems *sysinv.Service

	Fraud *fraud.Service // nil leaves the fraud routes out

	// Intel is threat intelligence; nil leaves its routes out. IntelSpool
	// is the folder where import uploads wait for their job.
	Intel      *intel.Service
	IntelSpool string

	// TrustProxy takes the client address from X-Forwarded-For, for the
	// rate limits of public routes.
	TrustProxy bool

	Detect *detect.Service // nil leaves the detection routes out

	// Directives is the subcommittee's work; nil leaves its routes out.
	// Reports builds the annual report; nil leaves its route out.
	Directives *directive.Service
	Reports    *report.Builder
}

// New returns the API handler.
func New(d Deps) *Handler {
	h := &Handler{log: d.Log, auth: d.Auth, agencies: d.Agencies, audit: d.Audit, version: d.Version,
		incidents: d.Incidents, notify: d.Notify}
	h.routes = append(h.table(), h.incidentRoutes()...)
	h.systems = d.Systems
	h.routes = append(h.routes, h.sysinvRoutes()...)
	h.routes = append(h.routes, h.systemIncidentRoutes()...) // incident.go: needs both
	h.fraud, h.trustProxy = d.Fraud, d.TrustProxy
	h.routes = append(h.routes, h.fraudRoutes()...)
	h.intel, h.intelSpool = d.Intel, d.IntelSpool
	h.routes = append(h.routes, h.intelRoutes()...)
	h.detect = d.Detect
	h.routes = append(h.routes, h.detectRoutes()...)
	h.directives, h.reports = d.Directives, d.Reports
	h.routes = append(h.routes, h.directiveRoutes()...)
	return h
}

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// ProblemType is the stable type URI of an error kind.
func ProblemType(k errs.Kind) string { return "/api/v1/problems/" + k.String() }

var titles = map[errs.Kind]string{
	errs.Internal: "Internal error", errs.Invalid: "Invalid request", errs.NotFound: "Not found",
	errs.Conflict: "Conflict", errs.Unauthorized: "Authentication required", errs.Forbidden: "Forbidden",
	errs.TooLarge: "Request too large", errs.RateLimited: "Too many requests", errs.Unavailable: "Service unavailable",
}

// writeProblem renders err as problem+json; 5xx are logged at Error with
// the cause, 4xx at Info with the safe message only.
func (h *Handler) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	kind := errs.KindOf(err)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		kind = errs.TooLarge
		err = errs.E(errs.TooLarge, "request body exceeds %d bytes", mbe.Limit)
	}
	status := web.Status(kind)
	p := Problem{Type: ProblemType(kind), Title: titles[kind], Status: status, Detail: errs.Message(err),
		Field: errs.FieldOf(err), RequestID: web.RequestID(r.Context())}
	if status >= 500 {
		h.log.Error("api request failed", "path", r.URL.Path, "err", err, "request_id", p.RequestID)
	} else {
		h.log.Info("api request refused", "path", r.URL.Path, "status", status, "detail", p.Detail, "request_id", p.RequestID)
	}
	if kind == errs.Unauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="bulwark"`)
	}
	if kind == errs.RateLimited {
		w.Header().Set("Retry-After", "60")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeJSON renders v with status, encoding into a buffer first so an
// encoding error becomes a clean 500.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("api: encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// Decode reads one JSON value from r into v: unknown fields, trailing data,
// bad syntax and wrong types are Invalid errors that say where; a body over
// the limit is TooLarge. It is the only decoder of outside JSON here.
func Decode(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errs.E(errs.Invalid, "the body must hold a single JSON value")
	}
	return nil
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return errs.E(errs.Invalid, "the body is empty; a JSON object is expected")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.Invalid, "the JSON body ends too early")
	case errors.As(err, &syn):
		return errs.E(errs.Invalid, "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return errs.Field(typ.Field, "must be of type %s", typ.Type.String())
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.Field(name, "unknown field")
	}
	return errs.Wrap(errs.Invalid, err, "malformed JSON")
}

// handlerFunc is an API handler that returns its error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// authenticate resolves the Bearer token into the request's principal.
// Routes marked public skip it; others answer 401 without a valid token.
func (h *Handler) authenticate(public bool, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !public {
			raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || strings.TrimSpace(raw) == "" {
				h.writeProblem(w, r, errs.E(errs.Unauthorized, "send an API token as Authorization: Bearer <token>"))
				return
			}
			p, err := h.auth.AuthenticateToken(r.Context(), strings.TrimSpace(raw))
			if err != nil {
				h.writeProblem(w, r, err)
				return
			}
			r = r.WithContext(access.With(r.Context(), p))
		}
		if err := fn(w, r); err != nil {
			h.writeProblem(w, r, err)
		}
	})
}

// Page is the envelope of offset-paginated lists.
type Page[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// paging reads limit (1–500, default 50) and offset from the query.
func paging(r *http.Request) (limit, offset int, err error) {
	q := r.URL.Query()
	limit, offset = 50, 0
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 500 {
			return 0, 0, errs.Field("limit", "must be a whole number from 1 to 500")
		}
	}
	if s := q.Get("offset"); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 {
			return 0, 0, errs.Field("offset", "must be a whole number, 0 or more")
		}
	}
	return limit, offset, nil
}

func pathID(r *http.Request) (int64, error) { return pathInt(r, "id") }

// pathInt reads a positive id from the path parameter name.
func pathInt(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Field(name, "must be a positive whole number")
	}
	return id, nil
}

func parseDate(field, s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, errs.Field(field, "must be a date YYYY-MM-DD")
	}
	return t, nil
}
