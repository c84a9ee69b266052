package index

import (
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gaissmai/bart"
)

// BenchmarkBuild builds a million synthetic indicators per iteration and
// reports the heap the index holds per indicator.
func BenchmarkBuild(b *testing.B) {
	inds := synthIndicators(1_000_000, 1)
	b.Run("synthetic-1M", func(b *testing.B) {
		var held uint64
		cpu := processCPU()
		for b.Loop() {
			var ix *Index
			ix, held, _ = buildMeasured(b, inds, synthOptions())
			runtime.KeepAlive(ix)
		}
		reportCPU(b, cpu)
		b.ReportMetric(float64(held)/float64(len(inds)), "bytes/indicator")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(inds)), "ns/indicator")
	})
}

// reportCPU reports the process CPU time per operation since cpu: on a
// shared machine wall time (ns/op) includes waiting for a core.
func reportCPU(b *testing.B, cpu time.Duration) {
	if used := processCPU() - cpu; used > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// eventValue is one lookup as the pipeline makes it.
type eventValue struct {
	kind  Kind
	value string
}

func runLookups(b *testing.B, ix *Index, vals []eventValue) {
	b.Helper()
	buf := make([]Match, 0, 16)
	hits := 0
	i := 0
	cpu := processCPU()
	for b.Loop() {
		v := vals[i]
		buf = ix.Match(v.kind, v.value, 2, buf[:0])
		hits += len(buf)
		i++
		if i == len(vals) {
			i = 0
		}
	}
	reportCPU(b, cpu)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	b.ReportMetric(float64(hits)/float64(b.N), "matches/lookup")
}

// BenchmarkMaltrail loads all 1.85M maltrail rows (reading the xz file
// takes a few seconds before the timed parts), then reports build time,
// memory and lookup rates for hits (the trails themselves, as events carry
// them) and misses (the Zeek sample's DNS queries, random IPs).
func BenchmarkMaltrail(b *testing.B) {
	rows, _ := readMaltrail(b, 0)
	inds := maltrailIndicators(rows)
	b.Run("build", func(b *testing.B) {
		var held uint64
		cpu := processCPU()
		for b.Loop() {
			var ix *Index
			ix, held, _ = buildMeasured(b, inds, Options{Members: []int64{1, 2}})
			runtime.KeepAlive(ix)
		}
		reportCPU(b, cpu)
		b.ReportMetric(float64(len(inds)), "indicators")
		b.ReportMetric(float64(held)/float64(len(inds)), "bytes/indicator")
		b.ReportMetric(float64(held)/1e6, "MB")
	})
	ix, _, _ := buildMeasured(b, inds, Options{Members: []int64{1, 2}})

	byKind := func(k Kind, n int, form func(string) string) []eventValue {
		var out []eventValue
		for i := 0; i < len(inds) && len(out) < n; i += 7 {
			if inds[i].Kind == k {
				out = append(out, eventValue{k, form(inds[i].Value)})
			}
		}
		return out
	}
	same := func(s string) string { return s }
	hitDomains := byKind(KindDomain, 100_000, same)
	hitSub := byKind(KindDomain, 100_000, func(s string) string { return "cdn.www." + s })
	hitUpper := byKind(KindDomain, 100_000, func(s string) string { return strings.ToUpper(s) + "." })
	hitIPs := byKind(KindIPv4, 50_000, func(s string) string { return s + ":8080" })
	hitURLs := byKind(KindURL, 50_000, same)
	var mixed []eventValue
	for i := 0; i < len(inds); i += 13 {
		v := inds[i].Value
		if inds[i].Kind == KindCIDR {
			v, _, _ = strings.Cut(v, "/")
		}
		mixed = append(mixed, eventValue{inds[i].Kind, v})
	}
	missURLs := make([]eventValue, len(hitURLs))
	for i, v := range hitURLs {
		missURLs[i] = eventValue{KindURL, v.value + "?session=1"}
	}
	var zeek []eventValue
	for _, q := range readZeekQueries(b) {
		zeek = append(zeek, eventValue{KindDomain, q})
	}
	var randIPs []eventValue
	for _, a := range randomIPv4(100_000) {
		randIPs = append(randIPs, eventValue{KindIPv4, a.String()})
	}
	for _, c := range []struct {
		name string
		vals []eventValue
	}{
		{"hit/mixed", mixed},
		{"hit/domain", hitDomains},
		{"hit/domain-parent", hitSub},
		{"hit/domain-upper-dot", hitUpper},
		{"hit/ipv4-port", hitIPs},
		{"hit/url", hitURLs},
		{"miss/zeek-dns", zeek},
		{"miss/random-ipv4", randIPs},
		{"miss/url-query", missURLs},
	} {
		b.Run(c.name, func(b *testing.B) { runLookups(b, ix, c.vals) })
	}
	b.Run("hit/mixed-parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			buf := make([]Match, 0, 16)
			i := 0
			for pb.Next() {
				v := mixed[i%len(mixed)]
				buf = ix.Match(v.kind, v.value, 2, buf[:0])
				i++
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	})
}

// prefixSet is the CIDR table of the maltrail trails with every IP as a
// host prefix, the way a prefix-only design would hold them.
func maltrailPrefixes(b *testing.B) []netip.Prefix {
	rows, _ := readMaltrail(b, 0)
	var out []netip.Prefix
	for _, r := range rows {
		switch r.kind {
		case KindCIDR:
			out = append(out, netip.MustParsePrefix(r.value))
		case KindIPv4, KindIPv6:
			a := netip.MustParseAddr(r.value)
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

// heapDelta runs build and returns the bytes still held after a GC.
func heapDelta(build func() any) (any, uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if after.HeapAlloc < before.HeapAlloc {
		return v, 0
	}
	return v, after.HeapAlloc - before.HeapAlloc
}

// BenchmarkPrefixTable compares the sorted range table with bart (Table and
// Fast) on longest-prefix lookups: memory per prefix and lookup time.
func BenchmarkPrefixTable(b *testing.B) {
	sets := []struct {
		name string
		pfx  func() []netip.Prefix
	}{
		{"synthetic-10k-cidrs", func() []netip.Prefix {
			var out []netip.Prefix
			for _, ind := range synthIndicators(1_000_000, 1) {
				if ind.Kind == KindCIDR {
					out = append(out, netip.MustParsePrefix(ind.Value))
				}
			}
			return out
		}},
		{"maltrail-cidrs-and-ips", func() []netip.Prefix { return maltrailPrefixes(b) }},
	}
	addrs := randomIPv4(1 << 16)
	for _, set := range sets {
		pfx := set.pfx()
		// Half the lookups hit: addresses inside the prefixes.
		look := make([]netip.Addr, len(addrs))
		for i := range look {
			if i%2 == 0 {
				look[i] = pfx[i%len(pfx)].Addr()
			} else {
				look[i] = addrs[i]
			}
		}
		v, held := heapDelta(func() any {
			var pb prefixBuilder
			for i, p := range pfx {
				pb.add(p, int64(i), audEveryone, 0)
			}
			t := pb.build()
			return &t
		})
		rt := v.(*prefixTable)
		b.Run(set.name+"/range-table", func(b *testing.B) {
			found := 0
			i := 0
			cpu := processCPU()
			for b.Loop() {
				if rt.find(look[i&(len(look)-1)]) >= 0 {
					found++
				}
				i++
			}
			reportCPU(b, cpu)
			b.ReportMetric(float64(held)/float64(len(pfx)), "bytes/prefix")
			b.ReportMetric(float64(found)/float64(b.N), "hit-ratio")
		})
		v, held = heapDelta(func() any {
			t := new(bart.Table[uint32])
			for i, p := range pfx {
				t.Insert(p, uint32(i))
			}
			return t
		})
		bt := v.(*bart.Table[uint32])
		b.Run(set.name+"/bart-table", func(b *testing.B) {
			found := 0
			i := 0
			cpu := processCPU()
			for b.Loop() {
				if _, ok := bt.Lookup(look[i&(len(look)-1)]); ok {
					found++
				}
				i++
			}
			reportCPU(b, cpu)
			b.ReportMetric(float64(held)/float64(len(pfx)), "bytes/prefix")
			b.ReportMetric(float64(found)/float64(b.N), "hit-ratio")
		})
		v, held = heapDelta(func() any {
			t := new(bart.Fast[uint32])
			for i, p := range pfx {
				t.Insert(p, uint32(i))
			}
			return t
		})
		bf := v.(*bart.Fast[uint32])
		b.Run(set.name+"/bart-fast", func(b *testing.B) {
			found := 0
			i := 0
			cpu := processCPU()
			for b.Loop() {
				if _, ok := bf.Lookup(look[i&(len(look)-1)]); ok {
					found++
				}
				i++
			}
			reportCPU(b, cpu)
			b.ReportMetric(float64(held)/float64(len(pfx)), "bytes/prefix")
			b.ReportMetric(float64(found)/float64(b.N), "hit-ratio")
		})
	}
}

// BenchmarkHolder measures lookups through a Holder from all cores.
func BenchmarkHolder(b *testing.B) {
	now := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	var h Holder
	h.Store(fixture(b, &now))
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]Match, 0, 4)
		for pb.Next() {
			buf = h.Load().MatchDomain("a.b.evil.example", 0, buf[:0])
		}
	})
}

