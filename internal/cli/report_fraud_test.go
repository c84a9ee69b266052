package cli

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"bulwark/internal/fraud"
	"bulwark/internal/report"
)

// TestAnnualReportFraudMatchesAPI: the annual report's fraud section
// gives, for a year, the same reports, confirmations, referrals and
// outcomes (per partner) as GET /api/v1/fraud/figures for that year. The
// year is the province's: a report filed at 01:00 on 1 January local time
// (still 31 December in UTC) counts in the new year on both sides.
func TestAnnualReportFraudMatchesAPI(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		e.seedFraud(t)
		at := func(utc string) {
			d, err := time.Parse(time.RFC3339, utc)
			if err != nil {
				t.Fatal(err)
			}
			e.app.now = func() time.Time { return d }
		}
		file := func(number string) {
			e.call(t, "POST", "/api/v1/fraud/reports", fraudAnalyst, `{"channel":"call","scam_type":"impersonation_bank","amount":1500000,"identifiers":[{"kind":"phone","value":"`+number+`"}]}`, 201)
		}
		subject := func(q string) int64 {
			var list struct{ Items []fraud.Subject }
			decodeJSON(t, e.call(t, "GET", "/api/v1/fraud/subjects?q="+q, fraudAnalyst, "", 200), &list)
			if len(list.Items) != 1 {
				t.Fatalf("subjects for %s = %+v", q, list.Items)
			}
			return list.Items[0].ID
		}
		at("2025-12-31T18:00:00Z") // 01:00 on 1 January 2026 in the province
		file("0915 000 111")
		at("2026-06-01T03:00:00Z")
		file("0915000111")
		file("0886 222 333")
		e.call(t, "POST", fmt.Sprintf("/api/v1/fraud/subjects/%d/decision", subject("0915000111")), fraudAnalyst, `{"status":"confirmed","reason":"Hai phản ánh độc lập","action":"suspend_both"}`, 200)
		e.call(t, "POST", fmt.Sprintf("/api/v1/fraud/subjects/%d/decision", subject("0886222333")), fraudAnalyst, `{"status":"confirmed","reason":"Đã xác minh","action":"reverify"}`, 200)
		var refs struct{ Items []fraud.Referral }
		decodeJSON(t, e.call(t, "GET", "/api/v1/fraud/referrals", vnptLiaison, "", 200), &refs)
		at("2026-06-02T03:00:00Z")
		for _, r := range refs.Items {
			if r.SubjectValue == "+84915000111" {
				e.call(t, "POST", fmt.Sprintf("/api/v1/fraud/referrals/%d/answer", r.ID), vnptLiaison, `{"outcome":"twoway_suspended","on":"2026-06-02"}`, 200)
			}
		}
		at("2026-12-31T18:00:00Z") // 01:00 on 1 January 2027 in the province
		file("0915 444 555")

		for _, year := range []int{2026, 2027} {
			var api fraud.Figures
			decodeJSON(t, e.call(t, "GET", fmt.Sprintf("/api/v1/fraud/figures?from=%d-01-01&to=%d-12-31", year, year), "xem@demo.bulwark.vn", "", 200), &api)
			var rep report.Report
			decodeJSON(t, e.call(t, "GET", fmt.Sprintf("/api/v1/reports/annual/%d", year), "xem@demo.bulwark.vn", "", 200), &rep)
			i := slices.IndexFunc(rep.Sections, func(s report.Section) bool { return s.Key == report.KeyFraud })
			if i < 0 || !rep.Sections[i].Available {
				t.Fatalf("%d: no fraud section", year)
			}
			sec := rep.Sections[i]
			fact := func(label string) string {
				for _, f := range sec.Facts {
					if f.Label == label {
						return f.Value
					}
				}
				return "(missing)"
			}
			referrals, answered := 0, 0
			for _, p := range api.Partners {
				referrals += p.Referrals
				answered += p.Answered
			}
			for label, want := range map[string]int{"Số phản ánh": api.Reports, "Đối tượng đã xác minh là lừa đảo": api.Confirmed,
				"Chuyển nhà mạng, ngân hàng xử lý": referrals, "Đã có kết quả xử lý": answered} {
				if got := fact(label); got != report.Count(want) {
					t.Errorf("%d: report %q = %s, API = %d", year, label, got, want)
				}
			}
			// Outcomes per partner: the report's table row of each partner
			// against the API's counts.
			var table *report.Table
			for j := range sec.Tables {
				if sec.Tables[j].Title == "Chuyển xử lý theo đối tác" {
					table = &sec.Tables[j]
				}
			}
			if len(api.Partners) > 0 && table == nil {
				t.Fatalf("%d: the report has no partner table; API partners %+v", year, api.Partners)
			}
			for _, p := range api.Partners {
				var oc []string
				for k, v := range p.Outcomes {
					oc = append(oc, fmt.Sprintf("%s: %d", k, v))
				}
				slices.Sort(oc)
				want := []string{p.Name, report.Count(p.Referrals), report.Count(p.Answered), report.Count(p.Overdue), strings.Join(oc, "; ")}
				if !slices.ContainsFunc(table.Rows, func(r []string) bool { return slices.Equal(r, want) }) {
					t.Errorf("%d: report partner rows %q lack the API's %q", year, table.Rows, want)
				}
			}
			if table != nil && len(table.Rows) != len(api.Partners) {
				t.Errorf("%d: report lists %d partners, API %d", year, len(table.Rows), len(api.Partners))
			}
			// What this test filed is in the right year on both sides.
			switch year {
			case 2026:
				if api.Confirmed < 2 || referrals < 2 || answered < 1 || api.Reports < 3 {
					t.Errorf("2026 figures miss this test's data: %d reports, %d confirmed, %d referrals, %d answered", api.Reports, api.Confirmed, referrals, answered)
				}
			case 2027:
				if api.Reports != 1 || fact("Số phản ánh") != "1" {
					t.Errorf("2027: API %d reports, report %s; want only the report of 1 January", api.Reports, fact("Số phản ánh"))
				}
			}
		}
	})
}
