package index

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	agencyA     int64 = 10 // member
	agencyB     int64 = 11 // member
	agencyOut   int64 = 20 // not a member
	agencyNone  int64 = 0  // unknown source
	md5Hex            = "d41d8cd98f00b204e9800998ecf8427e"
	sha1Hex           = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
	sha256Hex         = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	sha256Other       = "0000000000000000000000000000000000000000000000000000000000000001"
)

var t0 = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

// fixture builds the index most tests use. now is the clock the index reads;
// tests move it to check expiry at match time.
func fixture(t testing.TB, now *time.Time) *Index {
	t.Helper()
	b := NewBuilder(Options{
		Now:         func() time.Time { return *now },
		Members:     []int64{agencyB, agencyA},
		CallingCode: "84",
	})
	for _, ind := range []Indicator{
		{ID: 1, Kind: KindDomain, Value: "evil.example", Audience: Everyone()},
		{ID: 2, Kind: KindDomain, Value: "b.evil.example", Audience: Members()},
		{ID: 3, Kind: KindDomain, Value: "secret.example", Audience: Agencies(agencyA)},
		{ID: 4, Kind: KindIPv4, Value: "192.0.2.1", Audience: Everyone()},
		{ID: 5, Kind: KindCIDR, Value: "198.51.100.0/24", Audience: Everyone()},
		{ID: 6, Kind: KindCIDR, Value: "198.51.0.0/16", Audience: Everyone()},
		{ID: 7, Kind: KindCIDR, Value: "198.51.100.128/25", Audience: Agencies(agencyB)},
		{ID: 8, Kind: KindIPv6, Value: "2001:db8::1", Audience: Everyone()},
		{ID: 9, Kind: KindCIDR, Value: "2001:db8::/32", Audience: Members()},
		{ID: 10, Kind: KindURL, Value: "http://evil.example/x?y=1", Audience: Everyone()},
		{ID: 11, Kind: KindMD5, Value: md5Hex, Audience: Everyone()},
		{ID: 12, Kind: KindSHA1, Value: sha1Hex, Audience: Everyone()},
		{ID: 13, Kind: KindSHA256, Value: sha256Hex, Audience: Everyone()},
		{ID: 14, Kind: KindEmail, Value: "bad@evil.example", Audience: Everyone()},
		{ID: 15, Kind: KindPhone, Value: "+84912345678", Audience: Everyone()},
		{ID: 16, Kind: KindDomain, Value: "expired.example", Audience: Everyone(), ValidUntil: t0.Add(-time.Second)},
		{ID: 17, Kind: KindDomain, Value: "revoked.example", Audience: Everyone(), Revoked: true},
		{ID: 18, Kind: KindDomain, Value: "evil.example", Audience: Agencies(agencyOut)},
		{ID: 19, Kind: KindDomain, Value: "soon.example", Audience: Everyone(), ValidUntil: t0.Add(time.Hour)},
		{ID: 20, Kind: KindCIDR, Value: "0.0.0.0/0", Audience: Agencies(30)},
		{ID: 21, Kind: KindIPv4, Value: "10.0.0.1", Audience: Audience{}},
		{ID: 22, Kind: KindDomain, Value: "bücher.example", Audience: Everyone()},
		{ID: 23, Kind: KindCIDR, Value: "::/0", Audience: Agencies(31)},
		{ID: 28, Kind: KindCIDR, Value: "::ffff:203.0.113.0/120", Audience: Everyone()},
		{ID: 29, Kind: KindCIDR, Value: "255.255.255.255/32", Audience: Everyone()},
		{ID: 30, Kind: KindCIDR, Value: "0.0.0.0/32", Audience: Everyone()},
		{ID: 31, Kind: KindCIDR, Value: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124", Audience: Everyone()},
		{ID: 24, Kind: KindURL, Value: "HTTPS://Shop.Evil.Example:443/Login#top", Audience: Everyone()},
		{ID: 25, Kind: KindDomain, Value: "later.example", Audience: Everyone(), ValidUntil: t0.Add(2 * time.Hour)},
		{ID: 26, Kind: KindCIDR, Value: "203.0.113.7/32", Audience: Everyone()},
		{ID: 27, Kind: KindIPv4, Value: "203.0.113.7", Audience: Everyone()},
	} {
		if err := b.Add(ind); err != nil {
			t.Fatalf("Add(%d): %v", ind.ID, err)
		}
	}
	return b.Build()
}

func ids(ms []Match) []Match {
	ms = slices.Clone(ms)
	slices.SortFunc(ms, func(a, b Match) int { return int(a.ID - b.ID) })
	return ms
}

func TestMatch(t *testing.T) {
	now := t0
	ix := fixture(t, &now)
	tests := []struct {
		name   string
		kind   Kind
		value  string
		agency int64
		want   []Match
	}{
		{"domain exact", KindDomain, "evil.example", agencyOut, []Match{{1, KindDomain}, {18, KindDomain}}},
		{"domain exact other agency", KindDomain, "evil.example", agencyA, []Match{{1, KindDomain}}},
		{"parent domain", KindDomain, "a.b.evil.example", agencyA, []Match{{1, KindDomain}, {2, KindDomain}}},
		{"parent domain non-member", KindDomain, "a.b.evil.example", agencyOut, []Match{{1, KindDomain}, {18, KindDomain}}},
		{"parent domain unknown agency", KindDomain, "a.b.evil.example", agencyNone, []Match{{1, KindDomain}}},
		{"domain case and trailing dot", KindDomain, "WWW.Evil.Example.", agencyNone, []Match{{1, KindDomain}}},
		{"domain space", KindDomain, " evil.example\n", agencyNone, []Match{{1, KindDomain}}},
		{"not a parent", KindDomain, "notevil.example", agencyA, nil},
		{"suffix only", KindDomain, "example", agencyA, nil},
		{"amber owner", KindDomain, "x.secret.example", agencyA, []Match{{3, KindDomain}}},
		{"amber other member", KindDomain, "x.secret.example", agencyB, nil},
		{"expired at build", KindDomain, "expired.example", agencyA, nil},
		{"revoked", KindDomain, "revoked.example", agencyA, nil},
		{"not yet expired", KindDomain, "soon.example", agencyA, []Match{{19, KindDomain}}},
		{"idn unicode lookup", KindDomain, "WWW.Bücher.example", agencyA, []Match{{22, KindDomain}}},
		{"idn punycode lookup", KindDomain, "xn--bcher-kva.example", agencyA, []Match{{22, KindDomain}}},
		{"exact ipv4", KindIPv4, "192.0.2.1", agencyA, []Match{{4, KindIPv4}}},
		{"ipv4 with port", KindIPv4, "192.0.2.1:443", agencyA, []Match{{4, KindIPv4}}},
		{"ipv4 mapped", KindIPv6, "::ffff:192.0.2.1", agencyA, []Match{{4, KindIPv4}}},
		{"ipv4 miss", KindIPv4, "192.0.2.2", agencyA, nil},
		{"longest prefix wins", KindIPv4, "198.51.100.7", agencyA, []Match{{5, KindCIDR}}},
		{"longest visible prefix", KindIPv4, "198.51.100.200", agencyA, []Match{{5, KindCIDR}}},
		{"longest prefix for its agency", KindIPv4, "198.51.100.200", agencyB, []Match{{7, KindCIDR}}},
		{"shorter prefix", KindIPv4, "198.51.7.7", agencyA, []Match{{6, KindCIDR}}},
		{"default route only for its agency", KindIPv4, "8.8.8.8", 30, []Match{{20, KindCIDR}}},
		{"default route hidden", KindIPv4, "8.8.8.8", agencyA, nil},
		{"exact and /32", KindIPv4, "203.0.113.7", agencyA, []Match{{26, KindCIDR}, {27, KindIPv4}}},
		{"nobody audience", KindIPv4, "10.0.0.1", agencyA, nil},
		{"exact ipv6 and prefix", KindIPv6, "2001:db8::1", agencyA, []Match{{8, KindIPv6}, {9, KindCIDR}}},
		{"ipv6 bracket port", KindIPv6, "[2001:DB8::1]:443", agencyNone, []Match{{8, KindIPv6}}},
		{"ipv6 prefix", KindIPv6, "2001:db8:ffff::5", agencyB, []Match{{9, KindCIDR}}},
		{"ipv6 default route", KindIPv6, "2001:db9::5", 31, []Match{{23, KindCIDR}}},
		{"ipv6 default route does not cover ipv4", KindIPv4, "8.8.8.8", 31, nil},
		{"top of ipv4 space", KindIPv4, "255.255.255.255", agencyA, []Match{{29, KindCIDR}}},
		{"below top of ipv4 space", KindIPv4, "255.255.255.254", agencyA, nil},
		{"bottom of ipv4 space", KindIPv4, "0.0.0.0", agencyA, []Match{{30, KindCIDR}}},
		{"above bottom of ipv4 space", KindIPv4, "0.0.0.1", agencyA, nil},
		{"top of ipv6 space", KindIPv6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", agencyA, []Match{{31, KindCIDR}}},
		{"mapped cidr is ipv4", KindIPv4, "203.0.113.9", agencyA, []Match{{28, KindCIDR}}},
		{"ipv4 not in ipv6 table", KindIPv4, "32.1.13.184", agencyA, nil},
		{"url exact", KindURL, "http://evil.example/x?y=1", agencyA, []Match{{10, KindURL}}},
		{"url schemeless", KindURL, "evil.example/x?y=1", agencyA, []Match{{10, KindURL}}},
		{"url host case port fragment", KindURL, "HTTP://user@EVIL.example.:80/x?y=1#frag", agencyA, []Match{{10, KindURL}}},
		{"url path case matters", KindURL, "http://evil.example/X?y=1", agencyA, nil},
		{"url other query", KindURL, "http://evil.example/x?y=2", agencyA, nil},
		{"url canonicalised at add", KindURL, "https://shop.evil.example/Login", agencyA, []Match{{24, KindURL}}},
		{"url other port", KindURL, "https://shop.evil.example:8443/Login", agencyA, nil},
		{"md5", KindMD5, md5Hex, agencyA, []Match{{11, KindMD5}}},
		{"md5 upper", KindMD5, "D41D8CD98F00B204E9800998ECF8427E", agencyA, []Match{{11, KindMD5}}},
		{"sha1 via md5 kind", KindMD5, sha1Hex, agencyA, []Match{{12, KindSHA1}}},
		{"sha256", KindSHA256, sha256Hex, agencyA, []Match{{13, KindSHA256}}},
		{"sha256 miss", KindSHA256, sha256Other, agencyA, nil},
		{"hash garbage", KindSHA256, "zz" + sha256Hex[2:], agencyA, nil},
		{"email", KindEmail, "Bad@Evil.Example", agencyA, []Match{{14, KindEmail}}},
		{"email display name", KindEmail, "Bad Guy <mailto:bad@evil.example>", agencyA, []Match{{14, KindEmail}}},
		{"email miss", KindEmail, "good@evil.example", agencyA, nil},
		{"phone e164", KindPhone, "+84912345678", agencyA, []Match{{15, KindPhone}}},
		{"phone national", KindPhone, "0912 345 678", agencyA, []Match{{15, KindPhone}}},
		{"phone 00", KindPhone, "0084-912-345-678", agencyA, []Match{{15, KindPhone}}},
		{"phone tel", KindPhone, "tel:+84 (91) 234.5678", agencyA, []Match{{15, KindPhone}}},
		{"phone miss", KindPhone, "+84912345679", agencyA, nil},
		{"unknown kind", KindInvalid, "evil.example", agencyA, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ix.Match(tt.kind, tt.value, tt.agency, nil)
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("Match(%s, %q, %d) mismatch (-want +got):\n%s", tt.kind, tt.value, tt.agency, diff)
			}
		})
	}
}

