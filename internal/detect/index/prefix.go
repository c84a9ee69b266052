package index

import (
	"cmp"
	"encoding/binary"
	"net/netip"
	"slices"
)

// u128 is an IPv6 address as a number (IPv4 ones in the low 32 bits while
// building).
type u128 struct{ hi, lo uint64 }

func u128From(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func (x u128) cmp(y u128) int {
	if c := cmp.Compare(x.hi, y.hi); c != 0 {
		return c
	}
	return cmp.Compare(x.lo, y.lo)
}

func (x u128) inc() u128 {
	lo := x.lo + 1
	hi := x.hi
	if lo == 0 {
		hi++
	}
	return u128{hi, lo}
}

// lastOf returns the last address of a prefix of bits (in the 128-bit
// space) starting at x.
func lastOf(x u128, bits int) u128 {
	switch {
	case bits >= 128:
		return x
	case bits >= 64:
		return u128{x.hi, x.lo | (^uint64(0) >> (bits - 64))}
	case bits == 0:
		return u128{^uint64(0), ^uint64(0)}
	default:
		return u128{x.hi | (^uint64(0) >> bits), ^uint64(0)}
	}
}

// prefixTable answers longest-prefix lookups with sorted tables of
// disjoint ranges, one for IPv4 (uint32 keys) and one for IPv6. Prefixes are
// nested or disjoint, so cutting the address space at every prefix boundary
// gives ranges that each have one most specific covering prefix (leaf);
// parent links give the next shorter covering prefix, which a lookup follows
// when the agency may not use the most specific one. A lookup is one binary
// search; a prefix costs about two ranges plus its parent, bits and posting
// range, less than bart's tries for the sparse sets indicators make (see
// BenchmarkPrefixTable).
type prefixTable struct {
	starts4 []uint32 // IPv4 range i covers starts4[i] .. starts4[i+1]-1
	leaf4   []int32  // most specific prefix covering range i, -1 none
	// bucket4[h] is the first IPv4 range starting in the h-th /12 (or
	// later): 16 KiB that cut the binary search to a few ranges.
	bucket4 []uint32
	starts6 []u128
	leaf6   []int32
	parent  []int32 // per prefix
	bits    []uint8 // per prefix
	start   []uint32
	post    postings
}

func (t *prefixTable) len() int { return len(t.parent) }

func (t *prefixTable) ranges() int { return len(t.starts4) + len(t.starts6) }

func (t *prefixTable) bytes() int {
	return 4*cap(t.starts4) + 4*cap(t.leaf4) + 4*cap(t.bucket4) + 16*cap(t.starts6) + 4*cap(t.leaf6) +
		4*cap(t.parent) + cap(t.bits) + 4*cap(t.start) + t.post.bytes()
}

// find returns the most specific prefix covering a (unmapped, no zone), or
// -1.
func (t *prefixTable) find(a netip.Addr) int32 {
	if a.Is4() {
		if len(t.starts4) == 0 {
			return -1
		}
		b := a.As4()
		x := binary.BigEndian.Uint32(b[:])
		h := x >> bucketShift
		lo, hi := int(t.bucket4[h]), int(t.bucket4[h+1])
		// The covering range is the last one starting at or before x:
		// in this bucket, or else the last one before it.
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if t.starts4[m] <= x {
				lo = m + 1
			} else {
				hi = m
			}
		}
		if lo == 0 {
			return -1
		}
		return t.leaf4[lo-1]
	}
	x := u128From(a)
	lo, hi := 0, len(t.starts6) // first range starting after x
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.starts6[m].cmp(x) <= 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return -1
	}
	return t.leaf6[lo-1]
}

// prefixBuilder collects CIDR postings.
type prefixBuilder struct {
	ids  map[netip.Prefix]uint32
	pfx  []netip.Prefix
	keys []uint32
	post postings
}

