package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/agency"
	"bulwark/internal/errs"
	"bulwark/internal/i18n"
	"bulwark/internal/incident"
	"bulwark/internal/notify"
)

// The incident pages (issue 3).

// LargeBodyRoutes are the page routes that take uploads; the app serves
// them with the evidence size limit instead of the default body limit.
func LargeBodyRoutes() []string {
	return []string{"POST /incidents/{id}/files", "POST /incidents/{id}/reports/{rid}/document"}
}

func (h *Handler) incidentRoutes(handle func(string, handlerFunc)) {
	if h.incidents == nil {
		return
	}
	handle("GET /incidents", h.incidentList)
	handle("GET /incidents/export", h.incidentExport)
	handle("GET /incidents/new", h.incidentNew)
	handle("POST /incidents", h.incidentCreate)
	handle("GET /incidents/{id}", h.incidentShow)
	handle("GET /incidents/{id}/edit", h.incidentEdit)
	handle("POST /incidents/{id}", h.incidentUpdate)
	handle("POST /incidents/{id}/status", h.incidentStatus)
	handle("POST /incidents/{id}/tasks", h.incidentAddTask)
	handle("POST /incidents/{id}/comments", h.incidentComment)
	handle("POST /incidents/{id}/comments/{jid}", h.incidentEditComment)
	handle("POST /incidents/{id}/observables", h.incidentAddObservable)
	handle("POST /incidents/{id}/observables/{oid}/indicator", h.incidentIndicator)
	handle("POST /incidents/{id}/files", h.incidentUpload)
	handle("GET /incidents/{id}/files/{fid}", h.incidentDownload)
	handle("POST /incidents/{id}/checklist/{cid}", h.incidentCheck)
	handle("POST /incidents/{id}/merge", h.incidentMerge)
	handle("POST /incidents/{id}/agencies", h.incidentAgenciesSave)
	handle("POST /incidents/{id}/people", h.incidentNamePerson)
	handle("POST /incidents/{id}/links", h.incidentLink)
	handle("GET /incidents/{id}/reports/new", h.incReportNew)
	handle("POST /incidents/{id}/reports", h.incReportCreate)
	handle("GET /incidents/{id}/reports/{rid}", h.incReportShow)
	handle("GET /incidents/{id}/reports/{rid}/pdf", h.incReportPDF)
	handle("POST /incidents/{id}/reports/{rid}/document", h.incReportUpload)
	handle("GET /incidents/{id}/reports/{rid}/document", h.incReportDocument)
	handle("POST /tasks/{id}", h.incTaskUpdate)
	handle("GET /tasks", h.incTaskList)
	handle("GET /incident-rules", h.incRuleList)
	handle("POST /incident-rules/{code}", h.incRuleUpdate)
	handle("GET /playbooks", h.incPlaybookList)
	handle("POST /playbooks/{code}", h.incPlaybookSave)
	handle("GET /incident-figures", h.incFiguresPage)
	handle("GET /notifications", h.incNotificationsPage)
	handle("POST /webhooks", h.incWebhookCreate)
	handle("GET /webhooks/{id}", h.incWebhookPage)
	handle("POST /webhooks/{id}/active", h.incWebhookActive)
}

// --- streamed multipart uploads and CSRF ---

func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

type multipartKey struct{}

// multipartCSRF reads the CSRF token from the first part of a multipart
// form (upload forms put it first) and keeps the reader for the handler, so
// the file that follows is streamed to the blob store instead of being
// parsed whole. A form whose first part is not the token gets no token,
// and is refused.
func multipartCSRF(r *http.Request) (string, *http.Request) {
	mr, err := r.MultipartReader()
	if err != nil {
		return "", r
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "csrf" {
		return "", r
	}
	b, err := io.ReadAll(io.LimitReader(part, 256))
	if err != nil {
		return "", r
	}
	return string(b), r.WithContext(context.WithValue(r.Context(), multipartKey{}, mr))
}

func multipartFrom(r *http.Request) (*multipart.Reader, error) {
	mr, _ := r.Context().Value(multipartKey{}).(*multipart.Reader)
	if mr == nil {
		return nil, errs.E(errs.Invalid, "send the file as multipart/form-data with the form's token first")
	}
	return mr, nil
}

// nextFilePart reads small text fields until the "file" part.
func nextFilePart(mr *multipart.Reader) (*multipart.Part, map[string]string, error) {
	fields := map[string]string{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, fields, errs.Field("file", "choose a file")
		}
		if err != nil {
			return nil, fields, errs.Wrap(errs.Invalid, err, "the upload was cut short")
		}
		if part.FormName() == "file" {
			if part.FileName() == "" {
				return nil, fields, errs.Field("file", "choose a file")
			}
			return part, fields, nil
		}
		b, err := io.ReadAll(io.LimitReader(part, 4096))
		if err != nil {
			return nil, fields, errs.Wrap(errs.Invalid, err, "the upload was cut short")
		}
		fields[part.FormName()] = string(b)
	}
}

// --- helpers ---

func (h *Handler) incidentPath(id int64) string { return "/incidents/" + strconv.FormatInt(id, 10) }

func incPathInt(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "not found")
	}
	return id, nil
}

// incLocalTime parses a datetime-local value in the province's zone.
func (h *Handler) incLocalTime(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, h.incidents.Location()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errs.Field(field, "must be a date and time")
}

func (h *Handler) incidentAgencies(r *http.Request) []agency.Agency {
	list, _, _ := h.agencies.ListAgencies(r.Context(), agency.AgencyFilter{Limit: 1000})
	return list
}

