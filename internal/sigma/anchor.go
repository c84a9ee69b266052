package sigma

import (
	"encoding/binary"
	"strings"
)

// anchorScan finds a small set of folded literals in a long text without
// walking the text byte by byte: each literal is anchored on one of its
// rarest bytes, every occurrence of an anchor byte is located with
// strings.IndexByte (vectorised), and the literals anchored there are
// compared in place. Keyword searches use it over the concatenation of an
// event's values, where an automaton would spend a table lookup on every
// byte of text that almost never holds a keyword.
type anchorScan struct {
	// bytes to look for: each anchor byte, and its upper case for ASCII
	// letters (the scan reads unfolded ASCII text).
	bytes []byte
	// lits[i] are the literals anchored on bytes[i].
	lits [][]anchorLit
	// next[i], when not nil, holds the folded bytes that follow bytes[i]
	// in its literals: a candidate followed by another byte is skipped
	// without comparing any literal. nil when a literal ends with its
	// anchor.
	next []*byteSet
	// folded holds, per anchor byte as it appears in folded literals, the
	// literals anchored on it, for the scan of folded (non-ASCII) text.
	foldedBytes []byte
	foldedLits  [][]anchorLit
	foldedNext  []*byteSet
	foldedPrev  []*byteSet // as foldedNext, for the byte before
	// ascii is set when every literal is ASCII: then non-ASCII text can be
	// scanned unfolded too, unless it holds a rune that folds to ASCII.
	ascii bool
}

// foldsToASCII are the only non-ASCII runes whose folded form is ASCII:
// the capital I with dot (i), the long s (s) and the Kelvin sign (k).
// TestFoldsToASCII checks the list against every rune.
var foldsToASCII = []string{"\u0130", "\u017f", "\u212a"}

// asciiFoldable reports whether folding text changes no ASCII-visible
// byte: text holds no rune that folds to an ASCII letter. Case-insensitive
// ASCII comparison of such text against ASCII literals then agrees with
// comparing the folded text.
func asciiFoldable(text string) bool {
	for _, r := range foldsToASCII {
		if strings.Contains(text, r) {
			return false
		}
	}
	return true
}

// anchorLit is a literal, its id, and the offset of its anchor byte.
type anchorLit struct {
	pat int32
	off int
	lit string
}

// maxAnchorBytes bounds the IndexByte passes; with more, the automaton is
// cheaper.
const maxAnchorBytes = 12

// byteRank orders bytes by how often they occur in Windows event text
// (counted on the OTRF recordings), most frequent first; a letter stands
// for both cases. Bytes not listed are taken as rare. The order only
// affects speed.
const byteRank = " e\\s\"at0rocnid:lm2w13-b,u4p5gfy.8967\r\n\thvk+x|qj}{z=_@)(/%;[]$<>'#!?&`^*~"

// byteCost is the relative cost of anchoring on b: how many candidate
// positions it is expected to produce. The keyword scan reads text whose
// ASCII letters are lower-cased (see lowerASCII), so a letter costs one
// pass like any other byte.
func byteCost(b byte) int {
	lower := b
	if 'A' <= b && b <= 'Z' {
		lower = b + 'a' - 'A'
	}
	if i := strings.IndexByte(byteRank, lower); i >= 0 {
		return 2 * (len(byteRank) - i)
	}
	return 1
}

// newAnchorScan anchors each literal (folded, as the prefilter keeps them)
// on its cheapest byte, preferring bytes already chosen for other literals
// when they cost at most twice as much. It returns nil when the scan of
// folded text needs more than maxAnchorBytes passes or a literal is empty.
func newAnchorScan(pats []string) *anchorScan {
	chosen := map[byte]bool{}
	offs := make([]int, len(pats))
	for i, p := range pats {
		if p == "" {
			return nil
		}
		best := 0
		for k := 1; k < anchorEnd(p); k++ {
			if byteCost(p[k]) < byteCost(p[best]) {
				best = k
			}
		}
		offs[i] = best
	}
	// Second pass: reuse chosen bytes where cheap enough.
	for i, p := range pats {
		chosen[p[offs[i]]] = true
	}
	for i, p := range pats {
		for k := 0; k < anchorEnd(p); k++ {
			if k != offs[i] && chosen[p[k]] && byteCost(p[k]) <= 2*byteCost(p[offs[i]]) {
				offs[i] = k
				break
			}
		}
	}
	a := &anchorScan{ascii: true}
	for _, p := range pats {
		a.ascii = a.ascii && isASCII(p)
	}
	add := func(bs *[]byte, ls *[][]anchorLit, b byte, l anchorLit) {
		j := strings.IndexByte(string(*bs), b)
		if j < 0 {
			*bs = append(*bs, b)
			*ls = append(*ls, nil)
			j = len(*bs) - 1
		}
		(*ls)[j] = append((*ls)[j], l)
	}
	for i, p := range pats {
		b := p[offs[i]]
		l := anchorLit{pat: int32(i), off: offs[i], lit: p}
		add(&a.foldedBytes, &a.foldedLits, b, l)
		add(&a.bytes, &a.lits, b, l)
		if 'a' <= b && b <= 'z' {
			add(&a.bytes, &a.lits, b-('a'-'A'), l)
		}
	}
	if len(a.foldedBytes) > maxAnchorBytes {
		return nil
	}
	a.next = nextSets(a.lits)
	a.foldedNext = nextSets(a.foldedLits)
	a.foldedPrev = prevSets(a.foldedLits)
	return a
}

