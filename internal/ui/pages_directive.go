package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/agency"
	"bulwark/internal/directive"
	"bulwark/internal/directive/ical"
	"bulwark/internal/errs"
	"bulwark/internal/i18n"
	"bulwark/internal/report"
)

// The subcommittee's work pages (issue 8): meetings, directives and their
// progress, "what is asked of us", the year's scorecard, the calendar and
// the annual evaluation report. Handlers translate forms to service calls;
// every access rule lives in internal/directive and internal/access. The
// flags that show or hide an action form only spare people a refusal: the
// service decides again on submit.

// DirectiveLargeBodyRoutes are the page routes that take uploads: they
// get the attachment size limit instead of the pages' 1 MiB.
func DirectiveLargeBodyRoutes() []string { return []string{"POST /meetings/{id}/documents"} }

func (h *Handler) directiveRoutes(handle func(string, handlerFunc)) {
	if h.directives == nil {
		return
	}
	handle("GET /meetings", h.meetingList)
	handle("GET /meetings/new", h.meetingNew)
	handle("POST /meetings", h.meetingCreate)
	handle("GET /meetings/{id}", h.meetingShow)
	handle("GET /meetings/{id}/edit", h.meetingEdit)
	handle("POST /meetings/{id}/edit", h.meetingSave)
	handle("POST /meetings/{id}/documents", h.meetingUpload)
	handle("GET /meetings/{id}/documents/{did}", h.meetingDocument)
	handle("GET /directives", h.directiveList)
	handle("GET /directives/asked", h.directiveAsked)
	handle("GET /directives/new", h.directiveNew)
	handle("POST /directives", h.directiveCreate)
	handle("GET /directives/{id}", h.directiveShow)
	handle("GET /directives/{id}/edit", h.directiveEdit)
	handle("POST /directives/{id}/edit", h.directiveSave)
	handle("POST /directives/{id}/acknowledge", h.directiveAcknowledge)
	handle("POST /directives/{id}/progress", h.directiveProgress)
	handle("POST /directives/{id}/done", h.directiveDone)
	handle("POST /directives/{id}/accept", h.directiveAccept)
	handle("POST /directives/{id}/return", h.directiveReturn)
	handle("POST /directives/{id}/cancel", h.directiveCancel)
	handle("GET /directives/{id}/files/{fid}", h.directiveFile)
	handle("GET /scorecard", h.scorecardPage)
	handle("GET /calendar", h.calendarPage)
	handle("GET /calendar.ics", h.calendarFeed)
	handle("POST /calendar/feed", h.calendarFeedCreate)
	handle("POST /calendar/feed/revoke", h.calendarFeedRevoke)
	if h.reports != nil {
		handle("GET /reports/annual", h.annualReportPage)
		handle("GET /reports/annual/{file}", h.annualReportFile)
	}
}

func directivePath(id int64) string { return "/directives/" + strconv.FormatInt(id, 10) }
func meetingPath(id int64) string   { return "/meetings/" + strconv.FormatInt(id, 10) }