// incidentView is an incident with what the page needs around it.
type incFormData struct {
	Page
	In         incident.Input
	DetectedAt string
	ID         int64
	Categories []incident.Category
	Severities []incident.Severity
	TLPs       []access.TLP
	PAPs       []incident.PAP
	Effects    []incident.Effect
	Playbooks  []incident.Playbook
	Agencies   []agency.Agency
	Levels     []int
	// Systems are the inventory systems the user may link.
	Systems []incident.SystemRef
}

// Linked reports whether a system is chosen, for the form.
func (d incFormData) Linked(id int64) bool { return slices.Contains(d.In.SystemIDs, id) }

// Participates reports whether an agency is chosen to take part, for the
// form.
func (d incFormData) Participates(id int64) bool { return slices.Contains(d.In.Participants, id) }

func (h *Handler) incFormPage(r *http.Request, p Page, in incident.Input, id int64) incFormData {
	pbs, _ := h.incidents.Playbooks(r.Context(), false)
	det := ""
	if !in.DetectedAt.IsZero() {
		det = in.DetectedAt.In(h.incidents.Location()).Format("2006-01-02T15:04")
	}
	systems, err := h.incidents.LinkableSystems(r.Context())
	if err != nil {
		h.log.Warn("incident form: inventory systems", "err", err)
	}
	if id != 0 {
		// Systems linked by others stay offered (and ticked) even when
		// this user does not see them in the inventory.
		if inc, err := h.incidents.Get(incident.WithViewScope(r.Context()), id); err == nil {
			for _, x := range inc.Systems {
				if !slices.ContainsFunc(systems, func(y incident.SystemRef) bool { return y.ID == x.ID }) {
					systems = append(systems, x)
				}
			}
		}
	}
	return incFormData{Page: p, In: in, DetectedAt: det, ID: id, Categories: incident.Taxonomy, Severities: incident.Severities,
		TLPs: access.TLPs, PAPs: incident.PAPs, Effects: incident.Effects, Playbooks: pbs, Agencies: h.incidentAgencies(r), Levels: []int{0, 1, 2, 3, 4, 5},
		Systems: systems}
}

func (h *Handler) incFormInput(r *http.Request) (incident.Input, error) {
	if err := r.ParseForm(); err != nil {
		return incident.Input{}, err
	}
	f := r.PostForm
	level, _ := strconv.Atoi(f.Get("system_level"))
	in := incident.Input{
		Title: f.Get("title"), Description: f.Get("description"), Category: f.Get("category"), Severity: incident.Severity(f.Get("severity")),
		SystemLevel: level, BeyondCapacity: f.Get("beyond_capacity") == "1", TLP: access.TLP(f.Get("tlp")), PAP: incident.PAP(f.Get("pap")),
		ReporterName: f.Get("reporter_name"), ReporterContact: f.Get("reporter_contact"), Operator: f.Get("operator"),
		SystemOwner: f.Get("system_owner"), AffectedSystems: f.Get("affected_systems"), AffectedAddrs: f.Get("affected_addresses"),
		Provider: f.Get("provider"), ImpactHarm: f.Get("impact_harm"), ImpactSpread: f.Get("impact_spread"), ImpactOps: f.Get("impact_operations"),
		Measures: f.Get("measures"), Lessons: f.Get("lessons"), Playbook: f.Get("playbook"),
	}
	for _, e := range f["effects"] {
		in.Effects = append(in.Effects, incident.Effect(e))
	}
	if len(in.Effects) > 10 {
		in.Effects = in.Effects[:10]
	}
	for _, a := range f["participants"] {
		if id, err := strconv.ParseInt(a, 10, 64); err == nil && len(in.Participants) < 50 {
			in.Participants = append(in.Participants, id)
		}
	}
	for _, v := range f["system_ids"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && len(in.SystemIDs) < 50 {
			in.SystemIDs = append(in.SystemIDs, id)
		}
	}
	if v := f.Get("lead_agency_id"); v != "" {
		lead, err := strconv.ParseInt(v, 10, 64)
		if err != nil || lead <= 0 {
			return in, errs.Field("lead_agency_id", "choose an agency")
		}
		in.LeadAgencyID = lead
	}
	det, err := h.incLocalTime("detected_at", f.Get("detected_at"))
	in.DetectedAt = det
	return in, err
}

// --- list, export ---

type incListData struct {
	Page
	Items      []incident.Incident
	Total      int
	Pager      pager
	F          url.Values
	Statuses   []incident.Status
	Severities []incident.Severity
	Classes    []string
	Agencies   []agency.Agency
	ExportCSV  string
	ExportXLSX string
}

