package ui

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"bulwark/internal/errs"
	"bulwark/internal/i18n"
)

// TestRefusalsInThePageLanguage: a service's refusal reaches the page in
// the reader's language (the error page and form errors), while the log
// keeps the English.
func TestRefusalsInThePageLanguage(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	h, err := New(Config{}, Deps{Catalog: cat, Log: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, lang string
		err        error
		status     int
		want       string
	}{
		{"field vi", "vi", errs.Field("title", "is required"), 400, "Tiêu đề: không được để trống"},
		{"field en", "en", errs.Field("title", "is required"), 400, "title: is required"},
		{"conflict vi", "vi", errs.E(errs.Conflict, "the incident was already acknowledged"), 409, "sự cố đã được tiếp nhận"},
		{"denied vi", "vi", errs.E(errs.Forbidden, "you are not allowed to %s", "edit the incident"), 403, "bạn không được phép sửa sự cố"},
		{"args vi", "vi", errs.E(errs.NotFound, "no indicator %d", 42), 404, "không có chỉ báo 42"},
		{"too large vi", "vi", &http.MaxBytesError{Limit: 10}, 413, "yêu cầu quá lớn"},
		{"internal vi", "vi", errors.New("driver: secret detail"), 500, "lỗi nội bộ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			req.AddCookie(&http.Cookie{Name: langCookie, Value: tc.lang})
			h.wrap(func(http.ResponseWriter, *http.Request) error { return tc.err }).ServeHTTP(rec, req)
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d", rec.Code, tc.status)
			}
			if !strings.Contains(string(body), tc.want) {
				t.Errorf("page lacks %q:\n%s", tc.want, body)
			}
			if strings.Contains(string(body), "secret detail") {
				t.Error("the page shows an internal error's detail")
			}
		})
	}
	if !strings.Contains(logged.String(), "title: is required") {
		t.Errorf("the log should keep the English message:\n%s", logged.String())
	}

	// A form shown again: the banner and the field's own message.
	p := Page{L: cat.For("vi")}
	if !formError(&p, errs.Field("contact_phone", "is not a phone number (digits, spaces, + . - ( ) only)")) {
		t.Fatal("formError refused an Invalid error")
	}
	const msg = "không phải số điện thoại (chỉ gồm chữ số, dấu cách, + . - ( ))"
	if want := "Điện thoại liên hệ: " + msg; p.Error != want {
		t.Errorf("formError: banner %q, want %q", p.Error, want)
	}
	if p.Fields["contact_phone"] != msg {
		t.Errorf("formError: next to the field %q, want %q", p.Fields["contact_phone"], msg)
	}
}