// yearOf reads ?year=, defaulting to the current year in the province.
func (h *Handler) yearOf(r *http.Request) (int, error) {
	v := strings.TrimSpace(r.URL.Query().Get("year"))
	if v == "" {
		return h.now().In(h.directives.Location()).Year(), nil
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < 2000 || y > 2200 {
		return 0, errs.Field("year", "must be a year between 2000 and 2200")
	}
	return y, nil
}

// chartJSON is the series app.js draws.
func chartJSON(label string, labels []string, values []float64) template.JS {
	b, _ := json.Marshal(map[string]any{"labels": labels, "values": values, "label": label})
	return template.JS(b) //nolint:gosec // encoding/json escapes <, > and & in strings
}

// dirFormError is formError for these forms: a refusal about a field the
// form shows is said once, next to the field, without the field's name;
// the banner above only points there. Other refusals stay in the banner.
func dirFormError(p *Page, err error, shown ...string) bool {
	if !formError(p, err) {
		return false
	}
	f := errs.FieldOf(err)
	for _, name := range shown {
		if f == name {
			p.Fields[f] = p.L.ErrorMessage(err)
			p.Error = p.L.T("dir.form_error")
		}
	}
	return true
}

// --- meetings ---

type meetingListPage struct {
	Page
	Meetings  []directive.Meeting
	Year      int
	Pager     pager
	CanManage bool
}

func (h *Handler) meetingList(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	year := 0
	if r.URL.Query().Get("year") != "" {
		if year, err = h.yearOf(r); err != nil {
			return err
		}
	}
	off := offsetOf(r)
	ms, total, err := h.directives.ListMeetings(r.Context(), directive.MeetingFilter{Year: year, Limit: 50, Offset: off})
	if err != nil {
		return err
	}
	pg := h.page(r, "", "directives")
	pg.Title = pg.L.T("dir.meetings_title")
	base := "/meetings"
	if year != 0 {
		base += "?year=" + strconv.Itoa(year)
	}
	return h.render(w, http.StatusOK, "meetings", meetingListPage{Page: pg, Meetings: ms, Year: year,
		Pager: pager{Total: total, Offset: off, Limit: 50, Base: base}, CanManage: access.CanManageMeetings(p)})
}

type meetingFormPage struct {
	Page
	M         directive.MeetingInput
	People    string // the attendee lines as typed
	Kinds     []string
	Decisions []agency.Decision
	Chosen    map[int64]bool // decisions ticked
	EditID    int64          // the meeting being edited; 0 for a new one
}

func (h *Handler) meetingForm(w http.ResponseWriter, r *http.Request, status int, in directive.MeetingInput, people string, perr error) error {
	return h.meetingFormFor(w, r, status, 0, in, people, perr)
}

func (h *Handler) meetingFormFor(w http.ResponseWriter, r *http.Request, status int, editID int64, in directive.MeetingInput, people string, perr error) error {
	pg := h.page(r, "", "directives")
	pg.Title = pg.L.T("dir.meeting_new")
	if editID != 0 {
		pg.Title = pg.L.T("dir.meeting_edit")
	}
	if perr != nil && !dirFormError(&pg, perr, "title", "held_on", "start_time", "minutes") {
		return perr
	}
	decs, _, err := h.agencies.ListDecisions(r.Context(), 200, 0)
	if err != nil {
		return err
	}
	chosen := map[int64]bool{}
	for _, id := range in.DecisionIDs {
		chosen[id] = true
	}
	return h.render(w, status, "meeting_form", meetingFormPage{Page: pg, M: in, People: people, Kinds: directive.MeetingKinds, Decisions: decs,
		Chosen: chosen, EditID: editID})
}

// meetingInput reads the meeting form (attendees are parsed separately).
func meetingInput(r *http.Request) directive.MeetingInput {
	in := directive.MeetingInput{Title: r.PostFormValue("title"), Kind: r.PostFormValue("kind"), HeldOn: r.PostFormValue("held_on"),
		StartTime: r.PostFormValue("start_time"), Place: r.PostFormValue("place"), Chair: r.PostFormValue("chair"),
		Agenda: r.PostFormValue("agenda"), Minutes: r.PostFormValue("minutes")}
	for _, v := range r.PostForm["decision_ids"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.DecisionIDs = append(in.DecisionIDs, id)
		}
	}
	return in
}

// attendeeLines writes attendees as the form's lines ("name; title;
// agency code; attendance; delegate", guests with a leading "+"), the
// inverse of parseAttendees.
func attendeeLines(as []directive.Attendee) string {
	var b strings.Builder
	for _, a := range as {
		if a.Guest {
			b.WriteString("+ ")
		}
		f := []string{a.PersonName, a.PersonTitle, a.AgencyCode, a.Attendance, a.DelegateName}
		for len(f) > 1 && f[len(f)-1] == "" {
			f = f[:len(f)-1]
		}
		b.WriteString(strings.Join(f, "; "))
		b.WriteByte('\n')
	}
	return b.String()
}

// meetingEdit shows the meeting's form filled in. The service decides who
// may save it (admins and the standing agency's coordinators); others are
// refused here already.
func (h *Handler) meetingEdit(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if !access.CanManageMeetings(p) {
		return errs.E(errs.Forbidden, "only the secretariat and coordinators record meetings")
	}
	m, err := h.directives.GetMeeting(r.Context(), id)
	if err != nil {
		return err
	}
	in := directive.MeetingInput{Title: m.Title, Kind: m.Kind, HeldOn: m.HeldOn, StartTime: m.StartTime, Place: m.Place, Chair: m.Chair,
		Agenda: m.Agenda, Minutes: m.Minutes}
	for _, d := range m.Decisions {
		in.DecisionIDs = append(in.DecisionIDs, d.ID)
	}
	return h.meetingFormFor(w, r, http.StatusOK, id, in, attendeeLines(m.Attendees), nil)
}

