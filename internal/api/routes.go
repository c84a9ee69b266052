package api

import (
	"net/http"

	"bulwark/internal/agency"
	"bulwark/internal/audit"
)

// Route is one API operation: the router entry and its documentation.
type Route struct {
	Method   string
	Path     string // ServeMux pattern path, e.g. /api/v1/agencies/{id}
	Summary  string
	Tag      string
	Public   bool    // no token needed
	Query    []Param // query parameters
	Body     any     // a value of the request body type, nil for none
	Response any     // a value of the success response type
	Status   int     // success status, 200 when 0
	fn       handlerFunc
}

// Param documents a query parameter.
type Param struct {
	Name, Type, Description string
}

var pageParams = []Param{
	{"limit", "integer", "page size, 1–500 (default 50)"},
	{"offset", "integer", "items to skip"},
}

// table lists every operation; it reads like the API's table of contents.
func (h *Handler) table() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/openapi.json", Summary: "This OpenAPI document", Tag: "meta", Public: true, Response: map[string]any{}, fn: h.openapi},
		{Method: "GET", Path: "/api/v1/me", Summary: "The caller", Tag: "meta", Response: meJSON{}, fn: h.me},

		{Method: "GET", Path: "/api/v1/agencies", Summary: "List agencies", Tag: "agencies", Query: append([]Param{{"q", "string", "search in code and names"}, {"kind", "string", "agency kind"}, {"inactive", "boolean", "include merged agencies"}}, pageParams...), Response: Page[agency.Agency]{}, fn: h.listAgencies},
		{Method: "POST", Path: "/api/v1/agencies", Summary: "Create an agency (admin)", Tag: "agencies", Body: agency.AgencyInput{}, Response: agency.Agency{}, Status: 201, fn: h.createAgency},
		{Method: "GET", Path: "/api/v1/agencies/{id}", Summary: "Get an agency", Tag: "agencies", Response: agency.Agency{}, fn: byID(h.agencies.GetAgency)},
		{Method: "PUT", Path: "/api/v1/agencies/{id}", Summary: "Update an agency (admin); a rename is kept in its history", Tag: "agencies", Body: agency.AgencyInput{}, Response: agency.Agency{}, fn: h.updateAgency},
		{Method: "PUT", Path: "/api/v1/agencies/{id}/contact", Summary: "Update the 24/7 contact point", Tag: "agencies", Body: contactJSON{}, Response: agency.Agency{}, fn: h.updateContact},
		{Method: "POST", Path: "/api/v1/agencies/{id}/merge", Summary: "Merge the agency into another (admin)", Tag: "agencies", Body: mergeJSON{}, Status: 204, fn: h.mergeAgency},
		{Method: "GET", Path: "/api/v1/agencies/{id}/history", Summary: "Renames and mergers of an agency", Tag: "agencies", Response: []agency.HistoryEntry{}, fn: listByID(h.agencies.AgencyHistory)},

		{Method: "GET", Path: "/api/v1/bodies", Summary: "List bodies (subcommittee, working group)", Tag: "subcommittee", Response: []agency.Body{}, fn: h.listBodies},
		{Method: "POST", Path: "/api/v1/bodies", Summary: "Create a body", Tag: "subcommittee", Body: agency.Body{}, Response: agency.Body{}, Status: 201, fn: h.createBody},
		{Method: "GET", Path: "/api/v1/bodies/{id}", Summary: "Get a body", Tag: "subcommittee", Response: agency.Body{}, fn: byID(h.agencies.GetBody)},
		{Method: "GET", Path: "/api/v1/bodies/{id}/composition", Summary: "Who sat on the body on a date", Tag: "subcommittee", Query: []Param{{"on", "string", "date YYYY-MM-DD (default today)"}}, Response: []agency.Membership{}, fn: h.composition},
		{Method: "GET", Path: "/api/v1/bodies/{id}/memberships", Summary: "All memberships of a body, ended ones included", Tag: "subcommittee", Response: []agency.Membership{}, fn: h.bodyMemberships},
		{Method: "POST", Path: "/api/v1/memberships", Summary: "Appoint a member", Tag: "subcommittee", Body: agency.Membership{}, Response: agency.Membership{}, Status: 201, fn: h.appoint},
		{Method: "GET", Path: "/api/v1/memberships/{id}", Summary: "Get a membership", Tag: "subcommittee", Response: agency.Membership{}, fn: byID(h.agencies.GetMembership)},
		{Method: "POST", Path: "/api/v1/memberships/{id}/end", Summary: "End a membership (kept in history)", Tag: "subcommittee", Body: endJSON{}, Status: 204, fn: h.endMembership},
		{Method: "GET", Path: "/api/v1/decisions", Summary: "List decisions", Tag: "subcommittee", Query: pageParams, Response: Page[agency.Decision]{}, fn: h.listDecisions},
		{Method: "POST", Path: "/api/v1/decisions", Summary: "Record a decision", Tag: "subcommittee", Body: agency.Decision{}, Response: agency.Decision{}, Status: 201, fn: h.createDecision},
		{Method: "GET", Path: "/api/v1/decisions/{id}", Summary: "Get a decision", Tag: "subcommittee", Response: agency.Decision{}, fn: byID(h.agencies.GetDecision)},

		{Method: "GET", Path: "/api/v1/users", Summary: "List users within the caller's scope", Tag: "users", Query: append([]Param{{"q", "string", "search in name and email"}, {"agency_id", "integer", "one agency"}}, pageParams...), Response: Page[userJSON]{}, fn: h.listUsers},
		{Method: "POST", Path: "/api/v1/users", Summary: "Create a user (admin)", Tag: "users", Body: newUserJSON{}, Response: userJSON{}, Status: 201, fn: h.createUser},
		{Method: "GET", Path: "/api/v1/users/{id}", Summary: "Get a user", Tag: "users", Response: userJSON{}, fn: h.getUser},
		{Method: "PUT", Path: "/api/v1/users/{id}/roles", Summary: "Set a user's roles (admin)", Tag: "users", Body: rolesJSON{}, Status: 204, fn: h.setRoles},
		{Method: "PUT", Path: "/api/v1/users/{id}/disabled", Summary: "Disable or enable a user (admin)", Tag: "users", Body: disabledJSON{}, Status: 204, fn: h.setDisabled},

		{Method: "GET", Path: "/api/v1/tokens", Summary: "List the caller's API tokens (admins: all=true for everyone's)", Tag: "tokens", Query: []Param{{"all", "boolean", "every user's tokens (admin)"}}, Response: []tokenJSON{}, fn: h.listTokens},
		{Method: "POST", Path: "/api/v1/tokens", Summary: "Create an API token; the token is shown once", Tag: "tokens", Body: newTokenJSON{}, Response: createdTokenJSON{}, Status: 201, fn: h.createToken},
		{Method: "DELETE", Path: "/api/v1/tokens/{id}", Summary: "Revoke an API token", Tag: "tokens", Status: 204, fn: h.revokeToken},

		{Method: "GET", Path: "/api/v1/audit", Summary: "Browse the audit log (admins all, coordinators their agency)", Tag: "audit", Query: []Param{{"action", "string", "action prefix"}, {"actor", "string", "actor contains"}, {"object", "string", "object type"}, {"since", "string", "from date YYYY-MM-DD"}, {"until", "string", "until date YYYY-MM-DD (inclusive)"}, {"before", "integer", "cursor: rows older than this id"}, {"limit", "integer", "page size, 1–500 (default 100)"}}, Response: auditPage{}, fn: h.listAudit},
		{Method: "GET", Path: "/api/v1/audit/verify", Summary: "Verify the audit hash chain (admin)", Tag: "audit", Response: audit.VerifyResult{}, fn: h.verifyAudit},
	}
}

// Routes returns the API router.
func (h *Handler) Routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range h.routes {
		mux.Handle(rt.Method+" "+rt.Path, h.authenticate(rt.Public, rt.fn))
	}
	// Anything else under /api/ is a problem+json 404, not an HTML page.
	mux.Handle("/api/", h.authenticate(true, func(w http.ResponseWriter, r *http.Request) error {
		return errNoRoute
	}))
	return mux
}

// Table returns the declared operations, for tests and the document.
func (h *Handler) Table() []Route { return h.routes }
