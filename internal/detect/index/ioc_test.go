package index

import (
	"strings"
	"testing"

	"bulwark/internal/ioc"
)

// The index stores values that internal/ioc normalised and looks up raw
// event values with its own allocation-free normalisers. These tests pin
// the two together: a raw value ioc accepts must reach the same key either
// way, so an event hits the indicator an analyst entered.

var iocSeeds = []string{
	"HTTP://Evil.Example.:80/a/../B?x=1#f", "evil.example/x", "http://evil.example",
	"https://evil.example:443/%7euser/a%2fb", "http://[2001:DB8::1]:8080/a", "http://bücher.example/ü",
	"http://evil.example/a b", "http://evil.example/?", "http://evil.example/a?b=1&a=2", "http://1.2.3.4",
	`https:\\evil.example\x\..\y`, "http://evil.example/%zz%41", "http://evil.example/a?q=%e2%82%ac|x",
	"http://evil.example:8080", "evil.example:8080/x?y", "http://[::ffff:1.2.3.4]/", "http://a.b.c/./.././d/",
	"WWW.Evil.Example.", "bücher.example", "a_b.example", "xn--bcher-kva.example",
	"Bad@Evil.Example", "Bad Guy <bad@evil.example>", "bad@bücher.example",
	"0912 345 678", "+84912345678", "0084912345678", "84912345678", "(024) 3825 1234", "+1 202 555 0100",
}

// defanged reports whether s uses a defanged spelling that ioc undoes for
// analysts and the index does not: sensors log live values.
func defanged(s string) bool {
	l := strings.ToLower(s)
	for _, d := range []string{
		"[.]", "(.)", "{.}", "[dot]", "(dot)", "{dot}", `\.`, "[:]", "[://]",
		"[@]", "[at]", "(at)", "{at}", "hxxp", "hxtp", "htxp", "hxp", "h**p",
	} {
		if strings.Contains(l, d) {
			return true
		}
	}
	return false
}

// checkAgainstIOC reports values ioc accepts whose key differs between the
// two paths.
func checkAgainstIOC(t *testing.T, raw string) {
	t.Helper()
	if defanged(raw) {
		return
	}
	if want, err := ioc.NormalizeURL(raw); err == nil {
		// ioc's output is what the index stores: Add must keep it.
		if got, ok := NormalizeURL(want); !ok || got != want {
			t.Errorf("NormalizeURL(ioc form %q) = %q, %v; want it unchanged", want, got, ok)
		}
		if got, ok := NormalizeURL(raw); !ok || got != want {
			t.Errorf("NormalizeURL(%q) = %q, %v; ioc says %q", raw, got, ok, want)
		}
	}
	if want, err := ioc.NormalizeDomain(raw); err == nil {
		if got, ok := NormalizeDomain(raw); !ok || got != want {
			t.Errorf("NormalizeDomain(%q) = %q, %v; ioc says %q", raw, got, ok, want)
		}
	}
	if want, err := ioc.NormalizeEmail(raw); err == nil {
		// The index compares addresses case-insensitively; ioc keeps the
		// local part's case.
		stored, _ := NormalizeEmail(want)
		if got, ok := NormalizeEmail(raw); !ok || got != stored {
			t.Errorf("NormalizeEmail(%q) = %q, %v; ioc form %q stored as %q", raw, got, ok, want, stored)
		}
	}
	// Foreign numbers written with their own trunk prefix after the
	// country code ("+81 0112...") need libphonenumber's metadata; the
	// index reads this country's numbers only the way ioc does.
	if want, err := ioc.NormalizePhone(raw); err == nil && strings.HasPrefix(want, "+84") {
		if got, ok := NormalizePhone(raw, "84"); !ok || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; ioc says %q", raw, got, ok, want)
		}
	}
}

func TestAgreesWithIOC(t *testing.T) {
	for _, s := range iocSeeds {
		checkAgainstIOC(t, s)
	}
}

func FuzzAgreesWithIOC(f *testing.F) {
	for _, s := range iocSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" {
			return
		}
		checkAgainstIOC(t, s)
	})
}

func TestKindNamesAreIOCTypes(t *testing.T) {
	for _, k := range Kinds() {
		if _, err := ioc.ParseType(k.String()); err != nil {
			t.Errorf("ioc.ParseType(%q): %v", k, err)
		}
	}
}
