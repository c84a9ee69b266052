package index

import (
	"cmp"
	"encoding/binary"
	"net/netip"
	"slices"
)

// u128 is an address in the 128-bit space; IPv4 lives at ::ffff:0:0/96 so
// one table serves both families.
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

func (x u128) isMax() bool { return x.hi == ^uint64(0) && x.lo == ^uint64(0) }

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

// prefixTable answers longest-prefix lookups with a sorted table of
// disjoint ranges. Prefixes are nested or disjoint, so cutting the address
// space at every prefix boundary gives ranges that each have one most
// specific covering prefix (leaf); parent links give the next shorter
// covering prefix, which a lookup follows when the agency may not use the
// most specific one. A lookup is one binary search; a prefix costs about two
// ranges (40 bytes) plus its parent, bits and posting range.
type prefixTable struct {
	starts []u128  // range i covers starts[i] .. starts[i+1]-1
	leaf   []int32 // most specific prefix covering range i, -1 none
	parent []int32 // per prefix
	bits   []uint8 // per prefix, in the 128-bit space
	start  []uint32
	post   postings
}

func (t *prefixTable) len() int { return len(t.parent) }

func (t *prefixTable) bytes() int {
	return 16*cap(t.starts) + 4*cap(t.leaf) + 4*cap(t.parent) + cap(t.bits) + 4*cap(t.start) + t.post.bytes()
}

// find returns the most specific prefix covering a, or -1.
func (t *prefixTable) find(a u128) int32 {
	// First range starting after a; the one before it covers a.
	i, _ := slices.BinarySearchFunc(t.starts, a, func(s, a u128) int {
		if s.cmp(a) <= 0 {
			return -1
		}
		return 1
	})
	if i == 0 {
		return -1
	}
	return t.leaf[i-1]
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

func (b *prefixBuilder) build() prefixTable {
	n := len(b.pfx)
	var t prefixTable
	if n == 0 {
		*b = prefixBuilder{}
		return t
	}
	t.start, t.post = groupPostings(b.keys, n, b.post)
	type span struct {
		first, last u128
		bits        int
		k           int32
	}
	spans := make([]span, n)
	t.parent = make([]int32, n)
	t.bits = make([]uint8, n)
	for k, p := range b.pfx {
		bits := p.Bits()
		if p.Addr().Is4() {
			bits += 96
		}
		first := u128From(p.Addr())
		spans[k] = span{first, lastOf(first, bits), bits, int32(k)}
		t.bits[k] = uint8(bits)
	}
	*b = prefixBuilder{}
	// Parents sort before their children: by first address, then shorter.
	slices.SortFunc(spans, func(x, y span) int {
		if c := x.first.cmp(y.first); c != 0 {
			return c
		}
		return cmp.Compare(x.bits, y.bits)
	})
	emit := func(at u128, leaf int32) {
		n := len(t.starts)
		if n > 0 && t.starts[n-1] == at {
			t.leaf[n-1] = leaf
			if n > 1 && t.leaf[n-2] == leaf {
				t.starts, t.leaf = t.starts[:n-1], t.leaf[:n-1]
			}
			return
		}
		if (n == 0 && leaf == -1) || (n > 0 && t.leaf[n-1] == leaf) {
			return
		}
		t.starts = append(t.starts, at)
		t.leaf = append(t.leaf, leaf)
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
		if !s.last.isMax() {
			emit(s.last.inc(), top())
		}
	}
	for _, s := range spans {
		for len(stack) > 0 && stack[len(stack)-1].last.cmp(s.first) < 0 {
			pop()
		}
		t.parent[s.k] = top()
		emit(s.first, s.k)
		stack = append(stack, s)
	}
	for len(stack) > 0 {
		pop()
	}
	t.starts = slices.Clip(t.starts)
	t.leaf = slices.Clip(t.leaf)
	return t
}
