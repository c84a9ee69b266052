package auth

import (
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bulwark/internal/access"
	"bulwark/internal/errs"
)

// Input limits, in characters unless said otherwise.
const (
	MaxEmailLen      = 254 // bytes, RFC 5321
	MaxNameLen       = 200
	MaxTitleLen      = 200
	MaxPhoneLen      = 32
	MaxAgencyCodeLen = 64
	MaxQueryLen      = 200
	MaxTokenNameLen  = 100
	maxIPLen         = 64
	maxUserAgentLen  = 512
	maxCodeLen       = 64
	maxListLimit     = 500
	defaultListLimit = 50
	maxOffset        = 1_000_000
	// MaxTokenTTL bounds an API token's life; longer-lived automation
	// should rotate its token.
	MaxTokenTTL = 2 * 365 * 24 * time.Hour
)

// normEmail trims and lower-cases an email address and checks it is one
// plain address (no display name, no spaces, one @).
func normEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "":
		return "", errs.Field("email", "an email address is required")
	case len(s) > MaxEmailLen:
		return "", errs.Field("email", "email address is too long (at most %d characters)", MaxEmailLen)
	case !utf8.ValidString(s), strings.Count(s, "@") != 1:
		return "", errs.Field("email", "not a valid email address")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", errs.Field("email", "not a valid email address")
		}
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", errs.Field("email", "not a valid email address")
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" || domain == "" || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", errs.Field("email", "not a valid email address")
	}
	return s, nil
}

// lookupEmail normalises an email for a look-up, refusing only what could
// never be stored.
func lookupEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", errs.Field("email", "an email address is required")
	}
	if len(s) > MaxEmailLen || !utf8.ValidString(s) {
		return "", errs.Field("email", "email address is too long (at most %d characters)", MaxEmailLen)
	}
	return s, nil
}

// text trims s and checks it is valid, single-line text of at most max
// characters (and present when required).
func text(field, s string, max int, required bool) (string, error) {
	if len(s) > 4*max+64 {
		return "", errs.Field(field, "too long (at most %d characters)", max)
	}
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", errs.Field(field, "not valid text")
	}
	if required && s == "" {
		return "", errs.Field(field, "required")
	}
	if utf8.RuneCountInString(s) > max {
		return "", errs.Field(field, "too long (at most %d characters)", max)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", errs.Field(field, "must be a single line of text")
		}
	}
	return s, nil
}

func phone(s string) (string, error) {
	s, err := text("phone", s, MaxPhoneLen, false)
	if err != nil {
		return "", err
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789+-. ()", r) {
			return "", errs.Field("phone", "use digits, spaces and + - . ( ) only")
		}
	}
	return s, nil
}

// normRoles checks roles are known and returns them without duplicates in
// display order.
func normRoles(roles []access.Role) ([]access.Role, error) {
	if len(roles) == 0 {
		return nil, errs.Field("roles", "at least one role is required")
	}
	if len(roles) > 2*len(access.Roles) {
		return nil, errs.Field("roles", "too many roles")
	}
	for _, r := range roles {
		if !access.ValidRole(r) {
			return nil, errs.Field("roles", "unknown role %q", truncate(string(r), 30))
		}
	}
	var out []access.Role
	for _, r := range access.Roles {
		if slices.Contains(roles, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func rolesString(rs []access.Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ",")
}