func TestExpiryAtMatchTime(t *testing.T) {
	now := t0
	ix := fixture(t, &now)
	if got, ok := ix.NextExpiry(); !ok || !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("NextExpiry() = %v, %v, want %v, true", got, ok, t0.Add(time.Hour))
	}
	if !ix.BuiltAt().Equal(t0) {
		t.Errorf("BuiltAt() = %v, want %v", ix.BuiltAt(), t0)
	}
	now = t0.Add(time.Hour)
	if got := ix.MatchDomain("soon.example", agencyA, nil); len(got) != 0 {
		t.Errorf("MatchDomain(soon.example) after expiry = %v, want none", got)
	}
	if got := ix.MatchDomain("later.example", agencyA, nil); len(got) != 1 {
		t.Errorf("MatchDomain(later.example) before its expiry = %v, want one", got)
	}
}

func TestMatchHost(t *testing.T) {
	now := t0
	ix := fixture(t, &now)
	tests := []struct {
		url  string
		host string
		want []Match
	}{
		{"http://a.evil.example/path", "a.evil.example", []Match{{1, KindDomain}}},
		{"https://user:pw@192.0.2.1:8443/x", "192.0.2.1", []Match{{4, KindIPv4}}},
		{"http://[2001:db8::1]:80/", "2001:db8::1", []Match{{8, KindIPv6}, {9, KindCIDR}}},
		{"evil.example/x", "evil.example", []Match{{1, KindDomain}}},
		{"http://", "", nil},
	}
	for _, tt := range tests {
		host := URLHost(tt.url)
		if host != tt.host {
			t.Errorf("URLHost(%q) = %q, want %q", tt.url, host, tt.host)
		}
		got := ix.MatchHost(host, agencyA, nil)
		if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
			t.Errorf("MatchHost(%q) mismatch (-want +got):\n%s", host, diff)
		}
	}
}

