package ioc

import (
	"net/netip"
	"strconv"
	"strings"
)

// maxURLLen bounds URL input and output. Browsers accept longer URLs, but
// indicators longer than this are almost always tracking junk or payloads.
const maxURLLen = 2048

// NormalizeURL returns the canonical form of an http or https URL:
//
//   - the scheme and host lower-case, the host in punycode (IDNA) or as a
//     canonical IP address (IPv4 also in the forms browsers accept, such as
//     "0x7f.1" or "3232235777"; IPv4-mapped IPv6 unmapped);
//   - the defanged forms "hxxp://", "hxxps[://]" and "evil[.]example" undone;
//   - the default port (80, 443) dropped, an empty path written "/", dot
//     segments ("/a/../b") resolved, the fragment removed;
//   - percent-encoding normalised: escapes of letters, digits and "-._~"
//     decoded, other escapes upper-case, characters that must be escaped
//     (space, non-ASCII, "<>[]{}|^`\"") escaped; the query kept in order.
//
// A value without a scheme ("evil.example/login") is taken as http. Other
// schemes (javascript:, data:, file:, ftp:, ...) and URLs with credentials
// ("user:pass@host") are rejected with a message that says so: a URL
// indicator names a place on the web, and a password has no place in
// shared data. Backslashes count as slashes, as in browsers.
func NormalizeURL(raw string) (string, error) {
	s, err := prepare(TypeURL, raw)
	if err != nil {
		return "", err
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return "", invalid(TypeURL, "contains a control character (byte 0x%02X)", c)
		}
	}
	scheme, rest, err := splitScheme(s)
	if err != nil {
		return "", err
	}
	// Any run of slashes or backslashes after "http:" is skipped, as
	// browsers do for http and https.
	rest = strings.TrimLeft(rest, `/\`)
	end := strings.IndexAny(rest, `/\?#`)
	if end < 0 {
		end = len(rest)
	}
	authority, rest := rest[:end], rest[end:]
	host, port, err := normalizeAuthority(authority, scheme)
	if err != nil {
		return "", err
	}

	path, query := rest, ""
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path = path[:i]
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		// An empty query ("/a?") is dropped like an absent one.
		path, query = path[:i], path[i+1:]
	}

	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(host)
	if port != "" {
		b.WriteByte(':')
		b.WriteString(port)
	}
	b.WriteString(normalizePath(path))
	if query != "" {
		b.WriteByte('?')
		appendEscaped(&b, refangDots1(query), isQueryChar)
	}
	out := b.String()
	if len(out) > maxURLLen {
		return "", invalid(TypeURL, "too long once normalised (%d bytes; at most %d)", len(out), maxURLLen)
	}
	return out, nil
}

// splitScheme returns the lower-case, refanged scheme and what follows its
// colon (or its defanged "[://]" separator). A value without a scheme is
// taken as http.
func splitScheme(s string) (scheme, rest string, err error) {
	n := 0
	for n < len(s) && n <= 32 && isSchemeChar(s[n]) {
		n++
	}
	after := s[n:]
	switch {
	case n == 0 || !isAlpha(s[0]):
		// "//evil.example/" or a host that starts with a digit.
		return "http", s, nil
	case strings.HasPrefix(after, "[://]"):
		scheme, rest = s[:n], "//"+after[len("[://]"):]
	case strings.HasPrefix(after, "[:]"):
		scheme, rest = s[:n], after[len("[:]"):]
	case strings.HasPrefix(after, "://"):
		scheme, rest = s[:n], after[1:]
	case strings.HasPrefix(after, ":") && !isPortThenPath(after[1:]):
		scheme, rest = s[:n], after[1:]
	default:
		// "evil.example/x" or "evil.example:8080/x": no scheme.
		return "http", s, nil
	}
	scheme = refangScheme(scheme)
	if scheme != "http" && scheme != "https" {
		return "", "", invalid(TypeURL, "the scheme %q is not supported; only http and https web addresses are accepted", clip(scheme, 20))
	}
	return scheme, rest, nil
}

