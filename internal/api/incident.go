package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/incident"
	"bulwark/internal/notify"
	"bulwark/internal/sysinv"
)

// The incident capability's operations (issue 3).

var incidentListParams = []Param{
	{"status", "string", "a status, or open"}, {"severity", "string", "low, medium, high, critical"},
	{"category", "string", "taxonomy class or class/type"}, {"agency_id", "integer", "owner, lead or participating agency"},
	{"from", "string", "detected on or after, YYYY-MM-DD"}, {"to", "string", "detected before, YYYY-MM-DD"},
	{"overdue", "boolean", "only incidents past a deadline"}, {"serious", "boolean", "only serious incidents (legal definition)"},
	{"q", "string", "full-text search"},
}

// LargeBodyRoutes are the API routes that take uploads, which the app
// serves with the evidence size limit instead of MaxBody.
func LargeBodyRoutes() []string {
	return []string{"POST /api/v1/incidents/{id}/files", "PUT /api/v1/incidents/{id}/reports/{rid}/document"}
}

func (h *Handler) incidentRoutes() []Route {
	if h.incidents == nil {
		return nil
	}
	const tag = "incidents"
	return []Route{
		{Method: "GET", Path: "/api/v1/incidents", Summary: "List incidents the caller sees", Tag: tag, Query: append(append([]Param{}, incidentListParams...), pageParams...), Response: Page[incident.Incident]{}, fn: h.listIncidents},
		{Method: "GET", Path: "/api/v1/incidents/export", Summary: "Export the filtered incidents as CSV or XLSX", Tag: tag, Query: append([]Param{{"format", "string", "csv (default) or xlsx"}}, incidentListParams...), fn: h.exportIncidents},
		{Method: "POST", Path: "/api/v1/incidents", Summary: "Report an incident", Tag: tag, Body: incident.Input{}, Response: incident.Incident{}, Status: 201, fn: h.createIncident},
		{Method: "GET", Path: "/api/v1/incidents/{id}", Summary: "Get an incident (views from outside the owner agency are audited)", Tag: tag, Response: incidentJSON{}, fn: h.getIncident},
		{Method: "PUT", Path: "/api/v1/incidents/{id}", Summary: "Edit an incident's record", Tag: tag, Body: incident.Input{}, Response: incident.Incident{}, fn: h.updateIncident},
		{Method: "POST", Path: "/api/v1/incidents/{id}/status", Summary: "Move an incident in its workflow (closing needs a closing report: 409 otherwise)", Tag: tag, Body: statusJSON{}, Response: incident.Incident{}, fn: h.transition},
		{Method: "PUT", Path: "/api/v1/incidents/{id}/agencies", Summary: "Set the lead and participating agencies and named people", Tag: tag, Body: agenciesJSON{}, Response: incident.Incident{}, fn: h.setIncidentAgencies},
		{Method: "GET", Path: "/api/v1/incidents/{id}/people", Summary: "People named on the incident (TLP:RED: only they see it)", Tag: tag, Response: []incident.Assignee{}, fn: listByID(h.incidents.NamedPeople)},
		{Method: "POST", Path: "/api/v1/incidents/{id}/people", Summary: "Name a person on the incident by e-mail", Tag: tag, Body: personJSON{}, Status: 204, fn: h.namePerson},
		{Method: "POST", Path: "/api/v1/incidents/{id}/merge", Summary: "Merge a duplicate into another incident", Tag: tag, Body: incidentMergeJSON{}, Response: incident.Incident{}, fn: h.mergeIncident},
		{Method: "GET", Path: "/api/v1/incidents/{id}/links", Summary: "Related incidents", Tag: tag, Response: []incident.Link{}, fn: listByID(h.incidents.Links)},
		{Method: "POST", Path: "/api/v1/incidents/{id}/links", Summary: "Link a related incident", Tag: tag, Body: linkJSON{}, Status: 204, fn: h.linkIncident},
		{Method: "GET", Path: "/api/v1/incidents/{id}/deadlines", Summary: "Deadlines of an incident and their state", Tag: tag, Response: []incident.Deadline{}, fn: listByID(h.incidents.Deadlines)},
		{Method: "GET", Path: "/api/v1/incidents/{id}/journal", Summary: "The incident's timeline: comments, status changes, events", Tag: tag, Response: []incident.Entry{}, fn: listByID(h.incidents.Journal)},
		{Method: "POST", Path: "/api/v1/incidents/{id}/journal", Summary: "Add a comment (Markdown)", Tag: tag, Body: commentJSON{}, Response: incident.Entry{}, Status: 201, fn: h.addComment},
		{Method: "PUT", Path: "/api/v1/incidents/{id}/journal/{jid}", Summary: "Edit one's own comment (the previous text is kept)", Tag: tag, Body: commentJSON{}, Response: incident.Entry{}, fn: h.editComment},
		{Method: "GET", Path: "/api/v1/incidents/{id}/tasks", Summary: "Tasks of an incident", Tag: tag, Response: []incident.Task{}, fn: listByID(h.incidents.Tasks)},
		{Method: "POST", Path: "/api/v1/incidents/{id}/tasks", Summary: "Assign a task to an agency (lead agency)", Tag: tag, Body: incident.TaskInput{}, Response: incident.Task{}, Status: 201, fn: h.addTask},
		{Method: "GET", Path: "/api/v1/tasks", Summary: "The caller's agency's tasks", Tag: tag, Query: append([]Param{{"status", "string", "open, in_progress, done, cancelled or all (default: open and in progress)"}}, pageParams...), Response: Page[incident.Task]{}, fn: h.myTasks},
		{Method: "PUT", Path: "/api/v1/tasks/{id}", Summary: "Update a task's status and result", Tag: tag, Body: incident.TaskUpdate{}, Response: incident.Task{}, fn: h.updateTask},
		{Method: "GET", Path: "/api/v1/incidents/{id}/reports", Summary: "Reports of the series filed on the incident", Tag: tag, Response: []incident.Report{}, fn: listByID(h.incidents.Reports)},
		{Method: "POST", Path: "/api/v1/incidents/{id}/reports", Summary: "File a report (notification, initial, progress, plan, request_direction, request_support, closing)", Tag: tag, Body: incident.ReportInput{}, Response: incident.Report{}, Status: 201, fn: h.addReport},
		{Method: "GET", Path: "/api/v1/incidents/{id}/reports/draft", Summary: "A report form pre-filled from the incident", Tag: tag, Query: []Param{{"kind", "string", "report kind"}}, Response: incident.ReportInput{}, fn: h.reportDraft},
		{Method: "GET", Path: "/api/v1/incidents/{id}/reports/{rid}", Summary: "One report", Tag: tag, Response: incident.Report{}, fn: h.getReport},
		{Method: "GET", Path: "/api/v1/incidents/{id}/reports/{rid}/pdf", Summary: "The report as PDF", Tag: tag, fn: h.reportPDF},
		{Method: "PUT", Path: "/api/v1/incidents/{id}/reports/{rid}/document", Summary: "Upload the signed document of a report (raw body, ?name=)", Tag: tag, Query: []Param{{"name", "string", "file name"}}, Response: incident.Report{}, fn: h.attachDocument},
		{Method: "GET", Path: "/api/v1/incidents/{id}/reports/{rid}/document", Summary: "Download the signed document", Tag: tag, fn: h.downloadDocument},
		{Method: "GET", Path: "/api/v1/incidents/{id}/observables", Summary: "Observables of an incident", Tag: tag, Response: []incident.Observable{}, fn: listByID(h.incidents.Observables)},
		{Method: "POST", Path: "/api/v1/incidents/{id}/observables", Summary: "Add an observable (normalised per type)", Tag: tag, Body: incident.ObservableInput{}, Response: incident.Observable{}, Status: 201, fn: h.addObservable},
		{Method: "PUT", Path: "/api/v1/incidents/{id}/observables/{oid}/indicator", Summary: "Flag or unflag an observable as an indicator", Tag: tag, Body: indicatorJSON{}, Response: incident.Observable{}, fn: h.setIndicator},
		{Method: "GET", Path: "/api/v1/incidents/{id}/files", Summary: "Evidence files of an incident", Tag: tag, Response: []incident.File{}, fn: listByID(h.incidents.Files)},
		{Method: "POST", Path: "/api/v1/incidents/{id}/files", Summary: "Upload evidence: multipart/form-data (note, then file) or a raw body with ?name=", Tag: tag, Query: []Param{{"name", "string", "file name (raw body)"}, {"note", "string", "note (raw body)"}}, Response: incident.File{}, Status: 201, fn: h.uploadFile},
		{Method: "GET", Path: "/api/v1/incidents/{id}/files/{fid}", Summary: "Download an evidence file (always as an attachment)", Tag: tag, fn: h.downloadFile},
		{Method: "GET", Path: "/api/v1/incidents/{id}/checklist", Summary: "The incident's checklist", Tag: tag, Response: []incident.CheckItem{}, fn: listByID(h.incidents.Checklist)},
		{Method: "PUT", Path: "/api/v1/incidents/{id}/checklist/{cid}", Summary: "Tick or untick a checklist item", Tag: tag, Body: doneJSON{}, Status: 204, fn: h.checkItem},
		{Method: "GET", Path: "/api/v1/incident-rules", Summary: "Deadline rules (national values and response targets)", Tag: tag, Response: []incident.Rule{}, fn: h.incidentRules},
		{Method: "PUT", Path: "/api/v1/incident-rules/{code}", Summary: "Edit a deadline rule (admin)", Tag: tag, Body: ruleJSON{}, Response: incident.Rule{}, fn: h.updateIncidentRule},
		{Method: "GET", Path: "/api/v1/playbooks", Summary: "Incident playbooks", Tag: tag, Query: []Param{{"all", "boolean", "include retired ones"}}, Response: []incident.Playbook{}, fn: h.playbooks},
		{Method: "PUT", Path: "/api/v1/playbooks/{code}", Summary: "Create or replace a playbook (admin)", Tag: tag, Body: incident.Playbook{}, Response: incident.Playbook{}, fn: h.savePlaybook},
		{Method: "GET", Path: "/api/v1/incident-figures", Summary: "Figures for the annual report", Tag: tag, Query: []Param{{"from", "string", "from date YYYY-MM-DD (default: 1 January)"}, {"to", "string", "until date YYYY-MM-DD, exclusive (default: next 1 January)"}}, Response: incident.Figures{}, fn: h.incidentFigures},
		{Method: "GET", Path: "/api/v1/webhooks", Summary: "Outgoing webhooks (admin)", Tag: "notifications", Response: []notify.Webhook{}, fn: h.listWebhooks},
		{Method: "POST", Path: "/api/v1/webhooks", Summary: "Add a webhook; its signing secret is shown once (admin)", Tag: "notifications", Body: webhookJSON{}, Response: notify.Webhook{}, Status: 201, fn: h.createWebhook},
		{Method: "PUT", Path: "/api/v1/webhooks/{id}/active", Summary: "Turn a webhook on or off (admin)", Tag: "notifications", Body: activeJSON{}, Status: 204, fn: h.webhookActive},
		{Method: "GET", Path: "/api/v1/notifications", Summary: "Notification delivery log (admin)", Tag: "notifications", Query: pageParams, Response: Page[notify.Delivery]{}, fn: h.deliveries},
		{Method: "GET", Path: "/api/v1/webhooks/{id}/deliveries", Summary: "One webhook's delivery log (admin)", Tag: "notifications", Query: pageParams, Response: Page[notify.Delivery]{}, fn: h.webhookDeliveries},
	}
}

