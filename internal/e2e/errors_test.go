package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestRefusalInVietnamese: a service's refusal on a form reads in the
// page's language — Vietnamese by default, English after the switch.
func TestRefusalInVietnamese(t *testing.T) {
	e := Start(t)
	ctx := Browser(t, false)
	e.Login(t, ctx, "admin@demo.bulwark.vn")
	submit := func(lang string) {
		Step(t, ctx, "refused agency "+lang,
			chromedp.Navigate(e.URL+"/agencies/new"),
			chromedp.WaitVisible(chromedp.ID("code")),
			chromedp.SendKeys(chromedp.ID("code"), "XA-LOI"),
			chromedp.SendKeys(chromedp.ID("name_vi"), "Xã Thử Lỗi"),
			chromedp.SendKeys(chromedp.ID("name_en"), "Error Test Commune"),
			chromedp.SetValue(chromedp.ID("kind"), "district"),
			chromedp.SendKeys(chromedp.ID("contact_phone"), "gọi tôi"),
			chromedp.Click(chromedp.ID("save-agency")),
		)
		waitJS(t, ctx, `document.documentElement.lang === "`+lang+`" && document.querySelector("p.error") !== null`)
	}

	submit("vi")
	Shot(t, ctx, "refused-vi")
	const vi = "Điện thoại liên hệ: không phải số điện thoại (chỉ gồm chữ số, dấu cách, + . - ( ))"
	if got := Text(t, ctx, "p.error"); got != vi {
		t.Errorf("banner = %q, want %q", got, vi)
	}
	if got, want := Text(t, ctx, ".field-error"), strings.TrimPrefix(vi, "Điện thoại liên hệ: "); got != want {
		t.Errorf("field message = %q, want %q", got, want)
	}

	Step(t, ctx, "switch to English", chromedp.Click(chromedp.ID("lang-switch")))
	waitJS(t, ctx, `document.documentElement.lang === "en"`)
	submit("en")
	Shot(t, ctx, "refused-en")
	if got := Text(t, ctx, "p.error"); !strings.Contains(got, "is not a phone number") {
		t.Errorf("English banner = %q", got)
	}
	Step(t, ctx, "switch back", chromedp.Click(chromedp.ID("lang-switch")))
	waitJS(t, ctx, `document.documentElement.lang === "vi"`)
}
