package api

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"

	"bulwark/internal/access"
	"bulwark/internal/directive"
	"bulwark/internal/directive/ical"
	"bulwark/internal/errs"
	"bulwark/internal/report"
)

// The subcommittee's work (issue 8): meetings, directives, progress, the
// scorecard, the calendar and the annual evaluation report.

func (h *Handler) directiveRoutes() []Route {
	if h.directives == nil {
		return nil
	}
	const tag = "directives"
	dirParams := []Param{{"agency_id", "integer", "assigned to this agency (as lead; with role=any also coordinating)"}, {"role", "string", "lead (default) or any"},
		{"status", "string", "open, all, or a status: assigned, acknowledged, in_progress, returned, overdue, done_on_time, done_late, cancelled"},
		{"year", "integer", "with a deadline in this year"}, {"plan_year", "integer", "of this year's plan"}, {"meeting_id", "integer", "decided at this meeting"}}
	rs := []Route{
		{Method: "GET", Path: "/api/v1/meetings", Summary: "List meetings, latest first", Tag: tag, Query: append([]Param{{"year", "integer", "held in this year"}}, pageParams...), Response: Page[directive.Meeting]{}, fn: h.listMeetings},
		{Method: "POST", Path: "/api/v1/meetings", Summary: "Record a meeting (admins, standing agency coordinators)", Tag: tag, Body: directive.MeetingInput{}, Response: meetingJSON{}, Status: 201, fn: h.createMeeting},
		{Method: "GET", Path: "/api/v1/meetings/{id}", Summary: "A meeting with attendees, decisions, documents and minutes_html", Tag: tag, Response: meetingJSON{}, fn: h.getMeeting},
		{Method: "PUT", Path: "/api/v1/meetings/{id}", Summary: "Replace a meeting's record, attendees and decisions", Tag: tag, Body: directive.MeetingInput{}, Response: meetingJSON{}, fn: h.updateMeeting},
		{Method: "POST", Path: "/api/v1/meetings/{id}/documents", Summary: "Attach a document (raw body, ?name=)", Tag: tag, Query: []Param{{"name", "string", "file name"}}, Response: directive.Document{}, Status: 201, fn: h.addMeetingDocument},
		{Method: "GET", Path: "/api/v1/meetings/{id}/documents/{did}", Summary: "Download a meeting document", Tag: tag, fn: h.meetingDocument},
		{Method: "GET", Path: "/api/v1/directives", Summary: "Directives the caller sees, open first, nearest deadline first", Tag: tag, Query: append(dirParams, pageParams...), Response: Page[directive.Directive]{}, fn: h.listDirectives},
		{Method: "POST", Path: "/api/v1/directives", Summary: "Issue a directive; refused without a lead agency or with a deadline in the past", Tag: tag, Body: directive.Input{}, Response: directive.Directive{}, Status: 201, fn: h.createDirective},
		{Method: "GET", Path: "/api/v1/directives/asked", Summary: "What is asked of the caller's agency: its open directives as lead or coordinating agency", Tag: tag, Response: []directive.Directive{}, fn: h.askedOf},
		{Method: "GET", Path: "/api/v1/directives/{id}", Summary: "A directive with its tasks, computed status and history", Tag: tag, Response: directiveJSON{}, fn: h.getDirective},
		{Method: "PUT", Path: "/api/v1/directives/{id}", Summary: "Change a directive (its issuer or a coordinator)", Tag: tag, Body: directive.Edit{}, Response: directive.Directive{}, fn: h.updateDirective},
		{Method: "POST", Path: "/api/v1/directives/{id}/acknowledge", Summary: "Acknowledge receipt (an assigned agency)", Tag: tag, Response: directive.Directive{}, fn: byID(h.directives.Acknowledge)},
		{Method: "GET", Path: "/api/v1/directives/{id}/progress", Summary: "History and progress notes (restricted notes of other agencies left out)", Tag: tag, Response: []directive.Update{}, fn: byID(h.directives.Updates)},
		{Method: "POST", Path: "/api/v1/directives/{id}/progress", Summary: "Post a progress note (an assigned agency)", Tag: tag, Body: reportJSON{}, Response: directive.Update{}, Status: 201, fn: h.postProgress},
		{Method: "POST", Path: "/api/v1/directives/{id}/done", Summary: "Mark the current task done with its result (the lead agency)", Tag: tag, Body: reportJSON{}, Response: directive.Directive{}, fn: h.completeDirective},
		{Method: "POST", Path: "/api/v1/directives/{id}/accept", Summary: "Accept a done task (issuer or coordinator)", Tag: tag, Body: taskJSON{}, Response: directive.Directive{}, fn: h.acceptDirective},
		{Method: "POST", Path: "/api/v1/directives/{id}/return", Summary: "Return a done task with a reason (issuer or coordinator)", Tag: tag, Body: returnJSON{}, Response: directive.Directive{}, fn: h.returnDirective},
		{Method: "POST", Path: "/api/v1/directives/{id}/cancel", Summary: "Cancel a directive with a reason (issuer or coordinator)", Tag: tag, Body: reasonJSON{}, Response: directive.Directive{}, fn: h.cancelDirective},
		{Method: "GET", Path: "/api/v1/directives/{id}/files/{fid}", Summary: "Download an attachment of a progress note", Tag: tag, fn: h.directiveFile},
		{Method: "GET", Path: "/api/v1/scorecard/{year}", Summary: "Year-end outcome of every task and the tally per lead agency", Tag: tag, Response: directive.Scorecard{}, fn: h.scorecard},
		{Method: "GET", Path: "/api/v1/calendar", Summary: "Meetings and deadlines between two dates", Tag: tag, Query: []Param{{"from", "string", "YYYY-MM-DD"}, {"to", "string", "YYYY-MM-DD"}, {"agency_id", "integer", "one agency's deadlines"}}, Response: []directive.Item{}, fn: h.calendarItems},
		{Method: "GET", Path: "/api/v1/calendar.ics", Summary: "iCalendar (RFC 5545) feed of an agency's deadlines and the meetings", Tag: tag, Query: []Param{{"agency_id", "integer", "agency (default: the caller's)"}}, fn: h.calendarICS},
		{Method: "GET", Path: "/api/v1/calendar/feed.ics", Summary: "A person's calendar feed for calendar applications: the secret in the address (made on the calendar page) stands for the login; read-only, their agency's deadlines they may see and the meetings", Tag: tag, Public: true, Query: []Param{{"token", "string", "the feed's secret (bcal_…)"}}, fn: h.calendarFeedICS},
	}
	if h.reports != nil {
		rs = append(rs, Route{Method: "GET", Path: "/api/v1/reports/annual/{year}", Summary: "The annual evaluation report of a year", Tag: "reports",
			Query: []Param{{"format", "string", "json (default), html, pdf or xlsx"}}, Response: report.Report{}, fn: h.annualReport})
	}
	return rs
}