// meetingSave replaces the meeting's record. An attendee line that names
// the same person and agency as before keeps its link to the membership.
func (h *Handler) meetingSave(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "bad form")
	}
	in := meetingInput(r)
	people := r.PostFormValue("attendees")
	att, err := h.parseAttendees(r, people)
	if err == nil {
		if old, gerr := h.directives.GetMeeting(r.Context(), id); gerr == nil {
			seat := map[[2]string]int64{}
			for _, a := range old.Attendees {
				seat[[2]string{a.PersonName, a.AgencyCode}] = a.MembershipID
			}
			for i := range att {
				att[i].MembershipID = seat[[2]string{att[i].PersonName, att[i].AgencyCode}]
			}
		}
		in.Attendees = att
		if _, err = h.directives.UpdateMeeting(r.Context(), id, in); err == nil {
			return redirect(w, r, withFlash(meetingPath(id), "dir.flash_meeting_saved"))
		}
	}
	if k := errs.KindOf(err); k != errs.Invalid {
		return err
	}
	return h.meetingFormFor(w, r, http.StatusUnprocessableEntity, id, in, people, err)
}

func (h *Handler) meetingNew(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if !access.CanManageMeetings(p) {
		return errs.E(errs.Forbidden, "only the secretariat and coordinators record meetings")
	}
	return h.meetingForm(w, r, http.StatusOK, directive.MeetingInput{Kind: directive.MeetingAnnual, HeldOn: h.now().In(h.directives.Location()).Format("2006-01-02")}, "", nil)
}

// parseAttendees reads one person a line: "name; title; agency code;
// attendance; delegate". Blank lines are skipped; a guest line starts
// with "+".
func (h *Handler) parseAttendees(r *http.Request, text string) ([]directive.Attendee, error) {
	var out []directive.Attendee
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		a := directive.Attendee{Attendance: directive.Present}
		if strings.HasPrefix(line, "+") {
			a.Guest, line = true, strings.TrimSpace(line[1:])
		}
		parts := strings.Split(line, ";")
		for j := range parts {
			parts[j] = strings.TrimSpace(parts[j])
		}
		get := func(k int) string {
			if k < len(parts) {
				return parts[k]
			}
			return ""
		}
		a.PersonName, a.PersonTitle = get(0), get(1)
		if code := get(2); code != "" {
			ag, err := h.agencies.AgencyByCode(r.Context(), code)
			if err != nil {
				if errs.KindOf(err) == errs.NotFound {
					return nil, errs.Field("attendees", "line %d: no agency with code %q", i+1, code)
				}
				return nil, err
			}
			a.AgencyID, a.AgencyCode = ag.ID, ag.Code
		}
		if v := get(3); v != "" {
			a.Attendance = v
		}
		a.DelegateName = get(4)
		out = append(out, a)
	}
	return out, nil
}

func (h *Handler) meetingCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "bad form")
	}
	in := meetingInput(r)
	people := r.PostFormValue("attendees")
	att, err := h.parseAttendees(r, people)
	if err == nil {
		in.Attendees = att
		var m directive.Meeting
		if m, err = h.directives.CreateMeeting(r.Context(), in); err == nil {
			return redirect(w, r, withFlash(meetingPath(m.ID), "dir.flash_meeting_created"))
		}
	}
	return h.meetingForm(w, r, http.StatusUnprocessableEntity, in, people, err)
}

type meetingPage struct {
	Page
	M          directive.Meeting
	Directives []directive.Directive
	CanIssue   bool
	CanManage  bool
}

func (h *Handler) meetingShow(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := h.directives.GetMeeting(r.Context(), id)
	if err != nil {
		return err
	}
	ds, _, err := h.directives.List(r.Context(), directive.Filter{MeetingID: id, Limit: 500})
	if err != nil {
		return err
	}
	pg := h.page(r, m.Title, "directives")
	return h.render(w, http.StatusOK, "meeting", meetingPage{Page: pg, M: m, Directives: ds, CanIssue: access.CanIssueDirective(p), CanManage: access.CanManageMeetings(p)})
}

// meetingUpload streams one document from a multipart form (the token
// first, then the file) into the blob store; nothing is buffered whole.
func (h *Handler) meetingUpload(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	mr, err := multipartFrom(r)
	if err != nil {
		return err
	}
	part, _, err := nextFilePart(mr)
	if err != nil {
		return err
	}
	defer part.Close()
	if _, err := h.directives.AddDocument(r.Context(), id, part.FileName(), part); err != nil {
		return err
	}
	return redirect(w, r, withFlash(meetingPath(id)+"#meeting-documents", "dir.flash_document"))
}

func (h *Handler) meetingDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	did, err := strconv.ParseInt(r.PathValue("did"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "not found")
	}
	d, rc, err := h.directives.OpenDocument(r.Context(), id, did)
	if err != nil {
		return err
	}
	defer rc.Close()
	return sendFile(w, d.Name, d.Size, rc)
}

// sendFile streams a stored file as a download; the content type is
// fixed so a stored page can never run as this site's HTML.
func sendFile(w http.ResponseWriter, name string, size int64, body io.Reader) error {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	if size > 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	}
	_, err := io.Copy(w, body)
	return err
}

