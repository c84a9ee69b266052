package decode

import (
	"encoding/binary"
	"iter"
	"strconv"
	"strings"
)

// Kind is the type of a [Value].
type Kind uint8

// Value kinds. The zero Kind is KindNone: the zero Value, returned for a
// field that is absent.
const (
	KindNone   Kind = iota // no value (absent field)
	KindNull               // JSON null
	KindString             // text
	KindNumber             // number; the original text is kept
	KindBool               // true or false
	KindList               // list of values (a JSON array)
)

// String returns the kind's lower-case name.
func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindBool:
		return "bool"
	case KindList:
		return "list"
	}
	return "none"
}

// Value is one field value of an [Event]. Scalars keep their text exactly as
// it appeared in the input (numbers are not re-formatted, so "0x1F" style
// values that arrive as strings and "1.50" numbers keep their spelling);
// lists hold scalars, never nested lists (nested arrays are flattened the
// way Elasticsearch does it). Values are immutable and cheap to copy.
type Value struct {
	_    [0]func() // keeps Value not comparable (== would compare lists by pointer)
	kind Kind
	text string
	// list is a pointer so that a Value takes four words rather than six
	// (fields, lookups and matchers copy Values all the time; lists are
	// rare). The slice is never changed once the Value is handed out.
	list *[]Value
}

// String returns a string value.
func String(s string) Value { return Value{kind: KindString, text: s} }

// Number returns a number value with the given original text. The text is
// not validated; decoders only produce valid JSON numbers.
func Number(text string) Value { return Value{kind: KindNumber, text: text} }

// Int returns a number value for n.
func Int(n int64) Value { return Value{kind: KindNumber, text: strconv.FormatInt(n, 10)} }

// Bool returns a boolean value.
func Bool(b bool) Value {
	if b {
		return Value{kind: KindBool, text: "true"}
	}
	return Value{kind: KindBool, text: "false"}
}

// Null returns the null value.
func Null() Value { return Value{kind: KindNull} }

// List returns a list value holding vs (not copied). Nested lists in vs are
// kept as given; decoders never produce them.
func List(vs ...Value) Value { return Value{kind: KindList, list: &vs} }

// Kind returns the value's kind.
func (v Value) Kind() Kind { return v.kind }

// IsZero reports whether v is the zero Value (KindNone).
func (v Value) IsZero() bool { return v.kind == KindNone }

// Text returns a scalar's text: the string itself, a number's original
// spelling, "true" or "false"; "" for null, lists and the zero Value. It
// never allocates.
func (v Value) Text() string { return v.text }

// String returns the text of a scalar and a bracketed, comma-separated
// rendering of a list (which allocates); it is meant for display.
func (v Value) String() string {
	if v.kind != KindList {
		return v.text
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range v.List() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(x.String())
	}
	b.WriteByte(']')
	return b.String()
}

// List returns the elements of a list value, nil for other kinds. The
// caller must not modify the returned slice.
func (v Value) List() []Value {
	if v.kind != KindList || v.list == nil {
		return nil
	}
	return *v.list
}

// Float returns the value as a float64: numbers, and strings holding a
// decimal number. ok is false for anything else.
func (v Value) Float() (f float64, ok bool) {
	if v.kind != KindNumber && v.kind != KindString {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.text, 64)
	return f, err == nil
}

// Int returns the value as an int64: integer numbers, and strings holding a
// decimal integer. ok is false for anything else, including 1.5 and 1e3.
func (v Value) Int() (n int64, ok bool) {
	if v.kind != KindNumber && v.kind != KindString {
		return 0, false
	}
	n, err := strconv.ParseInt(v.text, 10, 64)
	return n, err == nil
}

// Bool returns a boolean value. ok is false for other kinds.
func (v Value) Bool() (b, ok bool) {
	if v.kind != KindBool {
		return false, false
	}
	return v.text == "true", true
}