type meetingJSON struct {
	directive.Meeting
	MinutesHTML template.HTML `json:"minutes_html"`
}

type directiveJSON struct {
	directive.Directive
	DescriptionHTML template.HTML      `json:"description_html"`
	Updates         []directive.Update `json:"updates"`
}

type reportJSON struct {
	TaskID     int64  `json:"task_id"`
	Note       string `json:"note"`
	Percent    *int   `json:"percent"`
	Restricted bool   `json:"restricted"`
}

type taskJSON struct {
	TaskID int64 `json:"task_id"`
}

type returnJSON struct {
	TaskID int64  `json:"task_id"`
	Reason string `json:"reason"`
}

type reasonJSON struct {
	Reason string `json:"reason"`
}

func queryInt(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errs.Field(name, "must be a positive whole number")
	}
	return n, nil
}

func (h *Handler) listMeetings(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	year, err := queryInt(r, "year")
	if err != nil {
		return err
	}
	ms, total, err := h.directives.ListMeetings(r.Context(), directive.MeetingFilter{Year: int(year), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Page[directive.Meeting]{Items: ms, Total: total, Limit: limit, Offset: offset})
}

func (h *Handler) createMeeting(w http.ResponseWriter, r *http.Request) error {
	var in directive.MeetingInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	m, err := h.directives.CreateMeeting(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, meetingJSON{m, m.MinutesHTML()})
}

func (h *Handler) getMeeting(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := h.directives.GetMeeting(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, meetingJSON{m, m.MinutesHTML()})
}

func (h *Handler) updateMeeting(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in directive.MeetingInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	m, err := h.directives.UpdateMeeting(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, meetingJSON{m, m.MinutesHTML()})
}

func (h *Handler) addMeetingDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := h.directives.AddDocument(r.Context(), id, r.URL.Query().Get("name"), r.Body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, d)
}

func (h *Handler) meetingDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	did, err := pathInt(r, "did")
	if err != nil {
		return err
	}
	d, rc, err := h.directives.OpenDocument(r.Context(), id, did)
	if err != nil {
		return err
	}
	defer rc.Close()
	return sendStored(w, d.Name, d.Size, rc)
}

// sendStored streams a stored file as a download, never rendered inline.
func sendStored(w http.ResponseWriter, name string, size int64, rc io.Reader) error {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	setAttachment(w, name)
	_, err := io.Copy(w, rc)
	return err
}

func (h *Handler) listDirectives(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	f := directive.Filter{Limit: limit, Offset: offset, Status: r.URL.Query().Get("status"), AnyRole: r.URL.Query().Get("role") == "any"}
	if f.AgencyID, err = queryInt(r, "agency_id"); err != nil {
		return err
	}
	if f.MeetingID, err = queryInt(r, "meeting_id"); err != nil {
		return err
	}
	year, err := queryInt(r, "year")
	if err != nil {
		return err
	}
	plan, err := queryInt(r, "plan_year")
	if err != nil {
		return err
	}
	f.Year, f.PlanYear = int(year), int(plan)
	ds, total, err := h.directives.List(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Page[directive.Directive]{Items: ds, Total: total, Limit: limit, Offset: offset})
}

