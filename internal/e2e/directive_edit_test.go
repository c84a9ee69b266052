package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"bulwark/internal/access"
	"bulwark/internal/demo"
	"bulwark/internal/directive"
)

// TestDirectiveEditAndFeed: the coordinator edits a meeting and a
// directive through their forms, sees the change in the directive's
// journal, and makes a calendar subscription address on the calendar
// page. Screenshots of both forms, the journal and the calendar page.
func TestDirectiveEditAndFeed(t *testing.T) {
	e := Start(t)
	sys := access.With(context.Background(), access.SystemPrincipal())
	if err := demo.SeedDirectives(sys, e.App.Directives, e.App.Agencies, e.App.Auth); err != nil {
		t.Fatal(err)
	}
	ds, _, err := e.App.Directives.List(sys, directive.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var target directive.Directive
	for _, d := range ds {
		if d.CancelledAt == nil && d.CurrentTask().Status.Open() {
			target = d
			break
		}
	}
	if target.ID == 0 {
		t.Fatal("the demo has no open directive")
	}
	path := "/directives/" + strconv.FormatInt(target.ID, 10)
	due := time.Now().AddDate(0, 2, 0).Format("2006-01-02")

	desk := Browser(t, false)
	e.Login(t, desk, "dieuphoi@demo.bulwark.vn")
	Step(t, desk, "meeting edit", chromedp.Navigate(e.URL+"/meetings/1"), chromedp.WaitVisible(chromedp.ID("meeting-edit")),
		chromedp.Click(chromedp.ID("meeting-edit")), chromedp.WaitVisible(chromedp.ID("meeting-form")))
	Shot(t, desk, "meeting-edit-form")
	Step(t, desk, "meeting save",
		chromedp.SendKeys(chromedp.ID("place"), " (phòng họp số 2)"),
		chromedp.Click(chromedp.ID("meeting-submit")),
	)
	// The form has a field named like the page's attendee table: wait for
	// the saved meeting's page from Go.
	waitJS(t, desk, `location.pathname == "/meetings/1" && document.getElementById("meeting-edit") != null`)

	Step(t, desk, "directive edit", chromedp.Navigate(e.URL+path), chromedp.WaitVisible(chromedp.ID("directive-edit")),
		chromedp.Click(chromedp.ID("directive-edit")), chromedp.WaitVisible(chromedp.ID("directive-form")))
	Shot(t, desk, "directive-edit-form")
	Step(t, desk, "directive save",
		chromedp.SetValue(chromedp.ID("title"), target.Title+" (mở rộng)"),
		chromedp.SetValue(chromedp.ID("due_on"), due),
		chromedp.SetValue(chromedp.ID("priority"), "urgent"),
		chromedp.Click(chromedp.ID("directive-submit")),
		chromedp.WaitVisible(chromedp.ID("dir-history")),
	)
	if got := Text(t, desk, "#dir-history"); !strings.Contains(got, "Sửa nội dung") || !strings.Contains(got, "tên nhiệm vụ") || !strings.Contains(got, "thành "+due) {
		t.Errorf("journal = %q", got)
	}
	Shot(t, desk, "directive-after-edit")

	Step(t, desk, "calendar feed", chromedp.Navigate(e.URL+"/calendar"), chromedp.WaitVisible(chromedp.ID("feed-create")),
		chromedp.Click(chromedp.CSS("#feed-create button")), chromedp.WaitVisible(chromedp.ID("feed-url")))
	Shot(t, desk, "calendar-feed")
}
