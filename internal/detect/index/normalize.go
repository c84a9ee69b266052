package index

import (
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Size limits. Lookups of longer values miss without looking at the table,
// and Add rejects longer indicators, so a hostile event field costs at most
// one bounded scan.
const (
	// MaxDomainLen is the longest domain name in presentation form (RFC 1035)
	// without the trailing dot.
	MaxDomainLen = 253
	// MaxURLLen bounds URL indicators and URL lookups.
	MaxURLLen = 8192
	// MaxEmailLen is the longest usable address (RFC 5321 path limit).
	MaxEmailLen = 254
	// maxPhoneInput bounds the raw phone text a lookup will scan.
	maxPhoneInput = 64
	// maxE164Digits is the E.164 limit on digits after the '+'.
	maxE164Digits = 15
	minE164Digits = 7 // +683 and four digits (Niue) is the shortest
)

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// trimSpace trims white space and the zero-width characters that ride
// along when values are copied from chat apps and web pages, as
// internal/ioc does. The common case, ASCII at both ends, stays cheap.
func trimSpace(s string) string {
	for len(s) > 0 {
		if c := s[0]; c < utf8.RuneSelf {
			if !isSpace(c) && c != '\v' && c != '\f' {
				break
			}
			s = s[1:]
			continue
		}
		r, n := utf8.DecodeRuneInString(s)
		if !isUnicodeSpace(r) {
			break
		}
		s = s[n:]
	}
	for len(s) > 0 {
		if c := s[len(s)-1]; c < utf8.RuneSelf {
			if !isSpace(c) && c != '\v' && c != '\f' {
				break
			}
			s = s[:len(s)-1]
			continue
		}
		r, n := utf8.DecodeLastRuneInString(s)
		if !isUnicodeSpace(r) {
			break
		}
		s = s[:len(s)-n]
	}
	return s
}

func isUnicodeSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' || r == '\u200e' || r == '\u200f'
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// domainIsFolded reports whether s is already in the stored form (no upper
// case, no trailing dot, no surrounding space, ASCII), so the lookup can hash
// the caller's string as it is.
func domainIsFolded(s string) bool {
	if s == "" || s[len(s)-1] == '.' || len(s) > MaxDomainLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || ('A' <= c && c <= 'Z') || c <= ' ' {
			return false
		}
	}
	return true
}

// appendDomain appends the lookup form of the domain name s to dst: ASCII
// lower case, without surrounding space and one trailing dot. ok is false
// when s is empty, too long, has control characters or spaces inside, or is
// not ASCII (the caller then tries IDNA, which allocates).
func appendDomain(dst []byte, s string) (_ []byte, ok bool) {
	s = trimSpace(s)
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > MaxDomainLen {
		return dst, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80 || c <= ' ' || c == 0x7f:
			return dst, false
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}

// idnaProfile is internal/ioc's IDNA profile, so that names reach the same
// punycode as the stored indicators. It is immutable.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.CheckJoiners(true),
	idna.Transitional(false),
	idna.CheckHyphens(false),
	idna.StrictDomainName(false),
)

// idnaDomain converts a non-ASCII (or otherwise unusual) domain to its
// punycode lookup form. It allocates; events with IDN names are rare.
func idnaDomain(s string) (string, bool) {
	s = strings.TrimSuffix(trimSpace(s), ".")
	if len(s) > 4*MaxDomainLen {
		// Even at four bytes a character this cannot map to a name of
		// MaxDomainLen; spare the IDNA mapping a huge input.
		return "", false
	}
	a, err := idnaProfile.ToASCII(s)
	a = strings.TrimSuffix(a, ".") // U+3002 and friends map to "."
	if err != nil || a == "" || len(a) > MaxDomainLen {
		return "", false
	}
	return a, true
}

