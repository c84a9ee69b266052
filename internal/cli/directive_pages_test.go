package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/cascadia"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"bulwark/internal/access"
	"bulwark/internal/demo"
)

// TestDirectivePages walks the subcommittee's pages as people use them:
// the coordinator records a meeting and issues directives from it (a
// missing assignee and a past deadline are shown on the form's fields),
// the lead agency acknowledges, reports progress (restricted) and
// completes, the coordinator accepts; the list, "asked of us", scorecard,
// calendar and annual report show it, and another agency does not read
// the restricted note nor see the action forms.
func TestDirectivePages(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		at := func(date string) {
			d, _ := time.Parse("2006-01-02", date)
			e.app.now = func() time.Time { return d.Add(5 * time.Hour) }
		}
		at("2026-01-20")
		c := e.browser(t)
		c.login(coord, e.accounts[coord].Password)
		must := func(b *browser, path, sel string, min int) *html.Node {
			t.Helper()
			code, doc := b.get(path)
			if code != 200 {
				t.Fatalf("GET %s = %d", path, code)
			}
			if n := len(queryAll(doc, sel)); n < min {
				t.Errorf("GET %s: %q matched %d, want at least %d", path, sel, n, min)
			}
			return doc
		}
		location := func(resp *http.Response, want int) string {
			t.Helper()
			if resp.StatusCode != want {
				t.Fatalf("status %d, want %d", resp.StatusCode, want)
			}
			return resp.Header.Get("Location")
		}

		// A meeting with attendance and Markdown minutes.
		doc := must(c, "/meetings/new", "form#meeting-form input[name=decision_ids]", 1)
		loc := location(c.post("/meetings", url.Values{"csrf": {csrfOf(doc)}, "title": {"Hội nghị Tiểu ban năm 2026"}, "kind": {"annual"},
			"held_on": {"2026-01-20"}, "start_time": {"08:00"}, "place": {"UBND tỉnh"}, "chair": {"Phó Chủ tịch UBND tỉnh"},
			"attendees": {"Nguyễn Văn Thành; Giám đốc; SKHCN; present\nTrần Văn Bình; Phó Giám đốc; VTL; delegated; Lê Hữu Nam\nPhạm Thu; ; HTP; absent\n+ Chuyên gia; Khách mời"},
			"minutes":   {"**Thống nhất** giao nhiệm vụ <script>alert(1)</script>"}, "decision_ids": {"3"}}), http.StatusSeeOther)
		if !strings.HasPrefix(loc, "/meetings/") {
			t.Fatalf("meeting created -> %q", loc)
		}
		mpath := strings.SplitN(loc, "?", 2)[0]
		doc = must(c, mpath, "#attendees tbody tr", 4)
		must(c, mpath, "#attendees .att-delegated", 1)
		must(c, mpath, "#minutes strong", 1)
		if len(queryAll(doc, "#minutes script")) != 0 {
			t.Error("minutes render a script element")
		}
		must(c, mpath, "#meeting-decisions li strong", 1)
		// A document of 2 MiB (over the pages' 1 MiB) is streamed in and downloads intact.
		upload := func(b *browser, csrf string, body []byte) *http.Response {
			t.Helper()
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			_ = mw.WriteField("csrf", csrf)
			fw, _ := mw.CreateFormFile("file", "Biên bản hội nghị.pdf")
			_, _ = fw.Write(body)
			_ = mw.Close()
			resp, err := b.c.Post(b.base+mpath+"/documents", mw.FormDataContentType(), &buf)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp
		}
		blob := bytes.Repeat([]byte("%PDF-1.4 biên bản\n"), 2<<20/20)
		location(upload(c, csrfOf(doc), blob), http.StatusSeeOther)
		doc = must(c, mpath, "#meeting-documents li a", 1)
		resp, err := c.c.Get(c.base + attr(queryAll(doc, "#meeting-documents li a")[0], "href"))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Equal(got, blob) || resp.Header.Get("Content-Type") != "application/octet-stream" {
			t.Errorf("document download: %d bytes (want %d), %s", len(got), len(blob), resp.Header.Get("Content-Type"))
		}
		other := e.browser(t)
		other.login(skhcn, e.accounts[skhcn].Password)
		_, odoc := other.get(mpath)
		if len(queryAll(odoc, "#document-form")) != 0 {
			t.Error("an agency analyst sees the document form")
		}
		if resp := upload(other, csrfOf(odoc), []byte("x")); resp.StatusCode != http.StatusForbidden {
			t.Errorf("upload by an agency analyst = %d, want 403", resp.StatusCode)
		}
		// A bad attendee line is shown on the form, not a 500.
		code, fdoc := c.postDoc("/meetings", url.Values{"csrf": {csrfOf(doc)}, "title": {"x"}, "kind": {"annual"}, "held_on": {"2026-01-20"}, "attendees": {"A; ; NOPE"}})
		if code != http.StatusUnprocessableEntity || len(queryAll(fdoc, "#meeting-form .field-error")) == 0 {
			t.Errorf("unknown agency in attendees = %d, want 422 with a field error", code)
		}

		// The directive form refuses no assignee and a past deadline, on the fields.
		meetingID := strings.TrimPrefix(mpath, "/meetings/")
		doc = must(c, "/directives/new?meeting_id="+meetingID, "#directive-form select[name=lead_agency_id] option", 10)
		if n := queryAll(doc, "#meeting_id option[selected]"); len(n) != 1 || attr(n[0], "value") != meetingID {
			t.Error("the meeting is not preselected on the directive form")
		}
		csrf := csrfOf(doc)
		form := func(lead, due string) url.Values {
			return url.Values{"csrf": {csrf}, "title": {"Nhiệm vụ của " + lead}, "source": {"meeting"}, "meeting_id": {meetingID}, "decision_id": {"3"},
				"priority": {"high"}, "visibility": {"subcommittee"}, "lead_agency_id": {lead}, "due_on": {due}}
		}
		code, fdoc = c.postDoc("/directives", form("0", "2026-06-30"))
		if code != http.StatusUnprocessableEntity || len(queryAll(fdoc, "#lead_agency_id[aria-invalid] + .field-error")) != 1 {
			t.Errorf("no assignee = %d, want 422 with the error on the lead agency", code)
		}
		agencyID := func(code string) string {
			for _, o := range queryAll(doc, "#lead_agency_id option") {
				if strings.HasPrefix(text(o), code+" ") {
					return attr(o, "value")
				}
			}
			t.Fatalf("no agency %s in the form", code)
			return ""
		}
		code, fdoc = c.postDoc("/directives", form(agencyID("SKHCN"), "2026-01-01"))
		if code != http.StatusUnprocessableEntity || len(queryAll(fdoc, "#due_on[aria-invalid] + .field-error")) != 1 ||
			!strings.Contains(text(queryAll(fdoc, "#due_on + .field-error")[0]), "đã qua") {
			t.Errorf("past deadline = %d, want 422 with the error on the deadline", code)
		}
		ids := map[string]string{}
		for _, d := range []struct{ lead, due string }{{"SKHCN", "2026-06-30"}, {"VTL", "2026-03-31"}, {"HTP", "2026-02-15"}} {
			f := form(agencyID(d.lead), d.due)
			if d.lead == "SKHCN" {
				f["coordinating"] = []string{agencyID("VTL")}
			}
			loc := location(c.post("/directives", f), http.StatusSeeOther)
			ids[d.lead] = strings.SplitN(loc, "?", 2)[0]
		}
		must(c, mpath, "#meeting-directives li", 3)
		must(c, "/directives", "#directive-list tr.dir-row", 3)
		must(c, "/directives?status=assigned", "#directive-list tr.dir-row[data-status=assigned]", 3)

		// The lead agency acknowledges, reports restricted progress, completes.
		at("2026-02-10")
		s := e.browser(t)
		s.login(skhcn, e.accounts[skhcn].Password)
		must(s, "/directives/asked", "#asked-list li.dir-card", 1)
		doc = must(s, ids["SKHCN"], "form#form-acknowledge", 1)
		if len(queryAll(doc, "form#form-cancel")) != 0 {
			t.Error("the lead agency's analyst sees the cancel form")
		}
		csrf = csrfOf(doc)
		location(s.post(ids["SKHCN"]+"/acknowledge", url.Values{"csrf": {csrf}}), http.StatusSeeOther)
		must(s, ids["SKHCN"], "#dir-status.dst-acknowledged", 1)
		code, fdoc = s.postDoc(ids["SKHCN"]+"/progress", url.Values{"csrf": {csrf}, "note": {"x"}, "percent": {"150"}})
		if code != http.StatusUnprocessableEntity || len(queryAll(fdoc, "p.error")) != 1 {
			t.Errorf("percent 150 = %d, want 422 with the message", code)
		}
		location(s.post(ids["SKHCN"]+"/progress", url.Values{"csrf": {csrf}, "note": {"Đã rà soát 12 hệ thống, nội bộ"}, "percent": {"50"}, "restricted": {"1"}}), http.StatusSeeOther)
		must(s, ids["SKHCN"], "#dir-history li.upd-restricted", 1)
		location(s.post(ids["SKHCN"]+"/done", url.Values{"csrf": {csrf}, "note": {"Hoàn thành rà soát"}}), http.StatusSeeOther)
		must(s, ids["SKHCN"], "#dir-status.dst-done_on_time", 1)

		// The coordinating agency (VTL) sees neither the restricted note nor the done form.
		v := e.browser(t)
		v.login(liaison, e.accounts[liaison].Password)
		doc = must(v, ids["SKHCN"], "#dir-history li", 2)
		if len(queryAll(doc, "#dir-history li.upd-restricted")) != 0 || strings.Contains(text(doc), "nội bộ") {
			t.Error("another agency reads the restricted note")
		}
		if len(queryAll(doc, "form#form-done")) != 0 {
			t.Error("a coordinating agency sees the done form")
		}
		// A forged accept from VTL is refused.
		if resp := v.post(ids["SKHCN"]+"/accept", url.Values{"csrf": {csrfOf(doc)}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("accept by another agency = %d, want 403", resp.StatusCode)
		}

		// The coordinator accepts; the HTP deadline passed: overdue.
		at("2026-02-20")
		doc = must(c, ids["SKHCN"], "form.form-accept", 1)
		location(c.post(ids["SKHCN"]+"/accept", url.Values{"csrf": {csrfOf(doc)}, "task_id": {attr(queryAll(doc, "form.form-accept input[name=task_id]")[0], "value")}}), http.StatusSeeOther)
		doc = must(c, ids["SKHCN"], "#dir-history li.upd-accept", 1)
		must(c, ids["HTP"], "#dir-status.dst-overdue", 1)
		must(c, "/directives?status=overdue", "#directive-list tr.dir-row[data-status=overdue]", 1)

		// Scorecard, calendar, report.
		doc = must(c, "/scorecard?year=2026", "#score-table tbody tr[data-agency]", 3)
		must(c, "/scorecard?year=2026", "canvas[data-chart=bar][data-source=score-data]", 1)
		if got := text(queryAll(doc, "#score-table tr[data-agency=SKHCN] td.rate")[0]); got != "100%" {
			t.Errorf("SKHCN on-time rate = %q, want 100%%", got)
		}
		if got := text(queryAll(doc, "#score-table tr[data-agency=HTP] td.rate")[0]); got != "0%" {
			t.Errorf("HTP on-time rate = %q, want 0%%", got)
		}
		if got := text(queryAll(doc, "#tot-on-time")[0]); got != "1" {
			t.Errorf("scorecard on time = %s, want 1", got)
		}
		if got := text(queryAll(doc, "#tot-not-done")[0]); got != "1" {
			t.Errorf("scorecard not done = %s, want 1 (HTP)", got)
		}
		must(c, "/calendar?month=2026-02", "#cal-grid td[data-date='2026-02-15'] a.cal-deadline.dst-overdue", 1)
		must(c, "/calendar?month=2026-01", "#cal-grid td[data-date='2026-01-20'] a.cal-meeting", 1)
		must(c, "/calendar?month=2026-06", "#cal-agenda li a", 1)
		must(c, "/calendar", "a#ics-link[href='/calendar.ics']", 1)
		if code, _ := c.get("/calendar?month=June"); code != http.StatusBadRequest {
			t.Errorf("bad month = %d, want 400", code)
		}
		doc = must(c, "/reports/annual?year=2026", "section#sec-directives", 1)
		must(c, "/reports/annual?year=2026", "a#report-pdf[href='/reports/annual/2026.pdf']", 1)
		if !strings.Contains(text(queryAll(doc, "section#sec-directives")[0]), "SKHCN") {
			t.Error("the report's directives section does not name SKHCN")
		}
		must(c, "/reports/annual?year=2019", "section.report-section", 3) // an empty year is a report, not an error
		for path, ctype := range map[string]string{"/reports/annual/2026.pdf": "application/pdf", "/reports/annual/2026.xlsx": "spreadsheetml", "/calendar.ics": "text/calendar"} {
			resp, err := c.c.Get(c.base + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), ctype) || len(body) < 100 {
				t.Errorf("GET %s = %d %s (%d bytes)", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
			}
		}
		if code, _ := c.get("/reports/annual/2026.docx"); code != http.StatusNotFound {
			t.Errorf("report in an unknown format = %d, want 404", code)
		}
		// Anonymous visitors are sent to the login page.
		anon := e.browser(t)
		for _, p := range []string{"/directives", "/reports/annual/2026.pdf", "/calendar.ics", fmt.Sprint(ids["VTL"])} {
			if code, _ := anon.get(p); code != http.StatusSeeOther {
				t.Errorf("anonymous GET %s = %d, want 303", p, code)
			}
		}
	})
}

