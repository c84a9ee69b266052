package ioc

import (
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// idnaProfile is IDNA's Lookup profile (UTS #46 mapping, Bidi and joiner
// rules, non-transitional) with two relaxations that browsers and resolvers
// also make, because real hostnames break them: hyphens in the 3rd and 4th
// positions ("r3---sn-abc.googlevideo.com") and underscores
// ("tba_sync.example.com", seen in malware feeds). The ASCII rules that
// remain are checked by checkASCIIDomain. A Profile is immutable once built.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.CheckJoiners(true),
	idna.Transitional(false),
	idna.CheckHyphens(false),
	idna.StrictDomainName(false),
)

// maxDomainLen is the longest domain name DNS can carry, in its text form
// without the trailing dot.
const maxDomainLen = 253

// NormalizeDomain returns the canonical form of a domain name: lower-case
// ASCII, internationalised labels in punycode ("bộcôngan.vn" becomes
// "xn--bcngan-jxa6332d.vn"), no trailing dot, defanged dots ("[.]") undone.
// It needs at least two labels, each 1-63 bytes of letters, digits,
// hyphens (not first or last) and underscores, a top-level label of letters
// (or punycode), and at most 253 bytes in all. IP addresses, URLs, e-mail
// addresses and wildcards are rejected with a message saying so.
func NormalizeDomain(raw string) (string, error) {
	s, err := prepare(TypeDomain, raw)
	if err != nil {
		return "", err
	}
	return normalizeHost(TypeDomain, refangDots(s))
}

// normalizeHost is NormalizeDomain after trimming and refanging; t is the
// type errors are reported against (a URL's host is checked here too).
func normalizeHost(t Type, s string) (string, error) {
	switch {
	case strings.Contains(s, "://") || strings.ContainsAny(s, "/?#"):
		return "", invalid(t, "this looks like a URL; enter only the host name, for example evil.example")
	case strings.Contains(s, "@"):
		return "", invalid(t, "contains \"@\"; for an e-mail address use the e-mail type")
	case strings.HasPrefix(s, "*."):
		return "", invalid(t, "wildcards are not supported; enter the parent domain (its subdomains match it)")
	}
	// A name ends in a letter (its top-level domain) or a dot; only try
	// the IP parser, which allocates on failure, when it might succeed.
	if c := s[len(s)-1]; '0' <= c && c <= '9' || c == ']' || strings.IndexByte(s, ':') >= 0 {
		if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
			return "", invalid(t, "this is an IP address; use the %s type", ipType(a))
		}
	}
	s = strings.TrimSuffix(s, ".") // the DNS root; "example.vn." is "example.vn"
	if s == "" {
		return "", invalid(t, "empty")
	}
	if needsIDNA(s) {
		if !utf8.ValidString(s) {
			return "", invalid(t, "not valid UTF-8 text")
		}
		a, err := idnaProfile.ToASCII(s)
		if err != nil {
			return "", &Error{Type: t, Reason: "not a valid internationalised domain name (IDNA rules)", Err: err}
		}
		s = strings.TrimSuffix(a, ".") // U+3002 "。" and friends map to "."
	} else {
		s = strings.ToLower(s)
	}
	if err := checkASCIIDomain(t, s); err != nil {
		return "", err
	}
	return s, nil
}

func ipType(a netip.Addr) Type {
	if a.Unmap().Is4() {
		return TypeIPv4
	}
	return TypeIPv6
}

// needsIDNA reports whether s has non-ASCII bytes or a punycode label. Plain
// ASCII names skip the IDNA machinery, which is most of the cost.
func needsIDNA(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	for rest := s; rest != ""; {
		label := rest
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			label, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if len(label) >= 4 && strings.EqualFold(label[:4], "xn--") {
			return true
		}
	}
	return false
}

// checkASCIIDomain applies the length and label rules to a lower-case ASCII
// name.
func checkASCIIDomain(t Type, s string) error {
	if len(s) > maxDomainLen {
		return invalid(t, "too long (%d bytes; a domain name has at most %d)", len(s), maxDomainLen)
	}
	if !strings.Contains(s, ".") {
		return invalid(t, "has no dot; a domain needs a name and a top-level domain, for example example.vn")
	}
	for rest := s; ; {
		label := rest
		i := strings.IndexByte(rest, '.')
		if i >= 0 {
			label, rest = rest[:i], rest[i+1:]
		}
		if err := checkLabel(t, label, i < 0); err != nil {
			return err
		}
		if i < 0 {
			return nil
		}
	}
}

func checkLabel(t Type, label string, top bool) error {
	switch {
	case label == "":
		return invalid(t, "has an empty label (two dots in a row, or a leading dot)")
	case len(label) > 63:
		return invalid(t, "has a label longer than 63 bytes")
	case label[0] == '-' || label[len(label)-1] == '-':
		return invalid(t, "has a label that starts or ends with a hyphen")
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			if c == ' ' {
				return invalid(t, "contains a space")
			}
			return invalid(t, "contains %q, which is not allowed in a domain name", rune(c))
		}
	}
	if top && !strings.HasPrefix(label, "xn--") {
		if len(label) < 2 {
			return invalid(t, "the top-level domain %q is too short", label)
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; c < 'a' || c > 'z' {
				return invalid(t, "the top-level domain %q must contain letters only", clip(label, 16))
			}
		}
	}
	return nil
}

// RegisteredDomain returns the registrable part of a domain (the public
// suffix plus one label, "eTLD+1"): "a.b.evil.example.vn" gives
// "example.vn" under "vn", and "x.evil.github.io" gives "evil.github.io",
// because the Public Suffix List's private section (hosting providers) is
// honoured. It normalises first; it fails on invalid names and on names
// that are themselves public suffixes ("com.vn").
func RegisteredDomain(domain string) (string, error) {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return "", err
	}
	r, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return "", &Error{Type: TypeDomain, Reason: "this is a public suffix (like com or gov.vn) that anyone can register under, not a registrable domain", Err: err}
	}
	return r, nil
}

// ParentDomains returns the parents of a canonical domain (the output of
// NormalizeDomain), nearest first, down to and including its registered
// domain: "a.b.evil.example" gives ["b.evil.example", "evil.example"]. It
// never returns a public suffix, so an indicator on a parent never matches
// a whole TLD or hosting provider. A registered domain itself, or a name
// that is not canonical or is a public suffix, gives nil. The strings
// returned share memory with domain; only the slice is allocated.
func ParentDomains(domain string) []string {
	reg, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil || len(reg) >= len(domain) || !strings.HasSuffix(domain, "."+reg) {
		return nil
	}
	var out []string
	for s := domain; len(s) > len(reg); {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			break
		}
		s = s[i+1:]
		out = append(out, s)
	}
	return out
}

// DomainUnicode returns a canonical domain with its punycode labels shown
// in Unicode, for display ("xn--bcngan-jxa6332d.vn" gives "bộcôngan.vn").
// It returns domain unchanged when it cannot be decoded. Pages that show it
// should show the punycode form too: look-alike Unicode names are a
// phishing trick.
func DomainUnicode(domain string) string {
	if !strings.Contains(domain, "xn--") {
		return domain
	}
	u, err := idnaProfile.ToUnicode(domain)
	if err != nil {
		return domain
	}
	return u
}
