package sigma

import (
	"unicode"
	"unicode/utf8"
)

// appendFold appends the case-folded form of s. Folding maps every rune of a
// Unicode simple-folding orbit to one representative (the lower case of the
// orbit's smallest rune), so it agrees with Go's (?i) regexp matching: if a
// case-insensitive pattern matches a text, the folded text contains the
// folded literal. That property lets the prefilter use folded literals for
// regular expressions too. Folding is rune by rune, so it commutes with
// concatenation; invalid UTF-8 bytes are copied unchanged.
func appendFold(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, c)
			i++
			continue
		}
		dst = utf8.AppendRune(dst, foldRune(r))
		i += size
	}
	return dst
}

// foldRune returns the representative of r's simple-folding orbit.
func foldRune(r rune) rune {
	lo := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < lo {
			lo = f
		}
	}
	return unicode.ToLower(lo)
}

// fold returns the folded form of s, without allocating when s is already
// folded ASCII.
func fold(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return string(appendFold(make([]byte, 0, len(s)), s))
		}
	}
	return s
}
