package decode

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode/utf8"
)

// jsonParser flattens one JSON object into an event's fields. It is a
// hand-written scanner rather than encoding/json because it builds the flat
// event directly, with string values sliced from the event's arena instead
// of a map[string]any of fresh strings (see the benchmarks for the
// difference).
//
// Leniency, on purpose: raw control characters inside strings are accepted
// (some Windows converters emit tabs unescaped) and duplicate keys keep the
// last value. Everything else in RFC 8259 is enforced.
type jsonParser struct {
	e      *Event
	s      string // the text being parsed, a view of the arena or an immutable string
	pos    int
	depth  int
	values int
	o      *Options
	// multiStart is where the fields of the innermost array of objects
	// begin: leaves found inside it are gathered into lists there.
	multiStart int
	// pairNamed turns [{"@Name":"Image","#text":"x"}] under "a.Data" into
	// the field "a.Image" (the python-evtx/xmltodict EventData layout).
	pairNamed bool
	// valid is set when the whole text is valid UTF-8: then every string
	// in it is (a quote never splits a UTF-8 sequence, and escapes only
	// produce valid runes), and strings need no check of their own.
	valid bool
}

// parseJSONObject parses s, which must hold exactly one JSON object, into
// e's fields, prefixing names with prefix (and a dot) when it is not empty.
// s must be immutable (a view of e's arena, or a Go string) since values
// are slices of it.
func parseJSONObject(e *Event, s string, o *Options, prefix string, pairNamed bool) error {
	p := jsonParser{e: e, s: s, o: o, pairNamed: pairNamed, multiStart: len(e.fields), valid: utf8.ValidString(s)}
	p.values = len(e.fields)
	e.index = nil // fields are appended raw below; reindex folds duplicates after
	p.skipWS()
	if p.pos >= len(p.s) {
		return errAt(ReasonEmpty, p.pos, "no JSON object")
	}
	if p.s[p.pos] != '{' {
		return errAt(ReasonNotObject, p.pos, "top level is not an object")
	}
	err := p.object(prefix, false)
	if err == nil {
		p.skipWS()
		if p.pos < len(p.s) {
			err = p.syntax("data after the top-level object")
		}
	}
	// The normalisers add common fields (up to about thirty for a Sysmon
	// event): room for them spares a rebuild of the index halfway.
	e.reindexSpare(normaliseSpare)
	return err
}

// normaliseSpare is how many fields the index built after parsing has
// room for before it must grow.
const normaliseSpare = 32

func (p *jsonParser) syntax(msg string) *Error { return errAt(ReasonJSONSyntax, p.pos, msg) }

func (p *jsonParser) skipWS() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// expect consumes c after optional white space.
func (p *jsonParser) expect(c byte, msg string) error {
	p.skipWS()
	if p.pos >= len(p.s) || p.s[p.pos] != c {
		return p.syntax(msg)
	}
	p.pos++
	return nil
}

func (p *jsonParser) enter() error {
	p.depth++
	if p.depth > p.o.MaxDepth {
		return errAt(ReasonDepth, p.pos, "nesting too deep")
	}
	return nil
}

func (p *jsonParser) count(n int) error {
	p.values += n
	if p.values > p.o.MaxValues {
		return errAt(ReasonTooManyValues, p.pos, "too many fields and list elements")
	}
	return nil
}

func (p *jsonParser) join(prefix, key string) string {
	if prefix == "" {
		if key == "" {
			return "_" // an empty name is reserved (see Event.compact)
		}
		return key
	}
	return p.e.concat(prefix, ".", key)
}

