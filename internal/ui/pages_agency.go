package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/agency"
	"bulwark/internal/errs"
)

const pageSize = 50

// pager is the data of the pagination links under a list.
type pager struct {
	Total, Offset, Limit int
	Base                 string // URL with the other query parameters
}

func (p pager) Prev() int     { return max(p.Offset-p.Limit, 0) }
func (p pager) Next() int     { return p.Offset + p.Limit }
func (p pager) HasPrev() bool { return p.Offset > 0 }
func (p pager) HasNext() bool { return p.Offset+p.Limit < p.Total }

// URL returns the list URL at offset.
func (p pager) URL(offset int) string {
	sep := "?"
	if strings.Contains(p.Base, "?") {
		sep = "&"
	}
	return p.Base + sep + "offset=" + strconv.Itoa(offset)
}

func offsetOf(r *http.Request) int {
	o, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	return max(o, 0)
}

type agencyListPage struct {
	Page
	Agencies []agency.Agency
	Kinds    []string
	Kind     string
	Q        string
	Pager    pager
}

func (h *Handler) agencyList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	q := r.URL.Query()
	f := agency.AgencyFilter{Kind: q.Get("kind"), Query: q.Get("q"), Limit: pageSize, Offset: offsetOf(r), IncludeInactive: q.Get("inactive") == "1"}
	list, total, err := h.agencies.ListAgencies(r.Context(), f)
	if err != nil {
		return err
	}
	p := h.page(r, "", "agencies")
	p.Title = p.L.T("agency.list_title")
	base := "/agencies?" + url.Values{"q": {f.Query}, "kind": {f.Kind}}.Encode()
	data := agencyListPage{Page: p, Agencies: list, Kinds: agency.Kinds, Kind: f.Kind, Q: f.Query,
		Pager: pager{Total: total, Offset: f.Offset, Limit: pageSize, Base: base}}
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "agency-rows" {
		return h.render(w, http.StatusOK, "agencies", data) // full page; htmx selects the rows
	}
	return h.render(w, http.StatusOK, "agencies", data)
}

type agencyFormPage struct {
	Page
	A        agency.AgencyInput
	ID       int64
	Kinds    []string
	Agencies []agency.Agency
}

func (h *Handler) agencyOptions(r *http.Request) []agency.Agency {
	list, _, _ := h.agencies.ListAgencies(r.Context(), agency.AgencyFilter{Limit: 1000})
	return list
}

func (h *Handler) agencyNew(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	p := h.page(r, "", "agencies")
	p.Title = p.L.T("agency.new_title")
	return h.render(w, http.StatusOK, "agency_form", agencyFormPage{Page: p, Kinds: agency.Kinds, Agencies: h.agencyOptions(r)})
}

func agencyInput(r *http.Request) agency.AgencyInput {
	return agency.AgencyInput{
		Code: strings.TrimSpace(r.PostFormValue("code")), NameVI: r.PostFormValue("name_vi"), NameEN: r.PostFormValue("name_en"),
		Kind: r.PostFormValue("kind"), ParentCode: r.PostFormValue("parent_code"), Address: r.PostFormValue("address"),
		ContactName: r.PostFormValue("contact_name"), ContactPhone: r.PostFormValue("contact_phone"), ContactEmail: r.PostFormValue("contact_email"),
	}
}

func (h *Handler) agencyCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	in := agencyInput(r)
	a, err := h.agencies.CreateAgency(r.Context(), in)
	if err != nil {
		p := h.page(r, "", "agencies")
		p.Title = p.L.T("agency.new_title")
		if !formError(&p, err) {
			return err
		}
		return h.render(w, http.StatusBadRequest, "agency_form", agencyFormPage{Page: p, A: in, Kinds: agency.Kinds, Agencies: h.agencyOptions(r)})
	}
	return redirect(w, r, withFlash("/agencies/"+strconv.FormatInt(a.ID, 10), "flash.saved"))
}

type agencyPage struct {
	Page
	A        agency.Agency
	History  []agency.HistoryEntry
	Agencies []agency.Agency
	CanEdit  bool
}

func (h *Handler) agencyShow(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := h.agencies.GetAgency(r.Context(), id)
	if err != nil {
		return err
	}
	hist, err := h.agencies.AgencyHistory(r.Context(), id)
	if err != nil {
		return err
	}
	p := h.page(r, a.NameVI, "agencies")
	return h.render(w, http.StatusOK, "agency", agencyPage{Page: p, A: a, History: hist, Agencies: h.agencyOptions(r),
		CanEdit: u.Has("admin") || (u.AgencyID == a.ID && u.Has("coordinator"))})
}