// --- directives ---

type directiveListPage struct {
	Page
	Directives []directive.Directive
	Statuses   []directive.Status
	Agencies   []agency.Agency
	Status     string
	AgencyID   int64
	Year       int
	Pager      pager
	CanIssue   bool
	Today      string
}

func (h *Handler) agencyChoices(r *http.Request) []agency.Agency {
	list, _, _ := h.agencies.ListAgencies(r.Context(), agency.AgencyFilter{Limit: 1000})
	return list
}

func (h *Handler) directiveList(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := directive.Filter{Status: q.Get("status"), AnyRole: true, Limit: 50, Offset: offsetOf(r)}
	if v := q.Get("agency_id"); v != "" {
		f.AgencyID, _ = strconv.ParseInt(v, 10, 64)
	}
	if q.Get("year") != "" {
		if f.Year, err = h.yearOf(r); err != nil {
			return err
		}
	}
	ds, total, err := h.directives.List(r.Context(), f)
	if err != nil {
		return err
	}
	base := url.Values{}
	for _, k := range []string{"status", "agency_id", "year"} {
		if v := q.Get(k); v != "" {
			base.Set(k, v)
		}
	}
	pg := h.page(r, "", "directives")
	pg.Title = pg.L.T("dir.list_title")
	return h.render(w, http.StatusOK, "directives", directiveListPage{Page: pg, Directives: ds, Statuses: directive.Statuses,
		Agencies: h.agencyChoices(r), Status: f.Status, AgencyID: f.AgencyID, Year: f.Year,
		Pager:    pager{Total: total, Offset: f.Offset, Limit: 50, Base: "/directives?" + base.Encode()},
		CanIssue: access.CanIssueDirective(p), Today: h.directives.Today()})
}

type askedPage struct {
	Page
	Directives []directive.Directive
	Agency     string
	Overdue    int
	Today      string
}

func (h *Handler) directiveAsked(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	ds, err := h.directives.AskedOf(r.Context())
	if err != nil {
		return err
	}
	n := 0
	for _, d := range ds {
		if d.Status == directive.StatusOverdue {
			n++
		}
	}
	pg := h.page(r, "", "directives")
	pg.Title = pg.L.T("dir.asked_title")
	return h.render(w, http.StatusOK, "directive_asked", askedPage{Page: pg, Directives: ds, Agency: p.AgencyCode, Overdue: n, Today: h.directives.Today()})
}

type directiveFormPage struct {
	Page
	D            directive.Input
	Coordinating map[int64]bool
	Agencies     []agency.Agency
	Meetings     []directive.Meeting
	Decisions    []agency.Decision
	Sources      []string
	Priorities   []string
	Visibilities []string
	Today        string
	EditID       int64 // the directive being edited; 0 for a new one
}

func (h *Handler) directiveForm(w http.ResponseWriter, r *http.Request, status int, in directive.Input, perr error) error {
	return h.directiveFormFor(w, r, status, 0, in, perr)
}

func (h *Handler) directiveFormFor(w http.ResponseWriter, r *http.Request, status int, editID int64, in directive.Input, perr error) error {
	pg := h.page(r, "", "directives")
	pg.Title = pg.L.T("dir.new")
	if editID != 0 {
		pg.Title = pg.L.T("dir.edit_title")
	}
	if perr != nil && !dirFormError(&pg, perr, "title", "description", "source", "meeting_id", "decision_id", "plan_year",
		"lead_agency_id", "lead_agency_code", "coordinating_agency_ids", "due_on", "recurrence", "until") {
		return perr
	}
	ms, _, err := h.directives.ListMeetings(r.Context(), directive.MeetingFilter{Limit: 100})
	if err != nil {
		return err
	}
	decs, _, err := h.agencies.ListDecisions(r.Context(), 200, 0)
	if err != nil {
		return err
	}
	co := map[int64]bool{}
	for _, id := range in.Coordinating {
		co[id] = true
	}
	return h.render(w, status, "directive_form", directiveFormPage{Page: pg, D: in, Coordinating: co, Agencies: h.agencyChoices(r),
		Meetings: ms, Decisions: decs, Sources: directive.Sources, Priorities: directive.Priorities,
		Visibilities: directive.Visibilities, Today: h.directives.Today(), EditID: editID})
}

