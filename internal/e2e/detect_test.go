package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"bulwark/internal/access"
	"bulwark/internal/demo"
	"bulwark/internal/detect"
	"bulwark/internal/sysinv"
)

const e2eRule = `title: Whoami Execution From Web Server
id: 0f6e7f0e-0000-4000-8000-0000000000bb
author: Bulwark tests
level: high
tags: [attack.discovery, attack.t1033]
logsource:
  product: windows
  category: process_creation
detection:
  sel:
    Image|endswith: '\whoami.exe'
    ParentImage|endswith: '\w3wp.exe'
  condition: sel
`

// TestDetectFlow: the standing agency loads a rule; a department analyst
// registers a web server sensor watching its portal and sees its token
// once; the sensor sends events; the alert shows in the live list with the
// rule's author and the information system hit; the dashboard draws the
// alerts by severity; the analyst opens and dismisses the alert with a
// reason.
func TestDetectFlow(t *testing.T) {
	e := Start(t)
	sys := access.With(context.Background(), access.SystemPrincipal())
	if _, err := e.App.Detect.UploadRules(sys, []detect.UploadFile{{Name: "whoami.yml", Data: []byte(e2eRule)}}); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedSystems(sys, e.App.Systems, e.App.Agencies); err != nil {
		t.Fatal(err)
	}
	portal, _, err := e.App.Systems.ListSystems(sys, sysinv.SystemFilter{Query: "Cổng dịch vụ công"})
	if err != nil || len(portal) != 1 {
		t.Fatalf("portal = %v, %v", portal, err)
	}
	const analyst = "phantich.skhcn@demo.bulwark.vn"
	b := Browser(t, false)
	e.Login(t, b, analyst)
	Step(t, b, "sources page",
		chromedp.Navigate(e.URL+"/sources"),
		chromedp.WaitVisible(chromedp.ID("source-form")),
		chromedp.SendKeys(chromedp.ID("name"), "Máy chủ cổng dịch vụ công"),
		chromedp.SetValue(chromedp.ID("skind"), "windows"),
		chromedp.SetValue(chromedp.ID("format"), "windows"),
		chromedp.SetValue(chromedp.ID("system_id"), fmt.Sprint(portal[0].ID)),
		chromedp.Click(chromedp.ID("source-create")),
		chromedp.WaitVisible(chromedp.ID("source-token")),
	)
	Shot(t, b, "source-created")
	token := strings.TrimSpace(Text(t, b, "#source-token pre code"))
	if !strings.HasPrefix(token, "bws_") {
		t.Fatalf("token = %q", token)
	}
	body := strings.Join([]string{
		`{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"web01.skhcn.local","Image":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /priv","ParentImage":"C:\\Windows\\System32\\inetsrv\\w3wp.exe","User":"IIS APPPOOL\\portal"}`,
		`{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"web01.skhcn.local","Image":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /all","ParentImage":"C:\\Windows\\System32\\inetsrv\\w3wp.exe","User":"IIS APPPOOL\\portal"}`,
		`{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"web01.skhcn.local","Image":"C:\\Windows\\explorer.exe","CommandLine":"explorer.exe"}`,
	}, "\n")
	req, _ := http.NewRequest("POST", e.URL+"/api/v1/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("events: %v %v", resp, err)
	}
	resp.Body.Close()
	Step(t, b, "live alert list",
		chromedp.Navigate(e.URL+"/alerts"),
		chromedp.WaitVisible(chromedp.CSS("#alert-rows tr.alert-row")),
	)
	Shot(t, b, "alerts")
	if got := Text(t, b, "#alert-rows tr.alert-row"); !strings.Contains(got, "Whoami") || !strings.Contains(got, "Bulwark tests") || !strings.Contains(got, "web01.skhcn.local") ||
		!strings.Contains(got, "Cổng dịch vụ công tỉnh Bình An") {
		t.Errorf("alert row = %q", got)
	}
	Step(t, b, "dashboard", chromedp.Navigate(e.URL+"/"), chromedp.WaitVisible(chromedp.ID("alert-dash-chart")))
	waitJS(t, b, `document.getElementById("alert-dash-chart").dataset.drawn === "1"`)
	if got := Text(t, b, "#alert-dash-total"); got != "1" {
		t.Errorf("dashboard alerts = %q, want 1", got)
	}
	Shot(t, b, "dashboard-alerts")
	Step(t, b, "back to the alerts", chromedp.Navigate(e.URL+"/alerts"), chromedp.WaitVisible(chromedp.CSS("#alert-rows tr.alert-row")))
	Step(t, b, "open the alert",
		chromedp.Click(chromedp.CSS("#alert-rows tr.alert-row td a")),
		chromedp.WaitVisible(chromedp.ID("alert-author")),
	)
	if got := Text(t, b, "#alert-system"); !strings.Contains(got, "Cổng dịch vụ công tỉnh Bình An") {
		t.Errorf("alert system = %q", got)
	}
	Shot(t, b, "alert")
	Step(t, b, "dismiss",
		chromedp.SendKeys(chromedp.ID("reason"), "Quản trị viên kiểm tra quyền, đã xác minh"),
		chromedp.Submit(chromedp.ID("reason")),
	)
	// The old page has the status too: wait from Go for the reloaded one.
	waitJS(t, b, `(document.getElementById("alert-status") || {textContent: ""}).textContent.includes("đã bỏ qua")`)
	if got := Text(t, b, "#alert-status"); !strings.Contains(got, "đã bỏ qua") {
		t.Errorf("status after dismissal = %q", got)
	}
	Shot(t, b, "dismissed")
	phone := Browser(t, true)
	e.Login(t, phone, analyst)
	Step(t, phone, "sources on a phone", chromedp.Navigate(e.URL+"/sources"), chromedp.WaitVisible(chromedp.ID("sources")))
	Shot(t, phone, "sources-phone")
}
