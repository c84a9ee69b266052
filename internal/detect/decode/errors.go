package decode

import (
	"errors"
	"fmt"
)

// Reason is a short machine code saying why input was rejected, meant as a
// metrics label ("decode_errors_total{reason=...}"). The set is closed: new
// codes are added here, never built from input.
type Reason string

// Reasons.
const (
	ReasonJSONSyntax    Reason = "json_syntax"     // not valid JSON
	ReasonNotObject     Reason = "json_not_object" // JSON, but not an object at the top
	ReasonDepth         Reason = "depth"           // nesting deeper than Options.MaxDepth
	ReasonTooManyValues Reason = "too_many_values" // more than Options.MaxValues fields and list elements
	ReasonLineTooLong   Reason = "line_too_long"   // line longer than Options.MaxLineBytes
	ReasonInvalidUTF8   Reason = "invalid_utf8"    // invalid UTF-8 with UTF8Reject
	ReasonEmpty         Reason = "empty"           // blank line
	ReasonSyntax        Reason = "syntax"          // a text format (access log, syslog) did not parse
	ReasonUnknownFormat Reason = "unknown_format"  // no decoder for the source kind
	ReasonFrameTooLong  Reason = "frame_too_long"  // RFC 6587 frame longer than the limit
	ReasonFrameSyntax   Reason = "frame_syntax"    // RFC 6587 octet count that is not a number
	ReasonTruncated     Reason = "truncated"       // input ended inside a frame or gzip stream
	ReasonGzip          Reason = "gzip"            // corrupt gzip data
	ReasonGzipTooLarge  Reason = "gzip_too_large"  // decompressed more than the size limit
	ReasonGzipRatio     Reason = "gzip_ratio"      // decompression ratio above the limit
	ReasonInternal      Reason = "internal"        // a bug (a recovered panic in a parser)
	ReasonIO            Reason = "io"              // the underlying reader failed
)

// Error is the error of every decoder and reader in this package.
type Error struct {
	Reason Reason
	// Line is the 1-based line number for LineReader errors, else 0.
	Line int
	// Offset is the byte offset in the line or stream where the problem
	// was found, or -1 when unknown.
	Offset int64
	// Msg is a short human description; it never quotes input beyond a
	// single character, so it is safe to log.
	Msg string
	// Err is the underlying cause, if any.
	Err error
	// Fatal means the stream this error came from cannot go on (a frame
	// length that lied, a corrupt gzip stream, a failed read): the caller
	// counts it and closes the connection. Per-line and per-event errors
	// are not fatal.
	Fatal bool
}

func (e *Error) Error() string {
	s := "decode: " + string(e.Reason)
	if e.Line > 0 {
		s += fmt.Sprintf(": line %d", e.Line)
	}
	if e.Offset >= 0 {
		s += fmt.Sprintf(": offset %d", e.Offset)
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the Reason of err if it is or wraps an *Error, "" for
// nil and ReasonIO for any other error (a failing reader or connection).
func ReasonOf(err error) Reason {
	if err == nil {
		return ""
	}
	var de *Error
	if errors.As(err, &de) {
		return de.Reason
	}
	return ReasonIO
}

func errAt(r Reason, off int, msg string) *Error {
	return &Error{Reason: r, Offset: int64(off), Msg: msg}
}
