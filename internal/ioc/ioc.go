// Package ioc validates observable and indicator values (IP addresses,
// domains, URLs, hashes, e-mail addresses, phone numbers, bank accounts,
// social profiles, ...) and turns them into one canonical form, so that the
// same thing typed by a person, exported by a feed or seen by a sensor is
// stored and matched once.
//
// Incidents, threat intelligence, detection and fraud all call it; it does
// no I/O and keeps no state, so every function is safe for concurrent use.
// Every input is size-limited before any parsing, and no input makes these
// functions panic: a bad value is reported as an *Error whose message is
// plain English that can be shown to the person who typed it.
package ioc

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Type is the kind of an observable value. Its string form is stored in the
// database and used in the API, so the values below must never change.
type Type string

// The types of value this package knows.
const (
	TypeIPv4     Type = "ipv4"
	TypeIPv6     Type = "ipv6"
	TypeCIDR     Type = "cidr"
	TypeDomain   Type = "domain"
	TypeURL      Type = "url"
	TypeMD5      Type = "md5"
	TypeSHA1     Type = "sha1"
	TypeSHA256   Type = "sha256"
	TypeEmail    Type = "email"
	TypePhone    Type = "phone"
	TypeFilename Type = "filename"
	TypeASN      Type = "asn"
	TypeAccount  Type = "account" // bank account, canonical "BANKCODE:digits"
	TypeSocial   Type = "social"  // social profile, canonical "platform:handle"
	TypeSender   Type = "sender"  // SMS sender name (brand name), upper-case
	TypeOther    Type = "other"
)

// Types returns every known type in a stable order, for pick lists and
// validation tables. The caller owns the returned slice.
func Types() []Type {
	return []Type{
		TypeIPv4, TypeIPv6, TypeCIDR, TypeDomain, TypeURL,
		TypeMD5, TypeSHA1, TypeSHA256, TypeEmail, TypePhone,
		TypeFilename, TypeASN, TypeAccount, TypeSocial, TypeSender, TypeOther,
	}
}

// ParseType returns the Type named s (case-insensitive, surrounding spaces
// ignored), or an *Error when s names no known type.
func ParseType(s string) (Type, error) {
	if len(s) <= 16 {
		t := Type(strings.ToLower(strings.TrimSpace(s)))
		if t.Valid() {
			return t, nil
		}
	}
	return "", &Error{Reason: "unknown value type; expected one of " + typeList()}
}

func typeList() string {
	var b strings.Builder
	for i, t := range Types() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(t))
	}
	return b.String()
}

// Valid reports whether t is one of the known types.
func (t Type) Valid() bool {
	switch t {
	case TypeIPv4, TypeIPv6, TypeCIDR, TypeDomain, TypeURL, TypeMD5, TypeSHA1,
		TypeSHA256, TypeEmail, TypePhone, TypeFilename, TypeASN, TypeAccount,
		TypeSocial, TypeSender, TypeOther:
		return true
	}
	return false
}

// Label returns a short English name of t for messages ("IPv4 address").
func (t Type) Label() string {
	switch t {
	case TypeIPv4:
		return "IPv4 address"
	case TypeIPv6:
		return "IPv6 address"
	case TypeCIDR:
		return "CIDR network"
	case TypeDomain:
		return "domain name"
	case TypeURL:
		return "URL"
	case TypeMD5:
		return "MD5 hash"
	case TypeSHA1:
		return "SHA-1 hash"
	case TypeSHA256:
		return "SHA-256 hash"
	case TypeEmail:
		return "e-mail address"
	case TypePhone:
		return "phone number"
	case TypeFilename:
		return "file name"
	case TypeASN:
		return "AS number"
	case TypeAccount:
		return "bank account"
	case TypeSocial:
		return "social profile"
	case TypeSender:
		return "SMS sender name"
	case TypeOther:
		return "value"
	}
	return "value"
}

// MaxLen returns the largest input, in bytes, that Normalize accepts for t
// (surrounding white space included). Forms may use it as their maxlength.
func MaxLen(t Type) int {
	switch t {
	case TypeIPv4, TypeIPv6:
		return 64
	case TypeCIDR:
		return 64
	case TypeDomain:
		// Canonical domains are at most 253 bytes, but Unicode input takes
		// up to 4 bytes a character before it is turned into punycode.
		return 1024
	case TypeURL:
		return maxURLLen
	case TypeMD5, TypeSHA1, TypeSHA256:
		return 128
	case TypeEmail:
		return 1024
	case TypePhone:
		return 64
	case TypeFilename:
		return 1024
	case TypeASN:
		return 32
	case TypeAccount:
		return 64
	case TypeSocial:
		return maxURLLen
	case TypeSender:
		return 64
	case TypeOther:
		return 1024
	}
	return 0
}

