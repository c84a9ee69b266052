// Package access holds who is acting (the Principal), the roles, the TLP 2.0
// visibility rules and the policy functions that decide who may read or
// change each kind of object. Services call these; the web pages and the API
// never decide access themselves, so they cannot differ.
package access

import (
	"context"
	"slices"

	"bulwark/internal/errs"
)

// Role is a user's role. A user has one or more.
type Role string

// The roles, as in DESIGN.md.
const (
	Admin       Role = "admin"
	Coordinator Role = "coordinator"
	Analyst     Role = "analyst"
	Reporter    Role = "reporter"
	Viewer      Role = "viewer"
	Liaison     Role = "liaison"
)

// Roles lists every role in display order.
var Roles = []Role{Admin, Coordinator, Analyst, Reporter, Viewer, Liaison}

// ValidRole reports whether r is a known role.
func ValidRole(r Role) bool { return slices.Contains(Roles, r) }

// Principal is the authenticated actor of a request or command.
type Principal struct {
	UserID     int64
	Email      string
	Name       string
	AgencyID   int64
	AgencyCode string
	AgencyKind string
	Roles      []Role
	// Standing is true when the user's agency is the standing agency
	// (the provincial police cyber unit).
	Standing bool
	// System marks the CLI and background jobs acting on their own.
	System bool
}

// Has reports whether p holds role r. The system principal holds all roles.
func (p *Principal) Has(r Role) bool {
	if p == nil {
		return false
	}
	return p.System || slices.Contains(p.Roles, r)
}

// HasAny reports whether p holds any of rs.
func (p *Principal) HasAny(rs ...Role) bool {
	for _, r := range rs {
		if p.Has(r) {
			return true
		}
	}
	return false
}

// IsCoordinator reports whether p coordinates the whole province: a
// coordinator of the standing agency, or the system.
func (p *Principal) IsCoordinator() bool {
	return p != nil && (p.System || (p.Standing && p.Has(Coordinator)))
}

// Label is how the principal appears in the audit log.
func (p *Principal) Label() string {
	switch {
	case p == nil:
		return "anonymous"
	case p.System:
		return "system"
	}
	return p.Email
}

// SystemPrincipal is the actor for CLI commands and background jobs.
func SystemPrincipal() *Principal { return &Principal{System: true, Name: "system"} }

type ctxKey struct{}

// With returns a context carrying p.
func With(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the principal of ctx, or nil for an anonymous request.
func From(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// Require returns the principal of ctx, or an Unauthorized error.
func Require(ctx context.Context) (*Principal, error) {
	p := From(ctx)
	if p == nil {
		return nil, errs.E(errs.Unauthorized, "login required")
	}
	return p, nil
}

// Deny builds the error for a refused action. It is a Forbidden error; the
// caller records the denial in the audit log.
func Deny(action string) error {
	return errs.E(errs.Forbidden, "you are not allowed to %s", action)
}