// Scalars yields a scalar value itself and each element of a list, so a
// matcher treats single values and lists alike. Null and the zero Value
// yield nothing.
func (v Value) Scalars() iter.Seq[Value] {
	return func(yield func(Value) bool) {
		switch v.kind {
		case KindNone, KindNull:
		case KindList:
			for _, x := range v.List() {
				if x.kind == KindList || x.kind == KindNone || x.kind == KindNull {
					continue
				}
				if !yield(x) {
					return
				}
			}
		default:
			yield(v)
		}
	}
}

// Field is one named value of an [Event].
type Field struct {
	Name  string
	Value Value
}

// Event is one decoded event: named values in input order, the format that
// produced it and the raw input for evidence.
//
// Field names are unique: when the input repeats a name (duplicate JSON keys,
// or {"a.b":1,"a":{"b":2}}), the last value wins, as with encoding/json.
//
// Get and the other read methods are safe for concurrent use. Set and Delete
// are not, and copy the event's internal slices before changing them, so a
// copy of an Event taken earlier is never affected.
type Event struct {
	raw    string
	format Format
	fields []Field
	// index is an open-addressing hash table over fields (entries are
	// position+1, 0 is empty), present when there are more than
	// linearMax fields: Sigma rules call Get many times per event.
	index []uint32
	// buf is the decode-time arena (see arena.go); nil once decoding is
	// done so nothing can write into memory that strings point to.
	buf []byte
	// mem is the Memory decoding takes storage from, nil once done.
	mem *Memory
}

// linearMax is the field count up to which Get scans instead of hashing.
// A scan is as fast as a hash for a name present among a few fields, but
// the normalisers mostly look up names an event does not have (about 40
// per event), and each such look-up compares every field: beyond four
// fields the index wins (measured with bulwark bench's generated mix,
// whose Windows events have ten fields: 15-20% more events a second than
// with a threshold of twelve).
const linearMax = 4

// Raw returns the input the event was decoded from, for evidence samples.
// For syslog this is the whole message; for frames and lines it excludes
// the framing and the line ending.
func (e *Event) Raw() string { return e.raw }

// Format returns the layout the event was decoded from.
func (e *Event) Format() Format { return e.format }

// Len returns the number of fields.
func (e *Event) Len() int { return len(e.fields) }

// Fields returns the fields in input order, the common names added by
// normalisation after the source's own. The caller must not modify it.
func (e *Event) Fields() []Field { return e.fields }

// All yields every field name and value in the order of Fields.
func (e *Event) All() iter.Seq2[string, Value] {
	return func(yield func(string, Value) bool) {
		for _, f := range e.fields {
			if !yield(f.Name, f.Value) {
				return
			}
		}
	}
}

// Get returns the value of the named field; ok is false when it is absent.
// Names are case-sensitive and exact ("process.command_line").
func (e *Event) Get(name string) (v Value, ok bool) {
	i := e.find(name)
	if i < 0 {
		return Value{}, false
	}
	return e.fields[i].Value, true
}

// Text returns the text of the named field ("" when absent or not a
// scalar). It never allocates.
func (e *Event) Text(name string) string {
	i := e.find(name)
	if i < 0 {
		return ""
	}
	return e.fields[i].Value.text
}

// Has reports whether the named field is present.
func (e *Event) Has(name string) bool { return e.find(name) >= 0 }

// Set adds the named field or replaces its value. It copies the event's
// slices first (see Event), so it costs an allocation; it is meant for
// callers that enrich a decoded event (for example with the sending
// agency), not for the hot path.
func (e *Event) Set(name string, v Value) {
	fields := make([]Field, len(e.fields), len(e.fields)+1)
	copy(fields, e.fields)
	if i := e.find(name); i >= 0 {
		fields[i].Value = v
		e.fields = fields
		return
	}
	e.fields = append(fields, Field{Name: name, Value: v})
	e.index = nil
	e.reindex()
}