// directiveEdit shows what the issuer may still change, filled in: text,
// priority, visibility, agencies and the current task's deadline. Only
// the issuer or a coordinator gets the form (the service checks again on
// saving).
func (h *Handler) directiveEdit(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := h.directives.Get(r.Context(), id)
	if err != nil {
		return err
	}
	if !access.CanChangeDirective(p, refsOf(d)) {
		return access.Deny("change this directive")
	}
	if d.CancelledAt != nil {
		return errs.E(errs.Conflict, "the directive was cancelled")
	}
	in := directive.Input{Title: d.Title, Description: d.Description, Source: d.Source, MeetingID: d.MeetingID, DecisionID: d.DecisionID,
		PlanYear: d.PlanYear, Visibility: d.Visibility, Priority: d.Priority, LeadAgencyID: d.Lead.ID, DueOn: d.CurrentTask().DueOn}
	for _, c := range d.Coordinating {
		in.Coordinating = append(in.Coordinating, c.ID)
	}
	return h.directiveFormFor(w, r, http.StatusOK, id, in, nil)
}

func (h *Handler) directiveSave(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "bad form")
	}
	e := directive.Edit{Title: r.PostFormValue("title"), Description: r.PostFormValue("description"), Visibility: r.PostFormValue("visibility"),
		Priority: r.PostFormValue("priority"), LeadAgencyID: formInt(r, "lead_agency_id"), DueOn: r.PostFormValue("due_on")}
	for _, v := range r.PostForm["coordinating"] {
		if cid, err := strconv.ParseInt(v, 10, 64); err == nil && cid > 0 {
			e.Coordinating = append(e.Coordinating, cid)
		}
	}
	in := directive.Input{Title: e.Title, Description: e.Description, Visibility: e.Visibility, Priority: e.Priority,
		LeadAgencyID: e.LeadAgencyID, Coordinating: e.Coordinating, DueOn: e.DueOn}
	if e.LeadAgencyID == 0 {
		msg := h.cat.For(h.lang(r)).T("dir.err_no_lead")
		return h.directiveFormFor(w, r, http.StatusUnprocessableEntity, id, in, errs.Field("lead_agency_id", "%s", msg))
	}
	if _, err := h.directives.Update(r.Context(), id, e); err != nil {
		if k := errs.KindOf(err); k != errs.Invalid && k != errs.Conflict {
			return err
		}
		return h.directiveFormFor(w, r, http.StatusUnprocessableEntity, id, in, err)
	}
	return redirect(w, r, withFlash(directivePath(id), "dir.flash_saved"))
}

// editNote puts a journal note of an edit (directive.EditNotePrefix and
// the changed fields) in the page's words.
func editNote(l i18n.Lang, note string) string {
	rest, ok := strings.CutPrefix(note, directive.EditNotePrefix)
	if !ok {
		return note
	}
	var out []string
	for _, f := range strings.Split(rest, ", ") {
		if due, ok := strings.CutPrefix(f, "due_on "); ok {
			from, to, _ := strings.Cut(due, " -> ")
			out = append(out, l.T("dir.changed_due", from, to))
			continue
		}
		out = append(out, l.T("dir.changed."+f))
	}
	return l.T("dir.changed") + " " + strings.Join(out, ", ")
}

func (h *Handler) directiveNew(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if !access.CanIssueDirective(p) {
		return errs.E(errs.Forbidden, "only the secretariat and coordinators issue directives")
	}
	in := directive.Input{Source: directive.SourceOther, Priority: "normal", Visibility: directive.VisibleSubcommittee}
	if id := formInt(r, "meeting_id"); id > 0 {
		in.Source, in.MeetingID = directive.SourceMeeting, id
	}
	return h.directiveForm(w, r, http.StatusOK, in, nil)
}

func (h *Handler) directiveCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "bad form")
	}
	in := directive.Input{Title: r.PostFormValue("title"), Description: r.PostFormValue("description"), Source: r.PostFormValue("source"),
		MeetingID: formInt(r, "meeting_id"), DecisionID: formInt(r, "decision_id"), PlanYear: int(formInt(r, "plan_year")),
		Visibility: r.PostFormValue("visibility"), Priority: r.PostFormValue("priority"), LeadAgencyID: formInt(r, "lead_agency_id"),
		DueOn: r.PostFormValue("due_on"), Recurrence: r.PostFormValue("recurrence"), Until: r.PostFormValue("until")}
	for _, v := range r.PostForm["coordinating"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			in.Coordinating = append(in.Coordinating, id)
		}
	}
	if in.LeadAgencyID == 0 {
		// Said here with the field's name, so the form marks the select:
		// the service would otherwise speak of a lead agency code.
		msg := h.cat.For(h.lang(r)).T("dir.err_no_lead")
		return h.directiveForm(w, r, http.StatusUnprocessableEntity, in, errs.Field("lead_agency_id", "%s", msg))
	}
	d, err := h.directives.Create(r.Context(), in)
	if err != nil {
		return h.directiveForm(w, r, http.StatusUnprocessableEntity, in, err)
	}
	return redirect(w, r, withFlash(directivePath(d.ID), "dir.flash_created"))
}

