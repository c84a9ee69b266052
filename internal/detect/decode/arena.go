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
// how many bytes of unescaped text and built names will be appended. With
// a Memory whose last event was released, the event is decoded into that
// event's storage.
func newEvent(line []byte, format Format, extra int, m *Memory) *Event {
	var buf []byte
	if m != nil && m.free && cap(m.buf) >= len(line)+extra {
		buf = append(m.buf[:0], line...)
	} else {
		// Appending the extra capacity to a full-capacity view of line
		// makes the runtime copy line into fresh memory and clear only
		// the rest, where make with a capacity would clear all of it.
		buf = append(line[:len(line):len(line)], make([]byte, extra)...)[:len(line)]
	}
	var e *Event
	if m != nil {
		e = &m.ev
		*e = Event{format: format, buf: buf, mem: m}
	} else {
		e = &Event{format: format, buf: buf}
	}
	e.raw = bytesView(buf)
	return e
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
// With a Memory, the Memory remembers the event's storage, to reuse once
// the event is released.
func (e *Event) finish() Event {
	if e.index == nil && len(e.fields) > linearMax {
		e.reindex()
	}
	if m := e.mem; m != nil {
		// Storage of a released event that this one did not use is
		// kept for the next; an unreleased event's is forgotten.
		m.buf = e.buf[:0]
		if e.fields != nil || !m.free {
			m.fields = e.fields
		}
		if e.index != nil || !m.free {
			m.index = e.index
		}
		m.free = false
		e.mem = nil
	}
	e.buf = nil
	return *e
}

// Memory is storage that decoding reuses from one event to the next: the
// copy of the line with the unescaped text, the fields and their index.
// Decoding with a Memory (Decoder.DecodeWith) costs no allocation once
// the storage has grown to the events' size, where each Decode allocates
// it afresh for the garbage collector to reclaim.
//
// The storage of an event is reused only after Release: until then the
// next event gets fresh storage, so forgetting Release is slower, never
// wrong. A Memory is used by one goroutine at a time.
type Memory struct {
	buf    []byte
	fields []Field
	index  []uint32
	// free is set by Release: the storage above may be written again.
	free bool
	// ev is the event being decoded, kept here so that it is not
	// allocated for every event.
	ev Event
}

// Release declares that the last event decoded with m is no longer used:
// nothing holds its Raw text, its fields, or any string or list of its
// values (copies of them are fine). The next event decoded with m
// overwrites that storage, so whatever still viewed it would change
// under its holder's feet.
func (m *Memory) Release() { m.free = true }

// reuseFields returns the fields storage of m for n fields when it may be
// reused, else nil.
func (m *Memory) reuseFields(n int) []Field {
	if m == nil || !m.free || cap(m.fields) < n {
		return nil
	}
	f := m.fields[:0]
	m.fields = nil // taken: a second call in one decoding gets nothing
	return f
}

// reuseIndex returns a cleared index of the given size from m when it
// may be reused, else nil. An index grown while decoding may reuse the
// storage of the one it replaces: indexes are rebuilt from the fields.
func (m *Memory) reuseIndex(size int) []uint32 {
	if m == nil || !m.free || cap(m.index) < size {
		return nil
	}
	ix := m.index[:size]
	clear(ix)
	return ix
}

// Memories is a Memory per position of a batch of events, reused from
// batch to batch: the event at position i of a batch is decoded with
// At(i) and, once the batch is done with, Release releases every position
// handed out except those marked with Keep (events still in use). Its
// zero value is ready; it is used by one goroutine at a time.
type Memories struct {
	mems []Memory
	keep []bool
	used int // positions handed out since the last Release or Forget
}

// At returns the memory of position i of the batch.
func (b *Memories) At(i int) *Memory {
	for len(b.mems) <= i {
		b.mems = append(b.mems, Memory{})
		b.keep = append(b.keep, false)
	}
	b.used = max(b.used, i+1)
	return &b.mems[i]
}

// Keep marks the event at position i as still in use: the next Release
// leaves its storage to it.
func (b *Memories) Keep(i int) { b.keep[i] = true }

// Release releases the memory of every position handed out since the last
// Release, except those marked with Keep, and clears the marks.
func (b *Memories) Release() {
	for i := range b.used {
		if !b.keep[i] {
			b.mems[i].Release()
		}
	}
	b.Forget()
}

// Forget leaves the positions handed out to their events, released or
// not, and clears the marks: for a batch abandoned half-way.
func (b *Memories) Forget() {
	clear(b.keep[:b.used])
	b.used = 0
}

// withMemory is a Decoder that decodes with one Memory.
type withMemory struct {
	d Decoder
	m *Memory
}

func (w withMemory) Decode(line []byte) (Event, error)                { return w.d.DecodeWith(line, w.m) }
func (w withMemory) DecodeWith(line []byte, m *Memory) (Event, error) { return w.d.DecodeWith(line, m) }

// WithMemory returns d decoding every line with m (Decode is DecodeWith
// m), for code that takes a Decoder: the caller releases m after each
// event it is done with.
func WithMemory(d Decoder, m *Memory) Decoder { return withMemory{d, m} }
