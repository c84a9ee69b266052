package index

import (
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"
)

// maltrailIndicators turns rows into indicators with ids from 1 and a mix
// of audiences: CLEAR, GREEN and AMBER to agency 1.
func maltrailIndicators(rows []maltrailRow) []Indicator {
	out := make([]Indicator, len(rows))
	for i, r := range rows {
		aud := Everyone()
		switch i % 10 {
		case 7, 8:
			aud = Members()
		case 9:
			aud = Agencies(1)
		}
		out[i] = Indicator{ID: int64(i + 1), Kind: r.kind, Value: r.value, Audience: aud}
	}
	return out
}

// TestMaltrail loads the first 200,000 maltrail rows (the full set is in
// BenchmarkMaltrail) and checks that each loaded value finds its indicator,
// as the event would carry it.
func TestMaltrail(t *testing.T) {
	start := time.Now()
	rows, skipped := readMaltrail(t, 200_000)
	read := time.Since(start)
	t.Run("zeek-dns", func(t *testing.T) { testZeekDNS(t, rows) })
	inds := maltrailIndicators(rows)
	ix, held, took := buildMeasured(t, inds, Options{Members: []int64{1, 2}})
	s := ix.Stats()
	t.Logf("maltrail first 200k rows: read %v, %d distinct usable values, %d rows skipped (bare paths, unusable); build %v; heap %.1f MB = %.1f bytes/indicator; %d values; by kind %v",
		read.Round(time.Millisecond), len(rows), skipped, took.Round(time.Millisecond), float64(held)/1e6, float64(held)/float64(s.Loaded), s.Values, s.ByKind)
	if s.Loaded != len(rows) {
		t.Errorf("Stats().Loaded = %d, want %d", s.Loaded, len(rows))
	}
	var buf []Match
	for i, ind := range inds {
		v := ind.Value
		switch ind.Kind {
		case KindCIDR:
			v, _, _ = strings.Cut(v, "/")
		case KindDomain:
			v = "Sub." + strings.ToUpper(v) + "."
		case KindIPv4:
			v += ":443"
		}
		buf = ix.Match(ind.Kind, v, 2, buf[:0])
		found := false
		for _, m := range buf {
			found = found || m.ID == ind.ID
		}
		if want := i%10 != 9; found != want {
			t.Fatalf("Match(%s, %q, agency 2) = %v, want ID %d found %v", ind.Kind, v, buf, ind.ID, want)
		}
	}
	runtime.KeepAlive(ix)
}

// testZeekDNS runs the Zeek sample's DNS queries through an index of the
// maltrail rows plus an indicator on a domain the sample does ask for, as a
// smoke test of real event values.
func testZeekDNS(t *testing.T, rows []maltrailRow) {
	queries := readZeekQueries(t)
	b := NewBuilder(Options{})
	for i, ind := range maltrailIndicators(rows) {
		ind.Audience = Everyone()
		if err := b.Add(ind); err != nil {
			t.Fatalf("Add row %d: %v", i, err)
		}
	}
	// Parent-domain matching on real names: the sample asks for
	// ise.wrccdc.org and many *.wrccdc.org hosts.
	const plantedID = 1 << 40
	if err := b.Add(Indicator{ID: plantedID, Kind: KindDomain, Value: "wrccdc.org", Audience: Everyone()}); err != nil {
		t.Fatal(err)
	}
	ix := b.Build()
	hits, planted, want := 0, 0, 0
	var buf []Match
	for _, q := range queries {
		buf = ix.MatchDomain(q, 0, buf[:0])
		if len(buf) > 0 {
			hits++
		}
		for _, m := range buf {
			if m.ID == plantedID {
				planted++
			}
		}
		if name := strings.ToLower(strings.TrimSuffix(q, ".")); name == "wrccdc.org" || strings.HasSuffix(name, ".wrccdc.org") {
			want++
		}
	}
	t.Logf("zeek dns: %d queries, %d hit an indicator, %d under wrccdc.org", len(queries), hits, want)
	if planted != want || want == 0 {
		t.Errorf("wrccdc.org indicator hit %d times, want %d (> 0)", planted, want)
	}
}

// randomIPv4 returns n addresses that are almost all misses.
func randomIPv4(n int) []netip.Addr {
	r := rand.New(rand.NewPCG(11, 12))
	out := make([]netip.Addr, n)
	for i := range out {
		out[i] = netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
	}
	return out
}