func isSchemeChar(c byte) bool {
	return isAlpha(c) || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.' || c == '*'
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// isPortThenPath reports whether s (what follows a colon) is a port number
// ending the value or followed by a path, query or fragment, as in
// "evil.example:8080/x".
func isPortThenPath(s string) bool {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i > 0 && (i == len(s) || strings.IndexByte(`/\?#`, s[i]) >= 0)
}

// normalizeAuthority checks and canonicalises "host[:port]"; the port is
// returned empty when absent or the scheme's default.
func normalizeAuthority(authority, scheme string) (host, port string, err error) {
	authority = refangDots(authority)
	authority = replaceFold(authority, "[:]", ":")
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		return "", "", invalid(TypeURL, "contains a user name or password before \"@\"; remove it (the host is %q)", clip(authority[i+1:], 64))
	}
	if authority == "" {
		return "", "", invalid(TypeURL, "has no host")
	}
	hostPart := authority
	if authority[0] == '[' {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return "", "", invalid(TypeURL, "has an IPv6 host without its closing \"]\"")
		}
		hostPart, port = authority[:end+1], authority[end+1:]
		if port != "" {
			if port[0] != ':' {
				return "", "", invalid(TypeURL, "has text after the IPv6 host")
			}
			port = port[1:]
		}
	} else if i := strings.LastIndexByte(authority, ':'); i >= 0 {
		hostPart, port = authority[:i], authority[i+1:]
	}
	port, err = normalizePort(port, scheme)
	if err != nil {
		return "", "", err
	}
	host, err = normalizeURLHost(hostPart)
	return host, port, err
}

