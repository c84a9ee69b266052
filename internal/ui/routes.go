package ui

import "net/http"

// Routes returns the page router. Every route passes through the session
// middleware (principal, CSRF); pages that need a user say so themselves.
func (h *Handler) Routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, fn handlerFunc) { mux.Handle(pattern, h.wrap(fn)) }

	mux.Handle("GET /static/", h.static())

	handle("GET /login", h.loginForm)
	handle("POST /login", h.login)
	handle("GET /login/totp", h.totpForm)
	handle("POST /login/totp", h.totpLogin)
	handle("POST /logout", h.logout)
	handle("POST /lang", h.setLang)

	handle("GET /{$}", h.dashboard)

	handle("GET /agencies", h.agencyList)
	handle("GET /agencies/new", h.agencyNew)
	handle("POST /agencies", h.agencyCreate)
	handle("GET /agencies/{id}", h.agencyShow)
	handle("GET /agencies/{id}/edit", h.agencyEdit)
	handle("POST /agencies/{id}", h.agencyUpdate)
	handle("POST /agencies/{id}/contact", h.agencyContact)
	handle("POST /agencies/{id}/merge", h.agencyMerge)

	handle("GET /subcommittee", h.subcommittee)
	handle("GET /bodies", h.bodyList)
	handle("POST /bodies", h.bodyCreate)
	handle("GET /bodies/{id}", h.bodyShow)
	handle("POST /bodies/{id}/memberships", h.membershipAppoint)
	handle("POST /memberships/{id}/end", h.membershipEnd)

	handle("GET /decisions", h.decisionList)
	handle("POST /decisions", h.decisionCreate)

	handle("GET /users", h.userList)
	handle("GET /users/new", h.userNew)
	handle("POST /users", h.userCreate)
	handle("GET /users/{id}", h.userShow)
	handle("POST /users/{id}/roles", h.userRoles)
	handle("POST /users/{id}/disable", h.userDisable)
	handle("POST /users/{id}/password", h.userResetPassword)

	handle("GET /tokens", h.tokenList)
	handle("POST /tokens", h.tokenCreate)
	handle("POST /tokens/{id}/revoke", h.tokenRevoke)

	handle("GET /audit", h.auditList)
	handle("GET /admin", h.adminPage)

	h.incidentRoutes(handle)
	h.sysinvRoutes(handle)
	h.fraudRoutes(handle)
	h.intelRoutes(handle)
	h.directiveRoutes(handle)
	h.detectRoutes(handle)

	handle("GET /account", h.account)
	handle("POST /account/password", h.accountPassword)
	handle("GET /account/totp", h.totpEnrol)
	handle("POST /account/totp", h.totpConfirm)
	handle("POST /account/totp/disable", h.totpDisable)

	return h.session(h.enforceEnrolment(mux))
}

// enforceEnrolment sends users whom the policy requires to use two-factor
// login, and who have not enrolled, to the enrolment page first.
func (h *Handler) enforceEnrolment(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := userOf(r)
		if p == nil || r.URL.Path == "/account/totp" || r.URL.Path == "/logout" || r.URL.Path == "/lang" || len(r.URL.Path) > 7 && r.URL.Path[:8] == "/static/" {
			next.ServeHTTP(w, r)
			return
		}
		u, err := h.auth.GetUser(r.Context(), p.UserID)
		if err == nil && !u.TOTPEnabled && h.auth.TOTPRequired(u) {
			http.Redirect(w, r, "/account/totp?flash=flash.totp_required", http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}
