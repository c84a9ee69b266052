// Package ui serves Bulwark's HTML pages: server-rendered html/template
// pages over the capability services, progressively enhanced with htmx,
// Vietnamese first. Handlers translate HTTP to service calls and back; they
// never decide access themselves.
package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
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
	"bulwark/internal/i18n"
	"bulwark/internal/incident"
	"bulwark/internal/intel"
	"bulwark/internal/notify"
	"bulwark/internal/report"
	"bulwark/internal/store"
	"bulwark/internal/sysinv"
	"bulwark/internal/web"
)

//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Cookie names.
const (
	sessionCookie = "bulwark_session"
	csrfCookie    = "bulwark_csrf"
	langCookie    = "bulwark_lang"
)

// Config is what the pages need to know about the deployment.
type Config struct {
	// Secure marks cookies Secure (the site is served over TLS).
	Secure bool
	// Demo shows the demo notice on the login page (2FA not required).
	Demo bool
	// TrustProxy takes the client address from X-Forwarded-For.
	TrustProxy bool
	Version    string
}

// Handler serves the pages.
type Handler struct {
	cfg      Config
	log      *slog.Logger
	cat      *i18n.Catalog
	pages    map[string]*template.Template
	db       *store.DB
	auth     *auth.Service
	agencies *agency.Service
	audit    *audit.Log
	loginLim *web.Limiter
	now      func() time.Time

	incidents *incident.Service
	notify    *notify.Outbox
	systems   *sysinv.Service

	fraud *fraud.Service

	intelSvc   *intel.Service
	intelSpool string

	directives *directive.Service
	reports    *report.Builder

	detect *detect.Service
}

// Deps are the services the pages use.
type Deps struct {
	DB       *store.DB
	Auth     *auth.Service
	Agencies *agency.Service
	Audit    *audit.Log
	Catalog  *i18n.Catalog
	Log      *slog.Logger
	Now      func() time.Time

	Incidents *incident.Service // nil leaves the incident pages out
	Notify    *notify.Outbox

	// Systems is the information systems capability; nil leaves its pages out.
	Systems *sysinv.Service

	Fraud *fraud.Service // nil leaves the fraud pages out

	// Directives is the subcommittee's work; nil leaves its pages out.
	// Reports is the annual report builder; nil leaves the report page out.
	Directives *directive.Service
	Reports    *report.Builder

	Detect *detect.Service // nil leaves the detection pages out
}

// New parses every page template once and returns the handler.
func New(cfg Config, d Deps) (*Handler, error) {
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	return &Handler{
		cfg: cfg, log: d.Log, cat: d.Catalog, pages: pages, db: d.DB,
		auth: d.Auth, agencies: d.Agencies, audit: d.Audit,
		loginLim: web.NewLimiter(6*time.Second, 10), now: now,
		incidents: d.Incidents, notify: d.Notify, systems: d.Systems,
		fraud: d.Fraud, directives: d.Directives, reports: d.Reports,
		detect: d.Detect,
	}, nil
}

var funcs = template.FuncMap{
	"date": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.Local().Format("2006-01-02 15:04")
		case *time.Time:
			if v == nil || v.IsZero() {
				return ""
			}
			return v.Local().Format("2006-01-02 15:04")
		}
		return ""
	},
	"join": func(sep string, items any) string {
		switch v := items.(type) {
		case []string:
			return strings.Join(v, sep)
		case []access.Role:
			s := make([]string, len(v))
			for i, r := range v {
				s[i] = string(r)
			}
			return strings.Join(s, sep)
		}
		return fmt.Sprint(items)
	},
	"has": func(list []access.Role, r string) bool {
		for _, x := range list {
			if string(x) == r {
				return true
			}
		}
		return false
	},
	"add":  func(a, b int) int { return a + b },
	"list": func(items ...string) []string { return items },
	"str":  func(v any) string { return fmt.Sprint(v) },
	"ict":  ictTime,  // times in the province's zone (pages_incident.go)
	"vnd":  fraudVND, // amounts of đồng with thousands dots (pages_fraud.go)
}

