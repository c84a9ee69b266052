package index

import (
	"hash/maphash"
	"math/bits"
	"slices"
)

// postings are the indicators behind one key, in parallel arrays so that a
// posting costs 16 bytes and no pointer: the garbage collector never scans
// them.
type postings struct {
	ids []int64
	aud []uint32 // audience id, see visibility
	exp []uint32 // valid until, Unix seconds; 0 = no end
}

func (p *postings) bytes() int { return 8*cap(p.ids) + 4*cap(p.aud) + 4*cap(p.exp) }

// groupPostings orders postings by key with a counting sort (linear time, no
// comparisons) and returns, per key k, the range start[k]..start[k+1].
func groupPostings(keys []uint32, nkeys int, in postings) ([]uint32, postings) {
	start := make([]uint32, nkeys+1)
	for _, k := range keys {
		start[k+1]++
	}
	for k := 1; k <= nkeys; k++ {
		start[k] += start[k-1]
	}
	out := postings{
		ids: make([]int64, len(keys)),
		aud: make([]uint32, len(keys)),
		exp: make([]uint32, len(keys)),
	}
	next := slices.Clone(start[:nkeys])
	for i, k := range keys {
		j := next[k]
		next[k]++
		out.ids[j] = in.ids[i]
		out.aud[j] = in.aud[i]
		out.exp[j] = in.exp[i]
	}
	return start, out
}

// strTable is an immutable set of byte-string keys with postings: all keys
// in one arena, addressed by offset, found through an open-addressing table
// of uint32 slots. A slot holds key index+1 in its low idxBits and the top
// bits of the key's hash above them, so most probes that would hit a
// different key are rejected without touching the arena. Nothing in it holds
// a pointer per key.
type strTable struct {
	seed    maphash.Seed
	arena   []byte
	off     []uint32 // key k is arena[off[k]:off[k+1]]
	slots   []uint32
	mask    uint32 // len(slots)-1
	idxMask uint32 // low bits of a slot: key index + 1
	start   []uint32
	post    postings
}

func (t *strTable) len() int {
	if len(t.off) == 0 {
		return 0
	}
	return len(t.off) - 1
}

func (t *strTable) bytes() int {
	return cap(t.arena) + 4*cap(t.off) + 4*cap(t.slots) + 4*cap(t.start) + t.post.bytes()
}

// findString returns the index of key s, or -1.
func (t *strTable) findString(s string) int {
	if len(t.slots) == 0 {
		return -1
	}
	return t.probeString(maphash.String(t.seed, s), s)
}

// findBytes is findString for a key in a caller's (stack) buffer.
func (t *strTable) findBytes(b []byte) int {
	if len(t.slots) == 0 {
		return -1
	}
	return t.probeBytes(maphash.Bytes(t.seed, b), b)
}

func (t *strTable) probeString(h uint64, s string) int {
	tag := uint32(h>>32) &^ t.idxMask
	for i := uint32(h) & t.mask; ; i = (i + 1) & t.mask {
		v := t.slots[i]
		if v == 0 {
			return -1
		}
		if v&^t.idxMask == tag {
			k := v&t.idxMask - 1
			if string(t.arena[t.off[k]:t.off[k+1]]) == s {
				return int(k)
			}
		}
	}
}

func (t *strTable) probeBytes(h uint64, b []byte) int {
	tag := uint32(h>>32) &^ t.idxMask
	for i := uint32(h) & t.mask; ; i = (i + 1) & t.mask {
		v := t.slots[i]
		if v == 0 {
			return -1
		}
		if v&^t.idxMask == tag {
			k := v&t.idxMask - 1
			if string(t.arena[t.off[k]:t.off[k+1]]) == string(b) {
				return int(k)
			}
		}
	}
}

// tableBuilder collects keys and postings for a strTable. Keys are
// deduplicated on the way in, so the arena holds each value once however
// many agencies share it.
type tableBuilder struct {
	seed  maphash.Seed
	arena []byte
	off   []uint32 // start offsets; the end offset is appended by build
	slots []uint32 // plain key index + 1 while building
	keys  []uint32 // per posting: key index
	post  postings
}

// maxKeys bounds one table so key indexes and arena offsets fit in uint32
// slots with room for tag bits.
const maxKeys = 1 << 30

func (b *tableBuilder) keyBytes(k uint32) []byte {
	end := uint32(len(b.arena))
	if int(k)+1 < len(b.off) {
		end = b.off[k+1]
	}
	return b.arena[b.off[k]:end]
}

// add records one posting under key, copying key into the arena if new. It
// reports false when the table is full.
func (b *tableBuilder) add(key []byte, id int64, aud, exp uint32) bool {
	k, ok := b.intern(key)
	if !ok {
		return false
	}
	b.keys = append(b.keys, k)
	b.post.ids = append(b.post.ids, id)
	b.post.aud = append(b.post.aud, aud)
	b.post.exp = append(b.post.exp, exp)
	return true
}

func (b *tableBuilder) intern(key []byte) (uint32, bool) {
	if 4*(len(b.off)+1) >= 3*len(b.slots) {
		if len(b.off) >= maxKeys || len(b.arena)+len(key) > 1<<32-1 {
			return 0, false
		}
		b.grow()
	}
	mask := uint32(len(b.slots) - 1)
	h := maphash.Bytes(b.seed, key)
	for i := uint32(h) & mask; ; i = (i + 1) & mask {
		v := b.slots[i]
		if v == 0 {
			k := uint32(len(b.off))
			b.off = append(b.off, uint32(len(b.arena)))
			b.arena = append(b.arena, key...)
			b.slots[i] = k + 1
			return k, true
		}
		if string(b.keyBytes(v-1)) == string(key) {
			return v - 1, true
		}
	}
}

func (b *tableBuilder) grow() {
	n := max(16, 2*len(b.slots))
	b.slots = make([]uint32, n)
	mask := uint32(n - 1)
	for k := range b.off {
		h := maphash.Bytes(b.seed, b.keyBytes(uint32(k)))
		i := uint32(h) & mask
		for b.slots[i] != 0 {
			i = (i + 1) & mask
		}
		b.slots[i] = uint32(k) + 1
	}
}

// build freezes the collected keys into a strTable sized to its contents,
// and releases the builder's memory.
func (b *tableBuilder) build() strTable {
	n := len(b.off)
	t := strTable{seed: b.seed}
	if n == 0 {
		*b = tableBuilder{seed: b.seed}
		return t
	}
	// Exact-size copies: the builder's slices carry append's slack.
	t.arena = slices.Clone(b.arena)
	t.off = make([]uint32, n+1)
	copy(t.off, b.off)
	t.off[n] = uint32(len(b.arena))
	t.start, t.post = groupPostings(b.keys, n, b.post)
	*b = tableBuilder{seed: b.seed}

	// Load factor between 3/8 and 3/4: short probe runs, 5 to 11 bytes of
	// slots per key.
	size := 8
	for 4*n >= 3*size {
		size *= 2
	}
	t.slots = make([]uint32, size)
	t.mask = uint32(size - 1)
	t.idxMask = uint32(1)<<bits.Len32(uint32(n)) - 1
	for k := 0; k < n; k++ {
		key := t.arena[t.off[k]:t.off[k+1]]
		h := maphash.Bytes(t.seed, key)
		tag := uint32(h>>32) &^ t.idxMask
		i := uint32(h) & t.mask
		for t.slots[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = tag | uint32(k+1)
	}
	return t
}