// systemIncidentRoutes join incidents and the information systems
// inventory.
func (h *Handler) systemIncidentRoutes() []Route {
	if h.incidents == nil || h.systems == nil {
		return nil
	}
	return []Route{
		{Method: "GET", Path: "/api/v1/systems/{id}/incidents", Summary: "The newest incidents that hit a system (those the caller may see)", Tag: "systems",
			Query: []Param{{"limit", "integer", "at most this many (1–500, default 50)"}}, Response: Page[sysinv.IncidentBrief]{}, fn: h.systemIncidents},
	}
}

func (h *Handler) systemIncidents(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	limit, _, err := paging(r)
	if err != nil {
		return err
	}
	list, total, err := h.systems.RecentIncidents(r.Context(), id, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Page[sysinv.IncidentBrief]{Items: nonNil(list), Total: total, Limit: limit})
}

type incidentJSON struct {
	incident.Incident
	DescriptionHTML string               `json:"description_html"`
	Permissions     incident.Permissions `json:"permissions"`
}

type statusJSON struct {
	Status incident.Status `json:"status"`
	Note   string          `json:"note"`
}

type agenciesJSON struct {
	LeadAgencyID int64   `json:"lead_agency_id"`
	Participants []int64 `json:"participating_agency_ids"`
	People       []int64 `json:"named_people"`
}