func (h *Handler) agencyEdit(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := h.agencies.GetAgency(r.Context(), id)
	if err != nil {
		return err
	}
	p := h.page(r, "", "agencies")
	p.Title = p.L.T("agency.edit_title")
	in := agency.AgencyInput{Code: a.Code, NameVI: a.NameVI, NameEN: a.NameEN, Kind: a.Kind, ParentCode: a.ParentCode, Address: a.Address,
		ContactName: a.ContactName, ContactPhone: a.ContactPhone, ContactEmail: a.ContactEmail}
	return h.render(w, http.StatusOK, "agency_form", agencyFormPage{Page: p, A: in, ID: a.ID, Kinds: agency.Kinds, Agencies: h.agencyOptions(r)})
}

func (h *Handler) agencyUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	in := agencyInput(r)
	if _, err := h.agencies.UpdateAgency(r.Context(), id, in); err != nil {
		p := h.page(r, "", "agencies")
		p.Title = p.L.T("agency.edit_title")
		if !formError(&p, err) {
			return err
		}
		return h.render(w, http.StatusBadRequest, "agency_form", agencyFormPage{Page: p, A: in, ID: id, Kinds: agency.Kinds, Agencies: h.agencyOptions(r)})
	}
	return redirect(w, r, withFlash("/agencies/"+strconv.FormatInt(id, 10), "flash.saved"))
}

func (h *Handler) agencyContact(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := h.agencies.UpdateContact(r.Context(), id, r.PostFormValue("contact_name"), r.PostFormValue("contact_phone"), r.PostFormValue("contact_email")); err != nil {
		return err
	}
	return redirect(w, r, withFlash("/agencies/"+strconv.FormatInt(id, 10), "flash.saved"))
}

func (h *Handler) agencyMerge(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	into, err := h.agencies.AgencyByCode(r.Context(), r.PostFormValue("into_code"))
	if err != nil {
		return err
	}
	if err := h.agencies.MergeAgency(r.Context(), id, into.ID, r.PostFormValue("note")); err != nil {
		return err
	}
	return redirect(w, r, withFlash("/agencies/"+strconv.FormatInt(id, 10), "flash.saved"))
}

// bodyComposition is one body and who sits on it on a date.
type bodyComposition struct {
	Body    agency.Body
	Members []agency.Membership
}

type subcommitteePage struct {
	Page
	On     string
	Bodies []bodyComposition
}

// subcommittee is "the subcommittee today": every body's composition on a
// date (today by default).
func (h *Handler) subcommittee(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	on := r.URL.Query().Get("on")
	if on != "" {
		if _, err := time.Parse("2006-01-02", on); err != nil {
			return errs.Field("on", "must be a date YYYY-MM-DD")
		}
	} else {
		on = h.now().Format("2006-01-02")
	}
	bodies, err := h.agencies.ListBodies(r.Context())
	if err != nil {
		return err
	}
	var out []bodyComposition
	for _, b := range bodies {
		m, err := h.agencies.Composition(r.Context(), b.ID, on)
		if err != nil {
			return err
		}
		out = append(out, bodyComposition{Body: b, Members: m})
	}
	p := h.page(r, "", "subcommittee")
	p.Title = p.L.T("sub.title")
	return h.render(w, http.StatusOK, "subcommittee", subcommitteePage{Page: p, On: on, Bodies: out})
}

type bodyListPage struct {
	Page
	Bodies    []agency.Body
	Decisions []agency.Decision
	B         agency.Body
}

func (h *Handler) bodyList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	return h.renderBodies(w, r, http.StatusOK, agency.Body{}, nil)
}

func (h *Handler) renderBodies(w http.ResponseWriter, r *http.Request, status int, form agency.Body, ferr error) error {
	bodies, err := h.agencies.ListBodies(r.Context())
	if err != nil {
		return err
	}
	decs, _, err := h.agencies.ListDecisions(r.Context(), 200, 0)
	if err != nil {
		return err
	}
	p := h.page(r, "", "subcommittee")
	p.Title = p.L.T("body.list_title")
	if ferr != nil && !formError(&p, ferr) {
		return ferr
	}
	return h.render(w, status, "bodies", bodyListPage{Page: p, Bodies: bodies, Decisions: decs, B: form})
}

