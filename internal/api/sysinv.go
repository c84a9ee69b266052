package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/errs"
	"bulwark/internal/sysinv"
)

// The information systems capability's operations (issue 7).

// SysinvLargeBodyRoutes are the routes that take file uploads (dossier
// documents, vulnerability feeds), which the app serves with a larger
// body limit than MaxBody.
func SysinvLargeBodyRoutes() []string {
	return []string{"POST /api/v1/vulnerability-feeds", "POST /api/v1/systems/{id}/documents"}
}

var systemListParams = []Param{
	{"q", "string", "search in name and description"}, {"agency_id", "integer", "owner agency"},
	{"level", "integer", "level in force, 1–5"}, {"status", "string", "planned, operating, retired"},
}

var findingParams = []Param{
	{"status", "string", "open, mitigated, accepted, false_positive, fixed"}, {"open", "boolean", "open and mitigated only"},
	{"kev", "boolean", "known-exploited only"}, {"level", "integer", "systems of this level"}, {"min_level", "integer", "systems of at least this level"},
	{"agency_id", "integer", "owner agency"},
}

type systemPage = Page[sysinv.System]

type checklistJSON struct {
	Answers    []sysinv.Answer   `json:"answers"`
	Compliance sysinv.Compliance `json:"compliance"`
}

type feedURLJSON struct {
	Kind string `json:"kind"` // nvd, kev or empty (detect)
	URL  string `json:"url"`
}