// TestDirectiveDemo seeds the demo's subcommittee work and checks the
// issue's three outcomes on the scorecard and the annual report page: the
// science and technology department done on time, Viettel late, Tân Phú
// not done (overdue).
func TestDirectiveDemo(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		sys := access.With(context.Background(), access.SystemPrincipal())
		if err := demo.SeedDirectives(sys, e.app.Directives, e.app.Agencies, e.app.Auth); err != nil {
			t.Fatalf("seed: %v", err)
		}
		e.app.now = func() time.Time { return time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC) }
		c := e.browser(t)
		c.login(coord, e.accounts[coord].Password)
		_, doc := c.get("/scorecard?year=2026")
		got := map[string]string{}
		for _, tr := range queryAll(doc, "#score-table tbody tr[data-agency]") {
			cell := func(sel string) string { return text(cascadia.Query(tr, cascadia.MustCompile(sel))) }
			got[attr(tr, "data-agency")] = cell("td.on-time") + "/" + cell("td.late") + "/" + cell("td.not-done")
		}
		want := map[string]string{"SKHCN": "1/0/0", "VTL": "0/1/0", "HTP": "0/0/1", "CAT": "2/0/1"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("scorecard on time/late/not done per agency (-want +got):\n%s", diff)
		}
		_, doc = c.get("/meetings/1")
		if n := len(queryAll(doc, "#attendees tbody tr")); n != 6 {
			t.Errorf("demo meeting attendees = %d, want 6", n)
		}
		if n := len(queryAll(doc, "#meeting-decisions li strong")); n != 1 || !strings.Contains(text(doc), "78/QĐ-TBATANM") {
			t.Error("the demo meeting does not record decision 78/QĐ-TBATANM")
		}
		_, doc = c.get("/reports/annual?year=2026")
		sec := text(queryAll(doc, "section#sec-directives")[0])
		for _, w := range []string{"SKHCN", "VTL", "HTP"} {
			if !strings.Contains(sec, w) {
				t.Errorf("the report's directives section does not name %s", w)
			}
		}
		// Viettel's restricted note stays with Viettel, the issuer and coordinators.
		s := e.browser(t)
		s.login(skhcn, e.accounts[skhcn].Password)
		_, doc = s.get("/directives/2")
		if strings.Contains(text(doc), "4.200") {
			t.Error("another agency reads Viettel's restricted note")
		}
	})
}
