package ioc

import (
	"net/netip"
	"strings"
)

// ParseIP parses an IPv4 or IPv6 address in any form this package accepts
// (defanged dots, IPv4-mapped IPv6, surrounding spaces) and returns it with
// IPv4-mapped IPv6 addresses unmapped. Zones ("fe80::1%eth0") are rejected:
// they name an interface on one host and mean nothing in shared data.
func ParseIP(raw string) (netip.Addr, error) {
	a, err := parseIP(TypeIPv4, raw)
	if e, ok := err.(*Error); ok {
		// parseIP reports against IPv4; this caller accepts both families.
		return a, &Error{Reason: "invalid IP address: " + e.Reason, Err: e.Err}
	}
	return a, err
}

func parseIP(t Type, raw string) (netip.Addr, error) {
	s, err := prepare(t, raw)
	if err != nil {
		return netip.Addr{}, err
	}
	s = refangDots(s)
	// "[2001:db8::1]" is how IPv6 addresses appear in URLs and logs.
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, ipError(t, s, err)
	}
	if a.Zone() != "" {
		return netip.Addr{}, invalid(t, "has a zone (%%%s); zones are local to one host, remove it", clip(a.Zone(), 16))
	}
	return a.Unmap(), nil
}

func ipError(t Type, s string, err error) error {
	e := &Error{Type: t, Err: err}
	switch {
	case strings.Contains(s, "/"):
		e.Reason = "has a prefix length (/...); use the CIDR type for networks"
	case strings.Count(s, ".") == 3 && !strings.Contains(s, ":"):
		e.Reason = "not four numbers 0-255 separated by dots (leading zeros are not allowed)"
	case strings.Contains(s, ":") && strings.Count(s, ":") == 1 && strings.Count(s, ".") == 3:
		e.Reason = "has a port; remove the \":port\" part"
	default:
		e.Reason = "not an IP address"
	}
	return e
}

func normalizeIPv4(raw string) (string, error) {
	a, err := parseIP(TypeIPv4, raw)
	if err != nil {
		return "", err
	}
	if !a.Is4() {
		return "", invalid(TypeIPv4, "this is an IPv6 address; use the IPv6 type")
	}
	return a.String(), nil
}

func normalizeIPv6(raw string) (string, error) {
	a, err := parseIP(TypeIPv6, raw)
	if err != nil {
		return "", err
	}
	if a.Is4() {
		// Includes IPv4-mapped IPv6 (::ffff:1.2.3.4), which is an IPv4
		// host seen through an IPv6 socket.
		return "", invalid(TypeIPv6, "this is an IPv4 address (%s); use the IPv4 type", a)
	}
	return a.String(), nil
}

// ParsePrefix parses a CIDR network ("192.0.2.0/24", "2001:db8::/32") and
// returns it masked to its network address. A bare address is not a
// network and is rejected; "/32" and "/128" are accepted and kept.
// IPv4-mapped IPv6 networks (::ffff:192.0.2.0/120) are turned into IPv4.
func ParsePrefix(raw string) (netip.Prefix, error) {
	s, err := prepare(TypeCIDR, raw)
	if err != nil {
		return netip.Prefix{}, err
	}
	s = refangDots(s)
	if !strings.Contains(s, "/") {
		return netip.Prefix{}, invalid(TypeCIDR, "has no prefix length; write it as address/length, for example 192.0.2.0/24")
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		e := &Error{Type: TypeCIDR, Err: err, Reason: "not an address/length network, for example 192.0.2.0/24 or 2001:db8::/32"}
		if i := strings.IndexByte(s, '%'); i >= 0 {
			e.Reason = "has a zone (%...); zones are local to one host, remove it"
		}
		return netip.Prefix{}, e
	}
	a := p.Addr()
	if a.Is4In6() {
		bits := p.Bits() - 96
		if bits < 0 {
			return netip.Prefix{}, invalid(TypeCIDR, "an IPv4-mapped IPv6 network needs a prefix length of at least 96")
		}
		p = netip.PrefixFrom(a.Unmap(), bits)
	}
	return p.Masked(), nil
}

func normalizeCIDR(raw string) (string, error) {
	p, err := ParsePrefix(raw)
	if err != nil {
		return "", err
	}
	return p.String(), nil
}

// clip shortens s to at most n bytes (on a rune boundary) for messages.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !startsRune(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func startsRune(b byte) bool { return b&0xC0 != 0x80 }