func (h *Handler) incListFilter(r *http.Request) (incident.Filter, url.Values, error) {
	q := r.URL.Query()
	f := incident.Filter{Status: incident.Status(q.Get("status")), Severity: incident.Severity(q.Get("severity")), Category: q.Get("category"),
		Query: q.Get("q"), Overdue: q.Get("overdue") == "1", Serious: q.Get("serious") == "1"}
	f.AgencyID, _ = strconv.ParseInt(q.Get("agency"), 10, 64)
	var err error
	if f.From, err = h.incLocalTime("from", q.Get("from")); err != nil {
		return f, q, err
	}
	if f.To, err = h.incLocalTime("to", q.Get("to")); err != nil {
		return f, q, err
	}
	keep := url.Values{}
	for _, k := range []string{"status", "severity", "category", "q", "overdue", "serious", "agency", "from", "to"} {
		if v := q.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	return f, keep, nil
}

func incClasses() []string {
	var out []string
	for _, c := range incident.Taxonomy {
		if !slices.Contains(out, c.Class) {
			out = append(out, c.Class)
		}
	}
	return out
}

func (h *Handler) incidentList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	p := h.page(r, "", "incidents")
	p.Title = p.L.T("inc.list_title")
	f, keep, err := h.incListFilter(r)
	data := incListData{Page: p, F: keep, Statuses: incident.Statuses, Severities: incident.Severities, Classes: incClasses(), Agencies: h.incidentAgencies(r)}
	if err == nil {
		f.Limit, f.Offset = pageSize, offsetOf(r)
		data.Items, data.Total, err = h.incidents.List(r.Context(), f)
	}
	if err != nil {
		if !formError(&data.Page, err) {
			return err
		}
		return h.render(w, http.StatusBadRequest, "incidents", data)
	}
	data.Pager = pager{Total: data.Total, Offset: f.Offset, Limit: pageSize, Base: "/incidents?" + keep.Encode()}
	exp := url.Values{}
	for k, v := range keep {
		exp[k] = v
	}
	exp.Set("format", "csv")
	data.ExportCSV = "/incidents/export?" + exp.Encode()
	exp.Set("format", "xlsx")
	data.ExportXLSX = "/incidents/export?" + exp.Encode()
	return h.render(w, http.StatusOK, "incidents", data)
}

func (h *Handler) incidentExport(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	f, _, err := h.incListFilter(r)
	if err != nil {
		return err
	}
	var all []incident.Incident
	for f.Offset = 0; f.Offset < 10000; f.Offset += 500 {
		f.Limit = 500
		list, total, err := h.incidents.List(r.Context(), f)
		if err != nil {
			return err
		}
		all = append(all, list...)
		if f.Offset+len(list) >= total || len(list) == 0 {
			break
		}
	}
	var buf bytes.Buffer
	name := "su-co-" + h.now().In(h.incidents.Location()).Format("20060102")
	if r.URL.Query().Get("format") == "xlsx" {
		if err := incident.WriteXLSX(&buf, all, h.incidents.Location()); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		name += ".xlsx"
	} else {
		if err := incident.WriteCSV(&buf, all, h.incidents.Location()); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		name += ".csv"
	}
	incAttachment(w, name)
	_, err = w.Write(buf.Bytes())
	return err
}

