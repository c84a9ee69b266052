package sigma

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits on value expansion: windash and expand multiply values.
const (
	// maxValuesPerField bounds the alternatives one value expands to.
	maxValuesPerField = 4096
	// maxFieldValues bounds the values of one field (the vulnerable driver
	// rule lists thousands of hashes).
	maxFieldValues = 1 << 17
	maxRegexpLen   = 16 << 10
)

// ErrUnresolvedPlaceholder is wrapped by compile errors of rules whose
// expand placeholders have no value in [CompileOptions.Placeholders].
var ErrUnresolvedPlaceholder = errors.New("unresolved placeholder")

// ErrUnsupported is wrapped by compile errors for Sigma features this engine
// rejects on purpose (deprecated aggregations, unknown modifiers).
var ErrUnsupported = errors.New("unsupported")

// modifiers is the parsed modifier chain of one field.
type modifiers struct {
	contains, startswith, endswith bool
	all, cased                     bool
	re                             bool
	reFlags                        string
	cidr                           bool
	base64, base64offset           bool
	encoding                       string // "", "utf16le", "utf16be", "utf16"
	windash, expand                bool
	exists                         bool
	cmp                            string // "", "lt", "lte", "gt", "gte"
	fieldref                       bool
}

func parseModifiers(mods []string) (modifiers, error) {
	var m modifiers
	for _, name := range mods {
		switch strings.ToLower(name) {
		case "contains":
			m.contains = true
		case "startswith":
			m.startswith = true
		case "endswith":
			m.endswith = true
		case "all":
			m.all = true
		case "cased":
			m.cased = true
		case "re":
			m.re = true
		case "i", "ignorecase":
			m.reFlags += "i"
		case "m", "multiline":
			m.reFlags += "m"
		case "s", "dotall":
			m.reFlags += "s"
		case "cidr":
			m.cidr = true
		case "base64":
			m.base64 = true
		case "base64offset":
			m.base64offset = true
		case "wide", "utf16le":
			m.encoding = "utf16le"
		case "utf16be":
			m.encoding = "utf16be"
		case "utf16":
			m.encoding = "utf16"
		case "windash":
			m.windash = true
		case "expand":
			m.expand = true
		case "exists":
			m.exists = true
		case "lt", "lte", "gt", "gte":
			m.cmp = strings.ToLower(name)
		case "fieldref":
			m.fieldref = true
		default:
			return m, fmt.Errorf("%w modifier %q", ErrUnsupported, name)
		}
	}
	if m.reFlags != "" && !m.re {
		return m, fmt.Errorf("regular expression flags %q without re", m.reFlags)
	}
	n := 0
	for _, b := range []bool{m.re, m.cidr, m.exists, m.cmp != "", m.fieldref} {
		if b {
			n++
		}
	}
	if n > 1 {
		return m, errors.New("re, cidr, exists, fieldref and lt/lte/gt/gte exclude each other")
	}
	if (m.re || m.cidr || m.exists || m.cmp != "") && (m.contains || m.startswith || m.endswith || m.base64 || m.base64offset || m.windash) {
		return m, errors.New("re, cidr, exists and lt/lte/gt/gte cannot be combined with string modifiers")
	}
	if m.fieldref && (m.base64 || m.base64offset || m.windash || m.expand || m.encoding != "") {
		return m, errors.New("fieldref cannot be combined with encoding, windash or expand")
	}
	if (m.contains && m.startswith) || (m.contains && m.endswith) || (m.startswith && m.endswith) {
		return m, errors.New("contains, startswith and endswith exclude each other")
	}
	if m.base64 && m.base64offset {
		return m, errors.New("base64 and base64offset exclude each other")
	}
	return m, nil
}

