package errs

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Internal errors are shown to users as this text (see Message).
const internalMessage = "internal error"

// Lookup finds the translation of an English text: a format string for
// messages, a field name for field labels. ok is false when there is none.
type Lookup func(english string) (translated string, ok bool)

// Localizer renders error messages in one language. A nil function, or a
// text it does not know, leaves the English.
type Localizer struct {
	Message Lookup // English format string → translated format string
	Field   Lookup // field name (a path segment without index) → label
}

// FormatOf returns the English format string the message of e was
// rendered from: Format, or for an Error built without one (by Wrap or as
// a literal) its Msg with '%' doubled. This is the text catalogs key on.
func FormatOf(e *Error) string {
	if e.Format != "" {
		return e.Format
	}
	return strings.ReplaceAll(e.Msg, "%", "%%")
}

// Localize is Message in the localizer's language: "label: message" for an
// error about a field, the message alone otherwise, "internal error"
// (translated) for unclassified errors.
func Localize(err error, l Localizer) string {
	var e *Error
	if !errors.As(err, &e) || e.Kind == Internal {
		return l.render(internalMessage, nil, internalMessage)
	}
	msg := LocalizeMessage(err, l)
	if e.Field != "" {
		return l.FieldLabel(e.Field) + ": " + msg
	}
	return msg
}

// LocalizeMessage is the message of err in the localizer's language,
// without the field's label (for showing next to the field itself).
func LocalizeMessage(err error, l Localizer) string {
	var e *Error
	if !errors.As(err, &e) || e.Kind == Internal {
		return l.render(internalMessage, nil, internalMessage)
	}
	return l.render(FormatOf(e), e.Args, e.Msg)
}

// render translates format and applies args; english is the fallback. A
// translation whose verbs differ from the format's is not used, so a
// mistake in a catalog cannot print "%!d(string=…)".
func (l Localizer) render(format string, args []any, english string) string {
	if l.Message == nil {
		return english
	}
	tr, ok := l.Message(format)
	if !ok || tr == "" || !SameVerbs(format, tr) {
		return english
	}
	if len(args) > 0 {
		args = l.words(format, args)
	}
	return fmt.Sprintf(tr, args...)
}

// words translates the arguments that are words of the code rather than
// input, such as the action of access.Deny("edit this system") or a
// status: an argument shown with %s whose text has a translation of its
// own (one without verbs) is replaced. Arguments shown with %q are what
// someone typed and stay as they are.
func (l Localizer) words(format string, args []any) []any {
	if strings.Contains(format, "*") {
		return args // a * width or precision takes an argument too
	}
	var out []any
	for i, v := range Verbs(format) {
		if v != "s" {
			if strings.HasPrefix(v, "[") {
				return args // explicit argument indexes: leave them all
			}
			continue
		}
		if i >= len(args) {
			break
		}
		rv := reflect.ValueOf(args[i])
		if !rv.IsValid() || rv.Kind() != reflect.String || rv.Len() == 0 {
			continue
		}
		f := strings.ReplaceAll(rv.String(), "%", "%%")
		tr, ok := l.Message(f)
		if !ok || tr == "" || len(Verbs(tr)) > 0 || len(Verbs(f)) > 0 {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = strings.ReplaceAll(tr, "%%", "%")
	}
	if out == nil {
		return args
	}
	return out
}

// FieldLabel translates a field name. A path such as "identifiers[2].value"
// is translated segment by segment ("Định danh 3 › Giá trị"); an index
// counts from one for people. An unknown segment stays as it is.
func (l Localizer) FieldLabel(field string) string {
	if l.Field == nil || field == "" {
		return field
	}
	if s, ok := l.Field(field); ok && s != "" {
		return s
	}
	if !strings.ContainsAny(field, ".[") {
		return field
	}
	parts := strings.Split(field, ".")
	for i, p := range parts {
		name, idx := p, ""
		if j := strings.IndexByte(p, '['); j > 0 && strings.HasSuffix(p, "]") {
			if n, err := strconv.Atoi(p[j+1 : len(p)-1]); err == nil && n >= 0 {
				name, idx = p[:j], " "+strconv.Itoa(n+1)
			}
		}
		if s, ok := l.Field(name); ok && s != "" {
			name = s
		}
		parts[i] = name + idx
	}
	return strings.Join(parts, " › ")
}

// Verbs returns the formatting directives of a format string in order,
// without flags, width or precision ("%-5.2f" → "f", "%[2]d" → "[2]d");
// "%%" is not a directive. Translations must keep a format's verbs.
func Verbs(format string) []string {
	var out []string
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		if i < len(format) && format[i] == '%' {
			continue
		}
		idx := ""
		for i < len(format) {
			c := format[i]
			if c == '[' {
				if j := strings.IndexByte(format[i:], ']'); j > 0 {
					idx = format[i : i+j+1]
					i += j + 1
					continue
				}
			}
			if strings.IndexByte("+-# 0123456789.*", c) >= 0 {
				i++
				continue
			}
			break
		}
		if i < len(format) {
			out = append(out, idx+string(format[i]))
		}
	}
	return out
}

// SameVerbs reports whether two format strings have the same directives
// in the same order.
func SameVerbs(a, b string) bool {
	va, vb := Verbs(a), Verbs(b)
	if len(va) != len(vb) {
		return false
	}
	for i := range va {
		if va[i] != vb[i] {
			return false
		}
	}
	return true
}
