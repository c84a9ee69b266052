package cli

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// TestDirectiveEditPages: the coordinator edits a meeting and a directive
// through their forms (filled in with what is stored, CSRF-protected);
// the directive's journal and the audit log record the change; the lead
// agency may report on the directive but neither gets the edit form nor
// can post it; a past deadline is refused next to its field.
func TestDirectiveEditPages(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		d, _ := time.Parse("2006-01-02", "2026-02-02")
		e.app.now = func() time.Time { return d.Add(5 * time.Hour) }
		var m struct{ ID int64 }
		decodeJSON(t, e.call(t, "POST", "/api/v1/meetings", coord, `{"title":"Họp quý I","kind":"quarterly","held_on":"2026-02-02","place":"UBND tỉnh",
			"attendees":[{"person_name":"Nguyễn Văn Thành","person_title":"Giám đốc","agency_id":`+fmt.Sprint(e.agencyID(t, "SKHCN"))+`,"attendance":"present"},{"person_name":"Chuyên gia","guest":true}],"decision_ids":[3]}`, 201), &m)
		var dir struct{ ID int64 }
		decodeJSON(t, e.call(t, "POST", "/api/v1/directives", coord, fmt.Sprintf(`{"title":"Rà soát hệ thống cấp độ 3","source":"meeting","meeting_id":%d,"lead_agency_code":"SKHCN","coordinating_agency_codes":["VTL"],"due_on":"2026-06-30"}`, m.ID), 201), &dir)
		mpath, dpath := fmt.Sprintf("/meetings/%d", m.ID), fmt.Sprintf("/directives/%d", dir.ID)

		c := e.browser(t)
		c.login(coord, e.accounts[coord].Password)
		get := func(b *browser, path string, want int) *html.Node {
			t.Helper()
			code, doc := b.get(path)
			if code != want {
				t.Fatalf("GET %s = %d, want %d", path, code, want)
			}
			return doc
		}
		value := func(doc *html.Node, sel string) string {
			t.Helper()
			n := queryAll(doc, sel)
			if len(n) == 0 {
				t.Fatalf("no %s on the form", sel)
			}
			if n[0].Data == "textarea" {
				return textOf(n[0])
			}
			return attr(n[0], "value")
		}

		// The meeting's form holds what is stored.
		if len(queryAll(get(c, mpath, 200), "a#meeting-edit")) != 1 {
			t.Error("the coordinator has no edit link on the meeting")
		}
		doc := get(c, mpath+"/edit", 200)
		if got := value(doc, "form#meeting-form[action='"+mpath+"/edit'] input#title"); got != "Họp quý I" {
			t.Errorf("meeting form title = %q", got)
		}
		people := value(doc, "textarea#attendees")
		if !strings.Contains(people, "Nguyễn Văn Thành; Giám đốc; SKHCN; present") || !strings.Contains(people, "+ Chuyên gia") {
			t.Errorf("meeting form attendees = %q", people)
		}
		if len(queryAll(doc, "input[name=decision_ids][value='3'][checked]")) != 1 {
			t.Error("the meeting's decision is not ticked")
		}
		form := url.Values{"csrf": {csrfOf(doc)}, "title": {"Họp quý I năm 2026"}, "kind": {"quarterly"}, "held_on": {"2026-02-02"},
			"place": {"Hội trường UBND tỉnh"}, "attendees": {people}, "decision_ids": {"3"}, "minutes": {"Đã thống nhất"}}
		resp := c.post(mpath+"/edit", form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save meeting = %d", resp.StatusCode)
		}
		var mj struct {
			Title, Place string
			Attendees    []struct{ PersonName string }
		}
		decodeJSON(t, e.call(t, "GET", "/api/v1"+mpath, coord, "", 200), &mj)
		if mj.Title != "Họp quý I năm 2026" || mj.Place != "Hội trường UBND tỉnh" || len(mj.Attendees) != 2 {
			t.Errorf("meeting after edit = %+v", mj)
		}
		bad := url.Values{"csrf": {csrfOf(doc)}, "title": {""}, "kind": {"quarterly"}, "held_on": {"2026-02-02"}}
		if resp := c.post(mpath+"/edit", bad); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("meeting without a title = %d, want 422", resp.StatusCode)
		}
		noToken := url.Values{"title": {"x"}, "kind": {"quarterly"}, "held_on": {"2026-02-02"}}
		if resp := c.post(mpath+"/edit", noToken); resp.StatusCode != http.StatusForbidden {
			t.Errorf("meeting edit without the CSRF token = %d, want 403", resp.StatusCode)
		}

		// The directive's form: what the issuer may change, filled in.
		if len(queryAll(get(c, dpath, 200), "a#directive-edit")) != 1 {
			t.Error("the coordinator has no edit link on the directive")
		}
		doc = get(c, dpath+"/edit", 200)
		if got := value(doc, "form#directive-form input#title"); got != "Rà soát hệ thống cấp độ 3" {
			t.Errorf("directive form title = %q", got)
		}
		if got := value(doc, "input#due_on"); got != "2026-06-30" {
			t.Errorf("directive form deadline = %q", got)
		}
		if len(queryAll(doc, "select#lead_agency_id option[selected]")) != 1 || len(queryAll(doc, "input[name=coordinating][checked]")) != 1 ||
			len(queryAll(doc, "select#source")) != 0 {
			t.Error("directive form: lead, coordinating or fixed fields wrong")
		}
		lead := attr(queryAll(doc, "select#lead_agency_id option[selected]")[0], "value")
		edit := url.Values{"csrf": {csrfOf(doc)}, "title": {"Rà soát các hệ thống cấp độ 3 trở lên"}, "description": {""}, "lead_agency_id": {lead},
			"due_on": {"2026-01-15"}, "priority": {"high"}, "visibility": {"subcommittee"}}
		resp, page, err := c.postPage(dpath+"/edit", edit)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusUnprocessableEntity || len(queryAll(page, "input#due_on[aria-invalid=true]")) != 1 {
			t.Errorf("past deadline = %d, want 422 marked on the field", resp.StatusCode)
		}
		edit.Set("due_on", "2026-07-15")
		if resp := c.post(dpath+"/edit", edit); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save directive = %d", resp.StatusCode)
		}
		doc = get(c, dpath, 200)
		if h := textOf(queryAll(doc, "h1")[0]); h != "Rà soát các hệ thống cấp độ 3 trở lên" {
			t.Errorf("directive title after edit = %q", h)
		}
		journal := textOf(queryAll(doc, "#dir-history")[0])
		for _, want := range []string{"tên nhiệm vụ", "mức ưu tiên", "cơ quan phối hợp", "hạn từ 2026-06-30 thành 2026-07-15"} {
			if !strings.Contains(journal, want) {
				t.Errorf("journal lacks %q: %s", want, journal)
			}
		}
		var audit struct {
			Items []struct{ Action, Detail string }
		}
		decodeJSON(t, e.call(t, "GET", "/api/v1/audit?limit=50", "admin@demo.bulwark.vn", "", 200), &audit)
		seen := map[string]bool{}
		for _, a := range audit.Items {
			seen[a.Action] = true
			if a.Action == "directive.update" && !strings.Contains(a.Detail, "due_on 2026-06-30 -> 2026-07-15") {
				t.Errorf("audit detail = %q", a.Detail)
			}
		}
		if !seen["directive.update"] || !seen["meeting.update"] {
			t.Errorf("audit lacks the edits: %v", seen)
		}

		// The lead agency reports on the directive but does not change it.
		s := e.browser(t)
		s.login(skhcn, e.accounts[skhcn].Password)
		doc = get(s, dpath, 200)
		if len(queryAll(doc, "a#directive-edit")) != 0 {
			t.Error("the lead agency sees the edit link")
		}
		get(s, dpath+"/edit", 403)
		get(s, mpath+"/edit", 403)
		edit.Set("csrf", csrfOf(doc))
		edit.Set("title", "đổi")
		if resp := s.post(dpath+"/edit", edit); resp.StatusCode != http.StatusForbidden {
			t.Errorf("directive edit by the lead agency = %d, want 403", resp.StatusCode)
		}
		form.Set("csrf", csrfOf(doc))
		if resp := s.post(mpath+"/edit", form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("meeting edit by an agency analyst = %d, want 403", resp.StatusCode)
		}
	})
}
