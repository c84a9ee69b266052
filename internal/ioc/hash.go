package ioc

import "strings"

// hashHexLen is the length in hex digits of each hash type.
func hashHexLen(t Type) int {
	switch t {
	case TypeMD5:
		return 32
	case TypeSHA1:
		return 40
	case TypeSHA256:
		return 64
	}
	return 0
}

// hashTypeForLen is the hash type whose hex form has n digits, or "".
func hashTypeForLen(n int) Type {
	switch n {
	case 32:
		return TypeMD5
	case 40:
		return TypeSHA1
	case 64:
		return TypeSHA256
	}
	return ""
}

// normalizeHash returns a hash in lower-case hex. It accepts upper case and
// a "0x" prefix, and names the likely type when the length fits another.
func normalizeHash(t Type, raw string) (string, error) {
	s, err := prepare(t, raw)
	if err != nil {
		return "", err
	}
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			if s[i] == ' ' || s[i] == ':' || s[i] == '-' {
				return "", invalid(t, "contains separators; write the hash as one run of hex digits")
			}
			return "", invalid(t, "contains a character that is not a hex digit (0-9, a-f)")
		}
	}
	want := hashHexLen(t)
	if len(s) != want {
		if other := hashTypeForLen(len(s)); other != "" {
			return "", invalid(t, "has %d hex digits, not %d; this looks like a %s", len(s), want, other.Label())
		}
		return "", invalid(t, "has %d hex digits; a %s has exactly %d", len(s), t.Label(), want)
	}
	return strings.ToLower(s), nil
}