// object parses {...} at p.pos; its leaves are named prefix.key. In multi
// mode they are gathered into list fields (an object inside an array).
func (p *jsonParser) object(prefix string, multi bool) error {
	p.pos++ // '{'
	if err := p.enter(); err != nil {
		return err
	}
	p.skipWS()
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		p.pos++
		p.depth--
		return nil
	}
	for {
		p.skipWS()
		if p.pos >= len(p.s) || p.s[p.pos] != '"' {
			return p.syntax("expected a string key")
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		if err := p.expect(':', "expected ':' after a key"); err != nil {
			return err
		}
		p.skipWS()
		if err := p.value(p.join(prefix, key), multi); err != nil {
			return err
		}
		p.skipWS()
		if p.pos >= len(p.s) {
			return p.syntax("unterminated object")
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			return nil
		default:
			return p.syntax("expected ',' or '}'")
		}
	}
}

func (p *jsonParser) value(name string, multi bool) error {
	if p.pos >= len(p.s) {
		return p.syntax("expected a value")
	}
	switch p.s[p.pos] {
	case '{':
		return p.object(name, multi)
	case '[':
		return p.array(name, multi)
	}
	v, err := p.scalar()
	if err != nil {
		return err
	}
	if err := p.count(1); err != nil {
		return err
	}
	p.emit(name, v, multi)
	return nil
}

func (p *jsonParser) emit(name string, v Value, multi bool) {
	if !multi {
		p.e.fields = append(p.e.fields, Field{Name: name, Value: v})
		return
	}
	fs := p.e.fields
	for i := len(fs) - 1; i >= p.multiStart; i-- {
		if fs[i].Name == name {
			f := &fs[i]
			if f.Value.kind != KindList {
				f.Value = List(f.Value)
			}
			// The list is still being built: f holds its only reference.
			if v.kind == KindList {
				*f.Value.list = append(*f.Value.list, v.List()...)
			} else {
				*f.Value.list = append(*f.Value.list, v)
			}
			return
		}
	}
	if v.kind != KindList {
		v = List(v)
	}
	p.e.fields = append(p.e.fields, Field{Name: name, Value: v})
}

// array parses [...] at p.pos. Scalars, including those of nested arrays,
// become one list field; objects inside add list fields name.key.
func (p *jsonParser) array(name string, multi bool) error {
	saved := p.multiStart
	if !multi {
		p.multiStart = len(p.e.fields)
	}
	var list []Value
	objects, err := p.elements(name, &list)
	p.multiStart = saved
	if err != nil {
		return err
	}
	if len(list) > 0 || !objects {
		p.emit(name, List(list...), multi)
	}
	return nil
}

// elements parses the array at p.pos, appending scalars to list; it
// reports whether the array held objects.
func (p *jsonParser) elements(name string, list *[]Value) (objects bool, err error) {
	p.pos++ // '['
	if err := p.enter(); err != nil {
		return false, err
	}
	p.skipWS()
	if p.pos < len(p.s) && p.s[p.pos] == ']' {
		p.pos++
		p.depth--
		return false, nil
	}
	for {
		p.skipWS()
		if p.pos >= len(p.s) {
			return objects, p.syntax("unterminated array")
		}
		switch p.s[p.pos] {
		case '{':
			objects = true
			if p.pairNamed {
				err = p.pairObject(name)
			} else {
				err = p.object(name, true)
			}
		case '[':
			var inner bool
			inner, err = p.elements(name, list)
			objects = objects || inner
		default:
			var v Value
			v, err = p.scalar()
			if err == nil {
				err = p.count(1)
			}
			*list = append(*list, v)
		}
		if err != nil {
			return objects, err
		}
		p.skipWS()
		if p.pos >= len(p.s) {
			return objects, p.syntax("unterminated array")
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			return objects, nil
		default:
			return objects, p.syntax("expected ',' or ']'")
		}
	}
}

