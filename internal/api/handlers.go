package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/agency"
	"bulwark/internal/audit"
	"bulwark/internal/auth"
	"bulwark/internal/errs"
)

var errNoRoute = errs.E(errs.NotFound, "no such API route or method; see /api/v1/openapi.json")

type meJSON struct {
	UserID     int64         `json:"user_id"`
	Email      string        `json:"email"`
	Name       string        `json:"name"`
	AgencyID   int64         `json:"agency_id"`
	AgencyCode string        `json:"agency_code"`
	Roles      []access.Role `json:"roles"`
	Standing   bool          `json:"standing_agency"`
}

func (h *Handler) me(w http.ResponseWriter, r *http.Request) error {
	p, err := access.Require(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, meJSON{UserID: p.UserID, Email: p.Email, Name: p.Name, AgencyID: p.AgencyID,
		AgencyCode: p.AgencyCode, Roles: p.Roles, Standing: p.Standing})
}

// --- agencies ---

func (h *Handler) listAgencies(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	items, total, err := h.agencies.ListAgencies(r.Context(), agency.AgencyFilter{Kind: q.Get("kind"), Query: q.Get("q"),
		IncludeInactive: q.Get("inactive") == "true", Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Page[agency.Agency]{Items: nonNil(items), Total: total, Limit: limit, Offset: offset})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (h *Handler) createAgency(w http.ResponseWriter, r *http.Request) error {
	var in agency.AgencyInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	a, err := h.agencies.CreateAgency(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/agencies/"+strconv.FormatInt(a.ID, 10))
	return writeJSON(w, http.StatusCreated, a)
}

func (h *Handler) updateAgency(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in agency.AgencyInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	a, err := h.agencies.UpdateAgency(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

type contactJSON struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

func (h *Handler) updateContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in contactJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	a, err := h.agencies.UpdateContact(r.Context(), id, in.Name, in.Phone, in.Email)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

type mergeJSON struct {
	IntoCode string `json:"into_code"`
	Note     string `json:"note"`
}

func (h *Handler) mergeAgency(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in mergeJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	if _, err := access.Require(r.Context()); err != nil {
		return err
	}
	into, err := h.agencies.AgencyByCode(r.Context(), in.IntoCode)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return errs.Field("into_code", "no agency has this code")
		}
		return err
	}
	if err := h.agencies.MergeAgency(r.Context(), id, into.ID, in.Note); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- subcommittee ---

func (h *Handler) listBodies(w http.ResponseWriter, r *http.Request) error {
	bodies, err := h.agencies.ListBodies(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(bodies))
}

func (h *Handler) createBody(w http.ResponseWriter, r *http.Request) error {
	var in agency.Body
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	b, err := h.agencies.CreateBody(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, b)
}

func (h *Handler) composition(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	on := r.URL.Query().Get("on")
	if on != "" {
		if _, err := parseDate("on", on); err != nil {
			return err
		}
	}
	ms, err := h.agencies.Composition(r.Context(), id, on)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(ms))
}

func (h *Handler) bodyMemberships(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ms, err := h.agencies.ListMemberships(r.Context(), id, true)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(ms))
}

func (h *Handler) appoint(w http.ResponseWriter, r *http.Request) error {
	var in agency.Membership
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	m, err := h.agencies.Appoint(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

type endJSON struct {
	To            string `json:"to"`
	EndDecisionID int64  `json:"end_decision_id,omitempty"`
	Reason        string `json:"reason,omitempty"`
}

func (h *Handler) endMembership(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in endJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	if err := h.agencies.EndMembership(r.Context(), id, in.To, in.EndDecisionID, in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listDecisions(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	items, total, err := h.agencies.ListDecisions(r.Context(), limit, offset)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Page[agency.Decision]{Items: nonNil(items), Total: total, Limit: limit, Offset: offset})
}

func (h *Handler) createDecision(w http.ResponseWriter, r *http.Request) error {
	var in agency.Decision
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	d, err := h.agencies.CreateDecision(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, d)
}

// --- users ---

type userJSON struct {
	ID          int64         `json:"id"`
	Email       string        `json:"email"`
	Name        string        `json:"name"`
	Title       string        `json:"title"`
	Phone       string        `json:"phone"`
	AgencyID    int64         `json:"agency_id"`
	AgencyCode  string        `json:"agency_code"`
	Roles       []access.Role `json:"roles"`
	Disabled    bool          `json:"disabled"`
	TOTPEnabled bool          `json:"totp_enabled"`
	LockedUntil *time.Time    `json:"locked_until,omitempty"`
	LastLoginAt *time.Time    `json:"last_login_at,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
}

func toUserJSON(u auth.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Title: u.Title, Phone: u.Phone, AgencyID: u.AgencyID,
		AgencyCode: u.AgencyCode, Roles: nonNil(u.Roles), Disabled: u.Disabled, TOTPEnabled: u.TOTPEnabled,
		LockedUntil: u.LockedUntil, LastLoginAt: u.LastLoginAt, CreatedAt: u.CreatedAt}
}

type newUserJSON struct {
	Email      string        `json:"email"`
	Name       string        `json:"name"`
	Title      string        `json:"title,omitempty"`
	Phone      string        `json:"phone,omitempty"`
	AgencyCode string        `json:"agency_code"`
	Roles      []access.Role `json:"roles"`
	Password   string        `json:"password"`
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	var agencyID int64
	if s := r.URL.Query().Get("agency_id"); s != "" {
		if agencyID, err = strconv.ParseInt(s, 10, 64); err != nil {
			return errs.Field("agency_id", "must be a whole number")
		}
	}
	users, total, err := h.auth.ListUsers(r.Context(), auth.UserFilter{AgencyID: agencyID, Query: r.URL.Query().Get("q"), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = toUserJSON(u)
	}
	return writeJSON(w, http.StatusOK, Page[userJSON]{Items: out, Total: total, Limit: limit, Offset: offset})
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) error {
	var in newUserJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	u, err := h.auth.CreateUser(r.Context(), auth.NewUser{Email: in.Email, Name: in.Name, Title: in.Title, Phone: in.Phone,
		AgencyCode: in.AgencyCode, Password: in.Password, Roles: in.Roles})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toUserJSON(u))
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	u, err := h.auth.GetUser(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toUserJSON(u))
}

type rolesJSON struct {
	Roles []access.Role `json:"roles"`
}

func (h *Handler) setRoles(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in rolesJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	if err := h.auth.SetRoles(r.Context(), id, in.Roles); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type disabledJSON struct {
	Disabled bool `json:"disabled"`
}

func (h *Handler) setDisabled(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in disabledJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	if err := h.auth.SetDisabled(r.Context(), id, in.Disabled); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- tokens ---

type tokenJSON struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	UserEmail  string     `json:"user_email"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

func toTokenJSON(t auth.Token) tokenJSON {
	return tokenJSON{ID: t.ID, UserID: t.UserID, UserEmail: t.UserEmail, Name: t.Name, Prefix: t.Prefix,
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

type newTokenJSON struct {
	Name string `json:"name"`
	// Days of validity; 0 or absent means no expiry.
	Days   int   `json:"days,omitempty"`
	UserID int64 `json:"user_id,omitempty"`
}

type createdTokenJSON struct {
	Token string    `json:"token"`
	Info  tokenJSON `json:"info"`
}

func (h *Handler) listTokens(w http.ResponseWriter, r *http.Request) error {
	p, err := access.Require(r.Context())
	if err != nil {
		return err
	}
	owner := p.UserID
	if r.URL.Query().Get("all") == "true" {
		owner = 0
	}
	toks, err := h.auth.ListTokens(r.Context(), owner)
	if err != nil {
		return err
	}
	out := make([]tokenJSON, len(toks))
	for i, t := range toks {
		out[i] = toTokenJSON(t)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) error {
	p, err := access.Require(r.Context())
	if err != nil {
		return err
	}
	var in newTokenJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	if in.Days < 0 || in.Days > 3650 {
		return errs.Field("days", "must be from 0 (no expiry) to 3650")
	}
	owner := p.UserID
	if in.UserID != 0 {
		owner = in.UserID
	}
	raw, t, err := h.auth.CreateToken(r.Context(), owner, in.Name, time.Duration(in.Days)*24*time.Hour)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, createdTokenJSON{Token: raw, Info: toTokenJSON(t)})
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.auth.RevokeToken(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- audit ---

type auditPage struct {
	Items []audit.Entry `json:"items"`
	// Next is the cursor for the following page (the "before" parameter);
	// 0 when this is the last page.
	Next int64 `json:"next"`
}

func (h *Handler) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := audit.Filter{Action: q.Get("action"), Actor: q.Get("actor"), Object: q.Get("object")}
	var err error
	if s := q.Get("before"); s != "" {
		if f.Before, err = strconv.ParseInt(s, 10, 64); err != nil {
			return errs.Field("before", "must be a whole number")
		}
	}
	if s := q.Get("limit"); s != "" {
		if f.Limit, err = strconv.Atoi(s); err != nil || f.Limit < 1 || f.Limit > 500 {
			return errs.Field("limit", "must be a whole number from 1 to 500")
		}
	}
	if s := q.Get("since"); s != "" {
		if f.Since, err = parseDate("since", s); err != nil {
			return err
		}
	}
	if s := q.Get("until"); s != "" {
		if f.Until, err = parseDate("until", s); err != nil {
			return err
		}
		f.Until = f.Until.Add(24 * time.Hour)
	}
	for _, v := range []string{f.Action, f.Actor, f.Object} {
		if len(v) > 254 || strings.ContainsRune(v, 0) {
			return errs.E(errs.Invalid, "filter values are limited to 254 characters")
		}
	}
	entries, next, err := h.audit.List(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, auditPage{Items: nonNil(entries), Next: next})
}

func (h *Handler) verifyAudit(w http.ResponseWriter, r *http.Request) error {
	res, err := h.audit.Verify(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// byID is the handler of a resource read (or a one-step action) on
// /{id}: the path's id, one service call with it, its result as JSON.
func byID[T any](call func(context.Context, int64) (T, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		v, err := call(r.Context(), id)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, v)
	}
}

// listByID is byID for a list: an empty list is [], never null.
func listByID[T any](call func(context.Context, int64) ([]T, error)) handlerFunc {
	return byID(func(ctx context.Context, id int64) ([]T, error) {
		list, err := call(ctx, id)
		return nonNil(list), err
	})
}
