package agency

import (
	"net/mail"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"bulwark/internal/errs"

	"bulwark/internal/textcheck"
)

// Limits on input, in runes unless said otherwise.
const (
	maxName       = 200
	maxAddress    = 500
	maxTitle      = 500
	maxNote       = 1000
	maxDecisionNo = 64
	maxPhone      = 32
	maxEmail      = 254
	maxQuery      = 200
	maxAgencyCode = 16
	maxBodyCode   = 32
)

// text describes how one free-text field is checked by cleanText.
type text struct {
	field     string
	max       int
	required  bool
	multiline bool
}

// cleanText checks one free-text field the way every capability does
// (see internal/textcheck).
func cleanText(t text, s string) (string, error) {
	return textcheck.Clean(textcheck.Field{Name: t.field, Max: t.max, Required: t.required, Multiline: t.multiline}, s)
}

// cleanCode upper-cases a code and checks it is 2..max characters of A-Z,
// 0-9 and '-'. Codes appear in URLs, exports and audit rows, so they are
// kept to a safe alphabet.
func cleanCode(field, s string, max int) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return "", errs.Field(field, "is required")
	}
	if len(s) < 2 || len(s) > max {
		return "", errs.Field(field, "must be 2 to %d characters", max)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return "", errs.Field(field, "may contain only letters A-Z, digits and '-'")
		}
	}
	return s, nil
}

// dateLayout is the form of every calendar date in this package.
const dateLayout = "2006-01-02"

// cleanDate checks a YYYY-MM-DD date (a real day, year 1900..2100). Empty
// is allowed when not required.
func cleanDate(field, s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			return "", errs.Field(field, "is required")
		}
		return "", nil
	}
	if len(s) != len(dateLayout) {
		return "", errs.Field(field, "must be a date YYYY-MM-DD")
	}
	d, err := time.Parse(dateLayout, s)
	if err != nil {
		return "", errs.Field(field, "must be a valid date YYYY-MM-DD")
	}
	if y := d.Year(); y < 1900 || y > 2100 {
		return "", errs.Field(field, "year must be between 1900 and 2100")
	}
	return s, nil
}

// cleanPhone accepts a phone number as people write it: digits with
// spaces, dots, dashes, parentheses and one leading '+', 3 to 15 digits
// (113 is the police hotline; E.164 allows 15). It is stored as given.
func cleanPhone(field, s string) (string, error) {
	s, err := cleanText(text{field: field, max: maxPhone}, s)
	if err != nil || s == "" {
		return s, err
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')':
		default:
			return "", errs.Field(field, "is not a phone number (digits, spaces, + . - ( ) only)")
		}
	}
	if digits < 3 || digits > 15 {
		return "", errs.Field(field, "must have 3 to 15 digits")
	}
	return s, nil
}

// cleanEmail accepts a bare address local@domain.tld, without a display
// name.
func cleanEmail(field, s string) (string, error) {
	s, err := cleanText(text{field: field, max: maxEmail}, s)
	if err != nil || s == "" {
		return s, err
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || strings.ContainsAny(s, " \"<>") {
		return "", errs.Field(field, "is not an email address")
	}
	at := strings.LastIndexByte(s, '@')
	dom := s[at+1:]
	if !strings.Contains(dom, ".") || strings.HasPrefix(dom, ".") || strings.HasSuffix(dom, ".") {
		return "", errs.Field(field, "is not an email address")
	}
	return s, nil
}

// fold maps text to its search form: lower case, Vietnamese diacritics
// removed (đ becomes d), runs of white space as one space. "Sở Khoa học"
// and "so khoa hoc" fold alike, on both engines.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		default:
			r = unicode.ToLower(r)
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// likeEscaper escapes LIKE wildcards for patterns used with ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// containsPattern is a LIKE pattern matching s anywhere, with s literal.
func containsPattern(s string) string { return "%" + likeEscaper.Replace(s) + "%" }