// pairObject parses an object inside an array in pairNamed mode. An object
// of the shape {"@Name": n, "#text": t} becomes the field parent.n = t,
// where parent is name without its last segment; any other object is
// gathered into list fields as usual.
func (p *jsonParser) pairObject(name string) error {
	start := len(p.e.fields)
	savedMS := p.multiStart
	p.multiStart = start
	err := p.object(name, false)
	p.multiStart = savedMS
	if err != nil {
		return err
	}
	region := p.e.fields[start:]
	var nameVal, text Value
	ok := len(region) > 0 && len(region) <= 2
	for _, f := range region {
		if len(f.Name) < len(name) {
			ok = false
			continue
		}
		switch f.Name[len(name):] {
		case ".@Name":
			nameVal = f.Value
		case ".#text":
			text = f.Value
		default:
			ok = false
		}
	}
	if ok && nameVal.kind == KindString && nameVal.text != "" {
		if text.kind == KindNone {
			text = String("")
		}
		parent := ""
		if i := strings.LastIndexByte(name, '.'); i > 0 {
			parent = name[:i]
		}
		p.e.fields = append(p.e.fields[:start], Field{Name: p.join(parent, nameVal.text), Value: text})
		return nil
	}
	moved := make([]Field, len(region))
	copy(moved, region)
	p.e.fields = p.e.fields[:start]
	for _, f := range moved {
		p.emit(f.Name, f.Value, true)
	}
	return nil
}

func (p *jsonParser) scalar() (Value, error) {
	s := p.s
	switch c := s[p.pos]; {
	case c == '"':
		str, err := p.str()
		return Value{kind: KindString, text: str}, err
	case c == 't':
		if strings.HasPrefix(s[p.pos:], "true") {
			p.pos += 4
			return Value{kind: KindBool, text: "true"}, nil
		}
	case c == 'f':
		if strings.HasPrefix(s[p.pos:], "false") {
			p.pos += 5
			return Value{kind: KindBool, text: "false"}, nil
		}
	case c == 'n':
		if strings.HasPrefix(s[p.pos:], "null") {
			p.pos += 4
			return Value{kind: KindNull}, nil
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return Value{}, p.syntax("invalid value")
}

// number scans a number per RFC 8259 and keeps its text.
func (p *jsonParser) number() (Value, error) {
	s, start := p.s, p.pos
	i := p.pos
	if s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		p.pos = i
		return Value{}, p.syntax("invalid number")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			p.pos = i
			return Value{}, p.syntax("invalid number")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			p.pos = i
			return Value{}, p.syntax("invalid number")
		}
	}
	p.pos = i
	return Value{kind: KindNumber, text: s[start:i]}, nil
}

// str scans the string starting at p.pos (a quote). Without escapes the
// result is a slice of the input; with them it is unescaped into the arena.
func (p *jsonParser) str() (string, error) {
	s, start := p.s, p.pos+1
	// Most keys and values are short: one pass over their first bytes
	// finds the end or the first escape, where two IndexByte calls would
	// cost more to set up than to scan.
	end := min(len(s), start+32)
	if j := nextQuoteOrBackslash(s, start, end); j < end {
		if s[j] == '"' {
			p.pos = j + 1
			return p.checkUTF8(s[start:j], start)
		}
		q := strings.IndexByte(s[j+1:], '"')
		if q < 0 {
			p.pos = len(s)
			return "", p.syntax("unterminated string")
		}
		return p.strSlow(start, j, j+1+q)
	}
	// A longer string: IndexByte for the rest.
	q := strings.IndexByte(s[end:], '"')
	if q < 0 {
		p.pos = len(s)
		return "", p.syntax("unterminated string")
	}
	q += end
	if bs := strings.IndexByte(s[end:q], '\\'); bs >= 0 {
		return p.strSlow(start, end+bs, q)
	}
	p.pos = q + 1
	return p.checkUTF8(s[start:q], start)
}

func (p *jsonParser) checkUTF8(s string, off int) (string, error) {
	if p.valid || utf8.ValidString(s) {
		return s, nil
	}
	if p.o.UTF8 == UTF8Reject {
		return "", errAt(ReasonInvalidUTF8, off, "invalid UTF-8 in a string")
	}
	return replaceInvalidUTF8(p.e, s), nil
}

// replaceInvalidUTF8 copies s into the arena with each invalid byte
// replaced by U+FFFD.
func replaceInvalidUTF8(e *Event, s string) string {
	m := e.mark()
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			e.buf = append(e.buf, "\uFFFD"...)
		} else {
			e.buf = append(e.buf, s[i:i+n]...)
		}
		i += n
	}
	return e.since(m)
}