func (h *Handler) createDirective(w http.ResponseWriter, r *http.Request) error {
	var in directive.Input
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	d, err := h.directives.Create(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, d)
}

func (h *Handler) askedOf(w http.ResponseWriter, r *http.Request) error {
	ds, err := h.directives.AskedOf(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ds)
}

func (h *Handler) getDirective(w http.ResponseWriter, r *http.Request) error {
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
	return writeJSON(w, http.StatusOK, directiveJSON{d, d.DescriptionHTML(), ups})
}

func (h *Handler) updateDirective(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var e directive.Edit
	if err := Decode(r.Body, &e); err != nil {
		return err
	}
	d, err := h.directives.Update(r.Context(), id, e)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (h *Handler) postProgress(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in reportJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	u, err := h.directives.Progress(r.Context(), id, directive.Report{TaskID: in.TaskID, Note: in.Note, Percent: in.Percent, Restricted: in.Restricted})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, u)
}

func (h *Handler) completeDirective(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in reportJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	d, err := h.directives.Complete(r.Context(), id, directive.Report{TaskID: in.TaskID, Note: in.Note, Restricted: in.Restricted})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (h *Handler) acceptDirective(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in taskJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	d, err := h.directives.Accept(r.Context(), id, in.TaskID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (h *Handler) returnDirective(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in returnJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	d, err := h.directives.Return(r.Context(), id, in.TaskID, in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (h *Handler) cancelDirective(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in reasonJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	d, err := h.directives.Cancel(r.Context(), id, in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (h *Handler) directiveFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fid, err := pathInt(r, "fid")
	if err != nil {
		return err
	}
	f, rc, err := h.directives.OpenFile(r.Context(), id, fid)
	if err != nil {
		return err
	}
	defer rc.Close()
	return sendStored(w, f.Name, f.Size, rc)
}

func pathYear(r *http.Request) (int, error) {
	y, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || y < 2000 || y > 2100 {
		return 0, errs.Field("year", "must be a year from 2000 to 2100")
	}
	return y, nil
}

func (h *Handler) scorecard(w http.ResponseWriter, r *http.Request) error {
	y, err := pathYear(r)
	if err != nil {
		return err
	}
	sc, err := h.directives.Scorecard(r.Context(), y)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sc)
}

func (h *Handler) calendarItems(w http.ResponseWriter, r *http.Request) error {
	agencyID, err := queryInt(r, "agency_id")
	if err != nil {
		return err
	}
	items, err := h.directives.Items(r.Context(), r.URL.Query().Get("from"), r.URL.Query().Get("to"), agencyID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, items)
}

func (h *Handler) calendarICS(w http.ResponseWriter, r *http.Request) error {
	agencyID, err := queryInt(r, "agency_id")
	if err != nil {
		return err
	}
	cal, err := h.directives.Calendar(r.Context(), agencyID, hostOf(r))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := ical.Write(&buf, cal); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	setAttachment(w, "bulwark-deadlines.ics")
	_, err = w.Write(buf.Bytes())
	return err
}

// calendarFeedICS serves a feed by its secret, without a login.
func (h *Handler) calendarFeedICS(w http.ResponseWriter, r *http.Request) error {
	cal, err := h.directives.FeedCalendar(r.Context(), r.URL.Query().Get("token"), hostOf(r))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := ical.Write(&buf, cal); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	_, err = w.Write(buf.Bytes())
	return err
}

// hostOf is the host part of UIDs in the feed: stable for one site.
func hostOf(r *http.Request) string {
	h := r.Host
	if i := strings.LastIndexByte(h, ':'); i > 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	if h == "" || strings.ContainsAny(h, " /\\") {
		return "bulwark"
	}
	return h
}

func (h *Handler) annualReport(w http.ResponseWriter, r *http.Request) error {
	y, err := pathYear(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if p := access.From(r.Context()); p == nil {
		return errs.E(errs.Unauthorized, "login required")
	}
	rep, err := h.reports.Build(r.Context(), y)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	name := fmt.Sprintf("bao-cao-nam-%d", y)
	switch format {
	case "", "json":
		return writeJSON(w, http.StatusOK, rep)
	case "html":
		if err := report.WriteHTML(&buf, rep); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	case "pdf":
		if err := report.WritePDF(&buf, rep); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/pdf")
		setAttachment(w, name+".pdf")
	case "xlsx":
		if err := report.WriteXLSX(&buf, rep); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		setAttachment(w, name+".xlsx")
	default:
		return errs.Field("format", "must be json, html, pdf or xlsx")
	}
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(buf.Bytes())
	return err
}
