package decode

import "unsafe"

// The arena keeps decoding to a handful of allocations per event.
//
// newEvent copies the input line once into a fresh byte slice and views it
// as the event's Raw string; every value that needs no unescaping is a
// substring of it. Values that do (JSON escapes, dotted names built from
// nested keys, a URL put together from host and path) are appended to the
// same slice and viewed as strings too.
//
// This is sound because the slice is append-only and private: bytes that a
// string views are never written again (append writes past len, and when it
// grows it copies to a new array, leaving the old one, still referenced by
// the strings, untouched), and finish drops the slice so nothing writes to
// it after the event is handed out.

// newEvent starts an event over a private copy of line. extra is a hint of
// how many bytes of unescaped text and built names will be appended.
func newEvent(line []byte, format Format, extra int) *Event {
	// Appending the extra capacity to a full-capacity view of line makes
	// the runtime copy line into fresh memory and clear only the rest,
	// where make with a capacity would clear all of it first.
	buf := append(line[:len(line):len(line)], make([]byte, extra)...)[:len(line)]
	e := &Event{format: format, buf: buf}
	e.raw = bytesView(buf)
	return e
}

// newEventString starts an event whose raw text is already an immutable
// string (a syslog message carried in a frame we copied).
func newEventString(raw string, format Format, extra int) *Event {
	return &Event{raw: raw, format: format, buf: make([]byte, 0, extra)}
}

// bytesView returns b viewed as a string. Only for arena bytes (see above).
func bytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// mark returns the current end of the arena, to be passed to since.
func (e *Event) mark() int { return len(e.buf) }

// since returns the bytes appended to the arena after m as a string.
func (e *Event) since(m int) string { return bytesView(e.buf[m:]) }

// concat appends the parts to the arena and returns them as one string.
func (e *Event) concat(parts ...string) string {
	m := e.mark()
	for _, p := range parts {
		e.buf = append(e.buf, p...)
	}
	return e.since(m)
}

// finish ends decoding: the index is built and the arena is released.
func (e *Event) finish() Event {
	if e.index == nil && len(e.fields) > linearMax {
		e.reindex()
	}
	e.buf = nil
	return *e
}