func (h *Handler) bodyCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	in := agency.Body{Code: strings.TrimSpace(r.PostFormValue("code")), NameVI: r.PostFormValue("name_vi"), NameEN: r.PostFormValue("name_en"),
		Kind: r.PostFormValue("kind"), DecisionID: formInt(r, "decision_id")}
	b, err := h.agencies.CreateBody(r.Context(), in)
	if err != nil {
		return h.renderBodies(w, r, http.StatusBadRequest, in, err)
	}
	return redirect(w, r, withFlash("/bodies/"+strconv.FormatInt(b.ID, 10), "flash.saved"))
}

type bodyPage struct {
	Page
	B         agency.Body
	Members   []agency.Membership
	Agencies  []agency.Agency
	Decisions []agency.Decision
	M         agency.Membership
	Roles     []string
	Today     string
}

func (h *Handler) bodyShow(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return h.renderBody(w, r, http.StatusOK, id, agency.Membership{}, nil)
}

var membershipRoles = []string{"head", "deputy_head", "member", "secretary"}

func (h *Handler) renderBody(w http.ResponseWriter, r *http.Request, status int, id int64, form agency.Membership, ferr error) error {
	b, err := h.agencies.GetBody(r.Context(), id)
	if err != nil {
		return err
	}
	ms, err := h.agencies.ListMemberships(r.Context(), id, true)
	if err != nil {
		return err
	}
	decs, _, err := h.agencies.ListDecisions(r.Context(), 200, 0)
	if err != nil {
		return err
	}
	p := h.page(r, b.NameVI, "subcommittee")
	if ferr != nil && !formError(&p, ferr) {
		return ferr
	}
	return h.render(w, status, "body", bodyPage{Page: p, B: b, Members: ms, Agencies: h.agencyOptions(r), Decisions: decs,
		M: form, Roles: membershipRoles, Today: h.now().Format("2006-01-02")})
}

func (h *Handler) membershipAppoint(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	in := agency.Membership{BodyID: id, PersonName: r.PostFormValue("person_name"), PersonTitle: r.PostFormValue("person_title"),
		AgencyID: formInt(r, "agency_id"), Role: r.PostFormValue("role"), DecisionID: formInt(r, "decision_id"), From: r.PostFormValue("from")}
	if _, err := h.agencies.Appoint(r.Context(), in); err != nil {
		return h.renderBody(w, r, http.StatusBadRequest, id, in, err)
	}
	return redirect(w, r, withFlash("/bodies/"+strconv.FormatInt(id, 10), "flash.saved"))
}

func (h *Handler) membershipEnd(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.agencies.EndMembership(r.Context(), id, r.PostFormValue("to"), formInt(r, "end_decision_id"), r.PostFormValue("reason")); err != nil {
		return err
	}
	back := safeNext(r.PostFormValue("back"))
	return redirect(w, r, withFlash(back, "flash.saved"))
}

type decisionListPage struct {
	Page
	Decisions []agency.Decision
	D         agency.Decision
	Pager     pager
}

func (h *Handler) decisionList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	return h.renderDecisions(w, r, http.StatusOK, agency.Decision{}, nil)
}

func (h *Handler) renderDecisions(w http.ResponseWriter, r *http.Request, status int, form agency.Decision, ferr error) error {
	off := offsetOf(r)
	decs, total, err := h.agencies.ListDecisions(r.Context(), pageSize, off)
	if err != nil {
		return err
	}
	p := h.page(r, "", "decisions")
	p.Title = p.L.T("decision.list_title")
	if ferr != nil && !formError(&p, ferr) {
		return ferr
	}
	return h.render(w, status, "decisions", decisionListPage{Page: p, Decisions: decs, D: form,
		Pager: pager{Total: total, Offset: off, Limit: pageSize, Base: "/decisions"}})
}

func (h *Handler) decisionCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	in := agency.Decision{Number: strings.TrimSpace(r.PostFormValue("number")), Date: r.PostFormValue("date"), Title: r.PostFormValue("title"),
		Kind: r.PostFormValue("kind"), Signer: r.PostFormValue("signer")}
	if _, err := h.agencies.CreateDecision(r.Context(), in); err != nil {
		return h.renderDecisions(w, r, http.StatusBadRequest, in, err)
	}
	return redirect(w, r, withFlash("/decisions", "flash.saved"))
}
