package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestFoundationFlow: log in as the demo admin, create an agency through
// the form, see it in the list, switch to English and back, log out.
func TestFoundationFlow(t *testing.T) {
	e := Start(t)
	ctx := Browser(t, false)
	e.Login(t, ctx, "admin@demo.bulwark.vn")
	// The activity chart is drawn by Chart.js (loaded on demand, no inline
	// script): app.js marks the canvas once drawn.
	Step(t, ctx, "chart", chromedp.Poll[chromedp.Void](`document.querySelector("canvas#activity-chart[data-drawn]") !== null`))
	Shot(t, ctx, "dashboard")

	Step(t, ctx, "create agency",
		chromedp.Navigate(e.URL+"/agencies/new"),
		chromedp.WaitVisible(chromedp.ID("code")),
		chromedp.SendKeys(chromedp.ID("code"), "XA-TL"),
		chromedp.SendKeys(chromedp.ID("name_vi"), "Xã Tân Lập"),
		chromedp.SendKeys(chromedp.ID("name_en"), "Tan Lap Commune"),
		chromedp.SetValue(chromedp.ID("kind"), "district"),
		chromedp.SetValue(chromedp.ID("parent_code"), "HTP"),
		chromedp.SendKeys(chromedp.ID("contact_phone"), "0203 3833 555"),
		chromedp.Click(chromedp.ID("save-agency")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	Shot(t, ctx, "agency-created")
	Step(t, ctx, "list", chromedp.Navigate(e.URL+"/agencies"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	if list := Text(t, ctx, "table.list tbody"); !strings.Contains(list, "XA-TL") || !strings.Contains(list, "Xã Tân Lập") {
		t.Fatalf("new agency not in the list: %q", list)
	}
	Shot(t, ctx, "agencies")

	// Wait for the new page itself (its html lang), not just any heading:
	// the old page's heading is still there until the reload lands.
	Step(t, ctx, "switch to English", chromedp.Click(chromedp.ID("lang-switch")))
	waitJS(t, ctx, `document.documentElement.lang === "en" && document.querySelector("main h1") !== null`)
	if h := Text(t, ctx, "main h1"); h != "Agencies" {
		t.Errorf("heading in English = %q", h)
	}
	Shot(t, ctx, "agencies-en")
	Step(t, ctx, "switch back", chromedp.Click(chromedp.ID("lang-switch")))
	waitJS(t, ctx, `document.documentElement.lang === "vi" && document.querySelector("main h1") !== null`)
	if h := Text(t, ctx, "main h1"); h != "Cơ quan, đơn vị" {
		t.Errorf("heading back in Vietnamese = %q", h)
	}
	Step(t, ctx, "log out",
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.Navigate(e.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("email")),
	)
}

// TestPhoneScreenshots renders the main pages on a phone-sized window, for
// a person to look at (the files are kept in ShotDir).
func TestPhoneScreenshots(t *testing.T) {
	e := Start(t)
	ctx := Browser(t, true)
	Step(t, ctx, "login page", chromedp.Navigate(e.URL+"/login"), chromedp.WaitVisible(chromedp.ID("email")))
	Shot(t, ctx, "login")
	e.Login(t, ctx, "dieuphoi@demo.bulwark.vn")
	for _, p := range []struct{ path, name string }{
		{"/", "dashboard"}, {"/subcommittee", "subcommittee"}, {"/agencies/2", "agency"}, {"/users", "users"},
	} {
		Step(t, ctx, p.name, chromedp.Navigate(e.URL+p.path), chromedp.WaitVisible(chromedp.CSS("main")))
		Shot(t, ctx, p.name)
	}
}