func (h *Handler) sysinvRoutes() []Route {
	if h.systems == nil {
		return nil
	}
	const tag = "systems"
	return []Route{
		{Method: "GET", Path: "/api/v1/systems", Summary: "List information systems the caller sees (own agency; coordinators all)", Tag: tag, Query: append(append([]Param{}, systemListParams...), pageParams...), Response: systemPage{}, fn: h.listSystems},
		{Method: "POST", Path: "/api/v1/systems", Summary: "Record a system (owner agency defaults to the caller's)", Tag: tag, Body: sysinv.SystemInput{}, Response: sysinv.System{}, Status: 201, fn: h.createSystem},
		{Method: "POST", Path: "/api/v1/systems/suggest-level", Summary: "The level the criteria suggest, with reasons (advice only)", Tag: tag, Body: sysinv.Criteria{}, Response: sysinv.Suggestion{}, fn: h.suggestLevel},
		{Method: "GET", Path: "/api/v1/systems/overview", Summary: "Systems with risk score and compliance, and sums per agency", Tag: tag, Query: []Param{{"agency_id", "integer", "one agency"}, {"sort", "string", "risk (default), level, name, agency"}}, Response: sysinv.ProvinceView{}, fn: h.systemOverview},
		{Method: "GET", Path: "/api/v1/systems/lookup", Summary: "Which systems an IP address or domain belongs to", Tag: tag, Query: []Param{{"value", "string", "IP address or domain name"}}, Response: []sysinv.Hit{}, fn: h.lookupSystem},
		{Method: "GET", Path: "/api/v1/systems/export", Summary: "Export the inventory as CSV or XLSX", Tag: tag, Query: []Param{{"format", "string", "csv (default) or xlsx"}}, fn: h.exportSystems},
		{Method: "GET", Path: "/api/v1/systems/{id}", Summary: "Get a system with its suggested level", Tag: tag, Response: sysinv.System{}, fn: byID(h.systems.GetSystem)},
		{Method: "PUT", Path: "/api/v1/systems/{id}", Summary: "Edit a system's record", Tag: tag, Body: sysinv.SystemInput{}, Response: sysinv.System{}, fn: h.updateSystem},
		{Method: "GET", Path: "/api/v1/systems/{id}/risk", Summary: "A system's risk score and compliance", Tag: tag, Response: sysinv.SystemRow{}, fn: byID(h.systems.SystemRisk)},
		{Method: "GET", Path: "/api/v1/systems/{id}/components", Summary: "Components of a system (addresses hidden by the system's address TLP)", Tag: tag, Response: []sysinv.Component{}, fn: listByID(h.systems.Components)},
		{Method: "POST", Path: "/api/v1/systems/{id}/components", Summary: "Add a component (addresses normalised, CPE checked, matched at once)", Tag: tag, Body: sysinv.ComponentInput{}, Response: sysinv.Component{}, Status: 201, fn: h.addComponent},
		{Method: "PUT", Path: "/api/v1/systems/{id}/components/{cid}", Summary: "Replace a component", Tag: tag, Body: sysinv.ComponentInput{}, Response: sysinv.Component{}, fn: h.updateComponent},
		{Method: "DELETE", Path: "/api/v1/systems/{id}/components/{cid}", Summary: "Remove a component and its findings", Tag: tag, Status: 204, fn: h.deleteComponent},
		{Method: "GET", Path: "/api/v1/systems/{id}/findings", Summary: "Vulnerability findings of a system", Tag: tag, Query: append(append([]Param{}, findingParams[:3]...), pageParams...), Response: Page[sysinv.Finding]{}, fn: h.systemFindings},
		{Method: "GET", Path: "/api/v1/findings", Summary: "Findings across the systems the caller sees (e.g. kev=true&level=3&open=true)", Tag: tag, Query: append(append([]Param{}, findingParams...), pageParams...), Response: Page[sysinv.Finding]{}, fn: h.listFindings},
		{Method: "PUT", Path: "/api/v1/findings/{id}", Summary: "Set a finding's status (accepted needs a reason and the owner's coordinator)", Tag: tag, Body: sysinv.FindingUpdate{}, Response: sysinv.Finding{}, fn: h.setFinding},
		{Method: "GET", Path: "/api/v1/systems/{id}/dossier", Summary: "The level dossier: status, bodies, deadline, history, documents", Tag: tag, Response: sysinv.Dossier{}, fn: h.getDossier},
		{Method: "POST", Path: "/api/v1/systems/{id}/dossier", Summary: "Move the dossier: submit, start_appraisal, appraised, approve, return", Tag: tag, Body: sysinv.Step{}, Response: sysinv.Dossier{}, fn: h.advanceDossier},
		{Method: "POST", Path: "/api/v1/systems/{id}/documents", Summary: "Attach a document (raw body, ?name=&kind=)", Tag: tag, Query: []Param{{"name", "string", "file name"}, {"kind", "string", "dossier, appraisal, decision, security_plan, ir_plan, other"}}, Response: sysinv.Document{}, Status: 201, fn: h.attachSystemDocument},
		{Method: "GET", Path: "/api/v1/systems/{id}/documents/{did}", Summary: "Download a document (as an attachment)", Tag: tag, fn: h.downloadSystemDocument},
		{Method: "GET", Path: "/api/v1/systems/{id}/duties", Summary: "Recurring duties of a system with next due dates", Tag: tag, Response: []sysinv.DutyStatus{}, fn: listByID(h.systems.SystemDuties)},
		{Method: "POST", Path: "/api/v1/systems/{id}/duties", Summary: "Record a duty done (risk_assessment, monitoring_report, annual_report_unit, annual_report_owner)", Tag: tag, Body: sysinv.DutyRecord{}, Response: []sysinv.DutyStatus{}, Status: 201, fn: h.recordDuty},
		{Method: "GET", Path: "/api/v1/duties", Summary: "Duties due soon or overdue over the systems the caller sees", Tag: tag, Query: []Param{{"agency_id", "integer", "one agency"}, {"all", "boolean", "include duties not yet due soon"}}, Response: []sysinv.DutyStatus{}, fn: h.dueDuties},
		{Method: "GET", Path: "/api/v1/systems/{id}/checklist", Summary: "The requirement checklist at the system's level, with compliance", Tag: tag, Response: checklistJSON{}, fn: h.systemChecklist},
		{Method: "PUT", Path: "/api/v1/systems/{id}/checklist", Summary: "Record which items are met, with evidence", Tag: tag, Body: []sysinv.AnswerInput{}, Response: sysinv.Compliance{}, fn: h.saveChecklist},
		{Method: "GET", Path: "/api/v1/checklist-items", Summary: "The Circular 12/2022 requirement checklist (a summary, not the legal text)", Tag: tag, Query: []Param{{"all", "boolean", "include inactive items"}}, Response: []sysinv.ChecklistItem{}, fn: h.checklistItems},
		{Method: "POST", Path: "/api/v1/checklist-items", Summary: "Add a checklist item (province coordinators)", Tag: tag, Body: sysinv.ChecklistItem{}, Response: sysinv.ChecklistItem{}, Status: 201, fn: h.saveChecklistItem},
		{Method: "PUT", Path: "/api/v1/checklist-items/{id}", Summary: "Edit a checklist item (province coordinators)", Tag: tag, Body: sysinv.ChecklistItem{}, Response: sysinv.ChecklistItem{}, fn: h.saveChecklistItem},
		{Method: "GET", Path: "/api/v1/vulnerability-feeds", Summary: "Latest NVD/KEV imports with their reports (coordinators)", Tag: tag, Response: []sysinv.FeedRun{}, fn: h.feedRuns},
		{Method: "GET", Path: "/api/v1/vulnerability-feeds/{id}", Summary: "One NVD/KEV import, running (records and bytes read so far) or finished (coordinators)", Tag: tag, Response: sysinv.FeedRun{}, fn: byID(h.systems.GetFeedRun)},
		{Method: "POST", Path: "/api/v1/vulnerability-feeds", Summary: "Import an NVD CVE JSON 2.0 or CISA KEV file: raw body (?kind=&name=, gzip accepted) or JSON {kind, url}", Tag: tag, Query: []Param{{"kind", "string", "nvd, kev or empty to detect"}, {"name", "string", "file name, for the report"}}, Body: feedURLJSON{}, Response: sysinv.FeedRun{}, Status: 201, fn: h.importFeed},
		{Method: "GET", Path: "/api/v1/vulnerabilities/{cve}", Summary: "A catalogue entry (CVSS, known-exploited data)", Tag: tag, Response: sysinv.Vulnerability{}, fn: h.getVulnerability},
		{Method: "GET", Path: "/api/v1/system-figures", Summary: "Figures for the annual report: systems by level, approvals, assessments on time, findings fixed", Tag: tag, Query: []Param{{"year", "integer", "year (default: this year)"}}, Response: sysinv.AnnualFigures{}, fn: h.systemFigures},
	}
}

