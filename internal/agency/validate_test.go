package agency

import (
	"strings"
	"testing"
	"unicode/utf8"

	"bulwark/internal/errs"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Sở Khoa học và Công nghệ", "so khoa hoc va cong nghe"},
		{"ĐÀ NẴNG", "da nang"},
		{"đường  Lê\tLợi ", "duong le loi"},
		{"Se\u0302\u0301", "se"}, // decomposed input
		{"  ", ""},
		{"100%_x", "100%_x"},
	}
	for _, tt := range tests {
		if got := fold(tt.in); got != tt.want {
			t.Errorf("fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestContainsPattern(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc", "%abc%"},
		{"100%", `%100\%%`},
		{"a_b", `%a\_b%`},
		{`c:\x`, `%c:\\x%`},
	}
	for _, tt := range tests {
		if got := containsPattern(tt.in); got != tt.want {
			t.Errorf("containsPattern(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCleanDate(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"2025-03-01", "2025-03-01", true},
		{" 2024-02-29 ", "2024-02-29", true},
		{"2025-02-29", "", false},
		{"2025-3-1", "", false},
		{"01/03/2025", "", false},
		{"2025-03-01x", "", false},
		{"1899-12-31", "", false},
		{"2101-01-01", "", false},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := cleanDate("d", tt.in, false)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("cleanDate(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && errs.FieldOf(err) != "d" {
			t.Errorf("cleanDate(%q) error names field %q, want d", tt.in, errs.FieldOf(err))
		}
	}
	if _, err := cleanDate("d", "", true); errs.FieldOf(err) != "d" {
		t.Errorf("cleanDate(required, empty) = %v", err)
	}
}

func TestCleanPhoneAndEmail(t *testing.T) {
	phones := []struct {
		in string
		ok bool
	}{
		{"0236 3822 123", true}, {"+84 (236) 3822-123", true}, {"113", true}, {"1900.1234", true},
		{"12", false}, {"+84 912 345 678 901 234", false}, {"0912abc", false}, {"++84", false}, {"0912\n345", false},
	}
	for _, tt := range phones {
		if _, err := cleanPhone("p", tt.in); (err == nil) != tt.ok {
			t.Errorf("cleanPhone(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
	emails := []struct {
		in string
		ok bool
	}{
		{"soc@danang.gov.vn", true}, {"a.b+c@x.vn", true}, {"", true},
		{"a@b", false}, {"a@.vn", false}, {"a@vn.", false}, {"@x.vn", false}, {"a b@x.vn", false},
		{"Name <a@x.vn>", false}, {"a@x.vn, b@x.vn", false}, {strings.Repeat("a", 250) + "@x.vn", false},
	}
	for _, tt := range emails {
		if _, err := cleanEmail("e", tt.in); (err == nil) != tt.ok {
			t.Errorf("cleanEmail(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
}

// FuzzCleanInput checks that validation never panics and that what it
// accepts honours the limits it promises.
func FuzzCleanInput(f *testing.F) {
	f.Add("SKHCN", "Sở Khoa học và Công nghệ", "department", "CAT", "0236 3822 123", "a@b.vn", "2025-03-01")
	f.Add("a", "\x00", "x", "?", "++", "<a@b>", "2025-02-30")
	f.Add("", "e\u0323\u0302", "", "", "", "", "")
	f.Add("AB", "\u202e", "bank", "ab", "113", "a@b.c", "9999-99-99")
	f.Fuzz(func(t *testing.T, code, name, kind, parent, phone, email, date string) {
		in := AgencyInput{Code: code, NameVI: name, NameEN: name, Kind: kind, ParentCode: parent,
			Address: name, ContactName: name, ContactPhone: phone, ContactEmail: email}
		out, err := cleanInput(in, true)
		if err == nil {
			if len(out.Code) < 2 || len(out.Code) > maxAgencyCode || !ValidKind(out.Kind) || out.NameVI == "" {
				t.Errorf("cleanInput accepted %+v", out)
			}
			for _, s := range []string{out.NameVI, out.NameEN, out.Address, out.ContactName, out.ContactPhone, out.ContactEmail} {
				if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxAddress {
					t.Errorf("cleanInput accepted %q", s)
				}
			}
		} else if errs.KindOf(err) != errs.Invalid || errs.FieldOf(err) == "" {
			t.Errorf("cleanInput error %v is not a field error", err)
		}
		if d, err := cleanDate("d", date, false); err == nil && d != "" && len(d) != len(dateLayout) {
			t.Errorf("cleanDate accepted %q", d)
		}
		_ = fold(name)
		_ = containsPattern(name)
	})
}
