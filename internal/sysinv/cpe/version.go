package cpe

import (
	"errors"
	"fmt"
	"strings"
)

// MaxVersionLen bounds a version string.
const MaxVersionLen = 128

// ErrVersion is wrapped by every version parse error.
var ErrVersion = errors.New("cpe: invalid version")

// Version is a parsed product version: runs of digits and runs of letters,
// split at separators (. - _ + ~ :) and at digit/letter boundaries, so that
// "2.4.49", "1.1.1k", "10.0.19041" and "8.0-rc1" all compare sensibly.
type Version struct {
	raw    string
	tokens []token
}

type token struct {
	num   uint64
	alpha string // empty for a numeric token
	isNum bool
}

// preRelease words sort before the release they precede: 1.0-rc1 < 1.0.
var preRelease = map[string]bool{"alpha": true, "a": true, "beta": true, "b": true, "rc": true, "pre": true, "preview": true, "dev": true, "snapshot": true, "m": true}

// ParseVersion parses v. Wildcards, spaces and control bytes are errors, as
// are empty and overlong strings; the NVD's range bounds never carry them.
func ParseVersion(v string) (Version, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return Version{}, fmt.Errorf("%w: empty", ErrVersion)
	}
	if len(v) > MaxVersionLen {
		return Version{}, fmt.Errorf("%w: longer than %d bytes", ErrVersion, MaxVersionLen)
	}
	// CPE attributes keep their escapes (1.0\:beta); drop them.
	v = Unescape(v)
	var toks []token
	i := 0
	for i < len(v) {
		c := v[i]
		switch {
		case '0' <= c && c <= '9':
			j := i
			var n uint64
			for j < len(v) && '0' <= v[j] && v[j] <= '9' {
				if n > (1<<63)/10 {
					return Version{}, fmt.Errorf("%w: number too large", ErrVersion)
				}
				n = n*10 + uint64(v[j]-'0')
				j++
			}
			toks = append(toks, token{num: n, isNum: true})
			i = j
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			j := i
			for j < len(v) && ('a' <= v[j] && v[j] <= 'z' || 'A' <= v[j] && v[j] <= 'Z') {
				j++
			}
			toks = append(toks, token{alpha: strings.ToLower(v[i:j])})
			i = j
		case c == '.' || c == '-' || c == '_' || c == '+' || c == '~' || c == ':':
			i++
		default:
			return Version{}, fmt.Errorf("%w: character %q", ErrVersion, c)
		}
	}
	if len(toks) == 0 {
		return Version{}, fmt.Errorf("%w: no digits or letters", ErrVersion)
	}
	return Version{raw: v, tokens: toks}, nil
}

// String returns the version as given.
func (v Version) String() string { return v.raw }

// Compare returns -1, 0 or +1 as v is older than, equal to or newer than w.
// Numbers compare numerically, words alphabetically, a number is newer than
// a word in the same place (1.0.1 > 1.0.beta), and a trailing pre-release
// word makes a version older than the one without it (1.0rc1 < 1.0 <
// 1.0.1 and 1.1.1 < 1.1.1k).
func (v Version) Compare(w Version) int {
	a, b := v.tokens, w.tokens
	for i := 0; i < len(a) || i < len(b); i++ {
		switch {
		case i >= len(a):
			return -tail(b[i])
		case i >= len(b):
			return tail(a[i])
		}
		x, y := a[i], b[i]
		switch {
		case x.isNum && y.isNum:
			if x.num != y.num {
				return cmpU(x.num, y.num)
			}
		case x.isNum:
			return 1
		case y.isNum:
			return -1
		default:
			if x.alpha != y.alpha {
				// Pre-release words are older than other words (patch letters).
				px, py := preRelease[x.alpha], preRelease[y.alpha]
				if px != py {
					if px {
						return -1
					}
					return 1
				}
				return strings.Compare(x.alpha, y.alpha)
			}
		}
	}
	return 0
}

// tail decides a comparison where one version has run out: the extra token
// t of the longer one makes it newer unless t is a pre-release word.
func tail(t token) int {
	if !t.isNum && preRelease[t.alpha] {
		return -1
	}
	return 1
}

func cmpU(a, b uint64) int {
	if a < b {
		return -1
	}
	return 1
}

// Range is an NVD version range. Empty bounds are open. At most one start
// and one end bound may be set.
type Range struct {
	StartIncluding string `json:"versionStartIncluding,omitempty"`
	StartExcluding string `json:"versionStartExcluding,omitempty"`
	EndIncluding   string `json:"versionEndIncluding,omitempty"`
	EndExcluding   string `json:"versionEndExcluding,omitempty"`
}

// IsZero reports whether no bound is set.
func (r Range) IsZero() bool { return r == Range{} }

// Validate checks that the bounds parse and that at most one start and one
// end are set.
func (r Range) Validate() error {
	if r.StartIncluding != "" && r.StartExcluding != "" {
		return fmt.Errorf("%w: both start bounds set", ErrVersion)
	}
	if r.EndIncluding != "" && r.EndExcluding != "" {
		return fmt.Errorf("%w: both end bounds set", ErrVersion)
	}
	for _, b := range []string{r.StartIncluding, r.StartExcluding, r.EndIncluding, r.EndExcluding} {
		if b == "" {
			continue
		}
		if _, err := ParseVersion(b); err != nil {
			return err
		}
	}
	return nil
}

// Contains reports whether version v lies in the range. A bound or v that
// does not parse is an error (the caller reports it; it is not a match).
func (r Range) Contains(v string) (bool, error) {
	if err := r.Validate(); err != nil {
		return false, err
	}
	ver, err := ParseVersion(v)
	if err != nil {
		return false, err
	}
	check := func(bound string, ok func(c int) bool) bool {
		if bound == "" {
			return true
		}
		b, _ := ParseVersion(bound) // validated above
		return ok(ver.Compare(b))
	}
	return check(r.StartIncluding, func(c int) bool { return c >= 0 }) &&
		check(r.StartExcluding, func(c int) bool { return c > 0 }) &&
		check(r.EndIncluding, func(c int) bool { return c <= 0 }) &&
		check(r.EndExcluding, func(c int) bool { return c < 0 }), nil
}

// String renders the range for people: "≥ 2.4.0, < 2.4.50".
func (r Range) String() string {
	var parts []string
	if r.StartIncluding != "" {
		parts = append(parts, "≥ "+r.StartIncluding)
	}
	if r.StartExcluding != "" {
		parts = append(parts, "> "+r.StartExcluding)
	}
	if r.EndIncluding != "" {
		parts = append(parts, "≤ "+r.EndIncluding)
	}
	if r.EndExcluding != "" {
		parts = append(parts, "< "+r.EndExcluding)
	}
	return strings.Join(parts, ", ")
}
