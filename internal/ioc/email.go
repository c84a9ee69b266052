package ioc

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// NormalizeEmail returns an e-mail address as "local@domain" with the
// domain normalised like NormalizeDomain (lower case, punycode) and the
// local part kept as written (it may be case-sensitive), in Unicode NFC.
// It accepts "Name <local@domain>", a "mailto:" prefix and the defanged
// forms "[@]", "[at]" and "[.]". Quoted local parts ("john doe"@x) and
// domain literals (x@[192.0.2.1]) are rejected: mail systems rarely accept
// them and they are a common way to slip past filters.
func NormalizeEmail(raw string) (string, error) {
	s, err := prepare(TypeEmail, raw)
	if err != nil {
		return "", err
	}
	if !utf8.ValidString(s) {
		return "", invalid(TypeEmail, "not valid UTF-8 text")
	}
	if len(s) > 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
		if i := strings.IndexByte(s, '?'); i >= 0 {
			s = s[:i] // mailto:x@y?subject=...
		}
	}
	s = refangDots(refangAt(s))
	addr, err := mail.ParseAddress(s)
	if err != nil {
		if !strings.Contains(s, "@") {
			return "", &Error{Type: TypeEmail, Reason: "has no \"@\"", Err: err}
		}
		return "", &Error{Type: TypeEmail, Reason: "not a valid e-mail address", Err: err}
	}
	at := strings.LastIndexByte(addr.Address, '@')
	if at < 0 {
		return "", invalid(TypeEmail, "has no \"@\"")
	}
	local, domain := norm.NFC.String(addr.Address[:at]), addr.Address[at+1:]
	if err := checkLocalPart(local); err != nil {
		return "", err
	}
	if strings.HasPrefix(domain, "[") {
		return "", invalid(TypeEmail, "has an address literal ([...]) instead of a domain name")
	}
	d, err := normalizeHost(TypeEmail, domain)
	if err != nil {
		e := err.(*Error)
		e.Reason = "in the domain part: " + e.Reason
		return "", e
	}
	out := local + "@" + d
	if len(out) > 254 {
		return "", invalid(TypeEmail, "too long (%d bytes; an address has at most 254)", len(out))
	}
	return out, nil
}

// checkLocalPart accepts RFC 5322 dot-atoms (RFC 6532 allows UTF-8 in them).
// Quoted strings are refused so the canonical form never needs quoting.
func checkLocalPart(local string) error {
	switch {
	case local == "":
		return invalid(TypeEmail, "has nothing before \"@\"")
	case len(local) > 64:
		return invalid(TypeEmail, "the part before \"@\" is longer than 64 bytes")
	case local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, ".."):
		return invalid(TypeEmail, "the part before \"@\" has a dot at its start or end, or two dots in a row")
	}
	for _, r := range local {
		if r >= utf8.RuneSelf {
			if r == utf8.RuneError || r < 0xa0 {
				return invalid(TypeEmail, "the part before \"@\" contains a control or invalid character")
			}
			continue
		}
		c := byte(r)
		if !(isAlpha(c) || '0' <= c && c <= '9' || c == '.' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0) {
			return invalid(TypeEmail, "the part before \"@\" contains %q (quoted forms are not supported)", r)
		}
	}
	return nil
}
