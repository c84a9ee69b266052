package fraud

import (
	"strings"
	"testing"
	"time"

	"bulwark/internal/ioc"
)

// FuzzCanonical: no identifier panics the normaliser, and a canonical
// value normalises to itself (so dedup is stable).
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"0912 345 678", "+84 000", "abc", "https://user:pass@x.example/", "javascript:alert(1)", "hxxp://evil[.]example/a",
		"facebook.com/some.page", "VCB:0011001234567", "t.me/x", "http://[::1]/", "xn--bcngan-jxa6332d.vn", strings.Repeat("9", 40)} {
		for _, k := range IdentifierKinds {
			f.Add(string(k), s, "VCB")
		}
	}
	f.Fuzz(func(t *testing.T, kind, value, bank string) {
		c, err := canonical(Identifier{Kind: IdentifierKind(kind), Value: value, Bank: bank})
		if err != nil {
			return
		}
		if c.Value == "" || c.Key == "" {
			t.Fatalf("canonical(%q, %q) gave an empty value or key: %+v", kind, value, c)
		}
		in := Identifier{Kind: c.Kind, Value: c.Value}
		if c.Kind == KindDomain {
			in.Kind = KindURL
		}
		again, err := canonical(in)
		if err != nil || again.Value != c.Value {
			t.Fatalf("canonical is not idempotent: %q -> %q -> %q (%v)", value, c.Value, again.Value, err)
		}
	})
}

// FuzzLookupKeys: any pasted text gives keys or an error, never a panic,
// and every key is short.
func FuzzLookupKeys(f *testing.F) {
	for _, s := range []string{"0912345678", "84-912-345-678", "https://a.b.evil.example/x", "VCB 0011001234567", "0011001234567",
		"zalo.me/0912345678", "", "%%%", "1.2.3.4", "user@example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		keys, err := lookupKeys(q)
		if err != nil {
			return
		}
		for _, k := range keys {
			if k == "" || len(k) > 2100 {
				t.Fatalf("lookupKeys(%q) gave key %q", q, k)
			}
		}
	})
}

// FuzzSniffEvidence: only the allowed types pass, whatever the bytes.
func FuzzSniffEvidence(f *testing.F) {
	for _, s := range []string{"\x89PNG\r\n\x1a\n", "%PDF-1.4", "ID3", "#!AMR\n", "MZ", "<html>", "\x00\x00\x00\x20ftypM4A ", "RIFF\x00\x00\x00\x00WAVEfmt "} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		ct, err := SniffEvidence(head)
		if err != nil {
			return
		}
		if !strings.HasPrefix(ct, "image/") && !strings.HasPrefix(ct, "audio/") && ct != "application/pdf" {
			t.Fatalf("SniffEvidence accepted %q", ct)
		}
	})
}

// FuzzPrepare: a whole report from hostile strings is refused or
// accepted, never panics, and accepted text respects the limits.
func FuzzPrepare(f *testing.F) {
	f.Add("call", "other", "2026-01-02", int64(5), "<script>x</script>", "phone", "0912345678", "A", "0912345678", "a@b.vn")
	f.Add("web", "x", "2026-13-45", int64(-1), "\x00\u2028", "url", "http://x", "", "abc", "no")
	f.Fuzz(func(t *testing.T, ch, st, on string, amount int64, narrative, kind, value, name, phone, email string) {
		in := ReportInput{Channel: Channel(ch), ScamType: st, OccurredOn: on, Amount: amount, Narrative: narrative,
			Identifiers: []Identifier{{Kind: IdentifierKind(kind), Value: value}}, Reporter: Contact{Name: name, Phone: phone, Email: email}, Consent: true}
		p, err := prepare(in, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), true)
		if err != nil {
			return
		}
		if len([]rune(p.in.Narrative)) > MaxNarrative || len(p.subj) != 1 {
			t.Fatalf("prepare accepted %+v", p)
		}
		if p.phone != "" {
			if _, err := ioc.NormalizePhone(p.phone); err != nil {
				t.Fatalf("reporter phone %q not canonical", p.phone)
			}
		}
	})
}

func FuzzTrackingCode(f *testing.F) {
	f.Add(newTrackingCode())
	f.Add("LD-0000-0000-0000")
	f.Add("")
	f.Fuzz(func(t *testing.T, code string) {
		_ = validTrackingCode(code)
		if len(trackingHash(code)) != 64 {
			t.Fatal("hash length")
		}
	})
}

func TestTrackingCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c := newTrackingCode()
		if !validTrackingCode(c) || !validTrackingCode(strings.ToLower(c)) || seen[c] {
			t.Fatalf("newTrackingCode() = %q: invalid or repeated", c)
		}
		seen[c] = true
	}
}