func TestStats(t *testing.T) {
	now := t0
	s := fixture(t, &now).Stats()
	want := map[Kind]int{
		KindDomain: 7, KindIPv4: 2, KindIPv6: 1, KindCIDR: 11, KindURL: 2,
		KindMD5: 1, KindSHA1: 1, KindSHA256: 1, KindEmail: 1, KindPhone: 1,
	}
	if diff := cmp.Diff(want, s.ByKind); diff != "" {
		t.Errorf("Stats().ByKind mismatch (-want +got):\n%s", diff)
	}
	if s.Loaded != 28 || s.Excluded != 3 {
		t.Errorf("Stats() Loaded, Excluded = %d, %d, want 28, 3", s.Loaded, s.Excluded)
	}
	// evil.example is shared by two indicators.
	if s.Values != s.Loaded-1 {
		t.Errorf("Stats().Values = %d, want %d", s.Values, s.Loaded-1)
	}
	if s.Bytes <= 0 {
		t.Errorf("Stats().Bytes = %d, want > 0", s.Bytes)
	}
}

func TestAddInvalid(t *testing.T) {
	tests := []Indicator{
		{ID: 1, Kind: KindIPv4, Value: "2001:db8::1"},
		{ID: 2, Kind: KindIPv6, Value: "192.0.2.1"},
		{ID: 3, Kind: KindIPv4, Value: "999.1.1.1"},
		{ID: 4, Kind: KindCIDR, Value: "192.0.2.1"},
		{ID: 5, Kind: KindDomain, Value: "bad domain.example"},
		{ID: 6, Kind: KindDomain, Value: "a..example"},
		{ID: 7, Kind: KindMD5, Value: sha1Hex},
		{ID: 8, Kind: KindSHA256, Value: "xyz"},
		{ID: 9, Kind: KindEmail, Value: "no-at-sign"},
		{ID: 10, Kind: KindPhone, Value: "call me"},
		{ID: 11, Kind: KindURL, Value: "http://[::1/x"},
		{ID: 12, Kind: KindInvalid, Value: "x"},
		{ID: 13, Kind: Kind(200), Value: "x"},
		{ID: 14, Kind: KindDomain, Value: "revoked but bad..", Revoked: true},
	}
	for _, ind := range tests {
		ind.Audience = Everyone()
		b := NewBuilder(Options{})
		if err := b.Add(ind); !errors.Is(err, ErrInvalid) {
			t.Errorf("Add(%s %q) = %v, want ErrInvalid", ind.Kind, ind.Value, err)
		}
	}
	b := NewBuilder(Options{})
	b.Build()
	if err := b.Add(Indicator{ID: 1, Kind: KindDomain, Value: "a.example", Audience: Everyone()}); err == nil {
		t.Errorf("Add after Build = nil, want error")
	}
}

