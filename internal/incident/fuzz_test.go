package incident

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"bulwark/internal/access"
)

// FuzzSearchTokens: whatever is typed in the search box, the tokens sent to
// FTS5 MATCH and to_tsquery are plain letters and digits, never syntax.
func FuzzSearchTokens(f *testing.F) {
	for _, s := range []string{`"* OR NOT) AND:`, "giao diện", "SC-2026-0001", "a:*|!&", "NEAR(a b)", "col:value", "\x00\xff", strings.Repeat("ư ", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		toks := searchTokens(q)
		if len(toks) > 10 {
			t.Fatalf("%d tokens", len(toks))
		}
		for _, tok := range toks {
			if tok == "" {
				t.Fatal("empty token")
			}
			for _, r := range tok {
				if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					t.Fatalf("token %q of %q holds %q", tok, q, r)
				}
			}
		}
	})
}

// FuzzCleanFileName: a stored file name is one path element without
// control characters or quotes, or the upload is refused.
func FuzzCleanFileName(f *testing.F) {
	for _, s := range []string{"../../etc/passwd", `C:\a\b.txt`, "a\"b\r\nc.txt", ".", "\u202eexe.txt", strings.Repeat("é", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got, err := cleanFileName(name)
		if err != nil {
			return
		}
		if got == "" || len(got) > MaxNameLen || strings.ContainsAny(got, "/\\\"\r\n\x00") || got == ".." || got == "." {
			t.Fatalf("cleanFileName(%q) = %q", name, got)
		}
	})
}

// FuzzClean: any input is either refused with a field error or comes out
// within the limits; nothing panics.
func FuzzClean(f *testing.F) {
	f.Add("Tiêu đề", "mô tả", "fraud/phishing", "high", "AMBER", 3, "interruption")
	f.Add("\x00", strings.Repeat("x", 30000), "abusive-content/harmful-speech", "", "", -1, "boredom")
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, title, desc, cat, sev, tlp string, level int, effect string) {
		in := Input{Title: title, Description: desc, Category: cat, Severity: Severity(sev), TLP: accessTLP(tlp), SystemLevel: level,
			Effects: []Effect{Effect(effect)}, DetectedAt: now.Add(-time.Hour)}
		out, err := clean(in, now)
		if err != nil {
			return
		}
		if out.Title == "" || len([]rune(out.Title)) > MaxTitle || len([]rune(out.Description)) > MaxLong || !ValidCategory(out.Category) {
			t.Fatalf("clean accepted %+v", out)
		}
	})
}

func accessTLP(s string) access.TLP { return access.TLP(s) }