func normalizePort(port, scheme string) (string, error) {
	if port == "" {
		return "", nil
	}
	if len(port) > 8 {
		return "", invalid(TypeURL, "has a port that is not a number from 0 to 65535")
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || port[0] == '+' {
		return "", invalid(TypeURL, "has a port that is not a number from 0 to 65535")
	}
	if scheme == "http" && n == 80 || scheme == "https" && n == 443 {
		return "", nil
	}
	return strconv.FormatUint(n, 10), nil
}

// normalizeURLHost canonicalises the host of an http(s) URL the way
// browsers read it: percent-escapes decoded, IPv6 literals, IPv4 in its
// legacy forms, otherwise a domain name.
func normalizeURLHost(h string) (string, error) {
	if strings.IndexByte(h, '%') >= 0 {
		d, ok := percentDecode(h)
		if !ok {
			return "", invalid(TypeURL, "has a host with a broken percent-escape")
		}
		h = d
	}
	if h == "" {
		return "", invalid(TypeURL, "has no host")
	}
	if h[0] == '[' {
		if h[len(h)-1] != ']' {
			return "", invalid(TypeURL, "has an IPv6 host without its closing \"]\"")
		}
		a, err := netip.ParseAddr(h[1 : len(h)-1])
		if err != nil || !a.Is6() {
			return "", &Error{Type: TypeURL, Reason: "has an invalid IPv6 address in brackets", Err: err}
		}
		if a.Zone() != "" {
			return "", invalid(TypeURL, "has an IPv6 host with a zone; zones are local to one host")
		}
		if a.Is4In6() {
			return a.Unmap().String(), nil
		}
		return "[" + a.String() + "]", nil
	}
	if a, isIP, err := parseLegacyIPv4(h); isIP {
		if err != nil {
			return "", err
		}
		return a.String(), nil
	}
	return normalizeHost(TypeURL, h)
}

// parseLegacyIPv4 implements the WHATWG URL standard's IPv4 parser: a host
// whose last label is a number is an IPv4 address, whose parts may be
// decimal, octal (leading 0) or hex (0x), with fewer than four parts
// filling the low bytes ("127.1", "3232235777"). Phishing links use these
// forms to hide an address. isIP is false when h is not meant as an IPv4.
func parseLegacyIPv4(h string) (a netip.Addr, isIP bool, err error) {
	h = strings.TrimSuffix(h, ".")
	parts := strings.Split(h, ".")
	if len(parts) > 64 {
		parts = parts[len(parts)-64:] // a domain has at most 127 labels; only the last matters here
	}
	last := parts[len(parts)-1]
	if _, ok := parseIPv4Number(last); !ok && !allDigits(last) {
		return netip.Addr{}, false, nil
	}
	bad := invalid(TypeURL, "has a host that ends in a number but is not a valid IPv4 address")
	if len(parts) > 4 {
		return netip.Addr{}, true, bad
	}
	var nums [4]uint64
	for i, p := range parts {
		n, ok := parseIPv4Number(p)
		if !ok {
			return netip.Addr{}, true, bad
		}
		if i < len(parts)-1 && n > 255 {
			return netip.Addr{}, true, bad
		}
		nums[i] = n
	}
	n := len(parts)
	if nums[n-1] >= 1<<(8*(5-n)) {
		return netip.Addr{}, true, bad
	}
	v := nums[n-1]
	for i := 0; i < n-1; i++ {
		v += nums[i] << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true, nil
}

// parseIPv4Number parses one part of a legacy IPv4 host: "0x1F", "017",
// "255". Values above 2^32 fail, which also bounds the work.
func parseIPv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := 10
	switch {
	case len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		s, base = s[2:], 16
		if s == "" {
			return 0, true
		}
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	if len(s) > 32 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '+' || s[i] == '-' || s[i] == '_' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, base, 64)
	if err != nil || n > 1<<32-1 {
		return 0, false
	}
	return n, true
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

// normalizePath canonicalises an http(s) path: backslashes as slashes,
// defanged dots undone, percent-encoding normalised, dot segments removed.
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	p = strings.ReplaceAll(p, `\`, "/")
	p = refangDots1(p)
	var b strings.Builder
	b.Grow(len(p) + 8)
	appendEscaped(&b, p, isPathChar)
	return removeDotSegments(b.String())
}

// refangDots1 undoes only "[.]" (the form defanging tools put into paths
// and queries); other spellings could be legitimate there.
func refangDots1(s string) string {
	for strings.Contains(s, "[.]") {
		s = strings.ReplaceAll(s, "[.]", ".")
	}
	return s
}

// removeDotSegments resolves "." and ".." segments (RFC 3986, 5.2.4) in a
// path that starts with "/".
func removeDotSegments(p string) string {
	if !strings.Contains(p, "/.") {
		return p
	}
	segs := strings.Split(p[1:], "/")
	out := make([]string, 0, len(segs))
	for i, seg := range segs {
		last := i == len(segs)-1
		switch seg {
		case ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
			continue
		}
		if last {
			out = append(out, "") // "/a/.." is the directory "/"
		}
	}
	return "/" + strings.Join(out, "/")
}

const upperHex = "0123456789ABCDEF"

// appendEscaped writes s with percent-encoding normalised: escapes of
// unreserved characters decoded, other escapes upper-cased, a "%" that does
// not start an escape written "%25", and bytes for which allowed is false
// escaped.
func appendEscaped(b *strings.Builder, s string, allowed func(byte) bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				d := unhex(s[i+1])<<4 | unhex(s[i+2])
				if isUnreserved(d) {
					b.WriteByte(d)
				} else {
					b.WriteByte('%')
					b.WriteByte(upper(s[i+1]))
					b.WriteByte(upper(s[i+2]))
				}
				i += 2
				continue
			}
			b.WriteString("%25")
			continue
		}
		if allowed(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
}

func isUnreserved(c byte) bool {
	return isAlpha(c) || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func isSubDelim(c byte) bool { return strings.IndexByte("!$&'()*+,;=", c) >= 0 }

func isPathChar(c byte) bool {
	return isUnreserved(c) || isSubDelim(c) || c == ':' || c == '@' || c == '/'
}

func isQueryChar(c byte) bool { return isPathChar(c) || c == '?' }

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// percentDecode decodes every escape in s; ok is false on a broken one.
func percentDecode(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", false
		}
		b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		i += 2
	}
	return b.String(), true
}
