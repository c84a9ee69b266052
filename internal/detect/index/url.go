package index

import (
	"net/netip"
	"strings"
)

// The URL form here is the canonical form of internal/ioc's NormalizeURL
// (the form URL indicators are stored in), computed without allocating for
// the URLs events carry. What it leaves out, because sensors do not log it
// or it costs more than it is worth on the hot path: defanged spellings
// ("hxxp", "[.]"). It is more
// lenient in two ways: any scheme is accepted (only http and https can
// match stored indicators), and credentials before "@" are dropped instead
// of rejected, so a URL with a user name still matches the indicator on the
// same place.

// urlStackBuf is the normalised URL length built in a stack buffer; longer
// URLs (rare in events) cost one allocation per lookup.
const urlStackBuf = 512

// urlParts is a URL cut into its pieces, as substrings of the input.
type urlParts struct {
	scheme string // empty: none given, taken as http
	host   string // without brackets, userinfo or port
	ipv6   bool   // host was in brackets
	port   string // digits, may be empty
	rest   string // path, query and fragment
}

// splitURL cuts s the way browsers read an http(s) URL: "scheme:" followed
// by any run of slashes or backslashes, or no scheme at all ("host/path",
// "host:8080/path"). ok is false for a URL with no host, a bad port or a
// control character.
func splitURL(s string) (u urlParts, ok bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return u, false
		}
	}
	n := 0
	for n < len(s) && n <= 32 && isSchemeChar(s[n]) {
		n++
	}
	if n > 0 && isAlpha(s[0]) && n < len(s) && s[n] == ':' && !isPortThenPath(s[n+1:]) {
		u.scheme, s = s[:n], s[n+1:]
	}
	s = strings.TrimLeft(s, `/\`)
	end := strings.IndexAny(s, `/\?#`)
	if end < 0 {
		end = len(s)
	}
	auth, rest := s[:end], s[end:]
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		auth = auth[i+1:]
	}
	if strings.HasPrefix(auth, "[") {
		j := strings.IndexByte(auth, ']')
		if j < 0 {
			return u, false
		}
		u.host, u.ipv6, auth = auth[1:j], true, auth[j+1:]
		if auth != "" {
			if auth[0] != ':' {
				return u, false
			}
			u.port = auth[1:]
		}
	} else if i := strings.LastIndexByte(auth, ':'); i >= 0 {
		u.host, u.port = auth[:i], auth[i+1:]
	} else {
		u.host = auth
	}
	if u.port != "" {
		if len(u.port) > 8 || !allDigits(u.port) {
			return u, false
		}
		u.port = strings.TrimLeft(u.port, "0")
		if u.port == "" {
			u.port = "0"
		}
		if len(u.port) > 5 || (len(u.port) == 5 && u.port > "65535") {
			return u, false
		}
	}
	if !u.ipv6 {
		u.host = strings.TrimSuffix(u.host, ".")
	}
	if u.host == "" {
		return u, false
	}
	u.rest = rest
	return u, true
}

