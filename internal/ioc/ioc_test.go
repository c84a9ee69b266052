package ioc

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseType(t *testing.T) {
	for _, typ := range Types() {
		got, err := ParseType(" " + string(typ) + " ")
		if err != nil || got != typ {
			t.Errorf("ParseType(%q) = %q, %v, want %q", typ, got, err, typ)
		}
		if MaxLen(typ) <= 0 || typ.Label() == "value" && typ != TypeOther {
			t.Errorf("type %q lacks a MaxLen or Label", typ)
		}
	}
	if got, err := ParseType("SHA256"); err != nil || got != TypeSHA256 {
		t.Errorf(`ParseType("SHA256") = %q, %v`, got, err)
	}
	if _, err := ParseType("ip"); !errors.Is(err, ErrInvalid) {
		t.Errorf(`ParseType("ip") error = %v, want ErrInvalid`, err)
	}
}

func TestRegisteredDomain(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"a.b.evil.example", "evil.example", false},
		{"WWW.Example.com.vn", "example.com.vn", false},
		{"x.evil.github.io", "evil.github.io", false},
		{"portal.hanoi.gov.vn", "hanoi.gov.vn", false},
		{"bộcôngan.vn", "xn--bcngan-jxa6332d.vn", false},
		{"gov.vn", "", true},
		{"github.io", "", true},
		{"not a domain", "", true},
	}
	for _, tt := range tests {
		got, err := RegisteredDomain(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("RegisteredDomain(%q) = %q, %v, want %q (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParentDomains(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a.b.evil.example", []string{"b.evil.example", "evil.example"}},
		{"login.portal.hanoi.gov.vn", []string{"portal.hanoi.gov.vn", "hanoi.gov.vn"}},
		{"x.y.evil.github.io", []string{"y.evil.github.io", "evil.github.io"}},
		{"evil.example", nil},
		{"gov.vn", nil},
		{"vn", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ParentDomains(tt.in)); diff != "" {
			t.Errorf("ParentDomains(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestDomainUnicode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"xn--bcngan-jxa6332d.vn", "bộcôngan.vn"},
		{"example.vn", "example.vn"},
		{"xn--zz.vn", "xn--zz.vn"},
	}
	for _, tt := range tests {
		if got := DomainUnicode(tt.in); got != tt.want {
			t.Errorf("DomainUnicode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsMobile(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"0912 345 678", true},
		{"+84399123456", true},
		{"024 3825 1234", false},
		{"1900 1234", false},
		{"+84 000", false},
		{"abc", false},
	}
	for _, tt := range tests {
		if got := IsMobile(tt.in); got != tt.want {
			t.Errorf("IsMobile(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeAccount(t *testing.T) {
	tests := []struct {
		code, number, want string
		wantErr            bool
	}{
		{"vcb", "0011 0012 34567", "VCB:0011001234567", false},
		{" Techcombank ", "1903-6012-3456-78", "TECHCOMBANK:19036012345678", false},
		{"970436", "0011.001.234.567", "970436:0011001234567", false},
		{"", "0011001234567", "", true},
		{"VCB", "", "", true},
		{"VCB", "12345", "", true},
		{"VCB", "١٢٣٤٥٦٧", "", true},
		{"Ngân", "0011001234567", "", true},
	}
	for _, tt := range tests {
		got, err := NormalizeAccount(tt.code, tt.number)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("NormalizeAccount(%q, %q) = %q, %v, want %q (error %v)", tt.code, tt.number, got, err, tt.want, tt.wantErr)
		}
	}
	code, number, ok := SplitAccount("VCB:0011001234567")
	if code != "VCB" || number != "0011001234567" || !ok {
		t.Errorf("SplitAccount = %q, %q, %v", code, number, ok)
	}
	if _, _, ok := SplitAccount("0011001234567"); ok {
		t.Errorf("SplitAccount of a bare number reported ok")
	}
}

func TestParseIP(t *testing.T) {
	if a, err := ParseIP("::ffff:192.0.2.1"); err != nil || a.String() != "192.0.2.1" {
		t.Errorf("ParseIP(mapped) = %v, %v", a, err)
	}
	_, err := ParseIP("2001:db8::zz")
	var e *Error
	if !errors.As(err, &e) || e.Type != "" || e.Error() != "invalid IP address: not an IP address" {
		t.Errorf("ParseIP(bad) error = %#v", err)
	}
}