func sysQueryInt(r *http.Request, name string) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1<<30 {
		return 0, errs.Field(name, "must be a whole number")
	}
	return n, nil
}

func sysQueryBool(r *http.Request, name string) (bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, errs.Field(name, "must be true or false")
	}
	return b, nil
}

func (h *Handler) listSystems(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	f := sysinv.SystemFilter{Query: r.URL.Query().Get("q"), Status: r.URL.Query().Get("status"), Limit: limit, Offset: offset}
	agency, err := sysQueryInt(r, "agency_id")
	if err != nil {
		return err
	}
	f.AgencyID = int64(agency)
	if f.Level, err = sysQueryInt(r, "level"); err != nil {
		return err
	}
	list, total, err := h.systems.ListSystems(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, systemPage{Items: nonNil(list), Total: total, Limit: limit, Offset: offset})
}

func (h *Handler) createSystem(w http.ResponseWriter, r *http.Request) error {
	var in sysinv.SystemInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	sys, err := h.systems.CreateSystem(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, sys)
}

func (h *Handler) suggestLevel(w http.ResponseWriter, r *http.Request) error {
	var c sysinv.Criteria
	if err := Decode(r.Body, &c); err != nil {
		return err
	}
	s, err := h.systems.SuggestFor(r.Context(), c)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s)
}

func (h *Handler) systemOverview(w http.ResponseWriter, r *http.Request) error {
	agency, err := sysQueryInt(r, "agency_id")
	if err != nil {
		return err
	}
	sortBy := r.URL.Query().Get("sort")
	switch sortBy {
	case "", "risk", "level", "name", "agency":
	default:
		return errs.Field("sort", "must be risk, level, name or agency")
	}
	pv, err := h.systems.Overview(r.Context(), int64(agency), sortBy)
	if err != nil {
		return err
	}
	pv.Rows, pv.Agencies = nonNil(pv.Rows), nonNil(pv.Agencies)
	return writeJSON(w, http.StatusOK, pv)
}

