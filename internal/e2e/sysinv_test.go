package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"bulwark/internal/access"
	"bulwark/internal/demo"
)

// TestSysinvFlow: the Department of Science and Technology's analyst
// opens the provincial portal (level 3, a known-exploited Apache flaw, its
// yearly risk assessment overdue), records a new public-service system and
// sees level 3 suggested for its 50,000 users, adds a web server running
// Apache 2.4.50 and sees the KEV finding appear; then the province
// coordinator imports the KEV catalogue and reads the province view.
func TestSysinvFlow(t *testing.T) {
	e := Start(t)
	if err := demo.SeedSystems(access.With(context.Background(), access.SystemPrincipal()), e.App.Systems, e.App.Agencies); err != nil {
		t.Fatalf("seed systems: %v", err)
	}
	ctx := Browser(t, false)
	e.Login(t, ctx, "phantich.skhcn@demo.bulwark.vn")
	Step(t, ctx, "list", chromedp.Navigate(e.URL+"/systems"), chromedp.WaitVisible(chromedp.ID("systems")))
	Shot(t, ctx, "systems")
	Step(t, ctx, "portal",
		chromedp.Click(chromedp.CSS(`#systems .sys-row a[href^="/systems/"]`)),
		chromedp.WaitVisible(chromedp.ID("finding-list")))
	if f := Text(t, ctx, "#finding-list"); !strings.Contains(f, "CVE-2021-41773") || !strings.Contains(f, "KEV") {
		t.Errorf("portal findings = %q", f)
	}
	if d := Text(t, ctx, `#duty-list tr[data-duty="risk_assessment"]`); !strings.Contains(d, "quá hạn") {
		t.Errorf("risk assessment row = %q, want overdue", d)
	}
	Shot(t, ctx, "portal")

	Step(t, ctx, "new system",
		chromedp.Navigate(e.URL+"/systems/new"),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "Hệ thống một cửa điện tử cấp huyện"),
		chromedp.SetValue(chromedp.ID("system_type"), "citizen_services"),
		chromedp.SetValue(chromedp.ID("info_class"), "personal"),
		chromedp.SetValue(chromedp.ID("personal_users"), "50000"),
		chromedp.SetValue(chromedp.ID("reach"), "province"),
		chromedp.SetValue(chromedp.ID("proposed_level"), "3"),
		chromedp.Submit(chromedp.ID("name")),
		chromedp.WaitVisible(chromedp.ID("sys-suggested")),
	)
	if got := Text(t, ctx, "#sys-suggested"); got != "3" {
		t.Errorf("suggested level = %q, want 3", got)
	}
	if r := Text(t, ctx, "#sys-reasons"); !strings.Contains(r, "10.000") {
		t.Errorf("reasons = %q", r)
	}
	Shot(t, ctx, "new-system")
	Step(t, ctx, "add component",
		chromedp.Click(chromedp.CSS("#components details summary")),
		chromedp.WaitVisible(chromedp.ID("c-name")),
		chromedp.SendKeys(chromedp.ID("c-name"), "web-motcua"),
		chromedp.SetValue(chromedp.ID("c-level"), "3"),
		chromedp.SendKeys(chromedp.ID("c-ips"), "198.51.100.20"),
		chromedp.SendKeys(chromedp.ID("c-domains"), "motcua.binhan.gov.vn"),
		chromedp.SendKeys(chromedp.ID("c-ports"), "443"),
		chromedp.SendKeys(chromedp.ID("c-software"), "Apache HTTP Server"),
		chromedp.SendKeys(chromedp.ID("c-software-version"), "2.4.50"),
		chromedp.SendKeys(chromedp.ID("c-cpe"), "cpe:2.3:a:apache:http_server:2.4.50:*:*:*:*:*:*:*"),
		chromedp.Submit(chromedp.ID("c-name")),
		chromedp.WaitVisible(chromedp.CSS(`#finding-list .finding[data-cve="CVE-2021-42013"]`)),
	)
	Shot(t, ctx, "component-finding")

	Step(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("email")))
	e.Login(t, ctx, "dieuphoi@demo.bulwark.vn")
	Step(t, ctx, "feeds", chromedp.Navigate(e.URL+"/vulnerability-feeds"), chromedp.WaitVisible(chromedp.ID("feed-upload")))
	kev, _ := filepath.Abs("../sysinv/feed/testdata/kev-sample.json")
	Step(t, ctx, "import KEV",
		chromedp.SetValue(chromedp.ID("feed-kind"), "kev"),
		chromedp.SetUploadFiles(chromedp.ID("feed-file"), []string{kev}),
		chromedp.Click(chromedp.ID("feed-submit")),
	)
	// The upload is imported in the background; its page reloads itself
	// until the run ends.
	waitJS(t, ctx, `document.querySelector("#feed-run[data-status=done]") !== null`)
	if st := Text(t, ctx, "#feed-run-status"); !strings.Contains(st, "Đã xong") || !strings.Contains(st, "kev 2026.11.18") {
		t.Errorf("run status = %q", st)
	}
	Shot(t, ctx, "feed-run")
	Step(t, ctx, "feed list", chromedp.Navigate(e.URL+"/vulnerability-feeds"), chromedp.WaitVisible(chromedp.ID("feed-runs")))
	if runs := Text(t, ctx, "#feed-runs tbody"); !strings.Contains(runs, "kev-sample.json") {
		t.Errorf("feed runs = %q", runs)
	}
	Shot(t, ctx, "feeds")
	Step(t, ctx, "overview", chromedp.Navigate(e.URL+"/systems/overview"),
		chromedp.Poll[chromedp.Void](`document.querySelector("canvas#risk-chart[data-drawn]") !== null`))
	Shot(t, ctx, "overview")
	Step(t, ctx, "duties", chromedp.Navigate(e.URL+"/duties"), chromedp.WaitVisible(chromedp.ID("due-duties")))
	if d := Text(t, ctx, "#due-duties"); !strings.Contains(d, "Cổng dịch vụ công") {
		t.Errorf("duty list = %q", d)
	}
	Shot(t, ctx, "duties")
}

// TestSysinvPhone renders the system page and the province view on a
// phone-sized window.
func TestSysinvPhone(t *testing.T) {
	e := Start(t)
	if err := demo.SeedSystems(access.With(context.Background(), access.SystemPrincipal()), e.App.Systems, e.App.Agencies); err != nil {
		t.Fatalf("seed systems: %v", err)
	}
	ctx := Browser(t, true)
	e.Login(t, ctx, "dieuphoi@demo.bulwark.vn")
	for _, p := range []struct{ path, name string }{{"/systems/1", "system"}, {"/systems/overview", "overview"}} {
		Step(t, ctx, p.name, chromedp.Navigate(e.URL+p.path), chromedp.WaitVisible(chromedp.CSS("main")))
		Shot(t, ctx, p.name)
	}
}