// strSlow unescapes a string whose first backslash is at bs; q is the
// first quote after start (bs < q). Between escapes it copies whole runs,
// found with IndexByte: the next quote is looked for again only once an
// escape (\") has consumed the one known.
func (p *jsonParser) strSlow(start, bs, q int) (string, error) {
	s := p.s
	buf := p.e.buf // kept in a local while unescaping, stored back on return
	m := len(buf)
	buf = append(buf, s[start:bs]...)
	i := bs
	for {
		// s[i] is a backslash.
		if i+1 >= len(s) {
			break
		}
		esc := s[i+1]
		i += 2
		switch esc {
		case '"', '\\', '/':
			buf = append(buf, esc)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(s, i)
			if !ok {
				p.e.buf = buf
				p.pos = i
				return "", p.syntax("invalid \\u escape")
			}
			i += 4
			if utf16IsSurrogate(r) {
				r2, ok2 := rune(-1), false
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2, ok2 = hex4(s, i+2)
				}
				if ok2 && r >= 0xD800 && r < 0xDC00 && r2 >= 0xDC00 && r2 < 0xE000 {
					r = (r-0xD800)<<10 + (r2 - 0xDC00) + 0x10000
					i += 6
				} else {
					r = utf8.RuneError // lone surrogate, as encoding/json does
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			p.e.buf = buf
			p.pos = i - 1
			return "", p.syntax("invalid escape")
		}
		if q < i { // the known quote was part of an escape: find the next
			q = len(s) // none: escapes are still checked up to the end
			if k := strings.IndexByte(s[i:], '"'); k >= 0 {
				q = i + k
			}
		}
		// The next backslash before q: escapes often follow each other
		// (\r\n\t) or are a few bytes apart, so nextBackslash looks first
		// and IndexByte, costly to set up, only takes over long runs.
		end := min(q, i+32)
		j := nextBackslash(s, i, end)
		if j == end && j < q {
			if k := strings.IndexByte(s[j:q], '\\'); k >= 0 {
				j += k
			} else {
				j = q
			}
		}
		if j == q {
			if q == len(s) {
				break
			}
			// The rest of the string holds no escape.
			buf = append(buf, s[i:q]...)
			p.e.buf = buf
			p.pos = q + 1
			out := bytesView(buf[m:])
			if !p.valid && !utf8.ValidString(out) {
				if p.o.UTF8 == UTF8Reject {
					return "", errAt(ReasonInvalidUTF8, start, "invalid UTF-8 in a string")
				}
				return replaceInvalidUTF8(p.e, out), nil
			}
			return out, nil
		}
		buf = append(buf, s[i:j]...)
		i = j
	}
	p.e.buf = buf
	p.pos = len(s)
	return "", p.syntax("unterminated string")
}

// nextBackslash returns the position of the first backslash in s[i:end],
// or end; it tests eight bytes at a time (a byte of v is zero where s has
// a backslash; the lowest flagged byte is always a true one).
func nextBackslash(s string, i, end int) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= end; i += 8 {
		v := binary.LittleEndian.Uint64([]byte(s[i:i+8])) ^ (lo * '\\')
		if m := (v - lo) &^ v & hi; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < end; i++ {
		if s[i] == '\\' {
			return i
		}
	}
	return end
}

// nextQuoteOrBackslash returns the position of the first quote or
// backslash in s[i:end], or end, eight bytes at a time like nextBackslash.
func nextQuoteOrBackslash(s string, i, end int) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= end; i += 8 {
		w := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		a, b := w^(lo*'"'), w^(lo*'\\')
		if m := ((a-lo)&^a | (b-lo)&^b) & hi; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < end; i++ {
		if c := s[i]; c == '"' || c == '\\' {
			return i
		}
	}
	return end
}

func utf16IsSurrogate(r rune) bool { return r >= 0xD800 && r < 0xE000 }

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}