func TestNilIndex(t *testing.T) {
	var h Holder
	ix := h.Load()
	if got := ix.Match(KindDomain, "evil.example", agencyA, nil); got != nil {
		t.Errorf("nil Index Match = %v, want nil", got)
	}
	if got := ix.MatchIP(netip.MustParseAddr("192.0.2.1"), agencyA, nil); got != nil {
		t.Errorf("nil Index MatchIP = %v, want nil", got)
	}
	if got := ix.MatchHost("192.0.2.1", agencyA, nil); got != nil {
		t.Errorf("nil Index MatchHost = %v, want nil", got)
	}
	if s := ix.Stats(); s.Loaded != 0 {
		t.Errorf("nil Index Stats().Loaded = %d, want 0", s.Loaded)
	}
	if _, ok := ix.NextExpiry(); ok {
		t.Errorf("nil Index NextExpiry ok = true")
	}
	empty := NewBuilder(Options{}).Build()
	for _, k := range Kinds() {
		if got := empty.Match(k, "192.0.2.1", agencyA, nil); got != nil {
			t.Errorf("empty Index Match(%s) = %v, want nil", k, got)
		}
	}
}

// TestHolderSwap runs lookups while indexes are swapped under them; run
// with -race it shows the hot path needs no lock.
func TestHolderSwap(t *testing.T) {
	now := t0
	var h Holder
	h.Store(fixture(t, &now))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []Match
			for {
				select {
				case <-stop:
					return
				default:
				}
				buf = h.Load().MatchDomain("a.evil.example", agencyNone, buf[:0])
				if len(buf) != 1 {
					t.Errorf("MatchDomain during swap = %v, want one match", buf)
					return
				}
			}
		}()
	}
	for range 20 {
		h.Store(fixture(t, &now))
	}
	close(stop)
	wg.Wait()
}

