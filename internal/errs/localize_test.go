package errs

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// vi is a small Vietnamese catalog for the tests.
var vi = Localizer{
	Message: func(f string) (string, bool) {
		s, ok := map[string]string{
			"is required":                            "không được để trống",
			"must be at most %d characters (got %d)": "tối đa %d ký tự (hiện có %d)",
			"no agency has the code %q":              "không có cơ quan nào mang mã %q",
			"you are not allowed to %s":              "bạn không được phép %s",
			"edit this system":                       "sửa hệ thống này",
			"100%% sure":                             "chắc chắn 100%%",
			"the body is broken":                     "nội dung bị hỏng",
			"internal error":                         "lỗi nội bộ",
			"bad verbs %d":                           "sai động từ %s",
			"%s %d not found":                        "không tìm thấy %s %d",
			"body":                                   "tổ chức",
			"unknown status %q":                      "trạng thái không xác định %q",
			"the incident is already %s":             "sự cố đã ở trạng thái %s",
			"closed":                                 "đã đóng",
		}[f]
		return s, ok
	},
	Field: func(n string) (string, bool) {
		s, ok := map[string]string{"title": "Tiêu đề", "identifiers": "Định danh", "value": "Giá trị"}[n]
		return s, ok
	},
}

// status is a named string type, as services use for states.
type status string

func TestLocalize(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		want     string // Localize
		wantMsg  string // LocalizeMessage
		wantEngl string // Message stays English
	}{
		{"field", Field("title", "is required"), "Tiêu đề: không được để trống", "không được để trống", "title: is required"},
		{"args", Field("title", "must be at most %d characters (got %d)", 200, 250),
			"Tiêu đề: tối đa 200 ký tự (hiện có 250)", "tối đa 200 ký tự (hiện có 250)", "title: must be at most 200 characters (got 250)"},
		{"quoted arg", E(Invalid, "no agency has the code %q", "XA"), `không có cơ quan nào mang mã "XA"`, `không có cơ quan nào mang mã "XA"`, `no agency has the code "XA"`},
		{"word argument", E(Forbidden, "you are not allowed to %s", "edit this system"), "bạn không được phép sửa hệ thống này", "bạn không được phép sửa hệ thống này", "you are not allowed to edit this system"},
		{"quoted input is not translated", E(Invalid, "unknown status %q", "body"), `trạng thái không xác định "body"`, `trạng thái không xác định "body"`, `unknown status "body"`},
		{"a word of a named string type", E(Conflict, "the incident is already %s", status("closed")), "sự cố đã ở trạng thái đã đóng", "sự cố đã ở trạng thái đã đóng", "the incident is already closed"},
		{"input argument stays", E(Forbidden, "you are not allowed to %s", "fly"), "bạn không được phép fly", "bạn không được phép fly", "you are not allowed to fly"},
		{"two arguments, one a word", E(NotFound, "%s %d not found", "body", 7), "không tìm thấy tổ chức 7", "không tìm thấy tổ chức 7", "body 7 not found"},
		{"wrapped", fmt.Errorf("ctx: %w", Field("title", "is required")), "Tiêu đề: không được để trống", "không được để trống", "title: is required"},
		{"Wrap keeps a percent sign", Wrap(Invalid, errors.New("x"), "100% sure"), "chắc chắn 100%", "chắc chắn 100%", "100% sure"},
		{"literal error", &Error{Kind: Invalid, Msg: "the body is broken"}, "nội dung bị hỏng", "nội dung bị hỏng", "the body is broken"},
		{"untranslated stays English", Field("title", "is odd"), "Tiêu đề: is odd", "is odd", "title: is odd"},
		{"wrong verbs in a catalog fall back", E(Invalid, "bad verbs %d", 3), "bad verbs 3", "bad verbs 3", "bad verbs 3"},
		{"internal", errors.New("disk on fire"), "lỗi nội bộ", "lỗi nội bộ", "internal error"},
		{"internal kind", Wrap(Internal, errors.New("x"), "secret detail"), "lỗi nội bộ", "lỗi nội bộ", "internal error"},
		{"nested field", InField("identifiers[2].value", Field("value", "is required")), "Định danh 3 › Giá trị: không được để trống", "không được để trống", "identifiers[2].value: is required"},
		{"unknown field segment", Field("csv.kind", "is required"), "csv › kind: không được để trống", "không được để trống", "csv.kind: is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Localize(tc.err, vi); got != tc.want {
				t.Errorf("Localize = %q, want %q", got, tc.want)
			}
			if got := LocalizeMessage(tc.err, vi); got != tc.wantMsg {
				t.Errorf("LocalizeMessage = %q, want %q", got, tc.wantMsg)
			}
			if got := Message(tc.err); got != tc.wantEngl {
				t.Errorf("Message = %q, want %q", got, tc.wantEngl)
			}
			if got := Localize(tc.err, Localizer{}); got != tc.wantEngl {
				t.Errorf("Localize without catalog = %q, want the English %q", got, tc.wantEngl)
			}
		})
	}
}

func TestInFieldKeepsTheOriginal(t *testing.T) {
	inner := Field("value", "must be at most %d characters (got %d)", 5, 9)
	outer := InField("identifiers[0].value", inner)
	if inner.Field != "value" || outer.Field != "identifiers[0].value" {
		t.Fatalf("fields: inner %q outer %q", inner.Field, outer.Field)
	}
	if outer.Msg != inner.Msg || outer.Format != inner.Format || outer.Kind != Invalid {
		t.Errorf("InField changed the message: %+v", outer)
	}
}

func TestVerbs(t *testing.T) {
	for in, want := range map[string][]string{
		"plain":                  nil,
		"100%% sure":             nil,
		"%d of %s":               {"d", "s"},
		"%-5.2f%%, %q %v %x %T":  {"f", "q", "v", "x", "T"},
		"%[2]d %[1]s":            {"[2]d", "[1]s"},
		"%+d %#v % x %08.3f %*d": {"d", "v", "x", "f", "d"},
		"dangling %":             nil,
	} {
		if got := Verbs(in); !cmp.Equal(got, want) {
			t.Errorf("Verbs(%q) = %q, want %q", in, got, want)
		}
	}
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"at most %d (got %d)", "tối đa %d (hiện có %d)", true},
		{"%s of %d", "%d của %s", false},
		{"%s", "%s %s", false},
		{"%q", "%s", false},
		{"100%% done", "xong 100%%", true},
	} {
		if got := SameVerbs(tc.a, tc.b); got != tc.same {
			t.Errorf("SameVerbs(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

func FuzzVerbs(f *testing.F) {
	for _, s := range []string{"%d", "%[1]s", "%", "%%", "%-+# 0*.*[3]x", "a%[", "%["} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := Verbs(s)
		if !SameVerbs(s, s) {
			t.Fatalf("%q differs from itself (%q)", s, v)
		}
	})
}