// Delete removes the named field and reports whether it was present. Like
// Set it copies first. Use it to drop a secret (a source token) before the
// event is stored or shown; Raw still holds the original input.
func (e *Event) Delete(name string) bool {
	i := e.find(name)
	if i < 0 {
		return false
	}
	fields := make([]Field, 0, len(e.fields)-1)
	fields = append(fields, e.fields[:i]...)
	fields = append(fields, e.fields[i+1:]...)
	e.fields = fields
	e.index = nil
	e.reindex()
	return true
}

// find returns the position of the named field or -1.
func (e *Event) find(name string) int {
	if e.index == nil {
		return e.findLinear(name)
	}
	return e.findHashed(name, hashName(name))
}

func (e *Event) findLinear(name string) int {
	for i := range e.fields {
		if e.fields[i].Name == name {
			return i
		}
	}
	return -1
}

// findHashed is find in the index, h being hashName(name).
func (e *Event) findHashed(name string, h uint32) int {
	mask := uint32(len(e.index) - 1)
	h0 := h
	for h &= mask; ; h = (h + 1) & mask {
		p := e.index[h]
		if p == 0 {
			return -1
		}
		if p>>posBits == h0>>posBits {
			if i := int(p&posMask) - 1; i < len(e.fields) && e.fields[i].Name == name {
				return i
			}
		}
	}
}

// fieldName is a field name with its hash, computed once for the names
// the normalisers look up in every event.
type fieldName struct {
	s string
	h uint32
}

func newFieldName(s string) fieldName { return fieldName{s: s, h: hashName(s)} }

func newFieldNames(ss ...string) []fieldName {
	ns := make([]fieldName, len(ss))
	for i, s := range ss {
		ns[i] = newFieldName(s)
	}
	return ns
}

// FieldKey is a field name prepared once for looking it up in many events
// (Event.GetKey): its hash is computed when the key is made, not at every
// look-up.
type FieldKey struct{ n fieldName }

// NewFieldKey prepares name for GetKey.
func NewFieldKey(name string) FieldKey { return FieldKey{newFieldName(name)} }

// Name returns the key's field name.
func (k FieldKey) Name() string { return k.n.s }

// GetKey is Get for a prepared name.
func (e *Event) GetKey(k FieldKey) (v Value, ok bool) { return e.getName(k.n) }

// findName is find for a name whose hash is known.
func (e *Event) findName(n fieldName) int {
	if e.index == nil {
		return e.findLinear(n.s)
	}
	return e.findHashed(n.s, n.h)
}

// hasName, getName and textName are Has, Get and Text for a fieldName.
func (e *Event) hasName(n fieldName) bool { return e.findName(n) >= 0 }

func (e *Event) getName(n fieldName) (v Value, ok bool) {
	i := e.findName(n)
	if i < 0 {
		return Value{}, false
	}
	return e.fields[i].Value, true
}

func (e *Event) textName(n fieldName) string {
	i := e.findName(n)
	if i < 0 {
		return ""
	}
	return e.fields[i].Value.text
}

// hashName hashes a field name eight bytes at a time (one multiply per
// word instead of one per byte as FNV-1a): names are short, no seed is
// needed (the table is per event and an attacker gains nothing from
// collisions beyond what the field limit already allows). Every byte
// counts, and the high half of the product, which depends on all of them,
// is what the table's mask reads.
func hashName(s string) uint32 {
	const k = 0xbf58476d1ce4e5b9
	h := uint64(len(s)) * 0x9e3779b97f4a7c15
	if len(s) < 8 {
		var w uint64
		for i := 0; i < len(s); i++ {
			w |= uint64(s[i]) << (8 * i)
		}
		h = (h ^ w) * k
		return uint32((h ^ h>>29) >> 32)
	}
	// Whole words, then the last eight bytes (overlapping the words read).
	for i := 0; i+8 <= len(s); i += 8 {
		h = (h ^ binary.LittleEndian.Uint64([]byte(s[i:i+8]))) * k
	}
	h = (h ^ binary.LittleEndian.Uint64([]byte(s[len(s)-8:]))) * k
	return uint32((h ^ h>>29) >> 32)
}

