package index

import (
	"net/netip"
	"testing"
	"time"
)

func TestNormalizeDomain(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"evil.example", "evil.example", true},
		{"EVIL.Example.", "evil.example", true},
		{"  a-b_c.example\t", "a-b_c.example", true},
		{"bücher.example", "xn--bcher-kva.example", true},
		{"BÜCHER.example.", "xn--bcher-kva.example", true},
		{"", "", false},
		{".", "", false},
		{"a..b", "", false},
		{"a b.example", "", false},
		{"a/b.example", "", false},
		{string(make([]byte, 300)), "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeDomain(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("NormalizeDomain(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestNormalizeURL(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"http://evil.example/x", "http://evil.example/x", true},
		{"HTTP://EVIL.EXAMPLE/X", "http://evil.example/X", true},
		{"evil.example", "http://evil.example/", true},
		{"evil.example?q=1", "http://evil.example/?q=1", true},
		{"//evil.example/a", "http://evil.example/a", true},
		{"https://u:p@evil.example:443/a#f", "https://evil.example/a", true},
		{"https://evil.example:8443/a", "https://evil.example:8443/a", true},
		{"http://evil.example.:80", "http://evil.example/", true},
		{"http://[2001:DB8::1]:8080/a", "http://[2001:db8::1]:8080/a", true},
		{"http://192.0.2.1/a b", "http://192.0.2.1/a%20b", true},
		{"http://bücher.example/ü", "http://xn--bcher-kva.example/%C3%BC", true},
		{"http://B%C3%BCcher.example/", "http://xn--bcher-kva.example/", true},
		{"http://evil.example/%7euser/%2f%zz", "http://evil.example/~user/%2F%25zz", true},
		{"http://evil.example/a/./b/../c/..", "http://evil.example/a/", true},
		{"http://evil.example/a/%2E%2E/b", "http://evil.example/b", true},
		{"http://evil.example/?", "http://evil.example/", true},
		{"http://evil.example/a?b=<1>#x", "http://evil.example/a?b=%3C1%3E", true},
		{"http://evil.example:080/", "http://evil.example/", true},
		{"evil.example:8080/x", "http://evil.example:8080/x", true},
		{"http://[::ffff:192.0.2.1]/", "http://192.0.2.1/", true},
		{"http://[2001:db8:0::1]/", "http://[2001:db8::1]/", true},
		{"http:///x", "http://x/", true},
		{"http://evil.example:http/", "", false},
		{"http://evil.example:65536/", "", false},
		{"http://[::1/", "", false},
		{"http://[fe80::1%25eth0]/", "", false},
		{`http:\\evil.example\a\b`, "http://evil.example/a/b", true},
		{"http://evil.example/\x01", "", false},
		{"http://evil.example/\x7f", "", false},
		{"http://", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeURL(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("NormalizeURL(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestParseIP(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"192.0.2.1", "192.0.2.1", true},
		{" 192.0.2.1:8080 ", "192.0.2.1", true},
		{"[2001:db8::1]:443", "2001:db8::1", true},
		{"[2001:db8::1]", "2001:db8::1", true},
		{"2001:DB8::1", "2001:db8::1", true},
		{"fe80::1%eth0", "fe80::1", true},
		{"::ffff:192.0.2.1", "192.0.2.1", true},
		{"192.0.2.1:http", "", false},
		{"[2001:db8::1]x", "", false},
		{"evil.example", "", false},
		{"1.2.3", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseIP(tt.in)
		if ok != tt.wantOK || (ok && got != netip.MustParseAddr(tt.want)) {
			t.Errorf("ParseIP(%q) = %v, %v, want %s, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"Bad@Evil.Example", "bad@evil.example", true},
		{"Bad Guy <bad@evil.example>", "bad@evil.example", true},
		{"MAILTO:bad@evil.example.", "bad@evil.example", true},
		{"bad@bücher.example", "bad@xn--bcher-kva.example", true},
		{"@evil.example", "", false},
		{"bad@", "", false},
		{"bad guy@evil.example", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeEmail(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("NormalizeEmail(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, cc string
		want   string
		wantOK bool
	}{
		{"+84912345678", "84", "+84912345678", true},
		{"0912 345 678", "84", "+84912345678", true},
		{"0912-345-678", "", "", false},
		{"0084 912 345 678", "84", "+84912345678", true},
		{"(024) 3825.1234", "84", "+842438251234", true},
		{"84912345678", "84", "+84912345678", true},
		{"912345678", "84", "+84912345678", true},
		{"12025550100", "", "+12025550100", true},
		{"tel:+1-202-555-0100", "84", "+12025550100", true},
		{"+84 91x", "84", "", false},
		{"+84 (0) 912 345 678", "84", "+84912345678", true},
		{"\u200b+84912345678\u00a0", "84", "+84912345678", true},
		{"12", "84", "", false},
		{"+1234567890123456", "84", "", false},
		{"+0123", "84", "", false},
		{"++84912", "84", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizePhone(tt.in, tt.cc)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v, want %q, %v", tt.in, tt.cc, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestKind(t *testing.T) {
	for _, k := range Kinds() {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v, want %v", k.String(), got, err, k)
		}
	}
	if _, err := ParseKind("invalid"); err == nil {
		t.Errorf("ParseKind(invalid) succeeded")
	}
	if got := Kind(99).String(); got != "kind(99)" {
		t.Errorf("Kind(99).String() = %q", got)
	}
}

// FuzzLookup feeds event values to every lookup-side normaliser and Match
// method: none may panic, and a value Add accepts must be found again by
// the lookup of its kind.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{
		"evil.example", "WWW.Evil.Example.", "bücher.example", "a..b", ".",
		"http://evil.example/x?y=1", "evil.example/x", "HTTPS://u@[2001:db8::1]:443/#x", "http://[::1",
		"192.0.2.1", "192.0.2.1:80", "[2001:db8::1]:443", "fe80::1%eth0", "::ffff:1.2.3.4",
		"198.51.100.0/24", "2001:db8::/32",
		md5Hex, sha1Hex, sha256Hex, "Bad Guy <bad@evil.example>", "mailto:a@b", "a@bücher.example",
		"+84912345678", "0912 345 678", "00", "0", "tel:", "\x00", "xn--", "a@xn--.example",
	} {
		f.Add(s)
	}
	now := t0
	clock := func() time.Time { return now }
	f.Fuzz(func(t *testing.T, s string) {
		NormalizeDomain(s)
		NormalizeURL(s)
		NormalizeEmail(s)
		NormalizePhone(s, "84")
		ParseIP(s)
		URLHost(s)
		for _, k := range Kinds() {
			b := NewBuilder(Options{Now: clock, CallingCode: "84", Members: []int64{1}})
			if err := b.Add(Indicator{ID: 7, Kind: k, Value: s, Audience: Everyone()}); err != nil {
				continue
			}
			ix := b.Build()
			var got []Match
			if k == KindCIDR {
				p, err := parsePrefix(s)
				if err != nil {
					t.Fatalf("Add accepted CIDR %q that parsePrefix rejects", s)
				}
				got = ix.MatchIP(p.Addr(), 1, nil)
			} else {
				got = ix.Match(k, s, 1, nil)
			}
			if len(got) != 1 || got[0].ID != 7 {
				t.Errorf("Add(%s %q) accepted, lookup = %v, want ID 7", k, s, got)
			}
			ix.MatchHost(URLHost(s), 1, nil)
		}
	})
}
