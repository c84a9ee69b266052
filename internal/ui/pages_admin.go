package ui

import "net/http"

// adminPage is the organisation and administration hub: the directory of
// agencies and decisions, users, API tokens and the audit log, kept out of
// the main navigation so the capabilities stay in front.
func (h *Handler) adminPage(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	p := h.page(r, "", "admin")
	p.Title = p.L.T("admin.title")
	return h.render(w, http.StatusOK, "admin", p)
}