type directivePage struct {
	Page
	D           directive.Directive
	Updates     []directive.Update
	Meeting     string
	CanChange   bool // issuer or coordinator: accept, return, cancel
	CanReport   bool // an assigned agency: acknowledge, progress
	CanComplete bool // the lead agency: done
	Current     directive.Task
	Today       string
}

func refsOf(d directive.Directive) access.DirectiveRefs {
	r := access.DirectiveRefs{IssuerAgencyID: d.Issuer.ID, IssuerUserID: d.IssuerUserID, Wide: d.Visibility == directive.VisibleSubcommittee, Lead: d.Lead.ID}
	for _, c := range d.Coordinating {
		r.Coordinating = append(r.Coordinating, c.ID)
	}
	return r
}

func (h *Handler) directiveShow(w http.ResponseWriter, r *http.Request) error {
	return h.showDirective(w, r, http.StatusOK, nil)
}

// showDirective renders the detail page, with perr (a refused action)
// shown above the forms.
func (h *Handler) showDirective(w http.ResponseWriter, r *http.Request, status int, perr error) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := h.directives.Get(r.Context(), id)
	if err != nil {
		return err
	}
	ups, err := h.directives.Updates(r.Context(), id)
	if err != nil {
		return err
	}
	pg := h.page(r, d.Title, "directives")
	if perr != nil && !dirFormError(&pg, perr, "note", "percent", "reason") {
		return perr
	}
	meeting := ""
	if d.MeetingID != 0 {
		if m, err := h.directives.GetMeeting(r.Context(), d.MeetingID); err == nil {
			meeting = m.Title
		}
	}
	for i := range ups {
		if ups[i].Kind == directive.KindEdit {
			ups[i].Note = editNote(pg.L, ups[i].Note)
		}
	}
	refs := refsOf(d)
	open := d.CancelledAt == nil
	return h.render(w, status, "directive", directivePage{Page: pg, D: d, Updates: ups, Meeting: meeting,
		CanChange: open && access.CanChangeDirective(p, refs), CanReport: open && access.CanReportOnDirective(p, refs),
		CanComplete: open && access.CanCompleteDirective(p, refs), Current: d.CurrentTask(), Today: h.directives.Today()})
}

// directiveAction runs one action form; a refusal the user can correct
// shows the page again with the message.
func (h *Handler) directiveAction(w http.ResponseWriter, r *http.Request, flash string, fn func(id int64) error) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "bad form")
	}
	if err := fn(id); err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.Conflict {
			return h.showDirective(w, r, http.StatusUnprocessableEntity, err)
		}
		return err
	}
	return redirect(w, r, withFlash(directivePath(id), flash))
}

func percentOf(r *http.Request) (*int, error) {
	v := strings.TrimSpace(r.PostFormValue("percent"))
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil, errs.Field("percent", "must be a whole number from 0 to 100")
	}
	return &n, nil
}

func (h *Handler) directiveAcknowledge(w http.ResponseWriter, r *http.Request) error {
	return h.directiveAction(w, r, "dir.flash_acknowledged", func(id int64) error {
		_, err := h.directives.Acknowledge(r.Context(), id)
		return err
	})
}

func (h *Handler) directiveProgress(w http.ResponseWriter, r *http.Request) error {
	return h.directiveAction(w, r, "dir.flash_progress", func(id int64) error {
		pct, err := percentOf(r)
		if err != nil {
			return err
		}
		_, err = h.directives.Progress(r.Context(), id, directive.Report{TaskID: formInt(r, "task_id"), Note: r.PostFormValue("note"),
			Percent: pct, Restricted: r.PostFormValue("restricted") != ""})
		return err
	})
}

func (h *Handler) directiveDone(w http.ResponseWriter, r *http.Request) error {
	return h.directiveAction(w, r, "dir.flash_done", func(id int64) error {
		_, err := h.directives.Complete(r.Context(), id, directive.Report{TaskID: formInt(r, "task_id"), Note: r.PostFormValue("note"),
			Restricted: r.PostFormValue("restricted") != ""})
		return err
	})
}

func (h *Handler) directiveAccept(w http.ResponseWriter, r *http.Request) error {
	return h.directiveAction(w, r, "dir.flash_accepted", func(id int64) error {
		_, err := h.directives.Accept(r.Context(), id, formInt(r, "task_id"))
		return err
	})
}

func (h *Handler) directiveReturn(w http.ResponseWriter, r *http.Request) error {
	return h.directiveAction(w, r, "dir.flash_returned", func(id int64) error {
		_, err := h.directives.Return(r.Context(), id, formInt(r, "task_id"), r.PostFormValue("reason"))
		return err
	})
}

