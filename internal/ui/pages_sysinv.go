package ui

import (
	"bytes"
	"encoding/json"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"bulwark/internal/access"
	"bulwark/internal/agency"
	"bulwark/internal/errs"
	"bulwark/internal/sysinv"
)

// The information systems pages (issue 7). Handlers translate forms to
// service calls; every access rule lives in internal/sysinv.

// SysinvLargeBodyRoutes are the page routes that take uploads.
func SysinvLargeBodyRoutes() []string {
	return []string{"POST /systems/{id}/documents", "POST /vulnerability-feeds"}
}

func (h *Handler) sysinvRoutes(handle func(string, handlerFunc)) {
	if h.systems == nil {
		return
	}
	handle("GET /systems", h.systemList)
	handle("GET /systems/new", h.systemNew)
	handle("POST /systems", h.systemCreate)
	handle("GET /systems/overview", h.systemOverview)
	handle("GET /systems/export", h.systemExport)
	handle("GET /systems/{id}", h.systemShow)
	handle("GET /systems/{id}/edit", h.systemEdit)
	handle("POST /systems/{id}", h.systemUpdate)
	handle("POST /systems/{id}/components", h.systemAddComponent)
	handle("GET /systems/{id}/components/{cid}/edit", h.systemEditComponent)
	handle("POST /systems/{id}/components/{cid}", h.systemUpdateComponent)
	handle("POST /systems/{id}/components/{cid}/delete", h.systemDeleteComponent)
	handle("POST /systems/{id}/dossier", h.systemDossierStep)
	handle("POST /systems/{id}/documents", h.systemUpload)
	handle("GET /systems/{id}/documents/{did}", h.systemDownload)
	handle("POST /systems/{id}/duties", h.systemRecordDuty)
	handle("GET /systems/{id}/checklist", h.systemChecklist)
	handle("POST /systems/{id}/checklist", h.systemSaveChecklist)
	handle("GET /checklist-items", h.checklistItems)
	handle("POST /checklist-items", h.checklistItemSave)
	handle("POST /checklist-items/{id}", h.checklistItemSave)
	handle("POST /findings/{id}", h.findingStatus)
	handle("GET /findings", h.findingList)
	handle("GET /duties", h.dutyList)
	handle("GET /vulnerability-feeds", h.feedPage)
	handle("POST /vulnerability-feeds", h.feedImport)
	handle("GET /vulnerability-feeds/{id}", h.feedRunPage)
}

func sysPath(id int64) string { return "/systems/" + strconv.FormatInt(id, 10) }

// sysOptions are the choice lists of the forms.
type sysOptions struct {
	Types, InfoClasses, Reaches, Statuses, ComponentKinds, DocumentKinds, Duties, FindingStatuses []string
	TLPs                                                                                          []access.TLP
	Levels                                                                                        []int
	Agencies                                                                                      []agency.Agency
}

func (h *Handler) sysOptions(r *http.Request) sysOptions {
	list, _, _ := h.agencies.ListAgencies(r.Context(), agency.AgencyFilter{Limit: 1000})
	return sysOptions{Types: sysinv.Types, InfoClasses: sysinv.InfoClasses, Reaches: sysinv.Reaches, Statuses: sysinv.Statuses,
		ComponentKinds: sysinv.ComponentKinds, DocumentKinds: sysinv.DocumentKinds, Duties: sysinv.Duties, FindingStatuses: sysinv.FindingStatuses,
		TLPs: []access.TLP{access.Green, access.Amber, access.AmberStrict}, Levels: []int{1, 2, 3, 4, 5}, Agencies: list}
}

type systemListPage struct {
	Page
	Systems []sysinv.System
	Q       string
	Level   int
	Pager   pager
}

func (h *Handler) systemList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	q := r.URL.Query()
	level, _ := strconv.Atoi(q.Get("level"))
	f := sysinv.SystemFilter{Query: q.Get("q"), Level: level, Limit: pageSize, Offset: offsetOf(r)}
	list, total, err := h.systems.ListSystems(r.Context(), f)
	if err != nil {
		return err
	}
	p := h.page(r, "", "systems")
	p.Title = p.L.T("sys.list_title")
	base := "/systems?" + url.Values{"q": {f.Query}, "level": {q.Get("level")}}.Encode()
	return h.render(w, http.StatusOK, "systems", systemListPage{Page: p, Systems: list, Q: f.Query, Level: level,
		Pager: pager{Total: total, Offset: f.Offset, Limit: pageSize, Base: base}})
}

