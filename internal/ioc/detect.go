package ioc

import (
	"strings"
	"unicode"
)

// Match is one reading of a pasted value: its type and canonical form.
type Match struct {
	Type  Type
	Value string
}

// Detect guesses the type of a pasted value and returns its canonical form.
// It is the first result of DetectAll; see there for the rules. The error,
// an *Error, says what kinds of value were expected.
func Detect(raw string) (Type, string, error) {
	m, err := DetectAll(raw)
	if err != nil {
		return "", "", err
	}
	return m[0].Type, m[0].Value, nil
}

// DetectAll returns every plausible reading of a pasted value, most likely
// first, as the public "is this number or site a scam?" look-up needs: a
// string of digits can be both a phone number and a bank account (some
// banks use the owner's phone number as the account number), and a profile
// link is both a social profile and a URL. It recognises, in this order:
//
//   - "platform:handle" and social profile links (social), then the URL;
//   - AS numbers written with "AS";
//   - "BANKCODE:number" and "BANKCODE number" (account);
//   - CIDR networks, IPv4 and IPv6 addresses;
//   - 32, 40 and 64 hex digits (md5, sha1, sha256);
//   - e-mail addresses;
//   - phone numbers written with a leading 0, 84 or +, and bare runs of 6-19
//     digits as an account number without a bank (Value is only digits);
//   - URLs (with a scheme, or a host followed by a path);
//   - domain names.
//
// Every Value is the output of the matching normaliser, and detecting a
// Value again gives the same Match. A value that matches nothing gives an
// *Error.
func DetectAll(raw string) ([]Match, error) {
	if len(raw) > maxURLLen {
		return nil, &Error{Reason: "too long to be a phone number, web address or account"}
	}
	s := strings.TrimFunc(raw, isSpace)
	if s == "" {
		return nil, &Error{Reason: "empty"}
	}
	var out []Match
	add := func(t Type, v string, err error) bool {
		if err == nil {
			out = append(out, Match{t, v})
		}
		return err == nil
	}

	if _, _, ok := splitSocialPair(s); ok {
		if v, err := NormalizeSocial(s); add(TypeSocial, v, err) {
			return out, nil
		}
	}
	// Before bank accounts, so "AS 13335" is not bank "AS".
	if len(s) > 2 && strings.EqualFold(s[:2], "AS") && allDigits(strings.TrimLeft(s[2:], " ")) {
		if v, err := normalizeASN(s); add(TypeASN, v, err) {
			return out, nil
		}
	}
	if code, number, ok := cutBankPair(s); ok {
		if v, err := NormalizeAccount(code, number); add(TypeAccount, v, err) {
			return out, nil
		}
	}
	if strings.Contains(s, "/") {
		if v, err := normalizeCIDR(s); add(TypeCIDR, v, err) {
			return out, nil
		}
	}
	if a, err := parseIP(TypeIPv6, s); err == nil {
		if a.Is4() {
			return append(out, Match{TypeIPv4, a.String()}), nil
		}
		return append(out, Match{TypeIPv6, a.String()}), nil
	}
	if t := hashTypeForLen(len(s)); t != "" {
		if v, err := normalizeHash(t, s); add(t, v, err) {
			return out, nil
		}
	}
	if strings.Contains(s, "@") || indexFold(s, "[at]") >= 0 {
		if v, err := NormalizeEmail(s); add(TypeEmail, v, err) {
			return out, nil
		}
	}
	if looksNumeric(s) {
		// Decided on the digits alone, so that an account number found
		// here is read the same way when it is detected again.
		plus, digits := numberShape(s)
		if plus || strings.HasPrefix(digits, "0") || strings.HasPrefix(digits, "84") {
			v, err := NormalizePhone(s)
			add(TypePhone, v, err)
		}
		if !plus {
			v, err := NormalizeAccountNumber(s)
			add(TypeAccount, v, err)
		}
		if len(out) > 0 {
			return out, nil
		}
		return nil, &Error{Reason: "not a valid phone number (Vietnamese numbers start with 0 or +84) or bank account number (6 to 19 digits)"}
	}
	if looksLikeURL(s) {
		if u, err := NormalizeURL(s); err == nil {
			if v, isSocial, err := socialFromURL(u); isSocial {
				add(TypeSocial, v, err)
			}
			add(TypeURL, u, nil)
			return out, nil
		}
	}
	if v, err := NormalizeDomain(s); add(TypeDomain, v, err) {
		return out, nil
	}
	return nil, &Error{Reason: "not recognised; enter a phone number, a web address or domain, an e-mail address or a bank account number"}
}

// cutBankPair splits "VCB:0011001234567" or "VCB 0011 0012 34567" into a
// bank code (with at least one letter, so it is not part of a number) and
// the rest, which must start with a digit.
func cutBankPair(s string) (code, number string, ok bool) {
	i := strings.IndexAny(s, ": ")
	if i < 2 || i > maxBankCodeLen || i+1 >= len(s) {
		return "", "", false
	}
	code, number = s[:i], strings.TrimLeft(s[i+1:], " ")
	if _, _, social := splitSocialPair(code + ":"); social {
		return "", "", false // "zalo 0912345678" is a Zalo profile, not bank "ZALO"
	}
	if number == "" || number[0] < '0' || number[0] > '9' {
		return "", "", false
	}
	letter := false
	for j := 0; j < len(code); j++ {
		c := code[j]
		switch {
		case isAlpha(c):
			letter = true
		case '0' <= c && c <= '9':
		default:
			return "", "", false
		}
	}
	return code, number, letter
}

// looksNumeric reports whether s is written with digits and phone-number
// punctuation only ("0912 345 678", "(+84) 912.345.678", "tel:+84...").
func looksNumeric(s string) bool {
	if len(s) > 4 && strings.EqualFold(s[:4], "tel:") {
		s = s[4:]
	}
	digits := 0
	for _, r := range s {
		switch {
		case '0' <= r && r <= '9':
			digits++
		case r == '+' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/' || isSpace(r):
		case unicode.IsDigit(r):
			digits++
		default:
			return false
		}
	}
	return digits > 0
}

// numberShape returns whether a "+" comes before the first digit of s, and
// the ASCII digits of s.
func numberShape(s string) (plus bool, digits string) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+' && b.Len() == 0:
			plus = true
		case '0' <= c && c <= '9':
			b.WriteByte(c)
		}
	}
	return plus, b.String()
}

// looksLikeURL reports whether s has a scheme (possibly defanged) or a path
// or query after its host, so that a bare name is left to the domain rules.
func looksLikeURL(s string) bool {
	if strings.Contains(s, "://") || strings.Contains(s, "[://]") || strings.Contains(s, "[:]//") {
		return true
	}
	if len(s) > 5 && (strings.EqualFold(s[:5], "http:") || strings.EqualFold(s[:5], "hxxp:")) {
		return true
	}
	if strings.ContainsAny(s, `/?#\`) {
		return true
	}
	// "evil.example:8080", "192.0.2.1:443" and "[2001:db8::1]:443", as in
	// feeds of ip:port
	i := strings.LastIndexByte(s, ':')
	if strings.HasPrefix(s, "[") && i > 0 && s[i-1] == ']' {
		return allDigits(s[i+1:])
	}
	return i > 0 && allDigits(s[i+1:]) && !strings.Contains(s[:i], ":")
}