func (h *Handler) directiveCancel(w http.ResponseWriter, r *http.Request) error {
	return h.directiveAction(w, r, "dir.flash_cancelled", func(id int64) error {
		_, err := h.directives.Cancel(r.Context(), id, r.PostFormValue("reason"))
		return err
	})
}

func (h *Handler) directiveFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fid, err := strconv.ParseInt(r.PathValue("fid"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "not found")
	}
	f, rc, err := h.directives.OpenFile(r.Context(), id, fid)
	if err != nil {
		return err
	}
	defer rc.Close()
	return sendFile(w, f.Name, f.Size, rc)
}

// --- scorecard ---

// scoreRow is one agency's line with its on-time rate as text ("—" while
// no deadline has passed).
type scoreRow struct {
	directive.Score
	Rate string
}

type scorecardPage struct {
	Page
	S     directive.Scorecard
	Rows  []scoreRow
	Year  int
	Chart template.JS
}

func (h *Handler) scorecardPage(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	year, err := h.yearOf(r)
	if err != nil {
		return err
	}
	sc, err := h.directives.Scorecard(r.Context(), year)
	if err != nil {
		return err
	}
	pg := h.page(r, "", "directives")
	pg.Title = pg.L.T("dir.scorecard_title", year)
	labels, onTime, rows := []string{}, []float64{}, []scoreRow{}
	for _, s := range sc.Scores {
		labels = append(labels, s.Agency.Code)
		onTime = append(onTime, float64(s.OnTime))
		row := scoreRow{Score: s, Rate: "—"}
		if s.OnTimeRate != nil {
			row.Rate = fmt.Sprintf("%.0f%%", *s.OnTimeRate)
		}
		rows = append(rows, row)
	}
	return h.render(w, http.StatusOK, "directive_scorecard", scorecardPage{Page: pg, S: sc, Rows: rows, Year: year,
		Chart: chartJSON(pg.L.T("dir.outcome.done_on_time"), labels, onTime)})
}

// --- calendar ---

// calDay is one cell of the month grid.
type calDay struct {
	Date  string
	Day   int
	In    bool // in the month shown
	Today bool
	Items []directive.Item
}

type calendarPage struct {
	Page
	Month      string // YYYY-MM
	Prev, Next string
	Weeks      [][]calDay
	Items      []directive.Item // the month's items, for the agenda
	AgencyID   int64
	Agencies   []agency.Agency
	FeedURL    string
	APIFeedURL string
	// MyFeed is the person's subscription feed (nil: none); NewFeedURL is
	// its address, shown once right after it is made.
	MyFeed     *directive.Feed
	NewFeedURL string
}

func (h *Handler) calendarPage(w http.ResponseWriter, r *http.Request) error {
	return h.showCalendar(w, r, "")
}

// calendarFeedCreate makes a new subscription address for the person (the
// previous one stops working) and shows it once on the calendar page: it
// is not put in a redirect, so it stays out of the browser's history.
func (h *Handler) calendarFeedCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	token, err := h.directives.CreateCalendarFeed(r.Context())
	if err != nil {
		return err
	}
	scheme := "http"
	if r.TLS != nil || h.cfg.Secure {
		scheme = "https"
	}
	return h.showCalendar(w, r, scheme+"://"+r.Host+"/api/v1/calendar/feed.ics?token="+url.QueryEscape(token))
}

func (h *Handler) calendarFeedRevoke(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	if err := h.directives.RevokeCalendarFeed(r.Context()); err != nil {
		return err
	}
	return redirect(w, r, withFlash("/calendar#my-feed", "dir.flash_feed_revoked"))
}

