package cli

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestDirectiveFlowAPI is the check through the API: a meeting
// records a decision that becomes directives to three agencies; one
// reports progress and completes on time, one completes late, one lets
// its deadline pass; the annual report shows the three outcomes, its
// incident and fraud sections match the API's figures, the PDF keeps the
// Vietnamese headings and the XLSX has the expected sheets.
func TestDirectiveFlowAPI(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		at := func(date string) {
			d, _ := time.Parse("2006-01-02", date)
			e.app.now = func() time.Time { return d.Add(5 * time.Hour) }
		}
		at("2026-01-20")
		call := func(method, path, as, body string, want int) []byte {
			t.Helper()
			resp, b := e.apiCall(t, method, path, e.tokens[as], body)
			if resp.StatusCode != want {
				t.Fatalf("%s %s as %s = %d %s, want %d", method, path, as, resp.StatusCode, trunc(b), want)
			}
			return b
		}
		var m struct{ ID int64 }
		decodeJSON(t, call("POST", "/api/v1/meetings", coord, `{"title":"Hội nghị Tiểu ban năm 2026","kind":"annual","held_on":"2026-01-20","place":"UBND tỉnh",
			"minutes":"**Thống nhất** giao nhiệm vụ <script>x</script>","attendees":[{"person_name":"Nguyễn Văn Thành","attendance":"present"},{"person_name":"Khách","guest":true}],"decision_ids":[3]}`, 201), &m)
		call("POST", "/api/v1/meetings", analyst, `{"title":"x","kind":"annual","held_on":"2026-01-20"}`, 403)
		var mj struct {
			MinutesHTML string `json:"minutes_html"`
		}
		decodeJSON(t, call("GET", fmt.Sprintf("/api/v1/meetings/%d", m.ID), liaison, "", 200), &mj)
		if !strings.Contains(mj.MinutesHTML, `<strong>Thống nhất</strong>`) || strings.Contains(mj.MinutesHTML, "<script") {
			t.Errorf("minutes_html = %q, want sanitised Markdown", mj.MinutesHTML)
		}
		call("POST", "/api/v1/directives", coord, `{"title":"x","due_on":"2026-03-01"}`, 400)
		b := call("POST", "/api/v1/directives", coord, `{"title":"x","lead_agency_code":"SKHCN","due_on":"2026-01-01"}`, 400)
		if !strings.Contains(string(b), `"field":"due_on"`) || !strings.Contains(string(b), "in the past") {
			t.Errorf("past deadline problem = %s", b)
		}
		ids := map[string]int64{}
		for _, d := range []struct{ lead, due string }{{"SKHCN", "2026-06-30"}, {"VTL", "2026-03-31"}, {"HTP", "2026-09-30"}} {
			var out struct{ ID int64 }
			decodeJSON(t, call("POST", "/api/v1/directives", coord, fmt.Sprintf(`{"title":"Nhiệm vụ của %s","source":"meeting","meeting_id":%d,"decision_id":3,"lead_agency_code":%q,"due_on":%q}`, d.lead, m.ID, d.lead, d.due), 201), &out)
			ids[d.lead] = out.ID
		}
		at("2026-02-10")
		call("POST", fmt.Sprintf("/api/v1/directives/%d/acknowledge", ids["SKHCN"]), skhcn, "", 200)
		call("POST", fmt.Sprintf("/api/v1/directives/%d/progress", ids["SKHCN"]), skhcn, `{"note":"Đã rà soát 12 hệ thống","percent":50}`, 201)
		call("POST", fmt.Sprintf("/api/v1/directives/%d/progress", ids["SKHCN"]), liaison, `{"note":"x"}`, 403)
		call("PUT", fmt.Sprintf("/api/v1/directives/%d", ids["SKHCN"]), skhcn, `{"title":"đổi","lead_agency_code":"SKHCN"}`, 403)
		at("2026-06-20")
		call("POST", fmt.Sprintf("/api/v1/directives/%d/done", ids["SKHCN"]), skhcn, `{"note":"Đã gửi báo cáo"}`, 200)
		at("2026-04-15")
		call("POST", fmt.Sprintf("/api/v1/directives/%d/done", ids["VTL"]), liaison, `{"note":"Đã xác thực lại thuê bao"}`, 200)
		at("2026-11-29")
		if got := string(call("GET", fmt.Sprintf("/api/v1/directives/%d", ids["HTP"]), coord, "", 200)); !strings.Contains(got, `"status":"overdue"`) {
			t.Errorf("HTP directive not overdue: %s", trunc([]byte(got)))
		}
		call("GET", "/api/v1/directives?status=overdue", coord, "", 200)
		asked := string(call("GET", "/api/v1/directives/asked", liaison, "", 200))
		if asked != "[]\n" {
			t.Errorf("VTL has nothing open, got %s", trunc([]byte(asked)))
		}

		var rep struct {
			Sections []struct {
				Key       string
				Available bool
				Note      string
				Facts     []struct{ Label, Value string }
				Tables    []struct{ Rows [][]string }
			}
		}
		decodeJSON(t, call("GET", "/api/v1/reports/annual/2026", "xem@demo.bulwark.vn", "", 200), &rep)
		sec := map[string]int{}
		for i, s := range rep.Sections {
			sec[s.Key] = i
		}
		var outcomes []string
		for _, r := range rep.Sections[sec["directives"]].Tables[1].Rows {
			outcomes = append(outcomes, r[1]+" "+r[4])
		}
		if strings.Join(outcomes, "|") != "HTP Chưa hoàn thành (quá hạn)|SKHCN Hoàn thành đúng hạn|VTL Hoàn thành trễ hạn" {
			t.Errorf("directive outcomes = %q", outcomes)
		}
		fact := func(key, label string) string {
			for _, f := range rep.Sections[sec[key]].Facts {
				if f.Label == label {
					return f.Value
				}
			}
			return "?"
		}
		if e.app.Incidents != nil {
			var fig struct{ Total int }
			decodeJSON(t, call("GET", "/api/v1/incident-figures?from=2026-01-01&to=2027-01-01", "xem@demo.bulwark.vn", "", 200), &fig)
			if got := fact("incidents", "Tổng số sự cố"); got != fmt.Sprint(fig.Total) {
				t.Errorf("report incidents = %s, API = %d", got, fig.Total)
			}
		}
		if e.app.Fraud != nil {
			if !rep.Sections[sec["fraud"]].Available {
				t.Error("fraud section unavailable although the capability exists")
			}
		}
		if s := rep.Sections[sec["alerts"]]; !s.Available {
			t.Errorf("alerts section = %+v, want it filled by detection", s)
		}
		// Training has no capability yet: its section says so instead of
		// showing zeros.
		if s := rep.Sections[sec["training"]]; s.Available || s.Note == "" {
			t.Errorf("training section = %+v, want an honest note", s)
		}

		resp, pdf := e.apiCall(t, "GET", "/api/v1/reports/annual/2026?format=pdf", e.tokens[coord], "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("pdf = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if _, err := exec.LookPath("pdftotext"); err == nil {
			cmd := exec.Command("pdftotext", "-enc", "UTF-8", "-", "-")
			cmd.Stdin = bytes.NewReader(pdf)
			out, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range []string{"BÁO CÁO ĐÁNH GIÁ KẾT QUẢ CÔNG TÁC NĂM 2026", "Nhiệm vụ được giao và kết quả thực hiện", "Sự cố an toàn thông tin mạng", "Phản ánh lừa đảo trực tuyến"} {
				if !strings.Contains(string(out), h) {
					t.Errorf("PDF text lacks %q", h)
				}
			}
		}
		resp, x := e.apiCall(t, "GET", "/api/v1/reports/annual/2026?format=xlsx", e.tokens[coord], "")
		if resp.StatusCode != 200 {
			t.Fatalf("xlsx = %d", resp.StatusCode)
		}
		f, err := excelize.OpenReader(bytes.NewReader(x))
		if err != nil {
			t.Fatalf("xlsx does not open: %v", err)
		}
		if got := strings.Join(f.GetSheetList(), "|"); got != "Báo cáo|1. Thành phần|2. Cuộc họp|3. Nhiệm vụ|4. Sự cố|5. IoC|6. Cảnh báo|7. Lừa đảo|8. Hệ thống thông tin|9. Đào tạo" {
			t.Errorf("sheets = %s", got)
		}
		f.Close()
		if got := string(call("GET", "/api/v1/reports/annual/2019?format=html", coord, "", 200)); !strings.Contains(got, "Báo cáo đánh giá kết quả công tác năm 2019") || !strings.Contains(got, "Chức năng này chưa có") {
			t.Errorf("empty year html lacks the honest note")
		}
		call("GET", "/api/v1/reports/annual/2026?format=doc", coord, "", 400)
		call("GET", "/api/v1/reports/annual/2026", "", "", 401)

		resp, ics := e.apiCall(t, "GET", "/api/v1/calendar.ics", e.tokens[skhcn], "")
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
			t.Fatalf("ics = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if s := string(ics); !strings.HasPrefix(s, "BEGIN:VCALENDAR\r\n") || !strings.Contains(s, "DTSTART;VALUE=DATE:20260630") || !strings.Contains(s, "UID:directive-task-") {
			t.Errorf("ics = %s", trunc(ics))
		}
		var sc struct {
			Totals struct {
				Total   int `json:"total"`
				OnTime  int `json:"on_time"`
				Late    int `json:"late"`
				NotDone int `json:"not_done"`
			} `json:"totals"`
		}
		decodeJSON(t, call("GET", "/api/v1/scorecard/2026", reporter, "", 200), &sc)
		if sc.Totals.Total != 3 || sc.Totals.OnTime != 1 || sc.Totals.Late != 1 || sc.Totals.NotDone != 1 {
			t.Errorf("scorecard totals = %+v", sc.Totals)
		}
	})
}