type systemFormPage struct {
	Page
	S       sysinv.SystemInput
	ID      int64
	Opt     sysOptions
	Suggest sysinv.Suggestion
}

func (h *Handler) systemNew(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	p := h.page(r, "", "systems")
	p.Title = p.L.T("sys.new_title")
	in := sysinv.SystemInput{OwnerAgencyID: u.AgencyID, Status: "operating", AddressTLP: access.Amber, Type: "internal", InfoClass: "public", Reach: "agency"}
	return h.render(w, http.StatusOK, "system_form", systemFormPage{Page: p, S: in, Opt: h.sysOptions(r), Suggest: sysinv.Suggest(criteriaOf(in))})
}

func criteriaOf(in sysinv.SystemInput) sysinv.Criteria {
	return sysinv.Criteria{Type: in.Type, InfoClass: in.InfoClass, PersonalUsers: in.PersonalUsers, OnlineServiceLevel: in.OnlineServiceLevel,
		AlwaysOn: in.AlwaysOn, Reach: in.Reach, NationalCritical: in.NationalCritical}
}

func systemInput(r *http.Request) sysinv.SystemInput {
	atoi := func(name string) int { n, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue(name))); return n }
	return sysinv.SystemInput{
		Name: r.PostFormValue("name"), Description: r.PostFormValue("description"), OwnerAgencyID: formInt(r, "owner_agency_id"),
		OperatorAgencyID: formInt(r, "operator_agency_id"), OperatorProvider: r.PostFormValue("operator_provider"),
		OperatorContractEnd: r.PostFormValue("operator_contract_end"), SecurityUnit: r.PostFormValue("security_unit"),
		Type: r.PostFormValue("system_type"), InfoClass: r.PostFormValue("info_class"), PersonalUsers: atoi("personal_users"),
		OnlineServiceLevel: atoi("online_service_level"), AlwaysOn: r.PostFormValue("always_on") == "1", Reach: r.PostFormValue("reach"),
		ProposedLevel: atoi("proposed_level"), NationalCritical: r.PostFormValue("national_critical") == "1",
		SecurityPlan: r.PostFormValue("security_plan"), IRPlan: r.PostFormValue("ir_plan"), LastDrillDate: r.PostFormValue("last_drill_date"),
		Contacts: r.PostFormValue("contacts"), Status: r.PostFormValue("status"), AddressTLP: access.TLP(r.PostFormValue("address_tlp")),
	}
}

func (h *Handler) systemCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	in := systemInput(r)
	sys, err := h.systems.CreateSystem(r.Context(), in)
	if err != nil {
		p := h.page(r, "", "systems")
		p.Title = p.L.T("sys.new_title")
		if !formError(&p, err) {
			return err
		}
		return h.render(w, http.StatusBadRequest, "system_form", systemFormPage{Page: p, S: in, Opt: h.sysOptions(r), Suggest: sysinv.Suggest(criteriaOf(in))})
	}
	return redirect(w, r, withFlash(sysPath(sys.ID), "flash.saved"))
}

func (h *Handler) systemEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sys, err := h.systems.GetSystem(r.Context(), id)
	if err != nil {
		return err
	}
	in := sysinv.SystemInput{Name: sys.Name, Description: sys.Description, OwnerAgencyID: sys.OwnerAgencyID, OperatorAgencyID: sys.OperatorAgencyID,
		OperatorProvider: sys.OperatorProvider, OperatorContractEnd: sys.OperatorContractEnd, SecurityUnit: sys.SecurityUnit, Type: sys.Type,
		InfoClass: sys.InfoClass, PersonalUsers: sys.PersonalUsers, OnlineServiceLevel: sys.OnlineServiceLevel, AlwaysOn: sys.AlwaysOn,
		Reach: sys.Reach, ProposedLevel: sys.ProposedLevel, NationalCritical: sys.NationalCritical, SecurityPlan: sys.SecurityPlan,
		IRPlan: sys.IRPlan, LastDrillDate: sys.LastDrillDate, Contacts: sys.Contacts, Status: sys.Status, AddressTLP: sys.AddressTLP}
	p := h.page(r, sys.Name, "systems")
	return h.render(w, http.StatusOK, "system_form", systemFormPage{Page: p, S: in, ID: id, Opt: h.sysOptions(r), Suggest: sys.Suggested})
}

