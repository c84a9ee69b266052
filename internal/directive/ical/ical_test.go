package ical

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// unfold and unescape are the reader's side, to check the writer.
func unfold(s string) []string {
	s = strings.ReplaceAll(s, "\r\n ", "")
	return strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
}

func unescape(s string) string {
	r := strings.NewReplacer(`\\`, `\`, `\;`, `;`, `\,`, `,`, `\n`, "\n", `\N`, "\n")
	return r.Replace(s)
}

func TestEscape(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Báo cáo quý", "Báo cáo quý"},
		{"specials", `a;b,c\d`, `a\;b\,c\\d`},
		{"newlines", "dòng 1\r\ndòng 2\nb", `dòng 1\ndòng 2\nb`},
		{"controls dropped", "a\x00b\x07c\x7f", "abc"},
		{"invalid utf8 dropped", "a\xffb", "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Escape(tt.in); got != tt.want {
				t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFold(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"short", "SUMMARY:x", []string{"SUMMARY:x"}},
		{"exactly 75", strings.Repeat("a", 75), []string{strings.Repeat("a", 75)}},
		{"76", strings.Repeat("a", 76), []string{strings.Repeat("a", 75), " a"}},
		{"multibyte not split", strings.Repeat("a", 74) + "ệ", []string{strings.Repeat("a", 74), " ệ"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Fold(tt.in)); diff != "" {
				t.Errorf("Fold mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	stamp := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	c := Calendar{ProdID: "-//Bulwark//Directives//VI", Name: "Thời hạn của CAT", Events: []Event{
		{UID: "task-1@bulwark", Stamp: stamp, Date: "2026-06-20", Summary: "Báo cáo 6 tháng; gửi Tiểu ban, đúng hạn", Description: "Dòng 1\nDòng 2", Categories: []string{"nhiệm vụ", "cao"}, Status: "CONFIRMED"},
		{UID: "meeting-2@bulwark", Stamp: stamp, Start: time.Date(2026, 1, 20, 1, 0, 0, 0, time.UTC), Summary: "Hội nghị", Location: "Hội trường UBND tỉnh"},
	}}
	var buf bytes.Buffer
	if err := Write(&buf, c); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, l := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(l) > MaxLine {
			t.Errorf("line of %d octets: %q", len(l), l)
		}
	}
	lines := unfold(out)
	want := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Bulwark//Directives//VI", "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:Thời hạn của CAT",
		"BEGIN:VEVENT", "UID:task-1@bulwark", "DTSTAMP:20261129T020000Z", "DTSTART;VALUE=DATE:20260620", "DTEND;VALUE=DATE:20260621",
		`SUMMARY:Báo cáo 6 tháng\; gửi Tiểu ban\, đúng hạn`, `DESCRIPTION:Dòng 1\nDòng 2`, "CATEGORIES:nhiệm vụ,cao", "STATUS:CONFIRMED", "END:VEVENT",
		"BEGIN:VEVENT", "UID:meeting-2@bulwark", "DTSTAMP:20261129T020000Z", "DTSTART:20260120T010000Z", "DTEND:20260120T020000Z", "SUMMARY:Hội nghị", "LOCATION:Hội trường UBND tỉnh", "END:VEVENT",
		"END:VCALENDAR"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("Write mismatch (-want +got):\n%s", diff)
	}
	if err := Write(&buf, Calendar{Events: []Event{{Summary: "no uid"}}}); err == nil {
		t.Error("Write of an event without UID succeeded")
	}
}

func FuzzWriteRoundTrip(f *testing.F) {
	for _, s := range []string{"", "a", "Nhiệm vụ; quý, I\\", strings.Repeat("ệ", 100), "x\r\ny\nz", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		if err := Write(&buf, Calendar{ProdID: "p", Events: []Event{{UID: "u", Date: "2026-01-02", Summary: s}}}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !utf8.ValidString(out) {
			t.Fatalf("output is not UTF-8")
		}
		for _, l := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
			if len(l) > MaxLine {
				t.Fatalf("line of %d octets", len(l))
			}
			if strings.ContainsAny(l, "\r\n") {
				t.Fatalf("bare line break in %q", l)
			}
		}
		var got string
		for _, l := range unfold(out) {
			if v, ok := strings.CutPrefix(l, "SUMMARY:"); ok {
				got = unescape(v)
			}
		}
		want := strings.Map(func(r rune) rune {
			if r == utf8.RuneError || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f {
				return -1
			}
			return r
		}, strings.ToValidUTF8(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"), ""))
		if got != want {
			t.Fatalf("round trip = %q, want %q", got, want)
		}
	})
}