func isSchemeChar(c byte) bool {
	return isAlpha(c) || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
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

// appendURL appends the canonical form of the URL s to dst (see the top
// of this file). ok is false for an unusable URL and for hosts that need
// percent-decoding or IDNA, which slowURL handles.
func appendURL(dst []byte, s string) (_ []byte, ok bool) {
	s = trimSpace(s)
	if s == "" || len(s) > MaxURLLen {
		return dst, false
	}
	u, ok := splitURL(s)
	if !ok {
		return dst, false
	}
	for i := 0; i < len(u.host); i++ {
		if c := u.host[i]; c >= 0x80 || c == '%' || c == ' ' {
			return dst, false
		}
	}
	return assembleURL(dst, u)
}

func assembleURL(dst []byte, u urlParts) (_ []byte, ok bool) {
	start := len(dst)
	if u.scheme == "" {
		dst = append(dst, "http"...)
	} else {
		for i := 0; i < len(u.scheme); i++ {
			dst = append(dst, lower(u.scheme[i]))
		}
	}
	scheme := string(dst[start:]) // no allocation: compared only
	dst = append(dst, "://"...)
	if u.ipv6 {
		a, err := netip.ParseAddr(u.host)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return dst[:start], false
		}
		if a.Is4In6() {
			dst = a.Unmap().AppendTo(dst)
		} else {
			dst = append(dst, '[')
			dst = a.AppendTo(dst)
			dst = append(dst, ']')
		}
	} else if a, isIP, ok := legacyIPv4(u.host); isIP {
		if !ok {
			return dst[:start], false
		}
		dst = a.AppendTo(dst)
	} else {
		for i := 0; i < len(u.host); i++ {
			dst = append(dst, lower(u.host[i]))
		}
	}
	if u.port != "" && !(u.port == "80" && scheme == "http" || u.port == "443" && scheme == "https") {
		dst = append(dst, ':')
		dst = append(dst, u.port...)
	}
	path, query := u.rest, ""
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path = path[:i]
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	if path == "" {
		dst = append(dst, '/')
	} else {
		p := len(dst)
		dst = appendEscaped(dst, path, isPathChar)
		dst = append(dst[:p], removeDotSegments(dst[p:])...)
	}
	if query != "" {
		dst = append(dst, '?')
		dst = appendEscaped(dst, query, isQueryChar)
	}
	return dst, len(dst)-start <= MaxURLLen
}

const upperHex = "0123456789ABCDEF"

