package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	)
	// The page before the sighting has a flash message too (the share's):
	// wait from Go for the reloaded page's sightings table, or the
	// screenshot may be taken mid-navigation and never return.
	waitJS(t, ctx, `[...document.querySelectorAll("td")].some(td => td.textContent === "DNS resolver Sở TT")`)
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
	)
	// The progress page reloads itself (meta refresh) while the job runs,
	// so poll from Go: an evaluation cut short by a reload is just retried.
	finished := `(function(){var s=document.querySelector("#import-status");
		return !!s && !s.textContent.includes("Đang chạy") && document.querySelector("canvas#import-chart[data-drawn]") !== null})()`
	for deadline := time.Now().Add(60 * time.Second); ; {
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](finished))
		if err == nil && done {
			break
		}
		if time.Now().After(deadline) {
			p := Shot(t, ctx, "FAILED-import")
			t.Fatalf("import did not finish within a minute (last error %v; screenshot %s)", err, p)
		}
		time.Sleep(300 * time.Millisecond)
	}
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
