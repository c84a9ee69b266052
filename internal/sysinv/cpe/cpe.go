// Package cpe parses Common Platform Enumeration names (CPE 2.3 formatted
// strings, and the older 2.2 URI form that inventories still carry) and
// compares product versions the way the NVD expresses affected ranges
// (versionStartIncluding, versionStartExcluding, versionEndIncluding,
// versionEndExcluding).
//
// The grammar follows NISTIR 7695 (CPE naming) and the matching rules follow
// NISTIR 7696 in the simplified form the NVD applies to its cpeMatch
// criteria: a criteria attribute that is ANY matches every value, NA matches
// only NA, and a literal may carry the * and ? wildcards. Every function
// takes untrusted input and returns errors, never panics.
package cpe

import (
	"errors"
	"fmt"
	"strings"
)

// MaxLen bounds a CPE name; real names are well under 300 bytes.
const MaxLen = 1024

// Any and NA are the two logical values of an attribute.
const (
	Any = "*"
	NA  = "-"
)

// Part is the kind of platform: application, operating system, hardware.
type Part string

// The parts.
const (
	Application Part = "a"
	OS          Part = "o"
	Hardware    Part = "h"
)

// Name is a parsed CPE name. Attributes hold the unescaped value, or Any or
// NA. Values are lower-cased: CPE comparison is case-insensitive.
type Name struct {
	Part      Part
	Vendor    string
	Product   string
	Version   string
	Update    string
	Edition   string
	Language  string
	SWEdition string
	TargetSW  string
	TargetHW  string
	Other     string
}

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("cpe: invalid name")

func syntaxErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSyntax, fmt.Sprintf(format, args...))
}