// validDomain is the stricter check Add applies to stored domains: labels of
// 1 to 63 letters, digits, '-' or '_' (seen in malware hostnames), and at
// most MaxDomainLen bytes. key is already lower case.
func validDomain(key []byte) bool {
	if len(key) == 0 || len(key) > MaxDomainLen {
		return false
	}
	label := 0
	for _, c := range key {
		switch {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
			continue
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
		label++
		if label > 63 {
			return false
		}
	}
	return label > 0
}

// NormalizeDomain returns the form a domain indicator is stored and looked up
// in: lower case, punycode, no trailing dot. ok is false for a value that is
// not a usable domain name. It allocates; the Match methods do not.
func NormalizeDomain(s string) (string, bool) {
	var buf [MaxDomainLen + 1]byte
	key, ok := appendDomain(buf[:0], s)
	if !ok {
		a, ok := idnaDomain(s)
		if !ok {
			return "", false
		}
		key = append(buf[:0], a...)
	}
	if !validDomain(key) {
		return "", false
	}
	return string(key), true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// ParseIP reads an IP address as events carry it: plain IPv4 or IPv6,
// "1.2.3.4:80", "[2001:db8::1]:443", with a zone ("fe80::1%eth0", dropped)
// or surrounding space. IPv4-mapped IPv6 addresses are unmapped so they
// match IPv4 indicators. It does not allocate.
func ParseIP(s string) (netip.Addr, bool) {
	s = trimSpace(s)
	if len(s) > 64 || s == "" {
		return netip.Addr{}, false
	}
	if s[0] == '[' {
		j := strings.IndexByte(s, ']')
		if j < 0 {
			return netip.Addr{}, false
		}
		if rest := s[j+1:]; rest != "" && (rest[0] != ':' || !allDigits(rest[1:])) {
			return netip.Addr{}, false
		}
		s = s[1:j]
	} else if i := strings.IndexByte(s, ':'); i >= 0 && strings.IndexByte(s[i+1:], ':') < 0 {
		// Exactly one colon: IPv4 with a port. IPv6 has at least two.
		if !allDigits(s[i+1:]) {
			return netip.Addr{}, false
		}
		s = s[:i]
	}
	if !maybeIP(s) {
		// netip's error values allocate; host names are the common
		// non-IP input and are rejected here for free.
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// maybeIP is a cheap filter: IPv4 is digits and dots, IPv6 has a colon.
func maybeIP(s string) bool {
	if strings.IndexByte(s, ':') >= 0 {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// appendEmail appends the lookup form of an address: lower case, without
// "mailto:", angle brackets, display name or a trailing dot on the domain.
// ok is false when s is not local@domain, too long or not ASCII.
func appendEmail(dst []byte, s string) (_ []byte, ok bool) {
	s = trimSpace(s)
	if len(s) > 4*MaxEmailLen {
		return dst, false
	}
	if i := strings.LastIndexByte(s, '<'); i >= 0 && strings.HasSuffix(s, ">") {
		s = s[i+1 : len(s)-1]
	}
	if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
	}
	s = strings.TrimSuffix(trimSpace(s), ".")
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > MaxEmailLen {
		return dst, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || c <= ' ' || c == 0x7f {
			return dst, false
		}
		dst = append(dst, lower(c))
	}
	return dst, true
}

// idnaEmail is the allocating path for addresses with a non-ASCII domain or
// local part.
func idnaEmail(s string) (string, bool) {
	s = trimSpace(s)
	if len(s) > 4*MaxEmailLen {
		return "", false
	}
	if i := strings.LastIndexByte(s, '<'); i >= 0 && strings.HasSuffix(s, ">") {
		s = s[i+1 : len(s)-1]
	}
	if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return "", false
	}
	d, ok := idnaDomain(s[at+1:])
	if !ok {
		return "", false
	}
	out := strings.ToLower(s[:at]) + "@" + d
	if len(out) > MaxEmailLen || strings.ContainsAny(out, " \t\r\n") {
		return "", false
	}
	return out, true
}

// NormalizeEmail returns the form email indicators are stored and looked up
// in: internal/ioc's form with the local part lower-cased too, because the
// index compares addresses case-insensitively (mail systems do in
// practice). It allocates; MatchEmail does not for ASCII addresses.
func NormalizeEmail(s string) (string, bool) {
	out, ok := appendEmail(nil, s)
	if !ok {
		return idnaEmail(s)
	}
	return string(out), true
}

// appendPhone appends the E.164 form of a phone number: '+' and digits.
// Spaces, dashes, dots, slashes and parentheses are dropped; "00" and "+"
// start an international number; a single leading '0' is a national number
// of the country with calling code cc; other bare digits are read as a
// number of that country unless they start with cc. ok is false for
// letters, too few or too many digits.
func appendPhone(dst []byte, s, cc string) (_ []byte, ok bool) {
	s = trimSpace(s)
	if len(s) > maxPhoneInput {
		return dst, false
	}
	if len(s) >= 4 && strings.EqualFold(s[:4], "tel:") {
		s = s[4:]
	}
	start := len(dst)
	dst = append(dst, '+')
	plus := false
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			dst = append(dst, c)
			digits++
		case c == '+' && digits == 0 && !plus:
			plus = true
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/':
		default:
			return dst[:start], false
		}
	}
	num := dst[start+1:]
	switch {
	case plus:
		// "+84 (0)912...": the trunk '0' written after the calling code
		// is dropped, as libphonenumber (and so internal/ioc) does for
		// this country. Other countries' trunk rules are not known here.
		if cc != "" && len(num) > len(cc) && strings.HasPrefix(string(num), cc) && num[len(cc)] == '0' {
			copy(num[len(cc):], num[len(cc)+1:])
			dst = dst[:len(dst)-1]
		}
	case len(num) >= 2 && num[0] == '0' && num[1] == '0':
		copy(num, num[2:])
		dst = dst[:len(dst)-2]
	case len(num) >= 1 && num[0] == '0':
		if cc == "" {
			return dst[:start], false
		}
		// Replace the trunk '0' with the calling code, shifting the rest.
		n := len(num) - 1
		dst = append(dst, cc[1:]...) // room for len(cc)-1 more bytes
		num = dst[start+1:]
		copy(num[len(cc):], num[1:1+n])
		copy(num, cc)
	case cc != "" && !(strings.HasPrefix(string(num), cc) && len(num) >= len(cc)+8):
		// Bare digits are a national number without its trunk '0'
		// ("912345678"), unless they start with the calling code and are
		// long enough to hold a number after it ("84912345678"): the
		// reading libphonenumber, and so internal/ioc, makes.
		n := len(num)
		dst = append(dst, cc...)
		num = dst[start+1:]
		copy(num[len(cc):], num[:n])
		copy(num, cc)
	}
	n := len(dst) - start - 1
	if n < minE164Digits || n > maxE164Digits || dst[start+1] == '0' {
		return dst[:start], false
	}
	return dst, true
}

// NormalizePhone returns the E.164 form phone indicators are stored and
// looked up in. Numbers without '+' or "00" are read as numbers of the
// country with calling code cc (digits only, "84" for Viet Nam): "0912..."
// and "912..." as national numbers, "84912..." as already international.
// Unlike internal/ioc it does not check the numbering plan.
func NormalizePhone(s, cc string) (string, bool) {
	var buf [maxPhoneInput + 8]byte
	out, ok := appendPhone(buf[:0], s, cc)
	return string(out), ok
}

// decodeHash reads a hex MD5, SHA-1 or SHA-256 digest (either case) into dst
// and returns its kind; KindInvalid for anything else.
func decodeHash(dst *[32]byte, s string) (Kind, []byte) {
	s = trimSpace(s)
	var k Kind
	switch len(s) {
	case 32:
		k = KindMD5
	case 40:
		k = KindSHA1
	case 64:
		k = KindSHA256
	default:
		return KindInvalid, nil
	}
	for i := 0; i < len(s); i += 2 {
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return KindInvalid, nil
		}
		dst[i/2] = hi<<4 | lo
	}
	return k, dst[:len(s)/2]
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

func hashKind(n int) Kind {
	switch n {
	case 16:
		return KindMD5
	case 20:
		return KindSHA1
	case 32:
		return KindSHA256
	}
	return KindInvalid
}