// reindex builds a fresh index when the event is large enough to need one,
// folding duplicate names (last value wins, first position kept).
func (e *Event) reindex() { e.reindexSpare(0) }

// reindexSpare is reindex with room for spare more fields before the index
// has to grow.
func (e *Event) reindexSpare(spare int) {
	if len(e.fields) <= linearMax {
		e.index = nil
		e.dedupeLinear()
		return
	}
	size := 32
	for size < 2*(len(e.fields)+spare) {
		size <<= 1
	}
	index := e.mem.reuseIndex(size)
	if index == nil {
		index = make([]uint32, size)
	}
	mask := uint32(size - 1)
	dupes := false
	for i := range e.fields {
		name := e.fields[i].Name
		h0 := hashName(name)
		for h := h0 & mask; ; h = (h + 1) & mask {
			p := index[h]
			if p == 0 {
				index[h] = indexEntry(h0, i)
				break
			}
			if j := int(p&posMask) - 1; p>>posBits == h0>>posBits && e.fields[j].Name == name {
				e.fields[j].Value = e.fields[i].Value
				e.fields[i].Name = "" // marks a folded duplicate
				dupes = true
				break
			}
		}
	}
	e.index = index
	if dupes {
		e.compact()
		e.reindexSpare(spare)
	}
}

func (e *Event) dedupeLinear() {
	dupes := false
	for i := 1; i < len(e.fields); i++ {
		for j := 0; j < i; j++ {
			if e.fields[j].Name == e.fields[i].Name && e.fields[i].Name != "" {
				e.fields[j].Value = e.fields[i].Value
				e.fields[i].Name = ""
				dupes = true
				break
			}
		}
	}
	if dupes {
		e.compact()
	}
}

// compact drops fields whose name was cleared by deduplication. Empty
// names never come from input: the JSON decoder names an empty key "_".
func (e *Event) compact() {
	out := e.fields[:0]
	for _, f := range e.fields {
		if f.Name != "" {
			out = append(out, f)
		}
	}
	clear(e.fields[len(out):])
	e.fields = out
}

// add appends a field during decoding, keeping the index current. Decoders
// call it only for names they know are new (or after finding them absent).
func (e *Event) add(name string, v Value) {
	if e.appendField(name, v) {
		e.indexLast(hashName(name))
	}
}

// addName is add for a name whose hash is known.
func (e *Event) addName(n fieldName, v Value) {
	if e.appendField(n.s, v) {
		e.indexLast(n.h)
	}
}

// appendField appends a field, rebuilding the index when it has to grow
// (or to appear); it reports whether the new field still needs an index
// entry (see indexLast).
func (e *Event) appendField(name string, v Value) bool {
	e.fields = append(e.fields, Field{Name: name, Value: v})
	if e.index == nil {
		if len(e.fields) > linearMax {
			e.reindex()
		}
		return false
	}
	if 2*len(e.fields) > len(e.index) {
		e.reindex()
		return false
	}
	return true
}

// indexLast enters the last field, whose name hashes to h, in the index.
func (e *Event) indexLast(h uint32) {
	mask := uint32(len(e.index) - 1)
	entry := indexEntry(h, len(e.fields)-1)
	for h &= mask; ; h = (h + 1) & mask {
		if e.index[h] == 0 {
			e.index[h] = entry
			return
		}
	}
}

// An index entry holds a field's position plus one in its low posBits
// bits and the top bits of its name's hash above them: a probe that
// meets another name's entry is told apart by the hash bits, without
// reading the field (another cache line) or comparing the names.
const (
	posBits = 20
	posMask = 1<<posBits - 1
	// maxFields is the most fields an event can index; Options bounds
	// the values of an event below it.
	maxFields = posMask - 1
)