// anchorEnd bounds the offsets a literal may be anchored at: not its last
// byte when it has two or more, so that the byte after an anchor can
// reject candidates (see next).
func anchorEnd(p string) int { return max(len(p)-1, 1) }

// prevSets returns, per anchor byte, the set of bytes that precede it in
// its literals (nil when a literal starts with its anchor).
func prevSets(all [][]anchorLit) []*byteSet {
	var out []*byteSet
	for _, lits := range all {
		set := &byteSet{}
		for _, l := range lits {
			if l.off == 0 {
				set = nil
				break
			}
			set.add(l.lit[l.off-1])
		}
		out = append(out, set)
	}
	return out
}

// nextSets returns, per anchor byte, the set of bytes that follow it in
// its literals (nil when a literal ends with its anchor).
func nextSets(all [][]anchorLit) []*byteSet {
	var out []*byteSet
	for _, lits := range all {
		set := &byteSet{}
		for _, l := range lits {
			if l.off+1 >= len(l.lit) {
				set = nil
				break
			}
			set.add(l.lit[l.off+1])
		}
		out = append(out, set)
	}
	return out
}

// byteSet is a set of bytes.
type byteSet [4]uint64

func (s *byteSet) add(b byte) { s[b>>6] |= 1 << (b & 63) }

func (s *byteSet) has(b byte) bool { return s[b>>6]&(1<<(b&63)) != 0 }

// scanASCII reports every literal occurring in text, compared
// case-insensitively (the literals are folded). Text must be ASCII, or, when
// a.ascii, hold no rune that folds to ASCII (see asciiFoldable).
func (a *anchorScan) scanASCII(text string, hit func(pat int32)) {
	for j, b := range a.bytes {
		lits, next := a.lits[j], a.next[j]
		for from := 0; ; {
			i := strings.IndexByte(text[from:], b)
			if i < 0 {
				break
			}
			i += from
			from = i + 1
			if next != nil {
				if from >= len(text) {
					break
				}
				c := text[from]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				if !next.has(c) {
					continue
				}
			}
			for _, l := range lits {
				s := i - l.off
				if s >= 0 && s+len(l.lit) <= len(text) && equalFoldASCII(text[s:s+len(l.lit)], l.lit) {
					hit(l.pat)
				}
			}
		}
	}
}

// scanFolded reports every literal occurring in folded text. It also
// serves text whose ASCII letters are lower-cased (lowerASCII) when the
// text is ASCII, or when a.ascii and the text is asciiFoldable: the
// literals then compare with it as with its folded form.
func (a *anchorScan) scanFolded(text string, hit func(pat int32)) {
	for j, b := range a.foldedBytes {
		lits, next, prev := a.foldedLits[j], a.foldedNext[j], a.foldedPrev[j]
		for from := 0; ; {
			i := strings.IndexByte(text[from:], b)
			if i < 0 {
				break
			}
			i += from
			from = i + 1
			if next != nil && (from >= len(text) || !next.has(text[from])) {
				continue
			}
			if prev != nil && (i == 0 || !prev.has(text[i-1])) {
				continue
			}
			for _, l := range lits {
				s := i - l.off
				if s >= 0 && s+len(l.lit) <= len(text) && text[s:s+len(l.lit)] == l.lit {
					hit(l.pat)
				}
			}
		}
	}
}

// lowerASCII lower-cases the ASCII letters of b in place, eight bytes at a
// time where they are all ASCII, and reports whether b is all ASCII.
func lowerASCII(b []byte) (ascii bool) {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	var nonASCII uint64
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if w&high != 0 {
			nonASCII = high
			for k := i; k < i+8; k++ {
				if c := b[k]; 'A' <= c && c <= 'Z' {
					b[k] = c + 'a' - 'A'
				}
			}
			continue
		}
		// Per byte (all below 0x80, so no carry crosses bytes): the high
		// bit of w+(0x80-'A') is set from 'A' up, that of w+(0x80-'Z'-1)
		// from 'Z'+1 up; upper case is the first without the second.
		upper := (w + (0x80-'A')*ones) &^ (w + (0x80-'Z'-1)*ones) & high
		binary.LittleEndian.PutUint64(b[i:], w|upper>>2)
	}
	for ; i < len(b); i++ {
		c := b[i]
		nonASCII |= uint64(c)
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return nonASCII < 0x80
}

// equalFoldASCII reports whether ASCII text t, lower-cased, equals lit.
func equalFoldASCII(t, lit string) bool {
	for i := 0; i < len(lit); i++ {
		c := t[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lit[i] {
			return false
		}
	}
	return true
}

// isASCII reports whether s holds only ASCII bytes, eight at a time.
func isASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if w&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
