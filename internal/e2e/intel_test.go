package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestIntelFlow: an analyst shares an indicator, is asked to confirm a
// value on a warning list, records a sighting, uploads a list and follows
// the import to its report, and opens the export page.
func TestIntelFlow(t *testing.T) {
	e := Start(t)
	ctx := Browser(t, false)
	e.Login(t, ctx, "phantich@demo.bulwark.vn")

	Step(t, ctx, "share a domain",
		chromedp.Navigate(e.URL+"/intel/new"),
		chromedp.WaitVisible(chromedp.ID("value")),
		chromedp.SetValue(chromedp.ID("type"), "domain"),
		chromedp.SendKeys(chromedp.ID("value"), "Vietcombank-Xacthuc.COM."),
		chromedp.SetValue(chromedp.ID("tlp"), "GREEN"),
		chromedp.SendKeys(chromedp.ID("tags"), "phishing, banking"),
		chromedp.SendKeys(chromedp.ID("description"), "Trang giả mạo ngân hàng gửi qua SMS"),
		chromedp.Submit(chromedp.ID("value")),
		chromedp.WaitVisible(chromedp.ID("intel-entries")),
	)
	if h := Text(t, ctx, "main h1"); h != "vietcombank-xacthuc.com" {
		t.Errorf("detail heading = %q, want the normalised domain", h)
	}
	Step(t, ctx, "sighting",
		chromedp.SendKeys(chromedp.ID("location"), "DNS resolver Sở TT"),
		chromedp.SetValue(chromedp.ID("count"), "12"),
		chromedp.Submit(chromedp.ID("location")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	Shot(t, ctx, "detail")

	Step(t, ctx, "warning list",
		chromedp.Navigate(e.URL+"/intel/new"),
		chromedp.WaitVisible(chromedp.ID("value")),
		chromedp.SetValue(chromedp.ID("type"), "ipv4"),
		chromedp.SendKeys(chromedp.ID("value"), "8.8.8.8"),
		chromedp.Submit(chromedp.ID("value")),
		chromedp.WaitVisible(chromedp.ID("intel-warning")),
	)
	Shot(t, ctx, "warning")
	Step(t, ctx, "confirm", chromedp.Click(chromedp.ID("confirm")), chromedp.Submit(chromedp.ID("value")), chromedp.WaitVisible(chromedp.ID("intel-entries")))

	list := filepath.Join(t.TempDir(), "blocklist.txt")
	if err := os.WriteFile(list, []byte("# danh sách\nmuahang-giare.vn\n103.97.125.5\nhttp://login-zalo.top/x\nnot a value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	Step(t, ctx, "upload",
		chromedp.Navigate(e.URL+"/intel/imports"),
		chromedp.WaitVisible(chromedp.ID("import-form")),
		chromedp.SetValue(chromedp.ID("format"), "plain"),
		chromedp.SetValue(chromedp.ID("tlp"), "GREEN"),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{list}),
		chromedp.Submit(chromedp.ID("file")),
		chromedp.WaitVisible(chromedp.ID("import-progress")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#import-status") && !document.querySelector("#import-status").textContent.includes("Đang chạy")`),
		chromedp.Poll[chromedp.Void](`document.querySelector("canvas#import-chart[data-drawn]") !== null`),
	)
	if got := Text(t, ctx, "#import-created"); got != "3" {
		t.Errorf("created = %q, want 3", got)
	}
	Shot(t, ctx, "import-report")

	Step(t, ctx, "list", chromedp.Navigate(e.URL+"/intel"), chromedp.WaitVisible(chromedp.ID("intel-table")))
	if rows := Text(t, ctx, "#intel-table tbody"); !strings.Contains(rows, "muahang-giare.vn") || !strings.Contains(rows, "vietcombank-xacthuc.com") {
		t.Errorf("list lacks the indicators: %q", rows)
	}
	Shot(t, ctx, "list")
	Step(t, ctx, "export page", chromedp.Navigate(e.URL+"/intel/export"), chromedp.WaitVisible(chromedp.ID("export-rpz")))
	Shot(t, ctx, "export")
}
