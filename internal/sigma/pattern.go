package sigma

import (
	"strings"
	"unicode/utf8"
)

// piece is one part of a Sigma string value: a literal run or a wildcard.
type piece struct {
	lit  string
	wild byte // 0 for a literal, '*' for any run, '?' for one character
}

// pattern is a Sigma string value with its wildcards parsed out.
type pattern []piece

// parsePattern parses plain wildcards the way pySigma does: '*' and '?' are
// wildcards, a backslash escapes a following wildcard or backslash, and any
// other backslash (as in Windows paths) is literal.
func parsePattern(s string) pattern {
	var p pattern
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			p = append(p, piece{lit: b.String()})
			b.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\'):
			b.WriteByte(s[i+1])
			i++
		case c == '*' || c == '?':
			flush()
			if c == '*' && len(p) > 0 && p[len(p)-1].wild == '*' {
				continue // "**" is "*"
			}
			p = append(p, piece{wild: c})
		default:
			b.WriteByte(c)
		}
	}
	flush()
	return p
}

// literalPattern is a pattern matching exactly s.
func literalPattern(s string) pattern {
	if s == "" {
		return nil
	}
	return pattern{{lit: s}}
}

// hasWildcards reports whether p contains any wildcard.
func (p pattern) hasWildcards() bool {
	for _, pc := range p {
		if pc.wild != 0 {
			return true
		}
	}
	return false
}

// literal returns the text of a wildcard-free pattern.
func (p pattern) literal() string {
	var b strings.Builder
	for _, pc := range p {
		b.WriteString(pc.lit)
	}
	return b.String()
}

// wrap adds a leading and/or trailing '*', as contains, startswith and
// endswith do.
func (p pattern) wrap(lead, trail bool) pattern {
	out := make(pattern, 0, len(p)+2)
	if lead && (len(p) == 0 || p[0].wild != '*') {
		out = append(out, piece{wild: '*'})
	}
	out = append(out, p...)
	if trail && (len(out) == 0 || out[len(out)-1].wild != '*') {
		out = append(out, piece{wild: '*'})
	}
	return out
}

// mapLiterals returns p with every literal run replaced by f(run).
func (p pattern) mapLiterals(f func(string) string) pattern {
	out := make(pattern, len(p))
	for i, pc := range p {
		if pc.wild == 0 {
			pc.lit = f(pc.lit)
		}
		out[i] = pc
	}
	return out
}

// longestLiteral returns the longest literal run, which any matching text
// must contain.
func (p pattern) longestLiteral() string {
	best := ""
	for _, pc := range p {
		if len(pc.lit) > len(best) {
			best = pc.lit
		}
	}
	return best
}

// glob matches text against a pattern that has '?' wildcards or several
// '*'. segments are the star-separated parts; each segment is a sequence of
// literal runs and single-character wildcards.
type glob struct {
	segs     [][]piece
	anchorL  bool // the pattern does not start with '*'
	anchorR  bool // the pattern does not end with '*'
	minBytes int
}

func newGlob(p pattern) *glob {
	g := &glob{anchorL: len(p) == 0 || p[0].wild != '*', anchorR: len(p) == 0 || p[len(p)-1].wild != '*'}
	var cur []piece
	for _, pc := range p {
		if pc.wild == '*' {
			if cur != nil {
				g.segs = append(g.segs, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, pc)
		if pc.wild == '?' {
			g.minBytes++
		} else {
			g.minBytes += len(pc.lit)
		}
	}
	if cur != nil {
		g.segs = append(g.segs, cur)
	}
	return g
}

// matchSegAt reports whether seg matches s at its start, and the number of
// bytes it consumed.
func matchSegAt(seg []piece, s string) (int, bool) {
	n := 0
	for _, pc := range seg {
		if pc.wild == '?' {
			if n >= len(s) {
				return 0, false
			}
			_, size := utf8.DecodeRuneInString(s[n:])
			n += size
			continue
		}
		if !strings.HasPrefix(s[n:], pc.lit) {
			return 0, false
		}
		n += len(pc.lit)
	}
	return n, true
}

// findSeg returns the start and end of seg's leftmost match in s.
func findSeg(seg []piece, s string) (int, int, bool) {
	if seg[0].wild == 0 {
		// Skip ahead to candidates of the leading literal.
		for off := 0; off <= len(s); {
			i := strings.Index(s[off:], seg[0].lit)
			if i < 0 {
				return 0, 0, false
			}
			if n, ok := matchSegAt(seg, s[off+i:]); ok {
				return off + i, off + i + n, true
			}
			off += i + 1
		}
		return 0, 0, false
	}
	for i := 0; i <= len(s); i++ {
		if n, ok := matchSegAt(seg, s[i:]); ok {
			return i, i + n, true
		}
	}
	return 0, 0, false
}

// match reports whether s matches the whole glob. Taking the leftmost
// match for each middle segment is correct because a star separates every
// segment from the next: an earlier end never removes a later option.
func (g *glob) match(s string) bool {
	if len(s) < g.minBytes {
		return false
	}
	segs := g.segs
	if len(segs) == 0 {
		return !g.anchorL || s == "" // "" or "*"
	}
	pos := 0
	if g.anchorL {
		n, ok := matchSegAt(segs[0], s)
		if !ok {
			return false
		}
		if len(segs) == 1 && g.anchorR {
			return n == len(s)
		}
		pos = n
		segs = segs[1:]
	}
	last := len(segs) - 1
	for i, seg := range segs {
		if i == last && g.anchorR {
			// The final segment must end exactly at the end of s; with
			// '?' its byte length varies, so try each start from the right.
			for start := len(s); start >= pos; start-- {
				if n, ok := matchSegAt(seg, s[start:]); ok && start+n == len(s) {
					return true
				}
			}
			return false
		}
		_, end, ok := findSeg(seg, s[pos:])
		if !ok {
			return false
		}
		pos += end
	}
	return true
}
