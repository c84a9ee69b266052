package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"bulwark/internal/access"
	"bulwark/internal/demo"
)

// TestSysinvEditing: the Department of Science and Technology's analyst
// edits the portal's web server (Apache 2.4.49 upgraded to 2.4.51) and the
// known-exploited findings leave the page; ticks a checklist item with its
// evidence; the province coordinator opens the checklist administration and
// adds an item.
func TestSysinvEditing(t *testing.T) {
	e := Start(t)
	if err := demo.SeedSystems(access.With(context.Background(), access.SystemPrincipal()), e.App.Systems, e.App.Agencies); err != nil {
		t.Fatalf("seed systems: %v", err)
	}
	ctx := Browser(t, false)
	e.Login(t, ctx, "phantich.skhcn@demo.bulwark.vn")
	Step(t, ctx, "portal", chromedp.Navigate(e.URL+"/systems"),
		chromedp.Click(chromedp.CSS(`#systems .sys-row a[href^="/systems/"]`)),
		chromedp.WaitVisible(chromedp.ID("component-list")))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const row = [...document.querySelectorAll("#component-list tr.component")].find(r => r.textContent.includes("web-01"));
		row.querySelector("a.edit-component").click();
		return true;
	})()`)); err != nil {
		t.Fatalf("click edit of web-01: %v", err)
	}
	Step(t, ctx, "edit web-01", chromedp.WaitVisible(chromedp.ID("component-edit-form")))
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#c-software-version").value`)); err != nil || v != "2.4.49" {
		t.Errorf("version on the form = %q, %v", v, err)
	}
	Shot(t, ctx, "component-edit")
	Step(t, ctx, "upgrade",
		chromedp.SetValue(chromedp.ID("c-software-version"), "2.4.51"),
		chromedp.SetValue(chromedp.ID("c-cpe"), "cpe:2.3:a:apache:http_server:2.4.51:*:*:*:*:*:*:*"),
		chromedp.Submit(chromedp.ID("c-name")),
		chromedp.WaitVisible(chromedp.ID("finding-list")))
	for _, cve := range []string{"CVE-2021-41773", "CVE-2021-42013"} {
		if f := Text(t, ctx, `#finding-list .finding[data-cve="`+cve+`"]`); !strings.Contains(f, "Đã khắc phục") {
			t.Errorf("after the upgrade %s is not fixed: %q", cve, f)
		}
	}
	if Text(t, ctx, ".flash") == "" { // the flash now precedes the #components fragment
		t.Error("no saved message after the update")
	}
	if c := Text(t, ctx, "#component-list"); !strings.Contains(c, "2.4.51") {
		t.Errorf("component list = %q", c)
	}
	Shot(t, ctx, "after-upgrade")

	portal, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	portal = strings.SplitN(strings.SplitN(portal, "#", 2)[0], "?", 2)[0]
	Step(t, ctx, "checklist", chromedp.Navigate(portal+"/checklist"), chromedp.WaitVisible(chromedp.ID("checklist-form")))
	// Tick the first unmet item and give its evidence, as a person would.
	code, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const row = [...document.querySelectorAll("#checklist-form .check-item")].find(r => !r.querySelector("input[type=checkbox]").checked);
		row.querySelector("input[type=checkbox]").click();
		row.querySelector("input[name^=evidence_]").value = "Biên bản diễn tập 2026";
		return row.querySelector("strong").textContent;
	})()`))
	if err != nil {
		t.Fatalf("tick an item: %v", err)
	}
	Step(t, ctx, "save checklist", chromedp.Submit(chromedp.ID("checklist-form")))
	waitJS(t, ctx, `[...document.querySelectorAll("#checklist-form .check-item")].some(r => r.querySelector("strong").textContent === `+strconv.Quote(code)+
		` && r.querySelector("input[type=checkbox]").checked && r.querySelector("input[name^=evidence_]").value === "Biên bản diễn tập 2026")`)
	Shot(t, ctx, "checklist")

	Step(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("email")))
	e.Login(t, ctx, "dieuphoi@demo.bulwark.vn")
	Step(t, ctx, "items", chromedp.Navigate(e.URL+"/checklist-items"), chromedp.WaitVisible(chromedp.ID("item-form")),
		chromedp.SendKeys(chromedp.ID("i-code"), "T9.1"),
		chromedp.SetValue(chromedp.ID("i-group"), "technical"),
		chromedp.SendKeys(chromedp.ID("i-area"), "Sao lưu"),
		chromedp.SetValue(chromedp.ID("i-min-level"), "3"),
		chromedp.SendKeys(chromedp.ID("i-text-vi"), "Kiểm thử khôi phục dữ liệu từ bản sao lưu ít nhất 6 tháng một lần"),
		chromedp.SendKeys(chromedp.ID("i-text-en"), "Test restoring from backups at least every 6 months"),
		chromedp.Submit(chromedp.ID("i-code")),
		chromedp.WaitVisible(chromedp.CSS(`#checklist-items .checklist-item[data-code="T9.1"]`)))
	Shot(t, ctx, "checklist-items")
}
