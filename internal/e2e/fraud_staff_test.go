package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"bulwark/internal/access"
	"bulwark/internal/demo"
)

// TestFraudStaffIntakeAndImport: an analyst files a report for a victim
// at the desk with a picture and a PDF attached (checked by content like
// on the public form), then imports a telecom's list of 600 numbers; the
// import page lists the refused rows and says how many others it does not
// list. Screenshots of the form, the receipt and the import result.
func TestFraudStaffIntakeAndImport(t *testing.T) {
	e := Start(t)
	sys := access.With(context.Background(), access.SystemPrincipal())
	if err := demo.SeedFraud(sys, e.App.Fraud, e.App.Agencies); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	png := filepath.Join(dir, "tin-nhan-zalo.png")
	pdf := filepath.Join(dir, "sao-ke.pdf")
	if err := os.WriteFile(png, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 3000)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n% sao kê\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("kind,value,channel,scam_type\n")
	for i := range 600 {
		if i%100 == 7 {
			fmt.Fprintf(&csv, "phone,+84 000 %d,call,\n", i)
			continue
		}
		fmt.Fprintf(&csv, "phone,09%08d,call,impersonation_bank\n", 1000+i)
	}
	list := filepath.Join(dir, "danh-sach-nha-mang.csv")
	if err := os.WriteFile(list, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	desk := Browser(t, false)
	e.Login(t, desk, "phantich@demo.bulwark.vn")
	Step(t, desk, "intake form",
		chromedp.Navigate(e.URL+"/fraud/reports/new"),
		chromedp.WaitVisible(chromedp.ID("evidence")),
		chromedp.SetValue(chromedp.ID("channel"), "zalo"),
		chromedp.SetValue(chromedp.ID("scam_type"), "impersonation_police"),
		chromedp.SendKeys(chromedp.ID("id_value_0"), "0936 555 777"),
		chromedp.SendKeys(chromedp.ID("amount"), "12.000.000"),
		chromedp.SendKeys(chromedp.ID("narrative"), "Nạn nhân đến trụ sở trình báo: bị gọi qua Zalo, tự xưng công an, yêu cầu chuyển tiền."),
		chromedp.SendKeys(chromedp.ID("reporter_name"), "Phạm Thị D"),
		chromedp.SetUploadFiles(chromedp.ID("evidence"), []string{png, pdf}),
	)
	Shot(t, desk, "intake-form")
	Step(t, desk, "send", chromedp.Click(chromedp.ID("send-report")), chromedp.WaitVisible(chromedp.ID("tracking-code")))
	if got := Text(t, desk, "#file-results"); !strings.Contains(got, "tin-nhan-zalo.png") || !strings.Contains(got, "sao-ke.pdf") || strings.Count(got, "đã nhận") != 2 {
		t.Errorf("file results = %q", got)
	}
	Shot(t, desk, "intake-receipt")

	Step(t, desk, "import",
		chromedp.Navigate(e.URL+"/fraud/import"),
		chromedp.WaitVisible(chromedp.ID("import-form")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{list}),
		chromedp.Click(chromedp.ID("import")),
		chromedp.WaitVisible(chromedp.ID("import-result")),
	)
	if got := Text(t, desk, "#rows-not-shown"); !strings.Contains(got, "544") {
		t.Errorf("rows not shown = %q, want 544 (600 rows: 50 accepted and 6 refused listed)", got)
	}
	Shot(t, desk, "import-result")
}