// parsePages builds one template set per page: the layout, the shared
// partials and the page's own file.
func parsePages() (map[string]*template.Template, error) {
	shared := []string{"templates/layout.html", "templates/partials.html"}
	entries, err := fs.ReadDir(templateFS, "templates/pages")
	if err != nil {
		return nil, fmt.Errorf("ui: read templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".html")
		files := append(append([]string{}, shared...), path.Join("templates/pages", e.Name()))
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, files...)
		if err != nil {
			return nil, fmt.Errorf("ui: parse page %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// Page is the data every page gets; page structs embed it.
type Page struct {
	L      i18n.Lang
	User   *access.Principal
	CSRF   string
	Title  string
	Nav    string
	Flash  string
	Error  string
	Demo   bool
	Path   string
	Query  string
	Fields map[string]string // field -> error message for forms
}

// Can reports whether the user holds a role, for showing actions.
func (p Page) Can(role string) bool { return p.User.Has(access.Role(role)) }

// IsCoordinator is true for the standing agency's coordinators.
func (p Page) IsCoordinator() bool { return p.User.IsCoordinator() }

func (h *Handler) page(r *http.Request, title, nav string) Page {
	lang := h.lang(r)
	return Page{
		L: h.cat.For(lang), User: access.From(r.Context()), CSRF: csrfFrom(r),
		Title: title, Nav: nav, Demo: h.cfg.Demo, Path: r.URL.Path, Query: r.URL.RawQuery,
		Flash: r.URL.Query().Get("flash"),
	}
}

func (h *Handler) lang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		return i18n.Supported(c.Value)
	}
	return i18n.Default
}

// render executes a page into a buffer first, so a template error never
// sends half a page.
func (h *Handler) render(w http.ResponseWriter, status int, name string, data any) error {
	t, ok := h.pages[name]
	if !ok {
		return fmt.Errorf("ui: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("ui: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// handlerFunc is a page handler that returns its error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// errorPage is the data of the error page.
type errorPage struct {
	Page
	Status  int
	Message string
}

// wrap adapts a handlerFunc: errors become an HTML error page with the
// status of their kind; 5xx are logged at Error, 4xx at Info.
func (h *Handler) wrap(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		if err == nil {
			return
		}
		var mbe *http.MaxBytesError
		kind := errs.KindOf(err)
		if errors.As(err, &mbe) {
			kind = errs.TooLarge
		}
		status := web.Status(kind)
		if kind == errs.Unauthorized {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if kind == errs.TooLarge {
			err = errs.E(errs.TooLarge, "request too large")
		}
		if status >= 500 {
			h.log.Error("page failed", "path", r.URL.Path, "err", err, "request_id", web.RequestID(r.Context()))
		} else {
			h.log.Info("page refused", "path", r.URL.Path, "status", status, "err", errs.Message(err), "request_id", web.RequestID(r.Context()))
		}
		p := h.page(r, "", "")
		p.Title = p.L.T("error.title")
		msg := p.L.Error(err) // the log above stays English
		if rerr := h.render(w, status, "error", errorPage{Page: p, Status: status, Message: msg}); rerr != nil {
			h.log.Error("render error page", "err", rerr)
			http.Error(w, msg, status)
		}
	})
}

// requireUser is for pages that need a signed-in user.
func requireUser(r *http.Request) (*access.Principal, error) { return access.Require(r.Context()) }

type csrfKey struct{}

func csrfFrom(r *http.Request) string {
	s, _ := r.Context().Value(csrfKey{}).(string)
	return s
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// setCookie writes an HttpOnly cookie with the site's settings.
func (h *Handler) setCookie(w http.ResponseWriter, name, value string, maxAge int, sameSite http.SameSite) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.cfg.Secure, SameSite: sameSite,
	})
}

// session authenticates the session cookie, puts the principal and the
// CSRF token in the context, and checks the CSRF token on every
// state-changing request. Anonymous visitors get a CSRF cookie of their own
// (double submit) for the login form.
func (h *Handler) session(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var csrf string
		var pendingMFA bool
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			sess, p, err := h.auth.Authenticate(ctx, c.Value)
			switch {
			case err != nil:
				h.setCookie(w, sessionCookie, "", -1, http.SameSiteLaxMode)
			case p != nil:
				ctx = access.With(ctx, p)
				ctx = auth.WithSessionID(ctx, c.Value)
				csrf = sess.CSRF
			case sess.MFAPending:
				pendingMFA = true
				csrf = sess.CSRF
			}
		}
		if csrf == "" {
			if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
				csrf = c.Value
			} else {
				csrf = randomToken()
				h.setCookie(w, csrfCookie, csrf, 0, http.SameSiteStrictMode)
			}
		}
		ctx = context.WithValue(ctx, csrfKey{}, csrf)
		ctx = context.WithValue(ctx, mfaKey{}, pendingMFA)
		r = r.WithContext(ctx)
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !strings.HasPrefix(r.URL.Path, "/static/") {
			got := r.Header.Get("X-CSRF-Token")
			if got == "" && isMultipart(r) {
				got, r = multipartCSRF(r) // uploads stay streamed: see pages_incident.go
			}
			if got == "" {
				got = r.PostFormValue("csrf")
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(csrf)) != 1 {
				var mbe *http.MaxBytesError
				if r.MultipartForm == nil && errors.As(r.ParseForm(), &mbe) {
					h.wrap(func(http.ResponseWriter, *http.Request) error { return errs.E(errs.TooLarge, "request too large") }).ServeHTTP(w, r)
					return
				}
				h.wrap(func(http.ResponseWriter, *http.Request) error {
					return errs.E(errs.Forbidden, "the form expired or was not sent from this site; reload the page and try again")
				}).ServeHTTP(w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

type mfaKey struct{}

func mfaPending(r *http.Request) bool {
	v, _ := r.Context().Value(mfaKey{}).(bool)
	return v
}

// static serves the embedded assets with long caching; file names of
// vendored assets carry their version in VERSIONS.txt.
func (h *Handler) static() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	fsrv := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fsrv.ServeHTTP(w, r)
	})
}

func formInt(r *http.Request, name string) int64 {
	v, _ := strconv.ParseInt(strings.TrimSpace(r.FormValue(name)), 10, 64)
	return v
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "not found")
	}
	return id, nil
}

// redirect answers a successful form post (303 See Other).
func redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// withFlash appends a flash message key to a URL.
func withFlash(to, key string) string {
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	return to + sep + "flash=" + url.QueryEscape(key)
}

// formError turns a validation error into the page's error and per-field
// messages, so the form is shown again with what was typed. Messages are
// in the page's language (see i18n.Lang.Error): the banner names the field,
// the message next to the field does not repeat its name.
func formError(p *Page, err error) bool {
	k := errs.KindOf(err)
	if k != errs.Invalid && k != errs.Conflict {
		return false
	}
	p.Error = p.L.Error(err)
	if f := errs.FieldOf(err); f != "" {
		p.Fields = map[string]string{f: p.L.ErrorMessage(err)}
	}
	return true
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
