// Package textcheck cleans and checks the free-text fields people type
// into forms and API bodies, the same way in every capability: trimmed,
// NFC-normalised (Vietnamese typed on different keyboards arrives composed
// or decomposed; NFC makes equal names equal), valid UTF-8, no control or
// direction-override characters, a length limit in characters, and a clear
// error naming the field.
package textcheck

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"bulwark/internal/errs"
)

// Field describes how one text field is checked.
type Field struct {
	Name      string // the field's name in errors, e.g. "name_vi"
	Max       int    // at most this many characters (runes) after cleaning
	Required  bool   // an empty value is refused
	Multiline bool   // line breaks and tabs are allowed (CRLF becomes LF)
}

// Clean returns s trimmed and NFC-normalised, or an errs.Invalid error
// naming the field: invalid UTF-8, a line break in a one-line field, a
// control, bidirectional-override, replacement or line/paragraph separator
// character, more than Max characters, or empty when required.
func Clean(f Field, s string) (string, error) {
	// Refuse absurd input before normalising it; NFC composes at most three
	// runes into one, each at most four bytes.
	if len(s) > 12*f.Max+64 {
		return "", errs.Field(f.Name, "must be at most %d characters", f.Max)
	}
	if !utf8.ValidString(s) {
		return "", errs.Field(f.Name, "is not valid UTF-8 text")
	}
	s = strings.TrimSpace(norm.NFC.String(s))
	if f.Multiline {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	for _, r := range s {
		if r == '\n' || r == '\t' {
			if f.Multiline {
				continue
			}
			return "", errs.Field(f.Name, "must be on one line")
		}
		// Bidirectional overrides make a name display as something other
		// than what it is.
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\uFFFD' || r == 0x2028 || r == 0x2029 {
			return "", errs.Field(f.Name, "contains a control character")
		}
	}
	if n := utf8.RuneCountInString(s); n > f.Max {
		return "", errs.Field(f.Name, "must be at most %d characters (got %d)", f.Max, n)
	}
	if f.Required && s == "" {
		return "", errs.Field(f.Name, "is required")
	}
	return s, nil
}
