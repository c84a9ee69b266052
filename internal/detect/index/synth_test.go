package index

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"
)

// synthIndicators makes n indicators shaped like a real shared feed
// (maltrail's mix plus hashes and fraud data): 70% domains, 15% IPv4, 8%
// URLs, 5% hashes, 1% CIDRs, 0.5% emails, 0.5% phones; 70% CLEAR, 20% GREEN,
// 10% AMBER to one or two of 50 agencies; 30% expire within a year. The
// same seed gives the same indicators.
func synthIndicators(n int, seed uint64) []Indicator {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	tlds := []string{"com", "net", "org", "ru", "top", "xyz", "info", "vn", "com.vn", "cn", "online", "site", "co.uk", "duckdns.org"}
	word := func(min, max int) string {
		const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
		b := make([]byte, min+r.IntN(max-min+1))
		for i := range b {
			b[i] = letters[r.IntN(len(letters))]
		}
		return string(b)
	}
	domain := func() string {
		d := word(5, 14) + "." + tlds[r.IntN(len(tlds))]
		if r.IntN(3) == 0 {
			d = word(1, 8) + "." + d
		}
		return d
	}
	hexOf := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return hex.EncodeToString(b)
	}
	base := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	out := make([]Indicator, n)
	for i := range out {
		ind := Indicator{ID: int64(i + 1)}
		switch p := r.IntN(1000); {
		case p < 700:
			ind.Kind, ind.Value = KindDomain, domain()
		case p < 850:
			ind.Kind = KindIPv4
			ind.Value = netip.AddrFrom4([4]byte{byte(1 + r.IntN(223)), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}).String()
		case p < 930:
			ind.Kind = KindURL
			ind.Value = "http://" + domain() + "/" + word(2, 10) + "/" + word(3, 12) + ".php"
		case p < 980:
			ind.Kind = []Kind{KindMD5, KindSHA1, KindSHA256}[r.IntN(3)]
			ind.Value = hexOf(map[Kind]int{KindMD5: 16, KindSHA1: 20, KindSHA256: 32}[ind.Kind])
		case p < 990:
			bits := 16 + r.IntN(13)
			a := netip.AddrFrom4([4]byte{byte(1 + r.IntN(223)), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
			ind.Kind, ind.Value = KindCIDR, netip.PrefixFrom(a, bits).Masked().String()
		case p < 995:
			ind.Kind, ind.Value = KindEmail, word(4, 12)+"@"+domain()
		default:
			ind.Kind, ind.Value = KindPhone, fmt.Sprintf("+849%08d", r.IntN(1e8))
		}
		switch p := r.IntN(10); {
		case p < 7:
			ind.Audience = Everyone()
		case p < 9:
			ind.Audience = Members()
		default:
			ind.Audience = Agencies(int64(1+r.IntN(50)), int64(1+r.IntN(50)))
		}
		if r.IntN(10) < 3 {
			ind.ValidUntil = base.Add(time.Duration(1+r.IntN(365*24)) * time.Hour)
		}
		out[i] = ind
	}
	return out
}

func synthMembers() []int64 {
	m := make([]int64, 40)
	for i := range m {
		m[i] = int64(i + 1)
	}
	return m
}

// buildMeasured builds an index of inds and returns it with the heap bytes
// it holds (HeapAlloc after a GC, before and after; the builder's garbage is
// collected first) and the build time.
func buildMeasured(tb testing.TB, inds []Indicator, opts Options) (*Index, uint64, time.Duration) {
	tb.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	b := NewBuilder(opts)
	for _, ind := range inds {
		if err := b.Add(ind); err != nil {
			tb.Fatalf("Add: %v", err)
		}
	}
	ix := b.Build()
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if t, ok := tb.(*testing.T); ok {
		t.Logf("build of %d indicators allocated %.1f MB in total", len(inds), float64(after.TotalAlloc-before.TotalAlloc)/1e6)
	}
	runtime.KeepAlive(inds)
	var held uint64
	if after.HeapAlloc > before.HeapAlloc {
		held = after.HeapAlloc - before.HeapAlloc
	}
	return ix, held, took
}

func synthOptions() Options {
	return Options{Now: func() time.Time { return time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC) }, Members: synthMembers(), CallingCode: "84"}
}

// TestMemoryMillion checks the memory target: at most 100 bytes per loaded
// indicator for a million realistic indicators.
func TestMemoryMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a million indicators")
	}
	inds := synthIndicators(1_000_000, 1)
	ix, held, took := buildMeasured(t, inds, synthOptions())
	s := ix.Stats()
	perInd := float64(held) / float64(s.Loaded)
	t.Logf("1M synthetic indicators: loaded %d, build %v, heap %.1f MB = %.1f bytes/indicator (index arrays %.1f bytes/indicator), by kind %v",
		s.Loaded, took.Round(time.Millisecond), float64(held)/1e6, perInd, float64(s.Bytes)/float64(s.Loaded), s.ByKind)
	if perInd > 100 {
		t.Errorf("%.1f bytes per indicator, want at most 100", perInd)
	}
	// Spot check that the index answers for what it holds.
	for _, ind := range inds[:1000] {
		found := false
		v := ind.Value
		if ind.Kind == KindCIDR {
			v, _, _ = strings.Cut(v, "/")
		}
		for _, m := range ix.Match(ind.Kind, v, 1, nil) {
			found = found || m.ID == ind.ID
		}
		if want := ind.Audience.scope != scopeListed || ind.Audience.agencies[0] == 1; found != want {
			t.Fatalf("Match(%s %q, agency 1) found %d = %v, want %v", ind.Kind, ind.Value, ind.ID, found, want)
		}
	}
	runtime.KeepAlive(ix)
}

// sampleValues returns the lookup values of some indicators, for hit
// benchmarks, with domains given a random subdomain as events carry them.
func sampleValues(inds []Indicator, n int) []Indicator {
	r := rand.New(rand.NewPCG(7, 7))
	out := make([]Indicator, n)
	for i := range out {
		ind := inds[r.IntN(len(inds))]
		if ind.Kind == KindDomain && r.IntN(2) == 0 {
			ind.Value = "www." + ind.Value
		}
		if ind.Kind == KindCIDR {
			ind.Value = strings.Split(ind.Value, "/")[0]
		}
		out[i] = ind
	}
	return out
}
