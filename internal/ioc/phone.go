package ioc

import (
	"errors"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is the region assumed for phone numbers written without a
// country code ("0912 345 678").
const DefaultRegion = "VN"

// maxPhoneDigits allows E.164's 15 digits plus an international prefix
// ("00") or trunk "0".
const maxPhoneDigits = 18

// NormalizePhone returns a phone number in E.164 form ("+84912345678"). It
// accepts the ways Vietnamese numbers are written: "0912 345 678",
// "+84912345678", "84-912-345-678", "(+84) 912.345.678", "0084 912 345 678",
// "tel:+84...", and international numbers with their country code. The
// number must be valid under the numbering plan (libphonenumber data), so
// "+84 000" and "0123456789" (retired 11-digit prefix) are rejected.
// Letters are rejected rather than read as keypad digits.
func NormalizePhone(raw string) (string, error) {
	n, err := parsePhone(raw)
	if err != nil {
		return "", err
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// IsMobile reports whether phone (in any form NormalizePhone accepts) is a
// valid mobile number. Number portability means the operator cannot be
// told from the prefix, but mobile versus landline still can.
func IsMobile(phone string) bool {
	n, err := parsePhone(phone)
	if err != nil {
		return false
	}
	switch phoneType(n) {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
		return true
	}
	return false
}

func parsePhone(raw string) (*phonenumbers.PhoneNumber, error) {
	s, err := prepare(TypePhone, raw)
	if err != nil {
		return nil, err
	}
	if len(s) > 4 && strings.EqualFold(s[:4], "tel:") {
		s = s[4:]
	}
	digits := 0
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			digits++
		case r == '+' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/' || isSpace(r):
		case unicode.IsLetter(r):
			return nil, invalid(TypePhone, "contains letters; a phone number has only digits, spaces and + - . ( )")
		default:
			return nil, invalid(TypePhone, "contains %q; a phone number has only digits, spaces and + - . ( )", r)
		}
	}
	switch {
	case digits == 0:
		return nil, invalid(TypePhone, "has no digits")
	case digits < 3:
		return nil, invalid(TypePhone, "has too few digits")
	case digits > maxPhoneDigits:
		return nil, invalid(TypePhone, "has too many digits (%d)", digits)
	}
	n, err := safeParsePhone(s)
	if err != nil {
		return nil, &Error{Type: TypePhone, Reason: "not a phone number", Err: err}
	}
	if !safeIsValid(n) {
		if newPrefix := renumberedMobile(n); newPrefix != "" {
			return nil, invalid(TypePhone, "this is an old 11-digit mobile number; since 2018 it starts with %s instead (the last 7 digits stay the same)", newPrefix)
		}
		return nil, invalid(TypePhone, "not a valid number under the numbering plan of country code +%d", n.GetCountryCode())
	}
	return n, nil
}

// The phonenumbers calls below are wrapped so that a bug in the library on
// some odd input becomes an error instead of taking the process down; the
// fuzz tests look for such inputs.

func safeParsePhone(s string) (n *phonenumbers.PhoneNumber, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, err = nil, errors.New("phone number parser failed")
		}
	}()
	return phonenumbers.Parse(s, DefaultRegion)
}

func safeIsValid(n *phonenumbers.PhoneNumber) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
		}
	}()
	return phonenumbers.IsValidNumber(n)
}

func phoneType(n *phonenumbers.PhoneNumber) (t phonenumbers.PhoneNumberType) {
	defer func() {
		if r := recover(); r != nil {
			t = phonenumbers.UNKNOWN
		}
	}()
	return phonenumbers.GetNumberType(n)
}

// renumberedMobile returns the new prefix ("039") of a Vietnamese mobile
// number written with its pre-2018 11-digit prefix ("0169..."), or "". The
// number is not converted silently: an old number in a report may be a
// typing mistake, so the person is asked to check it.
func renumberedMobile(n *phonenumbers.PhoneNumber) string {
	if n.GetCountryCode() != 84 {
		return ""
	}
	nsn := n.GetNationalNumber() // without the trunk 0: 1691234567
	if nsn < 1_000_000_000 || nsn > 1_999_999_999 {
		return ""
	}
	switch nsn / 10_000_000 { // the old prefix without its 0: 169
	case 162, 163, 164, 165, 166, 167, 168, 169: // Viettel
		return "03" + string(rune('0'+nsn/10_000_000%10))
	case 120:
		return "070"
	case 121:
		return "079"
	case 122:
		return "077"
	case 126:
		return "076"
	case 128:
		return "078"
	case 123:
		return "083"
	case 124:
		return "084"
	case 125:
		return "085"
	case 127:
		return "081"
	case 129:
		return "082"
	case 186:
		return "056"
	case 188:
		return "058"
	case 199:
		return "059"
	}
	return ""
}