func (h *Handler) systemUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	in := systemInput(r)
	if _, err := h.systems.UpdateSystem(r.Context(), id, in); err != nil {
		p := h.page(r, in.Name, "systems")
		if !formError(&p, err) {
			return err
		}
		return h.render(w, http.StatusBadRequest, "system_form", systemFormPage{Page: p, S: in, ID: id, Opt: h.sysOptions(r), Suggest: sysinv.Suggest(criteriaOf(in))})
	}
	return redirect(w, r, withFlash(sysPath(id), "flash.saved"))
}

type systemPage struct {
	Page
	S          sysinv.System
	Risk       sysinv.SystemRow
	Components []sysinv.Component
	Findings   []sysinv.Finding
	Dossier    sysinv.Dossier
	Duties     []sysinv.DutyStatus
	Opt        sysOptions
	CanEdit    bool
	Appraiser  string
	Approver   string
	// Incidents are the newest incidents on the system the user may see;
	// IncidentTotal how many the user sees in all.
	Incidents     []sysinv.IncidentBrief
	IncidentTotal int
}

func (h *Handler) systemShow(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sys, err := h.systems.GetSystem(ctx, id)
	if err != nil {
		return err
	}
	data := systemPage{S: sys, Opt: h.sysOptions(r), CanEdit: access.CanEditSystem(u, sys.OwnerAgencyID)}
	if data.Risk, err = h.systems.SystemRisk(ctx, id); err != nil {
		return err
	}
	if data.Components, err = h.systems.Components(ctx, id); err != nil {
		return err
	}
	if data.Findings, _, err = h.systems.ListFindings(ctx, sysinv.FindingFilter{SystemID: id, Limit: 500}); err != nil {
		return err
	}
	if data.Dossier, err = h.systems.GetDossier(ctx, id); err != nil {
		return err
	}
	if data.Duties, err = h.systems.SystemDuties(ctx, id); err != nil {
		return err
	}
	if data.Incidents, data.IncidentTotal, err = h.systems.RecentIncidents(ctx, id, 10); err != nil {
		return err
	}
	data.Page = h.page(r, sys.Name, "systems")
	data.Page.Error = r.URL.Query().Get("error")
	return h.render(w, http.StatusOK, "system", data)
}

// showWithError renders the system page again with an error from one of
// its forms (so a refused step says why next to the system).
func (h *Handler) showWithError(w http.ResponseWriter, r *http.Request, err error) error {
	if errs.KindOf(err) != errs.Invalid && errs.KindOf(err) != errs.Conflict {
		return err
	}
	id, _ := pathID(r)
	p := h.page(r, "", "systems")
	formError(&p, err)
	return redirect(w, r, sysPath(id)+"?error="+url.QueryEscape(p.Error)+"#"+errs.FieldOf(err))
}

func (h *Handler) systemAddComponent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := h.systems.AddComponent(r.Context(), id, componentInput(r)); err != nil {
		return h.showWithError(w, r, err)
	}
	return redirect(w, r, withFlash(sysPath(id), "flash.saved")+"#components")
}

func (h *Handler) systemDeleteComponent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	cid, err := strconv.ParseInt(r.PathValue("cid"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "not found")
	}
	if err := h.systems.DeleteComponent(r.Context(), id, cid); err != nil {
		return err
	}
	return redirect(w, r, withFlash(sysPath(id), "flash.saved")+"#components")
}

func (h *Handler) systemDossierStep(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	st := sysinv.Step{Action: r.PostFormValue("action"), Note: r.PostFormValue("note"), DecisionNumber: r.PostFormValue("decision_number"),
		DecisionDate: r.PostFormValue("decision_date"), DecisionSigner: r.PostFormValue("decision_signer")}
	if _, err := h.systems.Advance(r.Context(), id, st); err != nil {
		return h.showWithError(w, r, err)
	}
	return redirect(w, r, withFlash(sysPath(id), "flash.saved")+"#dossier")
}

