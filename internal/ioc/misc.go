package ioc

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxFilenameLen is the usual file-system limit on one name, in bytes.
const maxFilenameLen = 255

// normalizeFilename keeps a file name as written (names are case-sensitive
// on most systems) but trimmed and in NFC. Paths are refused so that the
// indicator matches the name wherever the file lands.
func normalizeFilename(raw string) (string, error) {
	s, err := prepare(TypeFilename, raw)
	if err != nil {
		return "", err
	}
	s, err = cleanText(TypeFilename, s)
	if err != nil {
		return "", err
	}
	switch {
	case strings.ContainsAny(s, `/\`):
		return "", invalid(TypeFilename, "contains a path separator; enter only the name after the last / or \\")
	case s == "." || s == "..":
		return "", invalid(TypeFilename, "%q is not a file name", s)
	case len(s) > maxFilenameLen:
		return "", invalid(TypeFilename, "too long (%d bytes; at most %d)", len(s), maxFilenameLen)
	}
	return s, nil
}

// normalizeASN returns "AS" and the number in decimal. It accepts "AS13335",
// "as 13335", "ASN13335", "13335" and the asdot form "AS1.10" of 32-bit
// numbers. AS0 is refused: it is reserved and never originates routes.
func normalizeASN(raw string) (string, error) {
	s, err := prepare(TypeASN, raw)
	if err != nil {
		return "", err
	}
	u := strings.ToUpper(s)
	u = strings.TrimPrefix(u, "ASN")
	u = strings.TrimPrefix(u, "AS")
	u = strings.TrimLeft(u, " :-")
	var n uint64
	if hi, lo, ok := strings.Cut(u, "."); ok {
		h, err1 := parseDecimal(hi, 65535)
		l, err2 := parseDecimal(lo, 65535)
		if err1 != nil || err2 != nil {
			return "", invalid(TypeASN, "the asdot form needs two numbers from 0 to 65535, as in AS1.10")
		}
		n = h<<16 | l
	} else {
		n, err = parseDecimal(u, 1<<32-1)
		if err != nil {
			return "", invalid(TypeASN, "not an AS number; write it as AS13335 or 13335 (0 to 4294967295)")
		}
	}
	if n == 0 {
		return "", invalid(TypeASN, "AS0 is reserved and cannot be used")
	}
	return "AS" + strconv.FormatUint(n, 10), nil
}

// parseDecimal parses a run of ASCII digits no larger than max; unlike
// strconv it refuses signs and underscores.
func parseDecimal(s string, max uint64) (uint64, error) {
	if !allDigits(s) || len(s) > 20 {
		return 0, strconv.ErrSyntax
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > max {
		return 0, strconv.ErrRange
	}
	return n, nil
}

// Sender names in GSM are at most 11 characters when alphanumeric; numeric
// senders (short codes, long numbers) can be longer.
const (
	maxSenderAlpha   = 11
	maxSenderNumeric = 16
)

// normalizeSender returns an SMS sender name (the "brandname" a message
// shows instead of a number, such as "VIETCOMBANK" or "Viettel") in upper
// case with runs of spaces made one: handsets and operators treat them
// case-insensitively, and scammers imitate them with changed case.
func normalizeSender(raw string) (string, error) {
	s, err := prepare(TypeSender, raw)
	if err != nil {
		return "", err
	}
	if !utf8.ValidString(s) {
		return "", invalid(TypeSender, "not valid UTF-8 text")
	}
	s = strings.Join(strings.Fields(strings.ToUpper(s)), " ")
	letters := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			letters = true
		case '0' <= c && c <= '9', strings.IndexByte(" .-_&+", c) >= 0:
		default:
			return "", invalid(TypeSender, "may contain only Latin letters without accents, digits, spaces and . - _ & +")
		}
	}
	if letters && len(s) > maxSenderAlpha {
		return "", invalid(TypeSender, "too long (%d characters; a sender name has at most %d)", len(s), maxSenderAlpha)
	}
	if len(s) > maxSenderNumeric {
		return "", invalid(TypeSender, "too long (%d characters; at most %d)", len(s), maxSenderNumeric)
	}
	return s, nil
}
