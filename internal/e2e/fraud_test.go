package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"bulwark/internal/access"
	"bulwark/internal/demo"
	"bulwark/internal/fraud"
)

// TestFraudFlow: a citizen reports a scam number on a phone with a
// screenshot as evidence and follows it with the tracking code; two more
// citizens report the same number written differently; a police analyst
// sees one subject with three reports and confirms it; the VinaPhone
// liaison answers the referral; the public look-up then says confirmed.
func TestFraudFlow(t *testing.T) {
	e := Start(t)
	sys := access.With(context.Background(), access.SystemPrincipal())
	if err := demo.SeedFraud(sys, e.App.Fraud, e.App.Agencies); err != nil {
		t.Fatal(err)
	}
	shotPNG := filepath.Join(t.TempDir(), "zalo-screenshot.png")
	if err := os.WriteFile(shotPNG, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 2000)...), 0o600); err != nil {
		t.Fatal(err)
	}

	phone := Browser(t, true)
	Step(t, phone, "public form",
		chromedp.Navigate(e.URL+"/report-fraud"),
		chromedp.WaitVisible(chromedp.ID("fraud-form")),
	)
	Shot(t, phone, "public-form")
	Step(t, phone, "fill and send",
		chromedp.SetValue(chromedp.ID("channel"), "call"),
		chromedp.SetValue(chromedp.ID("scam_type"), "impersonation_bank"),
		chromedp.SendKeys(chromedp.ID("id_value_0"), "0912 345 678"),
		chromedp.SendKeys(chromedp.ID("amount"), "3.500.000"),
		chromedp.SendKeys(chromedp.ID("narrative"), "Gọi tự xưng nhân viên ngân hàng, đòi mã OTP. <script>alert(1)</script>"),
		chromedp.SendKeys(chromedp.ID("reporter_phone"), "0977 123 456"),
		chromedp.Click(chromedp.ID("consent")),
		chromedp.SetUploadFiles(chromedp.ID("evidence"), []string{shotPNG}),
		chromedp.Click(chromedp.ID("send-report")),
		chromedp.WaitVisible(chromedp.ID("tracking-code")),
	)
	code := Text(t, phone, "#tracking-code")
	if !strings.HasPrefix(code, "LD-") {
		t.Fatalf("tracking code = %q", code)
	}
	if got := Text(t, phone, "#file-results"); !strings.Contains(got, "zalo-screenshot.png") || !strings.Contains(got, "đã nhận") {
		t.Errorf("file results = %q", got)
	}
	Shot(t, phone, "receipt")
	Step(t, phone, "status", chromedp.Click(chromedp.ID("check-status")), chromedp.WaitVisible(chromedp.ID("report-status")))
	Shot(t, phone, "status")

	for i, v := range []string{"+84912345678", "84-912-345-678"} {
		in := fraud.ReportInput{Channel: fraud.ChannelSMS, ScamType: "impersonation_bank", Identifiers: []fraud.Identifier{{Kind: fraud.KindPhone, Value: v}}, Consent: true}
		if _, err := e.App.Fraud.Submit(context.Background(), in, "198.51.100."+string(rune('1'+i))); err != nil {
			t.Fatal(err)
		}
	}
	Step(t, phone, "look-up before", chromedp.Navigate(e.URL+"/lookup?q=84-912-345-678"), chromedp.WaitVisible(chromedp.ID("verdict")))
	if v := Text(t, phone, "#verdict h2"); v != "Đã bị phản ánh, đang xác minh" {
		t.Errorf("verdict before confirmation = %q", v)
	}
	Shot(t, phone, "lookup-reported")

	desk := Browser(t, false)
	e.Login(t, desk, "phantich@demo.bulwark.vn")
	Step(t, desk, "queue", chromedp.Navigate(e.URL+"/fraud"), chromedp.WaitVisible(chromedp.ID("queue")))
	if q := Text(t, desk, "#queue tbody"); !strings.Contains(q, "+84912345678") {
		t.Fatalf("queue lacks the number: %q", q)
	}
	Shot(t, desk, "queue")
	Step(t, desk, "subject",
		chromedp.Click(chromedp.CSS(`#queue a[href^="/fraud/subjects/"]`)),
		chromedp.WaitVisible(chromedp.ID("side-by-side")),
	)
	if n := Text(t, desk, "#subject-count"); n != "3" {
		t.Errorf("subject count = %q, want 3", n)
	}
	Shot(t, desk, "subject")
	Step(t, desk, "confirm",
		chromedp.SetValue(chromedp.ID("status"), "confirmed"),
		chromedp.SetValue(chromedp.ID("action"), "suspend_outgoing"),
		chromedp.SendKeys(chromedp.ID("reason"), "Ba phản ánh độc lập, cùng kịch bản giả danh ngân hàng"),
		chromedp.Click(chromedp.ID("decide")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if s := Text(t, desk, "#subject-referrals"); !strings.Contains(s, "VinaPhone") {
		t.Errorf("referrals after confirmation = %q", s)
	}
	Shot(t, desk, "confirmed")
	Step(t, desk, "reporter contact", chromedp.Navigate(e.URL+"/fraud/reports/5"), chromedp.WaitVisible(chromedp.ID("show-reporter")),
		chromedp.Click(chromedp.ID("show-reporter")), chromedp.WaitVisible(chromedp.ID("reporter-contact")))
	Shot(t, desk, "reporter")
	Step(t, desk, "figures", chromedp.Navigate(e.URL+"/fraud/figures"),
		chromedp.Poll[chromedp.Void](`document.querySelector("canvas#fraud-chart[data-drawn]") !== null`))
	Shot(t, desk, "figures")

	liaison := Browser(t, false)
	e.Login(t, liaison, "lienlac.vnpt@demo.bulwark.vn")
	Step(t, liaison, "referrals", chromedp.Navigate(e.URL+"/fraud/referrals"), chromedp.WaitVisible(chromedp.ID("referrals")))
	if s := Text(t, liaison, "#referrals tbody"); !strings.Contains(s, "+84912345678") || strings.Contains(s, "+84968123456") {
		t.Errorf("VNPT referrals = %q", s)
	}
	Shot(t, liaison, "liaison-referrals")
	Step(t, liaison, "answer",
		chromedp.SetValue(chromedp.CSS(".answer-form select"), "outgoing_suspended"),
		chromedp.Click(chromedp.CSS(".answer-form button")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if s := Text(t, liaison, "#referrals tbody"); !strings.Contains(s, "Đã tạm dừng chiều đi") {
		t.Errorf("answered referral = %q", s)
	}
	Shot(t, liaison, "liaison-answered")

	Step(t, phone, "look-up after", chromedp.Navigate(e.URL+"/lookup?q="+"0912345678"), chromedp.WaitVisible(chromedp.ID("verdict")))
	if v := Text(t, phone, "#verdict h2"); v != "Đã xác nhận lừa đảo" {
		t.Errorf("verdict after confirmation = %q", v)
	}
	Shot(t, phone, "lookup-confirmed")
}