func (h *Handler) systemUpload(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	mr, err := multipartFrom(r)
	if err != nil {
		return err
	}
	part, fields, err := nextFilePart(mr)
	if err != nil {
		return h.showWithError(w, r, err)
	}
	if _, err := h.systems.AttachDocument(r.Context(), id, fields["kind"], part.FileName(), part.Header.Get("Content-Type"), part); err != nil {
		return h.showWithError(w, r, err)
	}
	return redirect(w, r, withFlash(sysPath(id), "flash.saved")+"#dossier")
}

func (h *Handler) systemDownload(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	did, err := strconv.ParseInt(r.PathValue("did"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "not found")
	}
	d, rc, err := h.systems.OpenDocument(r.Context(), id, did)
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = io.Copy(w, rc)
	return err
}

func (h *Handler) systemRecordDuty(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d := sysinv.DutyRecord{Duty: r.PostFormValue("duty"), DoneOn: r.PostFormValue("done_on"), Note: r.PostFormValue("note")}
	if _, err := h.systems.RecordDuty(r.Context(), id, d); err != nil {
		return h.showWithError(w, r, err)
	}
	return redirect(w, r, withFlash(sysPath(id), "flash.saved")+"#duties")
}

type systemChecklistPage struct {
	Page
	S          sysinv.System
	Answers    []sysinv.Answer
	Compliance sysinv.Compliance
	CanEdit    bool
	// CanEditItems: the user may change the checklist itself.
	CanEditItems bool
}

func (h *Handler) systemChecklist(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sys, err := h.systems.GetSystem(r.Context(), id)
	if err != nil {
		return err
	}
	answers, c, err := h.systems.SystemChecklist(r.Context(), id)
	if err != nil {
		return err
	}
	p := h.page(r, sys.Name, "systems")
	return h.render(w, http.StatusOK, "system_checklist", systemChecklistPage{Page: p, S: sys, Answers: answers, Compliance: c,
		CanEdit: access.CanEditSystem(u, sys.OwnerAgencyID), CanEditItems: access.CanEditChecklist(u)})
}

func (h *Handler) systemSaveChecklist(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "malformed form")
	}
	var in []sysinv.AnswerInput
	for _, raw := range r.PostForm["item"] {
		iid, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			continue
		}
		in = append(in, sysinv.AnswerInput{ItemID: iid, Met: r.PostFormValue("met_"+raw) == "1", Evidence: r.PostFormValue("evidence_" + raw)})
	}
	if _, err := h.systems.SaveAnswers(r.Context(), id, in); err != nil {
		return err
	}
	return redirect(w, r, withFlash(sysPath(id)+"/checklist", "flash.saved"))
}

func (h *Handler) findingStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := h.systems.SetFindingStatus(r.Context(), id, sysinv.FindingUpdate{Status: r.PostFormValue("status"), Reason: r.PostFormValue("reason")})
	back := safeNext(r.PostFormValue("next"))
	if err != nil {
		if errs.KindOf(err) == errs.Invalid && back != "/" {
			return redirect(w, r, back+"?error="+url.QueryEscape(h.cat.For(h.lang(r)).Error(err))+"#findings")
		}
		return err
	}
	if back == "/" {
		back = sysPath(f.SystemID)
	}
	return redirect(w, r, withFlash(back, "flash.saved")+"#findings")
}

type findingListPage struct {
	Page
	Findings []sysinv.Finding
	Total    int
	KEV      bool
	Open     bool
	Level    int
	Opt      sysOptions
}

func (h *Handler) findingList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	q := r.URL.Query()
	level, _ := strconv.Atoi(q.Get("level"))
	f := sysinv.FindingFilter{KEV: q.Get("kev") == "1", Open: q.Get("all") != "1", Level: level, Limit: 500}
	list, total, err := h.systems.ListFindings(r.Context(), f)
	if err != nil {
		return err
	}
	p := h.page(r, "", "systems")
	p.Title = p.L.T("sys.findings_title")
	return h.render(w, http.StatusOK, "system_findings", findingListPage{Page: p, Findings: list, Total: total, KEV: f.KEV, Open: f.Open, Level: level, Opt: h.sysOptions(r)})
}

type dutyListPage struct {
	Page
	Duties []sysinv.DutyStatus
	All    bool
}