// appendEscaped appends s with percent-encoding normalised: escapes of
// unreserved characters decoded, other escapes upper-cased, a '%' that
// starts no escape written "%25", bytes allowed rejects escaped, and
// backslashes read as slashes in paths (as browsers do).
func appendEscaped(dst []byte, s string, allowed func(byte) bool) []byte {
	path := allowed('/') && !allowed('?')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				hi, _ := unhex(s[i+1])
				lo, _ := unhex(s[i+2])
				if d := hi<<4 | lo; isUnreserved(d) {
					dst = append(dst, d)
				} else {
					dst = append(dst, '%', upper(s[i+1]), upper(s[i+2]))
				}
				i += 2
				continue
			}
			dst = append(dst, "%25"...)
		case c == '\\' && path:
			dst = append(dst, '/')
		case allowed(c):
			dst = append(dst, c)
		default:
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func isUnreserved(c byte) bool {
	return isAlpha(c) || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func isSubDelim(c byte) bool { return strings.IndexByte("!$&'()*+,;=", c) >= 0 }

func isPathChar(c byte) bool {
	return isUnreserved(c) || isSubDelim(c) || c == ':' || c == '@' || c == '/'
}

func isQueryChar(c byte) bool { return isPathChar(c) || c == '?' }

// removeDotSegments resolves "." and ".." segments (RFC 3986, 5.2.4) of a
// path that starts with '/', in place: the result is never longer.
func removeDotSegments(p []byte) []byte {
	if !strings.Contains(string(p), "/.") {
		return p
	}
	out := p[:0]
	i := 1
	for {
		j := i
		for j < len(p) && p[j] != '/' {
			j++
		}
		seg, last := p[i:j], j >= len(p)
		switch string(seg) {
		case ".":
		case "..":
			if k := strings.LastIndexByte(string(out), '/'); k >= 0 {
				out = out[:k]
			}
		default:
			out = append(out, '/')
			out = append(out, seg...)
		}
		if last {
			if string(seg) == "." || string(seg) == ".." {
				out = append(out, '/')
			}
			break
		}
		i = j + 1
	}
	if len(out) == 0 {
		out = append(out, '/')
	}
	return out
}

// slowURL is the allocating path for hosts with percent-escapes or
// non-ASCII characters: decoded, converted with IDNA, then canonicalised.
func slowURL(s string) (string, bool) {
	s = trimSpace(s)
	if s == "" || len(s) > MaxURLLen {
		return "", false
	}
	u, ok := splitURL(s)
	if !ok {
		return "", false
	}
	host := u.host
	if strings.IndexByte(host, '%') >= 0 {
		var b strings.Builder
		for i := 0; i < len(host); i++ {
			if host[i] != '%' {
				b.WriteByte(host[i])
				continue
			}
			if i+2 >= len(host) || !isHex(host[i+1]) || !isHex(host[i+2]) {
				return "", false
			}
			hi, _ := unhex(host[i+1])
			lo, _ := unhex(host[i+2])
			b.WriteByte(hi<<4 | lo)
			i += 2
		}
		host = b.String()
	}
	if !u.ipv6 {
		if _, isIP, _ := legacyIPv4(host); !isIP && hasNonASCII(host) {
			d, ok := idnaDomain(host)
			if !ok {
				return "", false
			}
			host = d
		}
		for i := 0; i < len(host); i++ {
			if c := host[i]; c >= 0x80 || c <= ' ' || c == '%' {
				return "", false
			}
		}
	}
	u.host = host
	out, ok := assembleURL(nil, u)
	return string(out), ok
}

// NormalizeURL returns the canonical form URL indicators are stored and
// looked up in: internal/ioc's form (lower-case scheme and host, punycode,
// "http" when the scheme is missing, no default port, "/" for an empty
// path, dot segments resolved, percent-encoding normalised, no fragment, no
// empty query), with credentials dropped. It allocates; MatchURL does not.
func NormalizeURL(s string) (string, bool) {
	out, ok := appendURL(nil, s)
	if !ok {
		return slowURL(s)
	}
	return string(out), true
}

// URLHost returns the host of a URL (schemeless "host/path" accepted)
// without userinfo, port or IPv6 brackets, as a substring of s (no
// allocation, case kept). It returns "" when s has no usable host. Pass the
// result to MatchHost so an indicator on the site's domain or IP matches
// every URL under it.
func URLHost(s string) string {
	s = trimSpace(s)
	if len(s) > MaxURLLen {
		return ""
	}
	u, ok := splitURL(s)
	if !ok {
		return ""
	}
	return u.host
}

// legacyIPv4 implements the WHATWG URL standard's IPv4 host parser: a host
// whose last label is a number is an IPv4 address, whose parts may be
// decimal, octal (leading 0) or hex (0x), with fewer than four parts
// filling the low bytes ("127.1", "3232235777"). isIP is false when h is
// not meant as an IPv4 address; ok is false when it is but is not valid.
func legacyIPv4(h string) (a netip.Addr, isIP, ok bool) {
	h = strings.TrimSuffix(h, ".")
	last := h[strings.LastIndexByte(h, '.')+1:]
	if _, ok := ipv4Number(last); !ok && !allDigits(last) {
		return netip.Addr{}, false, false
	}
	n := 1 + strings.Count(h, ".")
	if n > 4 {
		return netip.Addr{}, true, false
	}
	var nums [4]uint64
	for i := 0; i < n; i++ {
		part := h
		if j := strings.IndexByte(h, '.'); j >= 0 {
			part, h = h[:j], h[j+1:]
		}
		v, ok := ipv4Number(part)
		if !ok || (i < n-1 && v > 255) {
			return netip.Addr{}, true, false
		}
		nums[i] = v
	}
	if nums[n-1] >= 1<<(8*(5-n)) {
		return netip.Addr{}, true, false
	}
	v := nums[n-1]
	for i := 0; i < n-1; i++ {
		v += nums[i] << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true, true
}

// ipv4Number parses one part of a legacy IPv4 host: "0x1F", "017", "255".
// Values of 2^32 and above fail, which also bounds the work.
func ipv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := uint64(10)
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
	var v uint64
	for i := 0; i < len(s); i++ {
		d, ok := unhex(s[i])
		if !ok || uint64(d) >= base {
			return 0, false
		}
		v = v*base + uint64(d)
		if v > 1<<32-1 {
			return 0, false
		}
	}
	return v, true
}