// ErrInvalid is matched by every *Error, so callers can test
// errors.Is(err, ioc.ErrInvalid) to map any validation failure to a
// "bad input" answer.
var ErrInvalid = errors.New("invalid value")

// Error reports why a value is not valid for a type. Reason is written for
// the person who typed the value; it never repeats the whole value (values
// can be personal data and errors end up in logs).
type Error struct {
	Type   Type   // the type the value was checked against; "" from Detect and ParseType
	Reason string // English, lower-case start, no final period
	Err    error  // underlying cause, if any (for example from IDNA)
}

// Error implements error.
func (e *Error) Error() string {
	if e.Type == "" {
		return e.Reason
	}
	return "invalid " + e.Type.Label() + ": " + e.Reason
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes every *Error match ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

func invalid(t Type, format string, args ...any) *Error {
	return &Error{Type: t, Reason: fmt.Sprintf(format, args...)}
}

// Normalize checks that raw is a valid value of type t and returns its
// canonical form. It returns an *Error (matching ErrInvalid) when it is not.
// Normalize is idempotent: Normalize(t, Normalize(t, x)) == Normalize(t, x).
//
// For TypeAccount, raw is "BANKCODE:number" (see NormalizeAccount); for
// TypeSocial, a profile URL or "platform:handle" (see NormalizeSocial).
func Normalize(t Type, raw string) (string, error) {
	switch t {
	case TypeIPv4:
		return normalizeIPv4(raw)
	case TypeIPv6:
		return normalizeIPv6(raw)
	case TypeCIDR:
		return normalizeCIDR(raw)
	case TypeDomain:
		return NormalizeDomain(raw)
	case TypeURL:
		return NormalizeURL(raw)
	case TypeMD5, TypeSHA1, TypeSHA256:
		return normalizeHash(t, raw)
	case TypeEmail:
		return NormalizeEmail(raw)
	case TypePhone:
		return NormalizePhone(raw)
	case TypeFilename:
		return normalizeFilename(raw)
	case TypeASN:
		return normalizeASN(raw)
	case TypeAccount:
		return normalizeAccountPair(raw)
	case TypeSocial:
		return NormalizeSocial(raw)
	case TypeSender:
		return normalizeSender(raw)
	case TypeOther:
		return normalizeOther(raw)
	}
	return "", &Error{Type: t, Reason: "unknown value type " + fmt.Sprintf("%.20q", string(t))}
}

// prepare applies the checks every normaliser starts with: a size limit
// (checked before any other work so huge inputs cost nothing), trimming of
// surrounding white space, and non-empty.
func prepare(t Type, raw string) (string, error) {
	if len(raw) > MaxLen(t) {
		return "", invalid(t, "too long (%d bytes; at most %d)", len(raw), MaxLen(t))
	}
	s := strings.TrimFunc(raw, isSpace)
	if s == "" {
		return "", invalid(t, "empty")
	}
	return s, nil
}

// isSpace is unicode.IsSpace plus the zero-width characters that ride along
// when values are copied from chat apps and web pages.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' || r == '\u200e' || r == '\u200f'
}

// cleanText checks that s is UTF-8 without control characters and returns
// it in Unicode NFC, so that text typed on different systems (macOS writes
// Vietnamese in NFD) compares equal.
func cleanText(t Type, s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", invalid(t, "not valid UTF-8 text")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", invalid(t, "contains a control character (U+%04X)", r)
		}
	}
	s = norm.NFC.String(s)
	if len(s) > MaxLen(t) {
		// NFC can lengthen a few scripts; refusing here keeps Normalize
		// idempotent (its output always passes its own size check).
		return "", invalid(t, "too long once normalised (%d bytes; at most %d)", len(s), MaxLen(t))
	}
	return s, nil
}

func normalizeOther(raw string) (string, error) {
	s, err := prepare(TypeOther, raw)
	if err != nil {
		return "", err
	}
	return cleanText(TypeOther, s)
}