func (h *Handler) dutyList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	all := r.URL.Query().Get("all") == "1"
	list, err := h.systems.DueDuties(r.Context(), sysinv.DutyFilter{All: all})
	if err != nil {
		return err
	}
	p := h.page(r, "", "systems")
	p.Title = p.L.T("sys.duties_title")
	return h.render(w, http.StatusOK, "system_duties", dutyListPage{Page: p, Duties: list, All: all})
}

type levelCount struct{ Level, Count int }

type overviewPage struct {
	Page
	V      sysinv.ProvinceView
	Counts []levelCount
	Sort   string
	Chart  template.JS
	Level  template.JS
}

type chartData struct {
	Labels []string  `json:"labels"`
	Values []float64 `json:"values"`
	Label  string    `json:"label"`
}

func (h *Handler) systemOverview(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	sortBy := r.URL.Query().Get("sort")
	switch sortBy {
	case "risk", "level", "name", "agency":
	default:
		sortBy = "risk"
	}
	v, err := h.systems.Overview(r.Context(), 0, sortBy)
	if err != nil {
		return err
	}
	p := h.page(r, "", "systems")
	p.Title = p.L.T("sys.overview_title")
	risk := chartData{Label: p.L.T("sys.chart_risk")}
	for _, a := range v.Agencies {
		risk.Labels = append(risk.Labels, a.Agency)
		risk.Values = append(risk.Values, a.Risk)
	}
	levels := chartData{Label: p.L.T("sys.chart_levels")}
	var counts []levelCount
	for l := 1; l <= 5; l++ {
		counts = append(counts, levelCount{l, v.ByLevel[l]})
		levels.Labels = append(levels.Labels, p.L.T("sys.level_n", l))
		levels.Values = append(levels.Values, float64(v.ByLevel[l]))
	}
	return h.render(w, http.StatusOK, "systems_overview", overviewPage{Page: p, V: v, Counts: counts, Sort: sortBy, Chart: jsonJS(risk), Level: jsonJS(levels)})
}

// jsonJS encodes v for a <script type="application/json"> block;
// html/template escapes it for that context.
func jsonJS(v any) template.JS {
	b, _ := json.Marshal(v)
	return template.JS(b)
}

func (h *Handler) systemExport(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	var buf bytes.Buffer
	name := "he-thong-" + h.now().Format("20060102")
	if r.URL.Query().Get("format") == "xlsx" {
		if err := h.systems.ExportXLSX(r.Context(), &buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		name += ".xlsx"
	} else {
		if err := h.systems.ExportCSV(r.Context(), &buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		name += ".csv"
	}
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	_, err := w.Write(buf.Bytes())
	return err
}

type feedPage struct {
	Page
	Runs  []sysinv.FeedRun
	Stats sysinv.VulnStats
	Last  *sysinv.FeedRun
}

func (h *Handler) feedPage(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	runs, err := h.systems.FeedRuns(r.Context(), 20)
	if err != nil {
		return err
	}
	st, err := h.systems.CatalogueStats(r.Context())
	if err != nil {
		return err
	}
	p := h.page(r, "", "systems")
	p.Title = p.L.T("sys.feeds_title")
	p.Error = r.URL.Query().Get("error")
	data := feedPage{Page: p, Runs: runs, Stats: st}
	if len(runs) > 0 {
		data.Last = &runs[0]
	}
	return h.render(w, http.StatusOK, "system_feeds", data)
}

// feedImport takes the upload form (multipart, streamed) or the URL form.
func (h *Handler) feedImport(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	var err error
	if isMultipart(r) {
		// The upload is spooled to disk and imported in the background;
		// the run's page follows it.
		var run sysinv.FeedRun
		if run, err = h.spoolFeed(r); err == nil {
			return redirect(w, r, "/vulnerability-feeds/"+strconv.FormatInt(run.ID, 10))
		}
	} else {
		_, err = h.systems.ImportFeedURL(r.Context(), r.PostFormValue("kind"), r.PostFormValue("url"))
	}
	if err != nil {
		k := errs.KindOf(err)
		if k == errs.Invalid || k == errs.Unavailable || k == errs.TooLarge {
			return redirect(w, r, "/vulnerability-feeds?error="+url.QueryEscape(h.cat.For(h.lang(r)).Error(err)))
		}
		return err
	}
	return redirect(w, r, withFlash("/vulnerability-feeds", "sys.feed_imported"))
}
