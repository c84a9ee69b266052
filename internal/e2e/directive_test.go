package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"bulwark/internal/access"
	"bulwark/internal/demo"
)

// TestDirectiveFlow walks the subcommittee's work through the pages: the
// coordinator opens the 2026 annual meeting and issues a directive from
// it to three agencies (the science and technology department leads,
// Viettel and Tân Phú help), after the form refused it without a lead
// agency; the department's analyst finds it under "what is asked of us",
// acknowledges it, reports progress and marks it done; the coordinator
// accepts it; the scorecard and the annual report show it. Phone-sized
// screenshots of the list, calendar and report follow.
func TestDirectiveFlow(t *testing.T) {
	e := Start(t)
	sys := access.With(context.Background(), access.SystemPrincipal())
	if err := demo.SeedDirectives(sys, e.App.Directives, e.App.Agencies, e.App.Auth); err != nil {
		t.Fatal(err)
	}
	agencyID := func(code string) string {
		a, err := e.App.Agencies.AgencyByCode(sys, code)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(a.ID)
	}
	now := time.Now()
	due := now.AddDate(0, 0, 20).Format("2006-01-02")
	year := now.Year()

	desk := Browser(t, false)
	e.Login(t, desk, "dieuphoi@demo.bulwark.vn")
	Step(t, desk, "meeting", chromedp.Navigate(e.URL+"/meetings/1"), chromedp.WaitVisible(chromedp.ID("attendees")))
	Shot(t, desk, "meeting")
	Step(t, desk, "new directive from the meeting",
		chromedp.Click(chromedp.ID("meeting-directive")),
		chromedp.WaitVisible(chromedp.ID("directive-form")),
		chromedp.SendKeys(chromedp.ID("title"), "Diễn tập ứng cứu sự cố cho hệ thống thông tin cấp độ 3"),
		chromedp.SendKeys(chromedp.ID("description"), "Tổ chức **diễn tập** thực chiến; báo cáo kết quả."),
		chromedp.SetValue(chromedp.ID("due_on"), due),
		chromedp.Click(chromedp.CSS(`input[name=coordinating][value="`+agencyID("VTL")+`"]`)),
		chromedp.Click(chromedp.CSS(`input[name=coordinating][value="`+agencyID("HTP")+`"]`)),
		chromedp.Click(chromedp.ID("directive-submit")),
		chromedp.WaitVisible(chromedp.CSS("#lead_agency_id + .field-error")),
	)
	Shot(t, desk, "form-refused")
	if got := Text(t, desk, "#lead_agency_id + .field-error"); !strings.Contains(got, "đơn vị chủ trì") {
		t.Errorf("field error = %q", got)
	}
	Step(t, desk, "issue",
		chromedp.SetValue(chromedp.ID("lead_agency_id"), agencyID("SKHCN")),
		chromedp.Click(chromedp.ID("directive-submit")),
		chromedp.WaitVisible(chromedp.ID("dir-status")),
	)
	loc, err := chromedp.Run(desk, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	path := loc[len(e.URL):]
	if i := strings.IndexByte(path, '?'); i > 0 {
		path = path[:i]
	}
	Shot(t, desk, "issued")

	an := Browser(t, false)
	e.Login(t, an, "phantich.skhcn@demo.bulwark.vn")
	Step(t, an, "asked of us", chromedp.Navigate(e.URL+"/directives/asked"), chromedp.WaitVisible(chromedp.ID("asked-list")))
	if got := Text(t, an, "#asked-list"); !strings.Contains(got, "Diễn tập ứng cứu") {
		t.Fatalf("asked of SKHCN = %q", got)
	}
	Shot(t, an, "asked")
	Step(t, an, "acknowledge",
		chromedp.Navigate(e.URL+path),
		chromedp.Click(chromedp.CSS("#form-acknowledge button")),
		chromedp.WaitVisible(chromedp.CSS("#dir-status.dst-acknowledged")),
		chromedp.SendKeys(chromedp.ID("p-note"), "Đã xây dựng kịch bản, mời Viettel tham gia."),
		chromedp.SetValue(chromedp.ID("p-percent"), "40"),
		chromedp.Click(chromedp.ID("p-restricted")),
		chromedp.Click(chromedp.CSS("#form-progress button")),
		chromedp.WaitVisible(chromedp.CSS("#dir-history li.upd-restricted")),
	)
	Shot(t, an, "progress")
	Step(t, an, "done",
		chromedp.SendKeys(chromedp.ID("d-note"), "Đã diễn tập ngày 15, 3 hệ thống tham gia."),
		chromedp.Click(chromedp.CSS("#form-done button")),
		chromedp.WaitVisible(chromedp.CSS("#dir-status.dst-done_on_time")),
	)

	Step(t, desk, "accept",
		chromedp.Navigate(e.URL+path),
		chromedp.Click(chromedp.CSS("form.form-accept button")),
		chromedp.WaitVisible(chromedp.CSS("#dir-history li.upd-accept")),
	)
	Shot(t, desk, "accepted")
	Step(t, desk, "scorecard", chromedp.Navigate(fmt.Sprintf("%s/scorecard?year=%d", e.URL, year)), chromedp.WaitVisible(chromedp.ID("score-chart")),
		chromedp.Sleep(700*time.Millisecond)) // the chart's animation
	if got := Text(t, desk, `#score-table tr[data-agency="SKHCN"] td.on-time`); got == "0" {
		t.Errorf("SKHCN on time = %s after the accepted directive", got)
	}
	Shot(t, desk, "scorecard")
	Step(t, desk, "report", chromedp.Navigate(fmt.Sprintf("%s/reports/annual?year=%d", e.URL, year)), chromedp.WaitVisible(chromedp.ID("sec-directives")),
		chromedp.Sleep(700*time.Millisecond))
	if got := Text(t, desk, "#sec-directives"); !strings.Contains(got, "SKHCN") {
		t.Errorf("report directives section = %q", got)
	}
	Shot(t, desk, "report")
	Step(t, desk, "calendar", chromedp.Navigate(e.URL+"/calendar?month="+due[:7]), chromedp.WaitVisible(chromedp.ID("cal-grid")))
	Shot(t, desk, "calendar")

	phone := Browser(t, true)
	e.Login(t, phone, "lienlac.vtl@demo.bulwark.vn")
	for _, p := range []struct{ name, path, wait string }{
		{"phone-list", "/directives", "directive-list"},
		{"phone-directive", path, "dir-history"},
		{"phone-calendar", "/calendar?month=" + due[:7], "cal-agenda"},
		{"phone-report", fmt.Sprintf("/reports/annual?year=%d", year), "sec-directives"},
	} {
		Step(t, phone, p.name, chromedp.Navigate(e.URL+p.path), chromedp.WaitVisible(chromedp.ID(p.wait)))
		Shot(t, phone, p.name)
	}
	// Viettel helps: it sees the directive but not SKHCN's restricted note.
	Step(t, phone, "no restricted", chromedp.Navigate(e.URL+path), chromedp.WaitVisible(chromedp.ID("dir-history")))
	if got := Text(t, phone, "#dir-history"); strings.Contains(got, "mời Viettel") {
		t.Error("Viettel reads SKHCN's restricted note")
	}
	actions, err := chromedp.Run(phone, chromedp.Evaluate[bool](`document.querySelector("#dir-actions") !== null`))
	if err != nil {
		t.Fatal(err)
	}
	if actions {
		t.Error("Viettel sees an actions box on a closed directive")
	}
}
