package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/agency"
	"bulwark/internal/audit"
	"bulwark/internal/auth"
	"bulwark/internal/errs"
)

type userListPage struct {
	Page
	Users []auth.User
	Q     string
	Pager pager
}

func (h *Handler) userList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	q := r.URL.Query().Get("q")
	off := offsetOf(r)
	users, total, err := h.auth.ListUsers(r.Context(), auth.UserFilter{Query: q, Limit: pageSize, Offset: off})
	if err != nil {
		return err
	}
	p := h.page(r, "", "users")
	p.Title = p.L.T("user.list_title")
	return h.render(w, http.StatusOK, "users", userListPage{Page: p, Users: users, Q: q,
		Pager: pager{Total: total, Offset: off, Limit: pageSize, Base: "/users?" + url.Values{"q": {q}}.Encode()}})
}

type userFormPage struct {
	Page
	U        auth.NewUser
	Roles    []access.Role
	Agencies []agency.Agency
}

func (h *Handler) userNew(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	if !access.CanManageUsers(u) {
		return access.Deny("create users")
	}
	p := h.page(r, "", "users")
	p.Title = p.L.T("user.new_title")
	return h.render(w, http.StatusOK, "user_form", userFormPage{Page: p, Roles: access.Roles, Agencies: h.agencyOptions(r)})
}

func formRoles(r *http.Request) []access.Role {
	_ = r.ParseForm()
	var roles []access.Role
	for _, v := range r.PostForm["role"] {
		roles = append(roles, access.Role(v))
	}
	return roles
}

func (h *Handler) userCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	in := auth.NewUser{Email: strings.TrimSpace(r.PostFormValue("email")), Name: r.PostFormValue("name"), Title: r.PostFormValue("title"),
		Phone: r.PostFormValue("phone"), AgencyCode: r.PostFormValue("agency_code"), Password: r.PostFormValue("password"), Roles: formRoles(r)}
	u, err := h.auth.CreateUser(r.Context(), in)
	if err != nil {
		p := h.page(r, "", "users")
		p.Title = p.L.T("user.new_title")
		if !formError(&p, err) {
			return err
		}
		in.Password = ""
		return h.render(w, http.StatusBadRequest, "user_form", userFormPage{Page: p, U: in, Roles: access.Roles, Agencies: h.agencyOptions(r)})
	}
	return redirect(w, r, withFlash("/users/"+strconv.FormatInt(u.ID, 10), "flash.saved"))
}

type userPage struct {
	Page
	U     auth.User
	Roles []access.Role
}

func (h *Handler) userShow(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	u, err := h.auth.GetUser(r.Context(), id)
	if err != nil {
		return err
	}
	p := h.page(r, u.Name, "users")
	return h.render(w, http.StatusOK, "user", userPage{Page: p, U: u, Roles: access.Roles})
}

func (h *Handler) userRoles(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.auth.SetRoles(r.Context(), id, formRoles(r)); err != nil {
		return err
	}
	return redirect(w, r, withFlash("/users/"+strconv.FormatInt(id, 10), "flash.saved"))
}

func (h *Handler) userDisable(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.auth.SetDisabled(r.Context(), id, r.PostFormValue("disabled") == "1"); err != nil {
		return err
	}
	return redirect(w, r, withFlash("/users/"+strconv.FormatInt(id, 10), "flash.saved"))
}

func (h *Handler) userResetPassword(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.auth.ResetPassword(r.Context(), id, r.PostFormValue("password")); err != nil {
		if errs.KindOf(err) == errs.Invalid {
			u, gerr := h.auth.GetUser(r.Context(), id)
			if gerr != nil {
				return gerr
			}
			p := h.page(r, u.Name, "users")
			formError(&p, err)
			return h.render(w, http.StatusBadRequest, "user", userPage{Page: p, U: u, Roles: access.Roles})
		}
		return err
	}
	return redirect(w, r, withFlash("/users/"+strconv.FormatInt(id, 10), "flash.password_reset"))
}

type tokenPage struct {
	Page
	Tokens []auth.Token
	New    string // the raw token, shown once right after creation
	All    bool
}

func (h *Handler) tokenList(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	return h.renderTokens(w, r, http.StatusOK, u, "", nil)
}

func (h *Handler) renderTokens(w http.ResponseWriter, r *http.Request, status int, u *access.Principal, raw string, ferr error) error {
	all := u.Has(access.Admin) && r.URL.Query().Get("all") == "1"
	owner := u.UserID
	if all {
		owner = 0
	}
	toks, err := h.auth.ListTokens(r.Context(), owner)
	if err != nil {
		return err
	}
	p := h.page(r, "", "tokens")
	p.Title = p.L.T("token.title")
	if ferr != nil && !formError(&p, ferr) {
		return ferr
	}
	return h.render(w, status, "tokens", tokenPage{Page: p, Tokens: toks, New: raw, All: all})
}

func (h *Handler) tokenCreate(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	var ttl time.Duration
	if d := strings.TrimSpace(r.PostFormValue("days")); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 3650 {
			return h.renderTokens(w, r, http.StatusBadRequest, u, "", errs.Field("days", "must be a whole number of days from 1 to 3650"))
		}
		ttl = time.Duration(n) * 24 * time.Hour
	}
	raw, _, err := h.auth.CreateToken(r.Context(), u.UserID, r.PostFormValue("name"), ttl)
	if err != nil {
		return h.renderTokens(w, r, http.StatusBadRequest, u, "", err)
	}
	return h.renderTokens(w, r, http.StatusOK, u, raw, nil)
}

func (h *Handler) tokenRevoke(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.auth.RevokeToken(r.Context(), id); err != nil {
		return err
	}
	return redirect(w, r, withFlash("/tokens", "flash.token_revoked"))
}

type auditPage struct {
	Page
	Entries []audit.Entry
	F       audit.Filter
	Since   string
	Until   string
	Next    string
}

func (h *Handler) auditList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	q := r.URL.Query()
	f := audit.Filter{Action: q.Get("action"), Actor: q.Get("actor"), Object: q.Get("object"), Limit: 100}
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	if s := q.Get("since"); s != "" {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return errs.Field("since", "must be a date YYYY-MM-DD")
		}
		f.Since = t
	}
	if s := q.Get("until"); s != "" {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return errs.Field("until", "must be a date YYYY-MM-DD")
		}
		f.Until = t.Add(24 * time.Hour)
	}
	entries, next, err := h.audit.List(r.Context(), f)
	if err != nil {
		return err
	}
	p := h.page(r, "", "audit")
	p.Title = p.L.T("audit.title")
	data := auditPage{Page: p, Entries: entries, F: f, Since: q.Get("since"), Until: q.Get("until")}
	if next > 0 {
		v := url.Values{"action": {f.Action}, "actor": {f.Actor}, "object": {f.Object}, "since": {data.Since}, "until": {data.Until}, "before": {strconv.FormatInt(next, 10)}}
		data.Next = "/audit?" + v.Encode()
	}
	return h.render(w, http.StatusOK, "audit", data)
}