// BenchmarkSynthetic reports lookup rates on the million synthetic
// indicators, for machines without the shared test data.
func BenchmarkSynthetic(b *testing.B) {
	inds := synthIndicators(1_000_000, 1)
	ix, _, _ := buildMeasured(b, inds, synthOptions())
	var hits, hitParent, missDomain, missIP []eventValue
	for _, ind := range sampleValues(inds, 100_000) {
		hits = append(hits, eventValue{ind.Kind, ind.Value})
	}
	for _, ind := range inds[:200_000] {
		if ind.Kind == KindDomain {
			hitParent = append(hitParent, eventValue{KindDomain, "a.b." + ind.Value})
		}
	}
	for _, ind := range synthIndicators(100_000, 2) {
		if ind.Kind == KindDomain {
			missDomain = append(missDomain, eventValue{KindDomain, "www." + ind.Value})
		}
	}
	for _, a := range randomIPv4(100_000) {
		missIP = append(missIP, eventValue{KindIPv4, a.String()})
	}
	for _, c := range []struct {
		name string
		vals []eventValue
	}{
		{"hit/mixed", hits},
		{"hit/domain-parent", hitParent},
		{"miss/domain", missDomain},
		{"miss/ipv4", missIP},
	} {
		b.Run(c.name, func(b *testing.B) { runLookups(b, ix, c.vals) })
	}
}