// incAttachment makes a response a download that is never rendered.
func incAttachment(w http.ResponseWriter, name string) {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`incAttachment; filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(name)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
	w.Header().Set("Cache-Control", "no-store")
}

// --- create, edit ---

func (h *Handler) incidentNew(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	if !incident.CanReport(u) {
		return access.Deny("report an incident")
	}
	p := h.page(r, "", "incidents")
	p.Title = p.L.T("inc.new_title")
	in := incident.Input{Severity: incident.SeverityMedium, TLP: access.Amber, PAP: incident.PAPAmber, DetectedAt: h.now(), ReporterName: u.Name, ReporterContact: u.Email}
	for _, a := range h.incidentAgencies(r) {
		if a.Kind == "standing" && a.Active && in.LeadAgencyID == 0 {
			in.LeadAgencyID = a.ID // the default lead: the standing agency
		}
	}
	if pb := r.URL.Query().Get("playbook"); pb != "" {
		if got, err := h.incidents.Playbook(r.Context(), pb); err == nil {
			in.Playbook, in.Category, in.Severity = got.Code, got.Category, got.Severity
		}
	}
	return h.render(w, http.StatusOK, "incident_form", h.incFormPage(r, p, in, 0))
}

func (h *Handler) incidentCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	in, err := h.incFormInput(r)
	var inc incident.Incident
	if err == nil {
		inc, err = h.incidents.Create(r.Context(), in)
	}
	if err != nil {
		p := h.page(r, "", "incidents")
		p.Title = p.L.T("inc.new_title")
		if !formError(&p, err) {
			return err
		}
		return h.render(w, http.StatusBadRequest, "incident_form", h.incFormPage(r, p, in, 0))
	}
	return redirect(w, r, withFlash(h.incidentPath(inc.ID), "flash.saved"))
}

func incInputOf(inc incident.Incident) incident.Input {
	return incident.Input{Title: inc.Title, Description: inc.Description, Category: inc.Category, Severity: inc.Severity,
		SystemLevel: inc.SystemLevel, Effects: inc.Effects, BeyondCapacity: inc.Beyond, TLP: inc.TLP, PAP: inc.PAP,
		ReporterName: inc.ReporterName, ReporterContact: inc.ReporterContact, Operator: inc.Operator, SystemOwner: inc.SystemOwner,
		AffectedSystems: inc.AffectedSystems, AffectedAddrs: inc.AffectedAddrs, Provider: inc.Provider, ImpactHarm: inc.ImpactHarm,
		ImpactSpread: inc.ImpactSpread, ImpactOps: inc.ImpactOps, Measures: inc.Measures, Lessons: inc.Lessons, DetectedAt: inc.DetectedAt,
		SystemIDs: inc.SystemIDs()}
}

func (h *Handler) incidentEdit(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	inc, err := h.incidents.Get(r.Context(), id)
	if err != nil {
		return err
	}
	p := h.page(r, inc.Ref, "incidents")
	return h.render(w, http.StatusOK, "incident_form", h.incFormPage(r, p, incInputOf(inc), id))
}

func (h *Handler) incidentUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	in, err := h.incFormInput(r)
	if err == nil {
		_, err = h.incidents.Update(r.Context(), id, in)
	}
	if err != nil {
		p := h.page(r, "", "incidents")
		if !formError(&p, err) {
			return err
		}
		return h.render(w, http.StatusBadRequest, "incident_form", h.incFormPage(r, p, in, id))
	}
	return redirect(w, r, withFlash(h.incidentPath(id), "flash.saved"))
}

// --- the incident page ---

type incPageData struct {
	Page
	I           incident.Incident
	Description template.HTML
	Perm        incident.Permissions
	Next        []incident.Status
	Tasks       []incident.Task
	Reports     []incident.Report
	Observables []incident.Observable
	Files       []incident.File
	Checklist   []incident.CheckItem
	Links       []incident.Link
	Journal     []incJournalLine
	Deadlines   []incident.Deadline
	Agencies    []agency.Agency
	ReportKinds []incident.ReportKind
	ObsTypes    []string
	TLPs        []access.TLP
	TaskStatus  []incident.TaskStatus
	MyAgency    int64
	MyUser      int64
	MaxFileMiB  int64
	HasClosing  bool
	Class, Type string
	Assignees   []incident.Assignee
	People      []incident.Assignee
}

// CanWork reports whether the user may update a task, for the form.
func (d incPageData) CanWork(t incident.Task) bool {
	return d.Page.User != nil && incident.CanWorkTask(d.Page.User, &d.I, &t) && (t.Status == incident.TaskOpen || t.Status == incident.TaskInProgress)
}

// Participates reports whether an agency takes part, for the form.
func (d incPageData) Participates(id int64) bool {
	for _, a := range d.I.Participants {
		if a.ID == id {
			return true
		}
	}
	return false
}

type incJournalLine struct {
	incident.Entry
	HTML template.HTML
}

func (h *Handler) incidentShow(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return h.incRender(w, r, u, id, http.StatusOK, nil)
}

// incRender shows the incident page, with a form error when one of
// its forms was refused.
func (h *Handler) incRender(w http.ResponseWriter, r *http.Request, u *access.Principal, id int64, status int, formErr error) error {
	ctx := incident.WithViewScope(r.Context()) // one audited view per page
	inc, err := h.incidents.Get(ctx, id)
	if err != nil {
		return err
	}
	p := h.page(r, inc.Ref+" · "+inc.Title, "incidents")
	if formErr != nil && !formError(&p, formErr) {
		p.Error = p.L.Error(formErr)
	}
	if errors.Is(formErr, incident.ErrNoClosingReport) {
		p.Error = p.L.T("inc.err_no_closing_report")
	}
	d := incPageData{Page: p, I: inc, Description: incident.RenderMarkdown(inc.Description), Perm: incident.PermissionsFor(u, &inc),
		Next: incident.NextStatuses(u, &inc), ReportKinds: incident.ReportKinds, TLPs: access.TLPs, TaskStatus: incident.TaskStatuses,
		MyAgency: u.AgencyID, MyUser: u.UserID, MaxFileMiB: h.incidents.MaxFileSize() >> 20}
	d.Class, d.Type, _ = strings.Cut(inc.Category, "/")
	for _, t := range incident.ObservableTypes {
		d.ObsTypes = append(d.ObsTypes, string(t))
	}
	if d.Tasks, err = h.incidents.Tasks(ctx, id); err != nil {
		return err
	}
	if d.Reports, err = h.incidents.Reports(ctx, id); err != nil {
		return err
	}
	for _, rep := range d.Reports {
		d.HasClosing = d.HasClosing || rep.Kind == incident.ReportClosing
	}
	if d.Observables, err = h.incidents.Observables(ctx, id); err != nil {
		return err
	}
	if d.Files, err = h.incidents.Files(ctx, id); err != nil {
		return err
	}
	if d.People, err = h.incidents.NamedPeople(ctx, id); err != nil {
		return err
	}
	if d.Checklist, err = h.incidents.Checklist(ctx, id); err != nil {
		return err
	}
	if d.Links, err = h.incidents.Links(ctx, id); err != nil {
		return err
	}
	if d.Deadlines, err = h.incidents.Deadlines(ctx, id); err != nil {
		return err
	}
	j, err := h.incidents.Journal(ctx, id)
	if err != nil {
		return err
	}
	for i := len(j) - 1; i >= 0; i-- { // newest first
		line := incJournalLine{Entry: j[i]}
		if j[i].Kind == incident.JournalComment {
			line.HTML = incident.RenderMarkdown(j[i].Body)
		}
		d.Journal = append(d.Journal, line)
	}
	if d.Perm.Coordinate {
		d.Agencies = h.incidentAgencies(r)
		if d.Assignees, err = h.incidents.Assignees(ctx, id); err != nil {
			return err
		}
	}
	return h.render(w, status, "incident", d)
}

// incBack returns to the incident page after a form, or shows it again with
// the form's error.
func (h *Handler) incBack(w http.ResponseWriter, r *http.Request, id int64, err error, flash string) error {
	if err == nil {
		return redirect(w, r, withFlash(h.incidentPath(id), flash))
	}
	k := errs.KindOf(err)
	if k != errs.Invalid && k != errs.Conflict && k != errs.TooLarge {
		return err
	}
	u, uerr := requireUser(r)
	if uerr != nil {
		return uerr
	}
	return h.incRender(w, r, u, id, incStatusOf(k), err)
}

func incStatusOf(k errs.Kind) int {
	switch k {
	case errs.Conflict:
		return http.StatusConflict
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

func (h *Handler) incidentStatus(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	_, err = h.incidents.Transition(r.Context(), id, incident.Status(r.PostFormValue("status")), r.PostFormValue("note"))
	return h.incBack(w, r, id, err, "flash.saved")
}

func (h *Handler) incidentAddTask(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	in := incident.TaskInput{Title: r.PostFormValue("title"), Description: r.PostFormValue("description")}
	in.AgencyID, _ = strconv.ParseInt(r.PostFormValue("agency_id"), 10, 64)
	in.AssigneeID, _ = strconv.ParseInt(r.PostFormValue("assignee_user_id"), 10, 64)
	due, err := h.incLocalTime("due_at", r.PostFormValue("due_at"))
	if err == nil {
		if !due.IsZero() {
			in.DueAt = &due
		}
		_, err = h.incidents.AddTask(r.Context(), id, in)
	}
	return h.incBack(w, r, id, err, "flash.saved")
}

func (h *Handler) incTaskUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	tid, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := h.incidents.UpdateTask(r.Context(), tid, incident.TaskUpdate{Status: incident.TaskStatus(r.PostFormValue("status")), Result: r.PostFormValue("result")})
	incBack := formInt(r, "incident_id")
	if err != nil && incBack > 0 {
		return h.incBack(w, r, incBack, err, "")
	}
	if err != nil {
		return err
	}
	return redirect(w, r, withFlash(h.incidentPath(t.IncidentID), "flash.saved"))
}

func (h *Handler) incidentComment(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	_, err = h.incidents.Comment(r.Context(), id, r.PostFormValue("body"))
	return h.incBack(w, r, id, err, "flash.saved")
}

func (h *Handler) incidentEditComment(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	jid, err := incPathInt(r, "jid")
	if err != nil {
		return err
	}
	_, err = h.incidents.EditComment(r.Context(), id, jid, r.PostFormValue("body"))
	return h.incBack(w, r, id, err, "flash.saved")
}

func (h *Handler) incidentAddObservable(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	in := incident.ObservableInput{Type: r.PostFormValue("type"), Value: r.PostFormValue("value"),
		TLP: access.TLP(r.PostFormValue("tlp")), IsIndicator: r.PostFormValue("is_indicator") == "1", Note: r.PostFormValue("note")}
	first, err := h.incLocalTime("first_seen", r.PostFormValue("first_seen"))
	if err != nil {
		return h.incBack(w, r, id, err, "")
	}
	last, err := h.incLocalTime("last_seen", r.PostFormValue("last_seen"))
	if err != nil {
		return h.incBack(w, r, id, err, "")
	}
	if !first.IsZero() {
		in.FirstSeen = &first
	}
	if !last.IsZero() {
		in.LastSeen = &last
	}
	_, err = h.incidents.AddObservable(r.Context(), id, in)
	return h.incBack(w, r, id, err, "flash.saved")
}

func (h *Handler) incidentIndicator(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	oid, err := incPathInt(r, "oid")
	if err != nil {
		return err
	}
	_, err = h.incidents.SetIndicator(r.Context(), id, oid, r.PostFormValue("is_indicator") == "1")
	return h.incBack(w, r, id, err, "flash.saved")
}

func (h *Handler) incidentUpload(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	mr, err := multipartFrom(r)
	if err != nil {
		return h.incBack(w, r, id, err, "")
	}
	part, fields, err := nextFilePart(mr)
	if err == nil {
		_, err = h.incidents.AddFile(r.Context(), id, part.FileName(), part.Header.Get("Content-Type"), fields["note"], part)
	}
	if errs.KindOf(err) == errs.Internal {
		err = incUploadErr(err)
	}
	return h.incBack(w, r, id, err, "flash.uploaded")
}

// incUploadErr turns the route's body limit into the size error.
func incUploadErr(err error) error {
	var mbe *http.MaxBytesError
	if err != nil && errors.As(err, &mbe) {
		return errs.E(errs.TooLarge, "the file is larger than the limit of %d bytes", mbe.Limit)
	}
	return err
}

func (h *Handler) incidentDownload(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fid, err := incPathInt(r, "fid")
	if err != nil {
		return err
	}
	rc, f, err := h.incidents.OpenFile(r.Context(), id, fid)
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(f.Size, 10))
	incAttachment(w, f.Name)
	_, err = io.Copy(w, rc)
	return err
}

func (h *Handler) incidentCheck(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	cid, err := incPathInt(r, "cid")
	if err != nil {
		return err
	}
	err = h.incidents.CheckItemDone(r.Context(), id, cid, r.PostFormValue("done") == "1")
	return h.incBack(w, r, id, err, "flash.saved")
}

func (h *Handler) incOtherRef(r *http.Request, field string) (int64, error) {
	ref := strings.TrimSpace(r.PostFormValue(field))
	if ref == "" {
		return 0, errs.Field(field, "give the other incident's reference, e.g. SC-2026-0001")
	}
	id, err := h.incidents.ByRef(r.Context(), ref)
	if errs.Is(err, errs.NotFound) {
		return 0, errs.Field(field, "no incident %s that you can see", ref)
	}
	return id, err
}

func (h *Handler) incidentMerge(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	into, err := h.incOtherRef(r, "into_ref")
	if err == nil {
		_, err = h.incidents.Merge(r.Context(), id, into, r.PostFormValue("note"))
	}
	return h.incBack(w, r, id, err, "flash.saved")
}

func (h *Handler) incidentAgenciesSave(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	lead, _ := strconv.ParseInt(r.PostFormValue("lead_agency_id"), 10, 64)
	var parts []int64
	for _, v := range r.PostForm["participants"] {
		if a, err := strconv.ParseInt(v, 10, 64); err == nil && len(parts) < 50 {
			parts = append(parts, a)
		}
	}
	_, err = h.incidents.SetAgencies(r.Context(), id, lead, parts, nil)
	return h.incBack(w, r, id, err, "flash.saved")
}

func (h *Handler) incidentNamePerson(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	err = h.incidents.NamePerson(r.Context(), id, r.PostFormValue("email"))
	return h.incBack(w, r, id, err, "flash.saved")
}

func (h *Handler) incidentLink(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	other, err := h.incOtherRef(r, "other_ref")
	if err == nil {
		err = h.incidents.LinkIncidents(r.Context(), id, other, r.PostFormValue("note"))
	}
	return h.incBack(w, r, id, err, "flash.saved")
}

// --- reports ---

type incReportFormData struct {
	Page
	I        incident.Incident
	R        incident.ReportInput
	Detected string
	Kinds    []incident.ReportKind
	TitleVI  string
}

func (h *Handler) incReportNew(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	kind := incident.ReportKind(r.URL.Query().Get("kind"))
	if !slices.Contains(incident.ReportKinds, kind) {
		kind = incident.ReportNotification
	}
	inc, err := h.incidents.Get(r.Context(), id)
	if err != nil {
		return err
	}
	d, err := h.incidents.Draft(r.Context(), id, kind)
	if err != nil {
		return err
	}
	if u := access.From(r.Context()); u != nil {
		d.Signer = u.Name
	}
	return h.render(w, http.StatusOK, "incident_report_form", h.incReportForm(r, inc, d))
}

func (h *Handler) incReportForm(r *http.Request, inc incident.Incident, d incident.ReportInput) incReportFormData {
	p := h.page(r, inc.Ref, "incidents")
	det := ""
	if d.DetectedAt != nil {
		det = d.DetectedAt.In(h.incidents.Location()).Format("2006-01-02T15:04")
	}
	return incReportFormData{Page: p, I: inc, R: d, Detected: det, Kinds: incident.ReportKinds, TitleVI: incident.ReportTitleVI[d.Kind]}
}

func (h *Handler) incReportCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := func(k string) string { return r.PostFormValue(k) }
	in := incident.ReportInput{Kind: incident.ReportKind(f("kind")), ReporterOrg: f("reporter_org"), ReporterPerson: f("reporter_person"),
		ReporterContact: f("reporter_contact"), SystemName: f("system_name"), SystemAddress: f("system_address"), Operator: f("operator"),
		SystemOwner: f("system_owner"), IncidentType: f("incident_type"), Symptoms: f("symptoms"), Harm: f("harm"), Spread: f("spread"),
		Impact: f("impact"), Provider: f("provider"), Measures: f("measures"), Helpers: f("helpers"), Results: f("results"),
		Recommendations: f("recommendations"), Signer: f("signer"), SignerTitle: f("signer_title"), SignedOn: f("signed_on")}
	det, err := h.incLocalTime("detected_at", f("detected_at"))
	var rep incident.Report
	if err == nil {
		if !det.IsZero() {
			in.DetectedAt = &det
		}
		rep, err = h.incidents.AddReport(r.Context(), id, in)
	}
	if err != nil {
		inc, gerr := h.incidents.Get(r.Context(), id)
		if gerr != nil {
			return gerr
		}
		d := h.incReportForm(r, inc, in)
		if !formError(&d.Page, err) {
			return err
		}
		return h.render(w, http.StatusBadRequest, "incident_report_form", d)
	}
	return redirect(w, r, withFlash(fmt.Sprintf("/incidents/%d/reports/%d", id, rep.ID), "flash.saved"))
}

type incReportData struct {
	Page
	I       incident.Incident
	R       incident.Report
	TitleVI string
	Signed  string
	Perm    incident.Permissions
}

func (h *Handler) incReportOf(r *http.Request) (incident.Incident, incident.Report, error) {
	if _, err := requireUser(r); err != nil {
		return incident.Incident{}, incident.Report{}, err
	}
	id, err := pathID(r)
	if err != nil {
		return incident.Incident{}, incident.Report{}, err
	}
	rid, err := incPathInt(r, "rid")
	if err != nil {
		return incident.Incident{}, incident.Report{}, err
	}
	return h.incidents.Report(r.Context(), id, rid)
}

func (h *Handler) incReportShow(w http.ResponseWriter, r *http.Request) error {
	inc, rep, err := h.incReportOf(r)
	if err != nil {
		return err
	}
	p := h.page(r, incident.ReportTitleVI[rep.Kind]+" · "+inc.Ref, "incidents")
	signed := rep.SignedOn
	if t, err := time.Parse("2006-01-02", rep.SignedOn); err == nil {
		signed = fmt.Sprintf("ngày %d tháng %d năm %d", t.Day(), int(t.Month()), t.Year())
	}
	return h.render(w, http.StatusOK, "incident_report", incReportData{Page: p, I: inc, R: rep, TitleVI: incident.ReportTitleVI[rep.Kind],
		Signed: signed, Perm: incident.PermissionsFor(access.From(r.Context()), &inc)})
}

func (h *Handler) incReportPDF(w http.ResponseWriter, r *http.Request) error {
	inc, rep, err := h.incReportOf(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := h.incidents.WriteReportPDF(&buf, inc, rep); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	incAttachment(w, fmt.Sprintf("%s-%s-%d.pdf", inc.Ref, rep.Kind, rep.ID))
	_, err = w.Write(buf.Bytes())
	return err
}

func (h *Handler) incReportUpload(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rid, err := incPathInt(r, "rid")
	if err != nil {
		return err
	}
	mr, err := multipartFrom(r)
	if err != nil {
		return err
	}
	part, _, err := nextFilePart(mr)
	if err == nil {
		_, err = h.incidents.AttachDocument(r.Context(), id, rid, part.FileName(), part)
	}
	if err != nil {
		return incUploadErr(err)
	}
	return redirect(w, r, withFlash(fmt.Sprintf("/incidents/%d/reports/%d", id, rid), "flash.uploaded"))
}

func (h *Handler) incReportDocument(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rid, err := incPathInt(r, "rid")
	if err != nil {
		return err
	}
	rc, rep, err := h.incidents.OpenDocument(r.Context(), id, rid)
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(rep.DocumentSize, 10))
	incAttachment(w, rep.DocumentName)
	_, err = io.Copy(w, rc)
	return err
}

// --- tasks, rules, playbooks, figures, notifications ---

type incTasksData struct {
	Page
	Tasks  []incident.Task
	Status string
	Pager  pager
}

func (h *Handler) incTaskList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	st := r.URL.Query().Get("status")
	off := offsetOf(r)
	list, total, err := h.incidents.MyTasks(r.Context(), incident.TaskFilter{Status: incident.TaskStatus(st), Limit: pageSize, Offset: off})
	if err != nil {
		return err
	}
	p := h.page(r, "", "incidents")
	p.Title = p.L.T("inc.tasks_title")
	return h.render(w, http.StatusOK, "incident_tasks", incTasksData{Page: p, Tasks: list, Status: st,
		Pager: pager{Total: total, Offset: off, Limit: pageSize, Base: "/tasks?" + url.Values{"status": {st}}.Encode()}})
}

type incRulesData struct {
	Page
	Rules []incident.Rule
}

func (h *Handler) incRuleList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	rules, err := h.incidents.Rules(r.Context())
	if err != nil {
		return err
	}
	p := h.page(r, "", "incidents")
	p.Title = p.L.T("inc.rules_title")
	return h.render(w, http.StatusOK, "incident_rules", incRulesData{Page: p, Rules: rules})
}

func (h *Handler) incRuleUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	minutes, _ := strconv.Atoi(r.PostFormValue("minutes"))
	if _, err := h.incidents.UpdateRule(r.Context(), r.PathValue("code"), minutes, r.PostFormValue("active") == "1"); err != nil {
		if errs.KindOf(err) != errs.Invalid {
			return err
		}
		return redirect(w, r, "/incident-rules?flash=flash.invalid")
	}
	return redirect(w, r, withFlash("/incident-rules", "flash.saved"))
}

type incPlaybooksData struct {
	Page
	Playbooks  []incident.Playbook
	Categories []incident.Category
	Severities []incident.Severity
}

// incPBEdit is the data of a playbook's edit fields.
type incPBEdit struct {
	L          i18n.Lang
	PB         incident.Playbook
	Categories []incident.Category
	Severities []incident.Severity
	Fields     map[string]string
}

// Edit is the data of the edit fields of pb, for the template.
func (p incPlaybooksData) Edit(pb incident.Playbook) incPBEdit {
	return incPBEdit{L: p.L, PB: pb, Categories: p.Categories, Severities: p.Severities, Fields: p.Fields}
}

// Blank is a new playbook, for the creation form.
func (p incPlaybooksData) Blank() incident.Playbook { return incident.Playbook{Active: true} }

// TaskLines is the playbook's tasks as the edit form shows them.
func (e incPBEdit) TaskLines() string { return pbTaskLines(e.PB.Tasks) }

// ChecklistLines is the checklist, one item per line.
func (e incPBEdit) ChecklistLines() string { return strings.Join(e.PB.Checklist, "\n") }

// pbTaskLines writes tasks one per line: "owner|hours|title" or
// "lead|hours|title".
func pbTaskLines(ts []incident.PlaybookTask) string {
	var b strings.Builder
	for _, t := range ts {
		fmt.Fprintf(&b, "%s|%d|%s\n", t.Agency, t.DueHours, t.Title)
	}
	return b.String()
}

func pbParseTaskLines(s string) ([]incident.PlaybookTask, error) {
	var out []incident.PlaybookTask
	for i, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			return nil, errs.Field("tasks", "line %d: write agency|hours|title, e.g. owner|24|Thu thập nhật ký", i+1)
		}
		hours, err := strconv.Atoi(strings.TrimSpace(parts[1]))
		if err != nil {
			return nil, errs.Field("tasks", "line %d: the hours must be a whole number", i+1)
		}
		out = append(out, incident.PlaybookTask{Agency: strings.TrimSpace(parts[0]), DueHours: hours, Title: strings.TrimSpace(parts[2])})
		if len(out) > 30 {
			return nil, errs.Field("tasks", "at most 30 tasks")
		}
	}
	return out, nil
}

func incLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" && len(out) < 51 {
			out = append(out, line)
		}
	}
	return out
}

func (h *Handler) incPlaybookSave(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	f := r.PostFormValue
	code := r.PathValue("code")
	if code == "new" {
		code = strings.TrimSpace(f("code"))
	}
	tasks, err := pbParseTaskLines(f("tasks"))
	if err == nil {
		_, err = h.incidents.SavePlaybook(r.Context(), incident.Playbook{Code: code, NameVI: f("name_vi"), NameEN: f("name_en"),
			Category: f("category"), Severity: incident.Severity(f("severity")), Description: f("description"),
			Tasks: tasks, Checklist: incLines(f("checklist")), Active: f("active") == "1"})
	}
	if err != nil {
		k := errs.KindOf(err)
		if k != errs.Invalid && k != errs.Conflict {
			return err
		}
		return h.incRenderPlaybooks(w, r, http.StatusBadRequest, err)
	}
	return redirect(w, r, withFlash("/playbooks#pb-"+url.PathEscape(code), "flash.saved"))
}

func (h *Handler) incPlaybookList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	return h.incRenderPlaybooks(w, r, http.StatusOK, nil)
}

func (h *Handler) incRenderPlaybooks(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	list, err := h.incidents.Playbooks(r.Context(), true)
	if err != nil {
		return err
	}
	p := h.page(r, "", "incidents")
	p.Title = p.L.T("inc.playbooks_title")
	if formErr != nil {
		formError(&p, formErr)
	}
	return h.render(w, status, "incident_playbooks", incPlaybooksData{Page: p, Playbooks: list, Categories: incident.Taxonomy, Severities: incident.Severities})
}

type incFiguresData struct {
	Page
	F    incident.Figures
	Year int
	JSON template.JS
}

// Hours shows a median in hours with one decimal, or a dash.
func (d incFiguresData) Hours(h *float64) string {
	if h == nil {
		return "—"
	}
	return strconv.FormatFloat(*h, 'f', 1, 64)
}

func (h *Handler) incFiguresPage(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	loc := h.incidents.Location()
	year, err := strconv.Atoi(r.URL.Query().Get("year"))
	if err != nil || year < 2000 || year > 2200 {
		year = h.now().In(loc).Year()
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	f, err := h.incidents.Figures(r.Context(), from, from.AddDate(1, 0, 0))
	if err != nil {
		return err
	}
	p := h.page(r, "", "incidents")
	p.Title = p.L.T("inc.figures_title")
	s := series{Label: p.L.T("inc.figures_by_month")}
	for _, c := range f.ByMonth {
		s.Labels = append(s.Labels, c.Key[5:])
		s.Values = append(s.Values, c.Count)
	}
	b, _ := json.Marshal(s)
	return h.render(w, http.StatusOK, "incident_figures", incFiguresData{Page: p, F: f, Year: year, JSON: template.JS(b)})
}

type incNotificationsData struct {
	Page
	Webhooks   []notify.Webhook
	Deliveries []notify.Delivery
	Created    *notify.Webhook
	Pager      pager
}

func (h *Handler) incNotificationsPage(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	return h.incRenderNotifications(w, r, http.StatusOK, nil, nil)
}

func (h *Handler) incRenderNotifications(w http.ResponseWriter, r *http.Request, status int, created *notify.Webhook, formErr error) error {
	if h.notify == nil {
		return errs.E(errs.NotFound, "notifications are not configured")
	}
	hooks, err := h.notify.Webhooks(r.Context())
	if err != nil {
		return err
	}
	off := offsetOf(r)
	dl, total, err := h.notify.Deliveries(r.Context(), pageSize, off)
	if err != nil {
		return err
	}
	p := h.page(r, "", "incidents")
	p.Title = p.L.T("inc.notifications_title")
	if formErr != nil && !formError(&p, formErr) {
		return formErr
	}
	return h.render(w, status, "incident_notifications", incNotificationsData{Page: p, Webhooks: hooks, Deliveries: dl, Created: created,
		Pager: pager{Total: total, Offset: off, Limit: pageSize, Base: "/notifications"}})
}

func (h *Handler) incWebhookCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	if h.notify == nil {
		return errs.E(errs.NotFound, "notifications are not configured")
	}
	var events []string
	for _, e := range strings.Fields(strings.ReplaceAll(r.PostFormValue("events"), ",", " ")) {
		events = append(events, e)
	}
	hook, err := h.notify.CreateWebhook(r.Context(), r.PostFormValue("name"), r.PostFormValue("url"), events)
	if err != nil {
		return h.incRenderNotifications(w, r, http.StatusBadRequest, nil, err)
	}
	return h.incRenderNotifications(w, r, http.StatusOK, &hook, nil)
}

type incWebhookData struct {
	Page
	Hook       notify.Webhook
	Deliveries []notify.Delivery
	Pager      pager
}

// incWebhookPage shows one webhook (admins): whether it is on, the switch,
// and its delivery log.
func (h *Handler) incWebhookPage(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	if h.notify == nil {
		return errs.E(errs.NotFound, "notifications are not configured")
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	hook, err := h.notify.Webhook(r.Context(), id)
	if err != nil {
		return err
	}
	off := offsetOf(r)
	dl, total, err := h.notify.WebhookDeliveries(r.Context(), id, pageSize, off)
	if err != nil {
		return err
	}
	p := h.page(r, hook.Name, "incidents")
	return h.render(w, http.StatusOK, "incident_webhook", incWebhookData{Page: p, Hook: hook, Deliveries: dl,
		Pager: pager{Total: total, Offset: off, Limit: pageSize, Base: "/webhooks/" + strconv.FormatInt(id, 10)}})
}

// incWebhookActive turns a webhook off or on again (admins).
func (h *Handler) incWebhookActive(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	if h.notify == nil {
		return errs.E(errs.NotFound, "notifications are not configured")
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.notify.SetWebhookActive(r.Context(), id, r.PostFormValue("active") == "1"); err != nil {
		return err
	}
	return redirect(w, r, withFlash("/webhooks/"+strconv.FormatInt(id, 10), "flash.saved"))
}

// --- dashboard ---

// overdueIncidents is the dashboard's list of incidents past a deadline.
func (h *Handler) overdueIncidents(r *http.Request) ([]incident.Incident, int) {
	if h.incidents == nil {
		return nil, 0
	}
	list, n, err := h.incidents.Overdue(r.Context(), 10)
	if err != nil {
		h.log.Warn("dashboard overdue incidents", "err", err)
		return nil, 0
	}
	return list, n
}

// ictTime shows a time in the province's zone (UTC+7), for templates.
func ictTime(t any) string {
	loc := time.FixedZone("ICT", 7*3600)
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.In(loc).Format("02/01/2006 15:04")
	case *time.Time:
		if v == nil || v.IsZero() {
			return ""
		}
		return v.In(loc).Format("02/01/2006 15:04")
	}
	return ""
}