func (h *Handler) lookupSystem(w http.ResponseWriter, r *http.Request) error {
	hits, err := h.systems.Lookup(r.Context(), r.URL.Query().Get("value"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(hits))
}

func (h *Handler) exportSystems(w http.ResponseWriter, r *http.Request) error {
	var buf bytes.Buffer
	name := "systems-" + time.Now().Format("20060102")
	switch r.URL.Query().Get("format") {
	case "", "csv":
		if err := h.systems.ExportCSV(r.Context(), &buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		name += ".csv"
	case "xlsx":
		if err := h.systems.ExportXLSX(r.Context(), &buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		name += ".xlsx"
	default:
		return errs.Field("format", "must be csv or xlsx")
	}
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(buf.Bytes())
	return err
}

func (h *Handler) updateSystem(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in sysinv.SystemInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	sys, err := h.systems.UpdateSystem(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sys)
}

func (h *Handler) addComponent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in sysinv.ComponentInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	c, err := h.systems.AddComponent(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (h *Handler) updateComponent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	cid, err := pathInt(r, "cid")
	if err != nil {
		return err
	}
	var in sysinv.ComponentInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	c, err := h.systems.UpdateComponent(r.Context(), id, cid, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (h *Handler) deleteComponent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	cid, err := pathInt(r, "cid")
	if err != nil {
		return err
	}
	if err := h.systems.DeleteComponent(r.Context(), id, cid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func findingFilter(r *http.Request) (sysinv.FindingFilter, error) {
	f := sysinv.FindingFilter{Status: r.URL.Query().Get("status")}
	var err error
	if f.Open, err = sysQueryBool(r, "open"); err != nil {
		return f, err
	}
	if f.KEV, err = sysQueryBool(r, "kev"); err != nil {
		return f, err
	}
	if f.Level, err = sysQueryInt(r, "level"); err != nil {
		return f, err
	}
	if f.MinLevel, err = sysQueryInt(r, "min_level"); err != nil {
		return f, err
	}
	agency, err := sysQueryInt(r, "agency_id")
	f.AgencyID = int64(agency)
	if err != nil {
		return f, err
	}
	f.Limit, f.Offset, err = paging(r)
	return f, err
}

func (h *Handler) writeFindings(w http.ResponseWriter, r *http.Request, f sysinv.FindingFilter) error {
	list, total, err := h.systems.ListFindings(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Page[sysinv.Finding]{Items: nonNil(list), Total: total, Limit: f.Limit, Offset: f.Offset})
}

func (h *Handler) systemFindings(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	f, err := findingFilter(r)
	if err != nil {
		return err
	}
	f.SystemID = id
	return h.writeFindings(w, r, f)
}

func (h *Handler) listFindings(w http.ResponseWriter, r *http.Request) error {
	f, err := findingFilter(r)
	if err != nil {
		return err
	}
	return h.writeFindings(w, r, f)
}

func (h *Handler) setFinding(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var u sysinv.FindingUpdate
	if err := Decode(r.Body, &u); err != nil {
		return err
	}
	f, err := h.systems.SetFindingStatus(r.Context(), id, u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (h *Handler) getDossier(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	d, err := h.systems.GetDossier(r.Context(), id)
	if err != nil {
		return err
	}
	d.Events, d.Documents, d.Next = nonNil(d.Events), nonNil(d.Documents), nonNil(d.Next)
	return writeJSON(w, http.StatusOK, d)
}

func (h *Handler) advanceDossier(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var st sysinv.Step
	if err := Decode(r.Body, &st); err != nil {
		return err
	}
	d, err := h.systems.Advance(r.Context(), id, st)
	if err != nil {
		return err
	}
	d.Events, d.Documents, d.Next = nonNil(d.Events), nonNil(d.Documents), nonNil(d.Next)
	return writeJSON(w, http.StatusOK, d)
}

func (h *Handler) attachSystemDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d, err := h.systems.AttachDocument(r.Context(), id, q.Get("kind"), q.Get("name"), r.Header.Get("Content-Type"), r.Body)
	if err != nil {
		return sysUploadError(err)
	}
	return writeJSON(w, http.StatusCreated, d)
}

func sysUploadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errs.E(errs.TooLarge, "the file is larger than the limit of %d bytes", mbe.Limit)
	}
	return err
}

func (h *Handler) downloadSystemDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	did, err := pathInt(r, "did")
	if err != nil {
		return err
	}
	d, rc, err := h.systems.OpenDocument(r.Context(), id, did)
	if err != nil {
		return err
	}
	defer rc.Close()
	// Always an attachment with a neutral type: documents come from users.
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.FormatInt(d.Size, 10))
	_, err = io.Copy(w, rc)
	return err
}

func (h *Handler) recordDuty(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var d sysinv.DutyRecord
	if err := Decode(r.Body, &d); err != nil {
		return err
	}
	list, err := h.systems.RecordDuty(r.Context(), id, d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, nonNil(list))
}

func (h *Handler) dueDuties(w http.ResponseWriter, r *http.Request) error {
	agency, err := sysQueryInt(r, "agency_id")
	if err != nil {
		return err
	}
	all, err := sysQueryBool(r, "all")
	if err != nil {
		return err
	}
	list, err := h.systems.DueDuties(r.Context(), sysinv.DutyFilter{AgencyID: int64(agency), All: all})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(list))
}

func (h *Handler) systemChecklist(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	answers, c, err := h.systems.SystemChecklist(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, checklistJSON{Answers: nonNil(answers), Compliance: c})
}

func (h *Handler) saveChecklist(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in []sysinv.AnswerInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	c, err := h.systems.SaveAnswers(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (h *Handler) checklistItems(w http.ResponseWriter, r *http.Request) error {
	all, err := sysQueryBool(r, "all")
	if err != nil {
		return err
	}
	list, err := h.systems.ChecklistItems(r.Context(), all)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(list))
}

func (h *Handler) saveChecklistItem(w http.ResponseWriter, r *http.Request) error {
	var it sysinv.ChecklistItem
	if err := Decode(r.Body, &it); err != nil {
		return err
	}
	status := http.StatusCreated
	it.ID = 0
	if r.PathValue("id") != "" {
		id, err := pathInt(r, "id")
		if err != nil {
			return err
		}
		it.ID, status = id, http.StatusOK
	}
	saved, err := h.systems.SaveChecklistItem(r.Context(), it)
	if err != nil {
		return err
	}
	return writeJSON(w, status, saved)
}

func (h *Handler) feedRuns(w http.ResponseWriter, r *http.Request) error {
	list, err := h.systems.FeedRuns(r.Context(), 50)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(list))
}

// importFeed takes either a JSON body naming a URL, or the file itself as
// the raw body (streamed, never held whole).
func (h *Handler) importFeed(w http.ResponseWriter, r *http.Request) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var run sysinv.FeedRun
	var err error
	if mt == "application/json" && r.URL.Query().Get("name") == "" {
		var in feedURLJSON
		if err := Decode(io.LimitReader(r.Body, 64<<10), &in); err != nil {
			return err
		}
		if strings.TrimSpace(in.URL) == "" {
			return errs.Field("url", "is required (or send the file as the body with ?name=)")
		}
		run, err = h.systems.ImportFeedURL(r.Context(), in.Kind, in.URL)
	} else {
		q := r.URL.Query()
		name := q.Get("name")
		if name == "" {
			name = "upload"
		}
		run, err = h.systems.ImportFeed(r.Context(), q.Get("kind"), name, r.Body)
	}
	if err != nil {
		return sysUploadError(err)
	}
	if run.Status == "failed" && strings.Contains(run.Error, "larger than the limit") {
		return errs.E(errs.TooLarge, "%s", run.Error)
	}
	return writeJSON(w, http.StatusCreated, run)
}

func (h *Handler) getVulnerability(w http.ResponseWriter, r *http.Request) error {
	v, err := h.systems.GetVulnerability(r.Context(), r.PathValue("cve"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (h *Handler) systemFigures(w http.ResponseWriter, r *http.Request) error {
	year, err := sysQueryInt(r, "year")
	if err != nil {
		return err
	}
	if year == 0 {
		year = time.Now().Year()
	}
	f, err := h.systems.Annual(r.Context(), year)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}