func (b *prefixBuilder) add(p netip.Prefix, id int64, aud, exp uint32) {
	k, ok := b.ids[p]
	if !ok {
		if b.ids == nil {
			b.ids = make(map[netip.Prefix]uint32)
		}
		k = uint32(len(b.pfx))
		b.ids[p] = k
		b.pfx = append(b.pfx, p)
	}
	b.keys = append(b.keys, k)
	b.post.ids = append(b.post.ids, id)
	b.post.aud = append(b.post.aud, aud)
	b.post.exp = append(b.post.exp, exp)
}

// bucketShift makes 4096 IPv4 buckets.
const bucketShift = 20

// span is a prefix as an address interval; IPv4 ones in the low 32 bits.
type span struct {
	first, last u128
	bits        int
	k           int32
}

func (b *prefixBuilder) build() prefixTable {
	n := len(b.pfx)
	var t prefixTable
	if n == 0 {
		*b = prefixBuilder{}
		return t
	}
	t.start, t.post = groupPostings(b.keys, n, b.post)
	var v4, v6 []span
	t.parent = make([]int32, n)
	t.bits = make([]uint8, n)
	for k, p := range b.pfx {
		bits := p.Bits()
		t.bits[k] = uint8(bits)
		if p.Addr().Is4() {
			a := p.Addr().As4()
			first := u128{0, uint64(binary.BigEndian.Uint32(a[:]))}
			v4 = append(v4, span{first, lastOf(first, 96+bits), bits, int32(k)})
			continue
		}
		first := u128From(p.Addr())
		v6 = append(v6, span{first, lastOf(first, bits), bits, int32(k)})
	}
	*b = prefixBuilder{}
	starts4, leaf4 := sweep(v4, u128{0, 1<<32 - 1}, t.parent)
	t.starts4 = make([]uint32, len(starts4))
	for i, s := range starts4 {
		t.starts4[i] = uint32(s.lo)
	}
	t.leaf4 = leaf4
	if len(t.starts4) > 0 {
		t.bucket4 = make([]uint32, 1<<(32-bucketShift)+1)
		i := 0
		for h := range t.bucket4 {
			for i < len(t.starts4) && uint64(t.starts4[i])>>bucketShift < uint64(h) {
				i++
			}
			t.bucket4[h] = uint32(i)
		}
	}
	t.starts6, t.leaf6 = sweep(v6, u128{^uint64(0), ^uint64(0)}, t.parent)
	return t
}

// sweep cuts the space 0..max at the boundaries of spans (nested or
// disjoint) into ranges, each labelled with its most specific span, and
// records every span's parent.
func sweep(spans []span, max u128, parent []int32) (starts []u128, leaf []int32) {
	// Parents sort before their children: by first address, then shorter.
	slices.SortFunc(spans, func(x, y span) int {
		if c := x.first.cmp(y.first); c != 0 {
			return c
		}
		return cmp.Compare(x.bits, y.bits)
	})
	emit := func(at u128, l int32) {
		n := len(starts)
		if n > 0 && starts[n-1] == at {
			leaf[n-1] = l
			if n > 1 && leaf[n-2] == l {
				starts, leaf = starts[:n-1], leaf[:n-1]
			}
			return
		}
		if (n == 0 && l == -1) || (n > 0 && leaf[n-1] == l) {
			return
		}
		starts = append(starts, at)
		leaf = append(leaf, l)
	}
	var stack []span
	top := func() int32 {
		if len(stack) == 0 {
			return -1
		}
		return stack[len(stack)-1].k
	}
	pop := func() {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s.last != max {
			emit(s.last.inc(), top())
		}
	}
	for _, s := range spans {
		for len(stack) > 0 && stack[len(stack)-1].last.cmp(s.first) < 0 {
			pop()
		}
		parent[s.k] = top()
		emit(s.first, s.k)
		stack = append(stack, s)
	}
	for len(stack) > 0 {
		pop()
	}
	return slices.Clip(starts), slices.Clip(leaf)
}
