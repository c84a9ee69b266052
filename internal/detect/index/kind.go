package index

import "fmt"

// Kind is the type of an indicator, and of the event value a lookup takes.
type Kind uint8

// The indicator kinds the index understands. The zero Kind is invalid so that
// a forgotten field is caught by Add instead of silently meaning "IPv4".
const (
	KindInvalid Kind = iota
	KindIPv4
	KindIPv6
	KindCIDR
	KindDomain
	KindURL
	KindMD5
	KindSHA1
	KindSHA256
	KindEmail
	KindPhone

	numKinds
)

var kindNames = [numKinds]string{
	KindInvalid: "invalid",
	KindIPv4:    "ipv4",
	KindIPv6:    "ipv6",
	KindCIDR:    "cidr",
	KindDomain:  "domain",
	KindURL:     "url",
	KindMD5:     "md5",
	KindSHA1:    "sha1",
	KindSHA256:  "sha256",
	KindEmail:   "email",
	KindPhone:   "phone",
}

// String returns the lower-case name used in the indicator tables ("ipv4",
// "domain", ...), or "kind(N)" for an unknown value.
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind returns the Kind named s (as printed by String). It fails for
// unknown names and for "invalid".
func ParseKind(s string) (Kind, error) {
	for k := KindIPv4; k < numKinds; k++ {
		if kindNames[k] == s {
			return k, nil
		}
	}
	return KindInvalid, fmt.Errorf("index: parse kind %q: unknown kind", s)
}

// Kinds returns every valid Kind in order. Their names are internal/ioc's
// type names, so ParseKind(string(t)) maps an ioc.Type to its Kind (the
// types the index does not hold, such as "asn", fail).
func Kinds() []Kind {
	ks := make([]Kind, 0, numKinds-1)
	for k := KindIPv4; k < numKinds; k++ {
		ks = append(ks, k)
	}
	return ks
}
