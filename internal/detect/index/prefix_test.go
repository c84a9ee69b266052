package index

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gaissmai/bart"
	"github.com/google/go-cmp/cmp"
)

// randomPrefixes makes n prefixes clustered in a few /8s (v4) and one /32
// (v6) so that many nest.
func randomPrefixes(r *rand.Rand, n int) []netip.Prefix {
	out := make([]netip.Prefix, n)
	for i := range out {
		if r.IntN(4) == 0 {
			var b [16]byte
			b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
			for j := 4; j < 16; j++ {
				b[j] = byte(r.IntN(4))
			}
			out[i] = netip.PrefixFrom(netip.AddrFrom16(b), 32+r.IntN(97)).Masked()
			continue
		}
		a := netip.AddrFrom4([4]byte{byte(10 + r.IntN(3)), byte(r.IntN(4)), byte(r.IntN(4)), byte(r.IntN(256))})
		out[i] = netip.PrefixFrom(a, r.IntN(33)).Masked()
	}
	return out
}

// TestPrefixAgainstBruteForce compares MatchIP with a scan over all CIDR
// indicators: the visible ones containing the address with the most bits.
func TestPrefixAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pfx := randomPrefixes(r, 1000)
	auds := make([]int64, len(pfx)) // 0 = everyone, else the one agency
	b := NewBuilder(Options{Now: func() time.Time { return t0 }})
	for i, p := range pfx {
		aud := Everyone()
		if r.IntN(3) == 0 {
			auds[i] = int64(1 + r.IntN(3))
			aud = Agencies(auds[i])
		}
		if err := b.Add(Indicator{ID: int64(i), Kind: KindCIDR, Value: p.String(), Audience: aud}); err != nil {
			t.Fatal(err)
		}
	}
	ix := b.Build()
	for range 10000 {
		var addr netip.Addr
		if r.IntN(4) == 0 {
			var a [16]byte
			a[0], a[1], a[2], a[3] = 0x20, 0x01, 0x0d, byte(0xb7+r.IntN(2))
			for j := 4; j < 16; j++ {
				a[j] = byte(r.IntN(4))
			}
			addr = netip.AddrFrom16(a)
		} else {
			addr = netip.AddrFrom4([4]byte{byte(9 + r.IntN(5)), byte(r.IntN(4)), byte(r.IntN(4)), byte(r.IntN(256))})
		}
		agency := int64(r.IntN(4))
		var want []Match
		best := -1
		for i, p := range pfx {
			if !p.Contains(addr) || (auds[i] != 0 && auds[i] != agency) {
				continue
			}
			if p.Bits() > best {
				best, want = p.Bits(), want[:0]
			}
			if p.Bits() == best {
				want = append(want, Match{int64(i), KindCIDR})
			}
		}
		got := ids(ix.MatchIP(addr, agency, nil))
		if diff := cmp.Diff(ids(want), got); diff != "" {
			t.Fatalf("MatchIP(%s, %d) mismatch (-want +got):\n%s", addr, agency, diff)
		}
	}
}

// TestPrefixAgainstBart checks the range table finds the same longest
// prefix as bart for every address, on nested random prefixes.
func TestPrefixAgainstBart(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	pfx := randomPrefixes(r, 5000)
	var bt bart.Table[int]
	var pb prefixBuilder
	for i, p := range pfx {
		bt.Insert(p, i)
		pb.add(p, int64(i), audEveryone, 0)
	}
	pt := pb.build()
	for range 50000 {
		addr := netip.AddrFrom4([4]byte{byte(9 + r.IntN(5)), byte(r.IntN(4)), byte(r.IntN(4)), byte(r.IntN(256))})
		bv, bok := bt.Lookup(addr)
		k := pt.find(addr)
		if bok != (k >= 0) {
			t.Fatalf("find(%s) = %d, bart found %v", addr, k, bok)
		}
		if !bok {
			continue
		}
		// bart keeps the last value inserted for a prefix; compare prefixes.
		got := pfx[pt.post.ids[pt.start[k]]]
		if got != pfx[bv] {
			t.Fatalf("find(%s) = %s, bart %s", addr, got, pfx[bv])
		}
	}
	if n := len(slices.Compact(slices.SortedFunc(slices.Values(pfx), func(a, b netip.Prefix) int { return a.Compare(b) }))); n != pt.len() {
		t.Errorf("prefix table holds %d prefixes, want %d distinct", pt.len(), n)
	}
}
