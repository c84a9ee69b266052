package textcheck

import (
	"strings"
	"testing"

	"bulwark/internal/errs"
)

func TestClean(t *testing.T) {
	one := Field{Name: "name", Max: 10, Required: true}
	multi := Field{Name: "note", Max: 20, Multiline: true}
	tests := []struct {
		name    string
		f       Field
		in      string
		want    string
		wantErr string
	}{
		{"trimmed", one, "  Sở KH  ", "Sở KH", ""},
		{"decomposed becomes composed", one, "So\u031b\u0309", "Sở", ""},
		{"required", one, "   ", "", "is required"},
		{"too long in characters", one, strings.Repeat("ư", 11), "", "at most 10"},
		{"exactly max", one, strings.Repeat("ư", 10), strings.Repeat("ư", 10), ""},
		{"absurdly long refused before normalising", one, strings.Repeat("a", 1000), "", "at most 10"},
		{"line break in a one-line field", one, "a\nb", "", "one line"},
		{"line breaks in a multi-line field", multi, "a\r\nb\tc", "a\nb\tc", ""},
		{"control character", one, "a\x07b", "", "control"},
		{"bidi override", one, "abc\u202Egpj", "", "control"},
		{"invalid utf-8", one, "a\xffb", "", "UTF-8"},
		{"sql metacharacters kept", multi, "x'); DROP TABLE t;--", "x'); DROP TABLE t;--", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Clean(tt.f, tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errs.FieldOf(err) != tt.f.Name {
					t.Fatalf("Clean(%q) = %q, %v; want an error on %s containing %q", tt.in, got, err, tt.f.Name, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Clean(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"Sở Khoa học", "a\nb", "\xff", "\u202E", strings.Repeat("ư", 30)} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, multiline bool) {
		fld := Field{Name: "x", Max: 20, Multiline: multiline}
		got, err := Clean(fld, s)
		if err != nil {
			return
		}
		again, err := Clean(fld, got)
		if err != nil || again != got {
			t.Errorf("Clean is not idempotent: %q -> %q -> %q, %v", s, got, again, err)
		}
	})
}
