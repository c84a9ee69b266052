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
	"bulwark/internal/sysinv"
)

const (
	tpbaReporter = "baocao.tpba@demo.bulwark.vn"
	coordinator  = "dieuphoi@demo.bulwark.vn"
	skhcnAnalyst = "phantich.skhcn@demo.bulwark.vn"
	telecom      = "lienlac.vtl@demo.bulwark.vn"
)

func (e *Env) logout(t *testing.T, ctx context.Context) {
	t.Helper()
	Step(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("email")))
}

// TestIncidentFlow walks the flow through the pages: a district
// reports a defacement; the standing agency acknowledges it and gives the
// Department of Science and Technology a containment task; its analyst
// completes it; a telecom sees nothing; closing without a closing report
// is refused; the district files the closing report; the incident closes.
func TestIncidentFlow(t *testing.T) {
	e := Start(t)
	ctx := Browser(t, false)
	sys := access.With(context.Background(), access.SystemPrincipal())
	skhcn, err := e.App.Agencies.AgencyByCode(sys, "SKHCN")
	if err != nil {
		t.Fatal(err)
	}

	e.Login(t, ctx, tpbaReporter)
	detected := time.Now().Add(-2 * time.Hour).In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02T15:04")
	Step(t, ctx, "report a defacement",
		chromedp.Navigate(e.URL+"/incidents"),
		chromedp.WaitVisible(chromedp.ID("new-incident")),
		chromedp.Click(chromedp.ID("new-incident")),
		chromedp.WaitVisible(chromedp.ID("title")),
		chromedp.SendKeys(chromedp.ID("title"), "Cổng thông tin thành phố bị thay đổi giao diện"),
		chromedp.SetValue(chromedp.ID("category"), "information-content-security/unauthorised-information-modification"),
		chromedp.SetValue(chromedp.ID("severity"), "high"),
		chromedp.SetValue(chromedp.ID("detected_at"), detected),
		chromedp.SendKeys(chromedp.ID("description"), "Trang chủ **tpbinhan.gov.vn** hiển thị nội dung lạ từ 06:30."),
		chromedp.SendKeys(chromedp.ID("affected_addresses"), "tpbinhan.gov.vn 203.0.113.25"),
	)
	Shot(t, ctx, "1-report-form")
	Step(t, ctx, "submit", chromedp.Click(chromedp.ID("save-incident")), chromedp.WaitVisible(chromedp.ID("inc-ref")))
	ref := Text(t, ctx, "#inc-ref")
	if !strings.HasPrefix(ref, "SC-") {
		t.Fatalf("reference = %q", ref)
	}
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	url = strings.Split(url, "?")[0]
	Shot(t, ctx, "2-reported")
	e.logout(t, ctx)

	e.Login(t, ctx, coordinator)
	Step(t, ctx, "acknowledge",
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.ID("to-acknowledged")),
		chromedp.Click(chromedp.ID("to-acknowledged")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if st := attrOf(t, ctx, "#inc-status", "data-status"); st != "acknowledged" {
		t.Fatalf("status after acknowledging = %q", st)
	}
	Step(t, ctx, "assign a task to the department",
		chromedp.SendKeys(chromedp.ID("task-title"), "Ngăn chặn: rà soát web shell, cô lập máy chủ web"),
		chromedp.SetValue(chromedp.ID("task-agency"), strconv.FormatInt(skhcn.ID, 10)),
		chromedp.Click(chromedp.ID("assign-task")),
		// The page already shows the acknowledgement's flash: wait for the
		// new task's row instead.
		chromedp.WaitVisible(chromedp.CSS(`#tasks tbody tr[id^="task-"]`)),
	)
	if tasks := Text(t, ctx, "#tasks tbody"); !strings.Contains(tasks, "SKHCN") {
		t.Fatalf("task not listed: %q", tasks)
	}
	Shot(t, ctx, "3-acknowledged-task-assigned")
	e.logout(t, ctx)

	e.Login(t, ctx, skhcnAnalyst)
	Step(t, ctx, "the department's tasks",
		chromedp.Navigate(e.URL+"/tasks"),
		chromedp.WaitVisible(chromedp.CSS("a.task-incident")),
	)
	Shot(t, ctx, "4-department-tasks")
	Step(t, ctx, "complete the task",
		chromedp.Click(chromedp.CSS("a.task-incident")),
		chromedp.WaitVisible(chromedp.ID("inc-ref")),
		chromedp.SendKeys(chromedp.CSS(`#tasks textarea[name=result]`), "Đã gỡ web shell up.php, cô lập máy chủ, chuyển trang bảo trì"),
		chromedp.Click(chromedp.CSS(`#tasks button[value=done]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if tasks := Text(t, ctx, "#tasks tbody"); !strings.Contains(tasks, "Đã gỡ web shell") {
		t.Fatalf("task result not shown: %q", tasks)
	}
	Shot(t, ctx, "5-task-done")
	e.logout(t, ctx)

	e.Login(t, ctx, telecom)
	Step(t, ctx, "telecom opens the incident", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if body := Text(t, ctx, "main"); strings.Contains(body, ref) || strings.Contains(body, "thay đổi giao diện") {
		t.Fatalf("telecom sees the incident: %q", body)
	}
	Step(t, ctx, "telecom list", chromedp.Navigate(e.URL+"/incidents"), chromedp.WaitVisible(chromedp.ID("incident-rows")))
	if list := Text(t, ctx, "#incident-rows tbody"); strings.Contains(list, ref) {
		t.Fatalf("telecom list shows %s", ref)
	}
	Shot(t, ctx, "6-telecom-sees-nothing")
	e.logout(t, ctx)

	e.Login(t, ctx, coordinator)
	Step(t, ctx, "close without a closing report",
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.ID("to-closed")),
		chromedp.Click(chromedp.ID("to-closed")),
		chromedp.WaitVisible(chromedp.CSS("p.error")),
	)
	if msg := Text(t, ctx, "p.error"); !strings.Contains(msg, "closing report") {
		t.Fatalf("refusal says %q", msg)
	}
	if st := attrOf(t, ctx, "#inc-status", "data-status"); st == "closed" {
		t.Fatal("closed without a closing report")
	}
	Shot(t, ctx, "7-close-refused")
	e.logout(t, ctx)

	e.Login(t, ctx, tpbaReporter)
	Step(t, ctx, "file the closing report",
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.ID("report-kind")),
		chromedp.SetValue(chromedp.ID("report-kind"), "closing"),
		chromedp.Click(chromedp.ID("new-report")),
		chromedp.WaitVisible(chromedp.ID("results")),
		chromedp.SendKeys(chromedp.ID("results"), "Khôi phục giao diện từ bản sao lưu sạch, vá lỗ hổng plugin, đổi mật khẩu quản trị."),
		chromedp.SendKeys(chromedp.ID("signer_title"), "Phó Chủ tịch UBND thành phố"),
	)
	Shot(t, ctx, "8-closing-report-form")
	Step(t, ctx, "save the report", chromedp.Click(chromedp.ID("save-report")), chromedp.WaitVisible(chromedp.ID("report-title")))
	if title := Text(t, ctx, "#report-title"); title != "BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ" {
		t.Fatalf("printable title = %q", title)
	}
	Shot(t, ctx, "9-closing-report-printable")
	e.logout(t, ctx)

	e.Login(t, ctx, coordinator)
	Step(t, ctx, "close",
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.ID("to-closed")),
		chromedp.Click(chromedp.ID("to-closed")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if st := attrOf(t, ctx, "#inc-status", "data-status"); st != "closed" {
		t.Fatalf("status = %q, want closed", st)
	}
	if closed := Text(t, ctx, "#closed-at"); closed == "" {
		t.Error("no closing time shown")
	}
	Shot(t, ctx, "10-closed")
}

// TestIncidentPhoneScreenshots renders the incident pages on a phone.
func TestIncidentPhoneScreenshots(t *testing.T) {
	e := Start(t)
	sys := access.With(context.Background(), access.SystemPrincipal())
	if err := seedDemoIncidents(sys, e); err != nil {
		t.Fatal(err)
	}
	ctx := Browser(t, true)
	e.Login(t, ctx, coordinator)
	for _, p := range []struct{ path, name string }{
		{"/", "dashboard"}, {"/incidents", "incidents"}, {"/incidents/1", "incident"}, {"/tasks", "tasks"},
	} {
		Step(t, ctx, p.name, chromedp.Navigate(e.URL+p.path), chromedp.WaitVisible(chromedp.CSS("main")))
		Shot(t, ctx, p.name)
	}
}

// attrOf reads an attribute of the first element matching css.
func attrOf(t *testing.T, ctx context.Context, css, name string) string {
	t.Helper()
	res, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(css), name))
	if err != nil {
		p := Shot(t, ctx, "FAILED-attr")
		t.Fatalf("attribute %s of %s: %v (screenshot: %s)", name, css, err, p)
	}
	return res.Value
}

// seedDemoIncidents seeds the demo systems and incidents, as bulwark demo
// does (the incidents link to the systems).
func seedDemoIncidents(ctx context.Context, e *Env) error {
	if err := demo.SeedSystems(ctx, e.App.Systems, e.App.Agencies); err != nil {
		return err
	}
	return demo.SeedIncidents(ctx, e.App.Incidents, e.App.Agencies, e.App.Auth)
}

// TestIncidentSystemsAndAgencies files an incident on an inventory system
// through the form, with a lead agency and a participant; the incident
// page shows the system with its approved level, and the system's page
// lists the incident.
func TestIncidentSystemsAndAgencies(t *testing.T) {
	e := Start(t)
	sys := access.With(context.Background(), access.SystemPrincipal())
	if err := seedDemoIncidents(sys, e); err != nil {
		t.Fatal(err)
	}
	portals, _, err := e.App.Systems.ListSystems(sys, sysinv.SystemFilter{Query: "Cổng dịch vụ công"})
	if err != nil || len(portals) != 1 {
		t.Fatalf("portal: %v %v", portals, err)
	}
	portal := portals[0]
	cat, err := e.App.Agencies.AgencyByCode(sys, "CAT")
	if err != nil {
		t.Fatal(err)
	}
	vtl, err := e.App.Agencies.AgencyByCode(sys, "VTL")
	if err != nil {
		t.Fatal(err)
	}
	ctx := Browser(t, false)
	e.Login(t, ctx, skhcnAnalyst)
	detected := time.Now().Add(-time.Hour).In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02T15:04")
	Step(t, ctx, "open the form", chromedp.Navigate(e.URL+"/incidents/new"), chromedp.WaitVisible(chromedp.ID("inc-systems")))
	if lead := attrOf(t, ctx, "#lead_agency_id option[selected]", "value"); lead != strconv.FormatInt(cat.ID, 10) {
		t.Errorf("default lead = %s, want the standing agency %d", lead, cat.ID)
	}
	Step(t, ctx, "fill in",
		chromedp.SendKeys(chromedp.ID("title"), "Cổng dịch vụ công bị tấn công làm gián đoạn"),
		chromedp.SetValue(chromedp.ID("category"), "availability/ddos"),
		chromedp.SetValue(chromedp.ID("detected_at"), detected),
		chromedp.Click(chromedp.CSS(`#inc-systems input[value="`+strconv.FormatInt(portal.ID, 10)+`"]`)),
		chromedp.Click(chromedp.CSS(`#inc-agencies input[name="participants"][value="`+strconv.FormatInt(vtl.ID, 10)+`"]`)),
		chromedp.SetValue(chromedp.ID("system_level"), "2"),
	)
	Shot(t, ctx, "systems-1-form")
	Step(t, ctx, "submit", chromedp.Click(chromedp.ID("save-incident")), chromedp.WaitVisible(chromedp.ID("inc-linked-systems")))
	ref := Text(t, ctx, "#inc-ref")
	if got := Text(t, ctx, "#inc-linked-systems"); !strings.Contains(got, portal.Name) || !strings.Contains(got, "3") {
		t.Errorf("linked systems = %q", got)
	}
	if got := Text(t, ctx, "#inc-level"); !strings.HasPrefix(got, "3") {
		t.Errorf("level = %q, want the approved 3 over the declared 2", got)
	}
	id, err := e.App.Incidents.ByRef(sys, ref)
	if err != nil {
		t.Fatal(err)
	}
	if inc, err := e.App.Incidents.Get(sys, id); err != nil || inc.Lead.Code != "CAT" || len(inc.Participants) != 1 || inc.Participants[0].Code != "VTL" {
		t.Errorf("agencies: lead %+v participants %+v, %v", inc.Lead, inc.Participants, err)
	}
	Shot(t, ctx, "systems-2-incident")
	Step(t, ctx, "the system's page", chromedp.Click(chromedp.CSS("#inc-linked-systems a")), chromedp.WaitVisible(chromedp.ID("system-incidents")))
	if got := Text(t, ctx, "#system-incidents"); !strings.Contains(got, ref) || !strings.Contains(got, "Tấn công từ chối dịch vụ") {
		t.Errorf("system incidents = %q", got)
	}
	Step(t, ctx, "scroll", chromedp.ScrollIntoView(chromedp.ID("incidents")))
	Shot(t, ctx, "systems-3-system-page")
}

// TestWebhookPage turns a webhook off and on again from its page.
func TestWebhookPage(t *testing.T) {
	e := Start(t)
	sys := access.With(context.Background(), access.SystemPrincipal())
	admin, err := e.App.Auth.UserByEmail(sys, "admin@demo.bulwark.vn")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.App.Auth.Principal(sys, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	hook, err := e.App.Notify.CreateWebhook(access.With(context.Background(), p), "SIEM tỉnh", "https://siem.binhan.example/hook", []string{"incident.created"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := Browser(t, false)
	e.Login(t, ctx, "admin@demo.bulwark.vn")
	Step(t, ctx, "notifications", chromedp.Navigate(e.URL+"/notifications"), chromedp.WaitVisible(chromedp.CSS(`a[href="/webhooks/`+strconv.FormatInt(hook.ID, 10)+`"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/webhooks/`+strconv.FormatInt(hook.ID, 10)+`"]`)), chromedp.WaitVisible(chromedp.ID("webhook-toggle")))
	on := Text(t, ctx, "#webhook-state")
	Step(t, ctx, "deactivate", chromedp.Click(chromedp.ID("webhook-toggle")))
	waitJS(t, ctx, `document.querySelector("#webhook-state .dl-failed") !== null`)
	off := Text(t, ctx, "#webhook-state")
	Shot(t, ctx, "webhook-off")
	list, err := e.App.Notify.Webhooks(access.With(context.Background(), p))
	if err != nil || len(list) != 1 || list[0].Active {
		t.Errorf("after deactivating: %+v, %v", list, err)
	}
	Step(t, ctx, "reactivate", chromedp.Click(chromedp.ID("webhook-toggle")))
	waitJS(t, ctx, `document.querySelector("#webhook-state .dl-sent") !== null`)
	if again := Text(t, ctx, "#webhook-state"); again != on || on == off {
		t.Errorf("states: %q -> %q -> %q", on, off, again)
	}
	Shot(t, ctx, "webhook-on")
}

// TestIncidentAdminScreenshots renders the admin and figures pages of the
// incident capability on a desktop, in Vietnamese and in English.
func TestIncidentAdminScreenshots(t *testing.T) {
	e := Start(t)
	sys := access.With(context.Background(), access.SystemPrincipal())
	if err := seedDemoIncidents(sys, e); err != nil {
		t.Fatal(err)
	}
	ctx := Browser(t, false)
	e.Login(t, ctx, "admin@demo.bulwark.vn")
	for _, p := range []struct{ path, name string }{
		{"/", "dashboard"}, {"/playbooks", "playbooks"}, {"/incident-rules", "rules"}, {"/incident-figures", "figures"}, {"/notifications", "notifications"},
	} {
		Step(t, ctx, p.name, chromedp.Navigate(e.URL+p.path), chromedp.WaitVisible(chromedp.CSS("main")))
		Shot(t, ctx, p.name)
	}
	Step(t, ctx, "figures chart", chromedp.Navigate(e.URL+"/incident-figures"),
		chromedp.Poll[chromedp.Void](`document.querySelector("canvas#month-chart[data-drawn]") !== null`))
	Shot(t, ctx, "figures-chart")
	Step(t, ctx, "english", chromedp.Navigate(e.URL+"/incidents/1"), chromedp.WaitVisible(chromedp.ID("inc-ref")),
		chromedp.Click(chromedp.ID("lang-switch")))
	waitJS(t, ctx, `document.documentElement.lang === "en" && document.querySelector("#inc-ref") !== null`)
	if h := Text(t, ctx, "#tasks h2"); h != "Tasks" {
		t.Errorf("English heading = %q", h)
	}
	Shot(t, ctx, "incident-en")
}
