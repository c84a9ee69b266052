package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestIntelEditAndWarningLists: an analyst edits an entry (confidence,
// expiry) and shares it with another agency from the form; an admin opens
// the warning-list page with its upload form.
func TestIntelEditAndWarningLists(t *testing.T) {
	e := Start(t)
	ctx := Browser(t, false)
	e.Login(t, ctx, "phantich@demo.bulwark.vn")
	Step(t, ctx, "share a domain",
		chromedp.Navigate(e.URL+"/intel/new"),
		chromedp.WaitVisible(chromedp.ID("value")),
		chromedp.SetValue(chromedp.ID("type"), "domain"),
		chromedp.SendKeys(chromedp.ID("value"), "cskh-evnbinhan.top"),
		chromedp.SetValue(chromedp.ID("tlp"), "AMBER"),
		chromedp.SendKeys(chromedp.ID("tags"), "phishing"),
		chromedp.Submit(chromedp.ID("value")),
		chromedp.WaitVisible(chromedp.ID("intel-entries")),
	)
	Step(t, ctx, "open the edit form",
		chromedp.Click(chromedp.CSS("#intel-entries a[id^=edit-entry-]")),
		chromedp.WaitVisible(chromedp.ID("entry-form")),
	)
	Step(t, ctx, "edit",
		chromedp.SetValue(chromedp.ID("confidence"), "85"),
		chromedp.SetValue(chromedp.ID("valid_until"), "2030-06-30"),
		chromedp.Click(chromedp.CSS("#share-list input[type=checkbox]")),
	)
	Shot(t, ctx, "entry-edit")
	Step(t, ctx, "save",
		chromedp.Submit(chromedp.ID("confidence")),
		chromedp.WaitVisible(chromedp.ID("intel-incidents")),
	)
	if got := Text(t, ctx, "#intel-entries tbody"); !strings.Contains(got, "85") {
		t.Errorf("entry after the edit: %q", got)
	}
	Shot(t, ctx, "detail-after-edit")

	admin := Browser(t, false)
	e.Login(t, admin, "admin@demo.bulwark.vn")
	Step(t, admin, "warning lists",
		chromedp.Navigate(e.URL+"/intel/warninglists"),
		chromedp.WaitVisible(chromedp.ID("warninglist-form")),
	)
	if got := Text(t, admin, "#warninglists tbody"); !strings.Contains(got, "Well-known public DNS resolvers") {
		t.Errorf("warning lists: %q", got)
	}
	Shot(t, admin, "warninglists")
}