// expandPlaceholders replaces %name% in the literal runs of p with every
// value the caller supplied for name.
func expandPlaceholders(p pattern, vals map[string][]string) ([]pattern, error) {
	out := []pattern{nil}
	for _, pc := range p {
		if pc.wild != 0 {
			for i := range out {
				out[i] = append(out[i], pc)
			}
			continue
		}
		// Split the literal into text and placeholder names.
		parts := strings.Split(pc.lit, "%")
		if len(parts) < 3 {
			for i := range out {
				out[i] = append(out[i], pc)
			}
			continue
		}
		alts := []string{""}
		for j, part := range parts {
			if j%2 == 0 || j == len(parts)-1 {
				if j%2 == 1 {
					part = "%" + part // unmatched trailing %
				}
				for k := range alts {
					alts[k] += part
				}
				continue
			}
			values, ok := vals[part]
			if !ok {
				return nil, fmt.Errorf("%w %%%s%%", ErrUnresolvedPlaceholder, part)
			}
			next := make([]string, 0, len(alts)*len(values))
			for _, a := range alts {
				for _, v := range values {
					next = append(next, a+v)
				}
			}
			if len(next) > maxValuesPerField {
				return nil, fmt.Errorf("placeholder %%%s%% expands to more than %d values", part, maxValuesPerField)
			}
			alts = next
		}
		// Placeholder values are taken as plain text, with their own
		// wildcards: SigmaHQ placeholder lists use them that way.
		next := make([]pattern, 0, len(out)*len(alts))
		for _, o := range out {
			for _, a := range alts {
				q := append(append(pattern(nil), o...), parsePattern(a)...)
				next = append(next, q)
			}
		}
		if len(next) > maxValuesPerField {
			return nil, fmt.Errorf("expand yields more than %d values", maxValuesPerField)
		}
		out = next
	}
	return out, nil
}

// windashes are the characters windash substitutes for a leading - or /.
var windashes = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

func isWordByte(c byte) bool {
	return c == '_' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c >= utf8.RuneSelf
}

// expandWindash follows pySigma: every '-' or '/' that starts a word
// (regexp \B[-/]\b, within one literal run) takes each of the dash variants.
func expandWindash(p pattern) ([]pattern, error) {
	type pos struct{ piece, off int }
	var at []pos
	for i, pc := range p {
		s := pc.lit
		for j := 0; j < len(s); j++ {
			if (s[j] == '-' || s[j] == '/') && (j == 0 || !isWordByte(s[j-1])) && j+1 < len(s) && isWordByte(s[j+1]) {
				at = append(at, pos{i, j})
			}
		}
	}
	n := 1
	for range at {
		n *= len(windashes)
		if n > maxValuesPerField {
			return nil, fmt.Errorf("windash expands to more than %d values", maxValuesPerField)
		}
	}
	out := make([]pattern, 0, n)
	choice := make([]int, len(at))
	for {
		q := make(pattern, len(p))
		copy(q, p)
		// Rebuild the affected literals from the right so offsets hold.
		for k := len(at) - 1; k >= 0; k-- {
			a := at[k]
			s := q[a.piece].lit
			q[a.piece].lit = s[:a.off] + windashes[choice[k]] + s[a.off+1:]
		}
		out = append(out, q)
		k := 0
		for ; k < len(choice); k++ {
			choice[k]++
			if choice[k] < len(windashes) {
				break
			}
			choice[k] = 0
		}
		if k == len(choice) {
			return out, nil
		}
	}
}

// encodeText applies the wide/utf16 encodings.
func encodeText(s, enc string) string {
	if enc == "" {
		return s
	}
	u := utf16.Encode([]rune(s))
	var b []byte
	if enc == "utf16" {
		b = append(b, 0xff, 0xfe)
	}
	for _, c := range u {
		if enc == "utf16be" {
			b = append(b, byte(c>>8), byte(c))
		} else {
			b = append(b, byte(c), byte(c>>8))
		}
	}
	return string(b)
}

// base64Offsets returns the three encodings of s at byte offsets 0, 1 and 2
// of a larger base64 stream, trimmed of the characters that depend on the
// unknown neighbours (pySigma's algorithm).
func base64Offsets(s string) []string {
	start := [3]int{0, 2, 3}
	endTrim := [3]int{0, 3, 2}
	var out []string
	for i := 0; i < 3; i++ {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(" ", i) + s))
		end := len(enc) - endTrim[(len(s)+i)%3]
		if start[i] <= end {
			out = append(out, enc[start[i]:end])
		}
	}
	return out
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