func (h *Handler) showCalendar(w http.ResponseWriter, r *http.Request, newFeedURL string) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	loc := h.directives.Location()
	first := time.Date(h.now().In(loc).Year(), h.now().In(loc).Month(), 1, 0, 0, 0, 0, loc)
	if v := r.URL.Query().Get("month"); v != "" {
		t, err := time.ParseInLocation("2006-01", v, loc)
		if err != nil || t.Year() < 2000 || t.Year() > 2200 {
			return errs.Field("month", "must be a month YYYY-MM")
		}
		first = t
	}
	agencyID := formInt(r, "agency_id")
	last := first.AddDate(0, 1, -1)
	// The grid runs Monday to Sunday, as calendars in Vietnam do.
	start := first.AddDate(0, 0, -((int(first.Weekday()) + 6) % 7))
	end := last.AddDate(0, 0, 6-(int(last.Weekday())+6)%7)
	items, err := h.directives.Items(r.Context(), first.Format("2006-01-02"), last.Format("2006-01-02"), agencyID)
	if err != nil {
		return err
	}
	byDate := map[string][]directive.Item{}
	for _, it := range items {
		byDate[it.Date] = append(byDate[it.Date], it)
	}
	today := h.directives.Today()
	var weeks [][]calDay
	for d := start; !d.After(end); d = d.AddDate(0, 0, 7) {
		week := make([]calDay, 7)
		for i := range week {
			day := d.AddDate(0, 0, i)
			ds := day.Format("2006-01-02")
			week[i] = calDay{Date: ds, Day: day.Day(), In: day.Month() == first.Month(), Today: ds == today, Items: byDate[ds]}
		}
		weeks = append(weeks, week)
	}
	mine, err := h.directives.CalendarFeed(r.Context())
	if err != nil && errs.KindOf(err) != errs.Invalid {
		return err
	}
	pg := h.page(r, "", "directives")
	pg.Title = pg.L.T("dir.calendar_title")
	feed, apiFeed := "/calendar.ics", "/api/v1/calendar.ics"
	if agencyID != 0 {
		feed += "?agency_id=" + strconv.FormatInt(agencyID, 10)
		apiFeed += "?agency_id=" + strconv.FormatInt(agencyID, 10)
	}
	return h.render(w, http.StatusOK, "calendar", calendarPage{Page: pg, Month: first.Format("2006-01"),
		Prev: first.AddDate(0, -1, 0).Format("2006-01"), Next: first.AddDate(0, 1, 0).Format("2006-01"),
		Weeks: weeks, Items: items, AgencyID: agencyID, Agencies: h.agencyChoices(r), FeedURL: feed, APIFeedURL: apiFeed,
		MyFeed: mine, NewFeedURL: newFeedURL})
}

// calendarFeed is the iCalendar feed through the page's session, for a
// download; calendar applications subscribe to the API feed with a token.
func (h *Handler) calendarFeed(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	host := r.Host
	if i := strings.LastIndexByte(host, ':'); i > 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	if host == "" || strings.ContainsAny(host, " /\\") {
		host = "bulwark"
	}
	cal, err := h.directives.Calendar(r.Context(), formInt(r, "agency_id"), host)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := ical.Write(&buf, cal); err != nil {
		return fmt.Errorf("ui: calendar feed: %w", err)
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="bulwark-deadlines.ics"`)
	_, err = w.Write(buf.Bytes())
	return err
}

// --- annual report ---

// reportChart is a chart of the report with its series for app.js.
type reportChart struct {
	report.Chart
	JSON template.JS
}

// reportSection is a section of the report as the page shows it.
type reportSection struct {
	report.Section
	Num    int
	Charts []reportChart
}

type annualReportPage struct {
	Page
	R        report.Report
	Year     int
	Sections []reportSection
}

func (h *Handler) annualReportPage(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	year, err := h.yearOf(r)
	if err != nil {
		return err
	}
	rep, err := h.reports.Build(r.Context(), year)
	if err != nil {
		return err
	}
	secs := make([]reportSection, 0, len(rep.Sections))
	for i, s := range rep.Sections {
		rs := reportSection{Section: s, Num: i + 1}
		for j, c := range s.Charts {
			id := c.ID
			if id == "" {
				id = fmt.Sprintf("%s-%d", s.Key, j)
			}
			c.ID = "chart-" + id
			rs.Charts = append(rs.Charts, reportChart{Chart: c, JSON: chartJSON(c.Label, c.Labels, c.Values)})
		}
		secs = append(secs, rs)
	}
	pg := h.page(r, rep.Title, "directives")
	return h.render(w, http.StatusOK, "report_annual", annualReportPage{Page: pg, R: rep, Year: year, Sections: secs})
}

// annualReportFile streams the report as "2026.pdf" or "2026.xlsx" with
// the same renderers as the API.
func (h *Handler) annualReportFile(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	file := r.PathValue("file")
	ys, ext, ok := strings.Cut(file, ".")
	year, err := strconv.Atoi(ys)
	if !ok || err != nil || year < 2000 || year > 2200 || (ext != "pdf" && ext != "xlsx") {
		return errs.E(errs.NotFound, "no report %q: ask for YEAR.pdf or YEAR.xlsx", file)
	}
	rep, err := h.reports.Build(r.Context(), year)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if ext == "pdf" {
		err = report.WritePDF(&buf, rep)
		w.Header().Set("Content-Type", "application/pdf")
	} else {
		err = report.WriteXLSX(&buf, rep)
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	}
	if err != nil {
		return fmt.Errorf("ui: annual report %d: %w", year, err)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="bao-cao-nam-%d.%s"`, year, ext))
	_, err = w.Write(buf.Bytes())
	return err
}
