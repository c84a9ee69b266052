// Package errs defines the small set of error kinds that every layer of
// Bulwark shares. A service returns an *Error with a kind and a message that
// is safe to show to the user; the wrapped cause (a driver error, an I/O
// error) stays in logs. The web and API adapters map kinds to HTTP statuses.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the caller.
type Kind int

// The kinds of error. Internal is the zero value on purpose: an
// unclassified error is never shown to the user.
const (
	Internal Kind = iota
	Invalid
	NotFound
	Conflict
	Unauthorized
	Forbidden
	TooLarge
	RateLimited
	Unavailable
)

var kindNames = [...]string{
	Internal:     "internal",
	Invalid:      "invalid",
	NotFound:     "not-found",
	Conflict:     "conflict",
	Unauthorized: "unauthorized",
	Forbidden:    "forbidden",
	TooLarge:     "too-large",
	RateLimited:  "rate-limited",
	Unavailable:  "unavailable",
}

// String returns the stable slug of the kind, used in problem+json types.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "internal"
}

// Error is a classified error. Msg is safe to show to users; Field names the
// offending input field for Invalid errors; Err is the hidden cause.
// Format and Args are the English format string and arguments Msg was
// rendered from, so that a page can render the message again in the
// reader's language (see Localize). An Error built as a literal has no
// Format: its Msg, with any '%' doubled, serves as the format then.
type Error struct {
	Kind   Kind
	Field  string
	Msg    string
	Err    error
	Format string
	Args   []any
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	if e.Err != nil {
		if s == "" {
			return e.Err.Error()
		}
		return s + ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E builds a classified error with a user-safe message.
func E(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// Wrap classifies a cause with a user-safe message. The message is not a
// format: it is shown as written (its translation is keyed by FormatOf).
func Wrap(kind Kind, cause error, msg string) *Error {
	return &Error{Kind: kind, Msg: msg, Err: cause}
}

// InField returns a copy of e about another field, keeping its message and
// the format it was rendered from (for callers that name a nested field,
// such as "identifiers[2].value", after a check of the inner value).
func InField(field string, e *Error) *Error {
	c := *e
	c.Field = field
	return &c
}

// Field builds an Invalid error about one input field.
func Field(field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Field: field, Msg: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// KindOf returns the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Message returns the user-safe message of err: the message of the first
// *Error in its chain, or a generic text for unclassified errors.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != Internal {
		if e.Field != "" {
			return e.Field + ": " + e.Msg
		}
		return e.Msg
	}
	return "internal error"
}

// FieldOf returns the field named by the first *Error in err's chain.
func FieldOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// Is reports whether err is classified as kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }
