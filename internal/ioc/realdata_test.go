package ioc

import (
	"strings"
	"testing"
)

// TestMaltrail runs Detect over a sample of the maltrail static trails (1.85
// million indicators from real malware feeds) and checks that nearly all of
// them are understood and that every reading is stable. The only rows
// maltrail holds that are not indicators of ours are bare paths ("/x.php",
// matched against any host) and a few regular expressions and TLD-only
// trails; those are the rejections allowed.
func TestMaltrail(t *testing.T) {
	// The whole file, sampled: a prefix would hold only a few families.
	const limit, every = 0, 40
	counts := make(map[Type]int)
	total, paths, rejected := 0, 0, 0
	var examples []string
	maltrailIndicators(t, limit, every, func(ind string) {
		total++
		if strings.HasPrefix(ind, "/") {
			paths++
			return
		}
		typ, v, err := Detect(ind)
		if err != nil {
			rejected++
			if len(examples) < 10 {
				examples = append(examples, ind)
			}
			return
		}
		counts[typ]++
		if typ2, v2, err := Detect(v); err != nil || typ2 != typ || v2 != v {
			t.Errorf("Detect(%q) = %s %q, but Detect of that = %s %q, %v", ind, typ, v, typ2, v2, err)
		}
	})
	t.Logf("maltrail sample (1 row in %d, limit %d): %d rows, %d bare paths, %d rejected %q, accepted %v", every, limit, total, paths, rejected, examples, counts)
	if total < 1_800_000/every {
		t.Fatalf("read only %d rows of maltrail; the file looks truncated", total)
	}
	if limit := (total - paths) / 1000; rejected > limit {
		t.Errorf("rejected %d of %d indicators, want at most %d (0.1%%)", rejected, total-paths, limit)
	}
	if counts[TypeDomain] < total/2 || counts[TypeURL] < total/20 || counts[TypeIPv4] < total/200 {
		t.Errorf("unexpected mix of types %v", counts)
	}
}

// TestMISPWarningLists checks the normalisers against known-good values
// from the MISP warning lists: every top-level domain in the IANA list,
// bank, URL-shortener and link-in-bio host names, public DNS resolver
// addresses, Azure network ranges and the hashes of empty input.
func TestMISPWarningLists(t *testing.T) {
	lists := mispLists(t, "tlds", "bank-website", "url-shortener", "link-in-bio",
		"public-dns-v4", "public-dns-v6", "microsoft-azure", "empty-hashes")

	accept := func(list string, typ Type, in, want string) {
		t.Helper()
		got, err := Normalize(typ, in)
		if err != nil {
			t.Errorf("%s: Normalize(%s, %q) error = %v", list, typ, in, err)
		} else if got != want {
			t.Errorf("%s: Normalize(%s, %q) = %q, want %q", list, typ, in, got, want)
		}
	}
	for _, tld := range lists["tlds"] {
		d := "example." + strings.ToLower(tld)
		accept("tlds", TypeDomain, d, d)
	}
	for _, l := range []string{"bank-website", "url-shortener", "link-in-bio"} {
		for _, h := range lists[l] {
			h = strings.ToLower(strings.TrimPrefix(h, "."))
			switch {
			case !strings.Contains(h, "."):
				// "barclays": a brand, not a host name.
			case !isASCII(h):
				if _, err := NormalizeDomain(h); err != nil {
					t.Errorf("%s: NormalizeDomain(%q) error = %v", l, h, err)
				}
			default:
				accept(l, TypeDomain, h, h)
			}
		}
	}
	for _, a := range lists["public-dns-v4"] {
		accept("public-dns-v4", TypeIPv4, a, a)
	}
	for _, a := range lists["public-dns-v6"] {
		if strings.Contains(a, "/") {
			accept("public-dns-v6", TypeCIDR, a, a)
		} else {
			accept("public-dns-v6", TypeIPv6, a, a)
		}
	}
	for _, p := range lists["microsoft-azure"] {
		accept("microsoft-azure", TypeCIDR, p, p)
	}
	hashes := 0
	for _, h := range lists["empty-hashes"] {
		if typ := hashTypeForLen(len(h)); typ != "" {
			accept("empty-hashes", typ, strings.ToUpper(h), h)
			hashes++
		}
	}
	if len(lists["tlds"]) < 1000 || hashes != 3 {
		t.Errorf("lists smaller than expected: %d TLDs, %d hashes", len(lists["tlds"]), hashes)
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