func indexEntry(h uint32, pos int) uint32 {
	return h&^posMask | uint32(pos+1)
}

// emptyValue reports whether v is absent, an empty string or an empty
// list: what setIfAbsent does not set.
func emptyValue(v Value) bool {
	return v.kind == KindNone || (v.kind == KindString && v.text == "") || (v.kind == KindList && len(v.List()) == 0)
}

// setIfAbsent adds a field during decoding unless the name is already
// present or v is empty; normalisers use it so the source's own value (or
// an ECS field the sensor already sent) always wins.
func (e *Event) setIfAbsent(name string, v Value) {
	if emptyValue(v) {
		return
	}
	if e.index == nil {
		if e.findLinear(name) < 0 {
			e.add(name, v)
		}
		return
	}
	h := hashName(name) // hashed once for the lookup and the index entry
	if e.findHashed(name, h) < 0 {
		e.addName(fieldName{s: name, h: h}, v)
	}
}

// setIfAbsentName is setIfAbsent for a name whose hash is known.
func (e *Event) setIfAbsentName(n fieldName, v Value) {
	if emptyValue(v) || e.findName(n) >= 0 {
		return
	}
	e.addName(n, v)
}

// keepAbsent adds a field during decoding unless the name is present;
// unlike setIfAbsent it keeps empty values (an empty EventData field is
// information a rule may test).
func (e *Event) keepAbsent(name string, v Value) {
	if e.index == nil {
		if e.findLinear(name) < 0 {
			e.add(name, v)
		}
		return
	}
	h := hashName(name)
	if e.findHashed(name, h) < 0 {
		e.addName(fieldName{s: name, h: h}, v)
	}
}

// alias copies the value of field from to field to, if from is present and
// to is not.
func (e *Event) alias(to, from string) {
	if v, ok := e.Get(from); ok {
		e.setIfAbsent(to, v)
	}
}

// aliasName is alias for names whose hashes are known.
func (e *Event) aliasName(to, from fieldName) {
	if v, ok := e.getName(from); ok {
		e.setIfAbsentName(to, v)
	}
}

// aliasPair is an alias call with both names hashed beforehand.
type aliasPair struct{ to, from fieldName }

// newAliasPairs pairs its arguments: to, from, to, from...
func newAliasPairs(names ...string) []aliasPair {
	ps := make([]aliasPair, len(names)/2)
	for i := range ps {
		ps[i] = aliasPair{to: newFieldName(names[2*i]), from: newFieldName(names[2*i+1])}
	}
	return ps
}

// aliasAll applies the pairs in order, as alias does.
func (e *Event) aliasAll(ps []aliasPair) {
	for i := range ps {
		e.aliasName(ps[i].to, ps[i].from)
	}
}

// aliasFirst sets to from the first of froms that is present and not empty
// or "-" (Windows writes "-" for "none").
func (e *Event) aliasFirst(to string, froms ...string) {
	if e.Has(to) {
		return
	}
	for _, from := range froms {
		v, ok := e.Get(from)
		if !ok || v.kind == KindNull || (v.kind != KindList && (v.text == "" || v.text == "-")) {
			continue
		}
		e.add(to, v)
		return
	}
}

// aliasRule is an aliasFirst call with its names hashed beforehand.
type aliasRule struct {
	to    fieldName
	froms []fieldName
}

func newAliasRule(to string, froms ...string) aliasRule {
	return aliasRule{to: newFieldName(to), froms: newFieldNames(froms...)}
}

// apply is e.aliasFirst(a.to, a.froms...).
func (e *Event) apply(a *aliasRule) {
	if e.hasName(a.to) {
		return
	}
	for _, from := range a.froms {
		v, ok := e.getName(from)
		if !ok || v.kind == KindNull || (v.kind != KindList && (v.text == "" || v.text == "-")) {
			continue
		}
		e.addName(a.to, v)
		return
	}
}