func TestMissAllocs(t *testing.T) {
	now := t0
	ix := fixture(t, &now)
	buf := make([]Match, 0, 8)
	tests := []struct {
		name string
		fn   func()
	}{
		{"domain folded", func() { buf = ix.MatchDomain("a.b.good.example", agencyA, buf[:0]) }},
		{"domain upper", func() { buf = ix.MatchDomain("A.B.Good.Example.", agencyA, buf[:0]) }},
		{"ip", func() { buf = ix.MatchIP(netip.MustParseAddr("192.0.2.99"), agencyA, buf[:0]) }},
		{"ipv6", func() { buf = ix.MatchIP(netip.MustParseAddr("2001:db9::1"), agencyA, buf[:0]) }},
		{"ip string", func() { buf = ix.Match(KindIPv4, "192.0.2.99:80", agencyA, buf[:0]) }},
		{"host", func() { buf = ix.MatchHost("www.good.example", agencyA, buf[:0]) }},
		{"url", func() { buf = ix.MatchURL("HTTP://Good.Example/a/b?c=d", agencyA, buf[:0]) }},
		{"url host", func() { buf = ix.MatchHost(URLHost("http://good.example/a"), agencyA, buf[:0]) }},
		{"hash", func() { buf = ix.MatchHash(sha256Other, agencyA, buf[:0]) }},
		{"email", func() { buf = ix.MatchEmail("Good@Example.org", agencyA, buf[:0]) }},
		{"phone", func() { buf = ix.MatchPhone("0912 000 000", agencyA, buf[:0]) }},
		{"hit into buffer", func() { buf = ix.MatchDomain("x.soon.example", agencyA, buf[:0]) }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
			t.Errorf("%s: %v allocations per lookup, want 0", tt.name, n)
		}
	}
}

// TestHugeValues feeds values far over every size limit: lookups miss
// without allocating much, Add rejects them.
func TestHugeValues(t *testing.T) {
	now := t0
	ix := fixture(t, &now)
	huge := strings.Repeat("a.", 1<<19) + "evil.example"
	for _, k := range Kinds() {
		if got := ix.Match(k, huge, agencyA, nil); got != nil {
			t.Errorf("Match(%s, huge) = %v, want nil", k, got)
		}
		b := NewBuilder(Options{})
		if err := b.Add(Indicator{ID: 1, Kind: k, Value: huge, Audience: Everyone()}); !errors.Is(err, ErrInvalid) {
			t.Errorf("Add(%s, huge) = %v, want ErrInvalid", k, err)
		}
	}
	if got := URLHost("http://" + huge); got != "" {
		t.Errorf("URLHost(huge) = %.20q..., want empty", got)
	}
}