type personJSON struct {
	Email string `json:"email"`
}

type incidentMergeJSON struct {
	IntoID  int64  `json:"into_id"`
	IntoRef string `json:"into_ref"`
	Note    string `json:"note"`
}

type linkJSON struct {
	OtherID  int64  `json:"other_id"`
	OtherRef string `json:"other_ref"`
	Note     string `json:"note"`
}

type commentJSON struct {
	Body string `json:"body"`
}

type indicatorJSON struct {
	IsIndicator bool `json:"is_indicator"`
}

type doneJSON struct {
	Done bool `json:"done"`
}

type ruleJSON struct {
	Minutes int  `json:"minutes"`
	Active  bool `json:"active"`
}

type webhookJSON struct {
	Name   string   `json:"name"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

type activeJSON struct {
	Active bool `json:"active"`
}

func boolParam(r *http.Request, name string) (bool, error) {
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

func (h *Handler) incidentFilter(r *http.Request) (incident.Filter, error) {
	q := r.URL.Query()
	f := incident.Filter{Status: incident.Status(q.Get("status")), Severity: incident.Severity(q.Get("severity")), Category: q.Get("category"), Query: q.Get("q")}
	var err error
	if s := q.Get("agency_id"); s != "" {
		if f.AgencyID, err = strconv.ParseInt(s, 10, 64); err != nil {
			return f, errs.Field("agency_id", "must be a whole number")
		}
	}
	loc := h.incidents.Location()
	for _, d := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := q.Get(d.name); s != "" {
			t, err := time.ParseInLocation("2006-01-02", s, loc)
			if err != nil {
				return f, errs.Field(d.name, "must be a date YYYY-MM-DD")
			}
			*d.dst = t
		}
	}
	if f.Overdue, err = boolParam(r, "overdue"); err != nil {
		return f, err
	}
	if f.Serious, err = boolParam(r, "serious"); err != nil {
		return f, err
	}
	return f, nil
}

func (h *Handler) listIncidents(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	f, err := h.incidentFilter(r)
	if err != nil {
		return err
	}
	f.Limit, f.Offset = limit, offset
	list, total, err := h.incidents.List(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Page[incident.Incident]{Items: nonNil(list), Total: total, Limit: limit, Offset: offset})
}

// maxExport bounds one export; narrow the filter for more.
const maxExport = 10000

func (h *Handler) exportIncidents(w http.ResponseWriter, r *http.Request) error {
	f, err := h.incidentFilter(r)
	if err != nil {
		return err
	}
	var all []incident.Incident
	for f.Offset = 0; f.Offset < maxExport; f.Offset += 500 {
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
	name := "incidents-" + time.Now().In(h.incidents.Location()).Format("20060102")
	switch r.URL.Query().Get("format") {
	case "", "csv":
		if err := incident.WriteCSV(&buf, all, h.incidents.Location()); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		name += ".csv"
	case "xlsx":
		if err := incident.WriteXLSX(&buf, all, h.incidents.Location()); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		name += ".xlsx"
	default:
		return errs.Field("format", "must be csv or xlsx")
	}
	setAttachment(w, name)
	_, err = w.Write(buf.Bytes())
	return err
}

// setAttachment makes the response a download that browsers never render:
// attachment disposition (RFC 6266 with an RFC 5987 UTF-8 name), nosniff,
// and a sandbox CSP in case a browser shows it anyway.
func setAttachment(w http.ResponseWriter, name string) {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(name)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
	w.Header().Set("Cache-Control", "no-store")
}

func (h *Handler) createIncident(w http.ResponseWriter, r *http.Request) error {
	var in incident.Input
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	inc, err := h.incidents.Create(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/incidents/"+strconv.FormatInt(inc.ID, 10))
	return writeJSON(w, http.StatusCreated, inc)
}

func (h *Handler) getIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	inc, err := h.incidents.Get(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, incidentJSON{Incident: inc, DescriptionHTML: string(incident.RenderMarkdown(inc.Description)),
		Permissions: incident.PermissionsFor(access.From(r.Context()), &inc)})
}

func (h *Handler) updateIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in incident.Input
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	inc, err := h.incidents.Update(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, inc)
}

func (h *Handler) transition(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in statusJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	inc, err := h.incidents.Transition(r.Context(), id, in.Status, in.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, inc)
}

func (h *Handler) setIncidentAgencies(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in agenciesJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	inc, err := h.incidents.SetAgencies(r.Context(), id, in.LeadAgencyID, in.Participants, in.People)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, inc)
}

func (h *Handler) namePerson(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in personJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	if err := h.incidents.NamePerson(r.Context(), id, in.Email); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// otherIncident resolves an id or a reference given in a body.
func (h *Handler) otherIncident(r *http.Request, field string, id int64, ref string) (int64, error) {
	if id != 0 {
		return id, nil
	}
	if ref == "" {
		return 0, errs.Field(field, "name the other incident by id or reference")
	}
	id, err := h.incidents.ByRef(r.Context(), ref)
	if errs.Is(err, errs.NotFound) {
		return 0, errs.Field(field, "no incident %s that you can see", ref)
	}
	return id, err
}

func (h *Handler) mergeIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in incidentMergeJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	into, err := h.otherIncident(r, "into_id", in.IntoID, in.IntoRef)
	if err != nil {
		return err
	}
	inc, err := h.incidents.Merge(r.Context(), id, into, in.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, inc)
}

func (h *Handler) linkIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in linkJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	other, err := h.otherIncident(r, "other_id", in.OtherID, in.OtherRef)
	if err != nil {
		return err
	}
	if err := h.incidents.LinkIncidents(r.Context(), id, other, in.Note); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) addComment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in commentJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	e, err := h.incidents.Comment(r.Context(), id, in.Body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, e)
}

func (h *Handler) editComment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	jid, err := pathInt(r, "jid")
	if err != nil {
		return err
	}
	var in commentJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	e, err := h.incidents.EditComment(r.Context(), id, jid, in.Body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}

func (h *Handler) addTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in incident.TaskInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	t, err := h.incidents.AddTask(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

func (h *Handler) myTasks(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	list, total, err := h.incidents.MyTasks(r.Context(), incident.TaskFilter{Status: incident.TaskStatus(r.URL.Query().Get("status")), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Page[incident.Task]{Items: nonNil(list), Total: total, Limit: limit, Offset: offset})
}

func (h *Handler) updateTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in incident.TaskUpdate
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	t, err := h.incidents.UpdateTask(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (h *Handler) addReport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in incident.ReportInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	rep, err := h.incidents.AddReport(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, rep)
}

func (h *Handler) reportDraft(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := h.incidents.Draft(r.Context(), id, incident.ReportKind(r.URL.Query().Get("kind")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (h *Handler) reportOf(r *http.Request) (incident.Incident, incident.Report, error) {
	id, err := pathID(r)
	if err != nil {
		return incident.Incident{}, incident.Report{}, err
	}
	rid, err := pathInt(r, "rid")
	if err != nil {
		return incident.Incident{}, incident.Report{}, err
	}
	return h.incidents.Report(r.Context(), id, rid)
}

func (h *Handler) getReport(w http.ResponseWriter, r *http.Request) error {
	_, rep, err := h.reportOf(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

func (h *Handler) reportPDF(w http.ResponseWriter, r *http.Request) error {
	inc, rep, err := h.reportOf(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := h.incidents.WriteReportPDF(&buf, inc, rep); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	setAttachment(w, fmt.Sprintf("%s-%s-%d.pdf", inc.Ref, rep.Kind, rep.ID))
	_, err = w.Write(buf.Bytes())
	return err
}

func (h *Handler) attachDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rid, err := pathInt(r, "rid")
	if err != nil {
		return err
	}
	rep, err := h.incidents.AttachDocument(r.Context(), id, rid, r.URL.Query().Get("name"), r.Body)
	if err != nil {
		return uploadError(err)
	}
	return writeJSON(w, http.StatusOK, rep)
}

func (h *Handler) downloadDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rid, err := pathInt(r, "rid")
	if err != nil {
		return err
	}
	rc, rep, err := h.incidents.OpenDocument(r.Context(), id, rid)
	if err != nil {
		return err
	}
	defer rc.Close()
	return sendFile(w, rc, rep.DocumentName, rep.DocumentSize, rep.DocumentSHA256)
}

// sendFile streams a stored file as an attachment, never as content the
// browser would render.
func sendFile(w http.ResponseWriter, rc io.Reader, name string, size int64, sum string) error {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.Header().Set("Digest", "sha-256="+sum)
	setAttachment(w, name)
	_, err := io.Copy(w, rc)
	return err
}

func (h *Handler) addObservable(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in incident.ObservableInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	o, err := h.incidents.AddObservable(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, o)
}

func (h *Handler) setIndicator(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	oid, err := pathInt(r, "oid")
	if err != nil {
		return err
	}
	var in indicatorJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	o, err := h.incidents.SetIndicator(r.Context(), id, oid, in.IsIndicator)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

// uploadError turns the body limit of the route into the size error.
func uploadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errs.E(errs.TooLarge, "the file is larger than the limit of %d bytes", mbe.Limit)
	}
	return err
}

// uploadFile streams the upload into the blob store: multipart parts are
// read in order (a "note" field, then the "file" part), never parsed whole.
func (h *Handler) uploadFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var f incident.File
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return errs.E(errs.Invalid, "malformed multipart body")
		}
		note := ""
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return errs.Field("file", "the form has no file part")
			}
			if err != nil {
				return uploadError(errs.Wrap(errs.Invalid, err, "malformed multipart body"))
			}
			switch part.FormName() {
			case "note":
				b, err := io.ReadAll(io.LimitReader(part, 4096))
				if err != nil {
					return uploadError(err)
				}
				note = string(b)
				continue
			case "file":
				f, err = h.incidents.AddFile(r.Context(), id, part.FileName(), part.Header.Get("Content-Type"), note, part)
				if err != nil {
					return uploadError(err)
				}
			default:
				continue
			}
			break
		}
	} else {
		q := r.URL.Query()
		f, err = h.incidents.AddFile(r.Context(), id, q.Get("name"), r.Header.Get("Content-Type"), q.Get("note"), r.Body)
		if err != nil {
			return uploadError(err)
		}
	}
	return writeJSON(w, http.StatusCreated, f)
}

func (h *Handler) downloadFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fid, err := pathInt(r, "fid")
	if err != nil {
		return err
	}
	rc, f, err := h.incidents.OpenFile(r.Context(), id, fid)
	if err != nil {
		return err
	}
	defer rc.Close()
	return sendFile(w, rc, f.Name, f.Size, f.SHA256)
}

func (h *Handler) checkItem(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	cid, err := pathInt(r, "cid")
	if err != nil {
		return err
	}
	var in doneJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	if err := h.incidents.CheckItemDone(r.Context(), id, cid, in.Done); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) incidentRules(w http.ResponseWriter, r *http.Request) error {
	rules, err := h.incidents.Rules(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(rules))
}

func (h *Handler) updateIncidentRule(w http.ResponseWriter, r *http.Request) error {
	var in ruleJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	rule, err := h.incidents.UpdateRule(r.Context(), r.PathValue("code"), in.Minutes, in.Active)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rule)
}

func (h *Handler) playbooks(w http.ResponseWriter, r *http.Request) error {
	all, err := boolParam(r, "all")
	if err != nil {
		return err
	}
	list, err := h.incidents.Playbooks(r.Context(), all)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(list))
}

func (h *Handler) savePlaybook(w http.ResponseWriter, r *http.Request) error {
	var in incident.Playbook
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	in.Code = r.PathValue("code")
	pb, err := h.incidents.SavePlaybook(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pb)
}

func (h *Handler) incidentFigures(w http.ResponseWriter, r *http.Request) error {
	loc := h.incidents.Location()
	now := time.Now().In(loc)
	from := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, loc)
	to := from.AddDate(1, 0, 0)
	q := r.URL.Query()
	var err error
	if s := q.Get("from"); s != "" {
		if from, err = time.ParseInLocation("2006-01-02", s, loc); err != nil {
			return errs.Field("from", "must be a date YYYY-MM-DD")
		}
	}
	if s := q.Get("to"); s != "" {
		if to, err = time.ParseInLocation("2006-01-02", s, loc); err != nil {
			return errs.Field("to", "must be a date YYYY-MM-DD")
		}
	}
	if !to.After(from) || to.Sub(from) > 20*366*24*time.Hour {
		return errs.Field("to", "must be after from, within 20 years")
	}
	f, err := h.incidents.Figures(r.Context(), from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (h *Handler) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	if h.notify == nil {
		return errs.E(errs.Unavailable, "notifications are not configured")
	}
	list, err := h.notify.Webhooks(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(list))
}

func (h *Handler) createWebhook(w http.ResponseWriter, r *http.Request) error {
	if h.notify == nil {
		return errs.E(errs.Unavailable, "notifications are not configured")
	}
	var in webhookJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	hook, err := h.notify.CreateWebhook(r.Context(), in.Name, in.URL, in.Events)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, hook)
}

func (h *Handler) webhookActive(w http.ResponseWriter, r *http.Request) error {
	if h.notify == nil {
		return errs.E(errs.Unavailable, "notifications are not configured")
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in activeJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	if err := h.notify.SetWebhookActive(r.Context(), id, in.Active); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) webhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	if h.notify == nil {
		return errs.E(errs.Unavailable, "notifications are not configured")
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	if _, err := h.notify.Webhook(r.Context(), id); err != nil {
		return err
	}
	list, total, err := h.notify.WebhookDeliveries(r.Context(), id, limit, offset)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Page[notify.Delivery]{Items: nonNil(list), Total: total, Limit: limit, Offset: offset})
}

func (h *Handler) deliveries(w http.ResponseWriter, r *http.Request) error {
	if h.notify == nil {
		return errs.E(errs.Unavailable, "notifications are not configured")
	}
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	list, total, err := h.notify.Deliveries(r.Context(), limit, offset)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Page[notify.Delivery]{Items: nonNil(list), Total: total, Limit: limit, Offset: offset})
}