// Parse parses a CPE 2.3 formatted string ("cpe:2.3:a:vendor:product:...")
// or a CPE 2.2 URI ("cpe:/a:vendor:product:version"). Missing trailing
// attributes of the formatted string are an error, as the specification
// requires all thirteen fields; missing URI attributes are ANY.
func Parse(s string) (Name, error) {
	if len(s) > MaxLen {
		return Name{}, syntaxErr("longer than %d bytes", MaxLen)
	}
	s = strings.TrimSpace(s)
	switch {
	case hasPrefixFold(s, "cpe:2.3:"):
		return parseFS(s[len("cpe:2.3:"):])
	case hasPrefixFold(s, "cpe:/"):
		return parseURI(s[len("cpe:/"):])
	}
	return Name{}, syntaxErr("must start with cpe:2.3: or cpe:/")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// splitFS splits on unescaped colons.
func splitFS(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // the next byte is quoted
		case ':':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func parseFS(rest string) (Name, error) {
	f := splitFS(rest)
	if len(f) != 11 {
		return Name{}, syntaxErr("a CPE 2.3 name has 13 fields, got %d", len(f)+2)
	}
	vals := make([]string, 11)
	for i, raw := range f {
		v, err := fsValue(raw)
		if err != nil {
			return Name{}, syntaxErr("field %d: %v", i+3, err)
		}
		vals[i] = v
	}
	n := fromValues(vals)
	if err := n.checkPart(); err != nil {
		return Name{}, err
	}
	return n, nil
}

// fsValue validates one formatted-string attribute and returns it in the
// canonical form: lower case, with the escapes kept (so that a quoted * is
// told apart from the wildcard), or Any / NA.
func fsValue(raw string) (string, error) {
	switch raw {
	case "":
		return "", errors.New("empty attribute")
	case Any, NA:
		return raw, nil
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\\':
			if i+1 >= len(raw) {
				return "", errors.New("trailing backslash")
			}
			next := raw[i+1]
			if next < 0x21 || next > 0x7e {
				return "", errors.New("backslash before a non-printable byte")
			}
			b.WriteByte('\\')
			b.WriteByte(lower(next))
			i++
		case c == '*' || c == '?':
			b.WriteByte(c) // wildcard (the specification limits where; we accept them anywhere)
		case c < 0x21 || c > 0x7e:
			return "", fmt.Errorf("byte 0x%02x is not allowed", c)
		case isAlnum(c) || c == '_' || c == '-' || c == '.':
			b.WriteByte(lower(c))
		default:
			return "", fmt.Errorf("character %q must be escaped", c)
		}
	}
	return b.String(), nil
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func parseURI(rest string) (Name, error) {
	f := strings.Split(rest, ":")
	if len(f) > 7 {
		return Name{}, syntaxErr("a CPE 2.2 URI has at most 7 components")
	}
	vals := []string{Any, Any, Any, Any, Any, Any, Any, Any, Any, Any, Any}
	for i, raw := range f {
		if i == 5 && strings.HasPrefix(raw, "~") {
			// Packed edition: ~edition~sw_edition~target_sw~target_hw~other.
			p := strings.Split(raw, "~")
			if len(p) != 6 {
				return Name{}, syntaxErr("packed edition needs 5 parts")
			}
			for j, pv := range p[1:] {
				v, err := uriValue(pv)
				if err != nil {
					return Name{}, syntaxErr("edition: %v", err)
				}
				vals[[]int{5, 7, 8, 9, 10}[j]] = v
			}
			continue
		}
		v, err := uriValue(raw)
		if err != nil {
			return Name{}, syntaxErr("component %d: %v", i+1, err)
		}
		vals[i] = v
	}
	n := fromValues(vals)
	if err := n.checkPart(); err != nil {
		return Name{}, err
	}
	return n, nil
}

// uriValue decodes one URI component into the formatted-string form.
func uriValue(raw string) (string, error) {
	switch raw {
	case "":
		return Any, nil
	case "-":
		return NA, nil
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '%':
			if i+2 >= len(raw) {
				return "", errors.New("truncated percent escape")
			}
			hi, ok1 := unhex(raw[i+1])
			lo, ok2 := unhex(raw[i+2])
			if !ok1 || !ok2 {
				return "", errors.New("bad percent escape")
			}
			d := hi<<4 | lo
			i += 2
			switch {
			case d < 0x21 || d > 0x7e:
				return "", errors.New("escaped byte out of range")
			case isAlnum(d) || d == '_' || d == '-' || d == '.':
				b.WriteByte(lower(d))
			default:
				b.WriteByte('\\')
				b.WriteByte(d)
			}
		case isAlnum(c) || c == '_' || c == '-' || c == '.':
			b.WriteByte(lower(c))
		case c == '~':
			b.WriteString(`\~`)
		default:
			return "", fmt.Errorf("character %q is not allowed in a URI", c)
		}
	}
	return b.String(), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func fromValues(v []string) Name {
	return Name{Part: Part(v[0]), Vendor: v[1], Product: v[2], Version: v[3], Update: v[4], Edition: v[5],
		Language: v[6], SWEdition: v[7], TargetSW: v[8], TargetHW: v[9], Other: v[10]}
}

func (n Name) values() []string {
	return []string{string(n.Part), n.Vendor, n.Product, n.Version, n.Update, n.Edition,
		n.Language, n.SWEdition, n.TargetSW, n.TargetHW, n.Other}
}

func (n Name) checkPart() error {
	switch n.Part {
	case Application, OS, Hardware, Any:
		return nil
	}
	return syntaxErr("part must be a, o or h, got %q", string(n.Part))
}

// String returns the CPE 2.3 formatted string.
func (n Name) String() string {
	return "cpe:2.3:" + strings.Join(n.values(), ":")
}

// Unescape returns an attribute value without its backslash escapes, for
// display and for comparing with product names typed by people.
func Unescape(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// Matches reports whether the criteria name (as in an NVD cpeMatch, which
// may contain ANY and wildcards) matches the target name (a concrete
// platform, e.g. a component's CPE). The version attribute is compared here
// only when the criteria names one; range bounds are checked by Range.
// A target attribute that is ANY (unknown) matches only an ANY criteria.
func (criteria Name) Matches(target Name) bool {
	c, t := criteria.values(), target.values()
	for i := range c {
		if !attrMatch(c[i], t[i]) {
			return false
		}
	}
	return true
}

// MatchesProduct reports whether criteria names the same part, vendor and
// product as target, ignoring every other attribute.
func (criteria Name) MatchesProduct(target Name) bool {
	return attrMatch(string(criteria.Part), string(target.Part)) &&
		attrMatch(criteria.Vendor, target.Vendor) && attrMatch(criteria.Product, target.Product)
}

func attrMatch(c, t string) bool {
	switch {
	case c == Any:
		return true
	case c == NA:
		return t == NA
	case t == Any || t == NA:
		return false
	}
	if !strings.ContainsAny(c, "*?") {
		return c == t
	}
	return wildMatch(c, t)
}

// wildMatch matches pattern p (unescaped * and ? are wildcards) against s
// by the classic linear backtracking algorithm, so no input is quadratic
// beyond len(p)*len(s).
func wildMatch(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '\\' && pi+1 < len(p) && si+1 < len(s) && s[si] == '\\' && s[si+1] == p[pi+1]:
			pi += 2
			si += 2
		case pi < len(p) && p[pi] == '?':
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && p[pi] != '\\' && p[pi] == s[si]:
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// ProductKey normalises a product name typed by a person ("Apache HTTP
// Server", "nginx") the way NVD product attributes are written
// ("http_server", "nginx"): lower case, runs of spaces and punctuation as one
// underscore.
func ProductKey(s string) string {
	var b strings.Builder
	pending := false
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if r < 0x80 && (isAlnum(byte(r)) || r == '.' || r == '-') {
			if pending && b.Len() > 0 {
				b.WriteByte('_')
			}
			pending = false
			b.WriteRune(r)
			continue
		}
		pending = true
	}
	return b.String()
}
