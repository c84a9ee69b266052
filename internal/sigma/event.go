package sigma

import (
	"encoding/json"
	"math"
	"strconv"
)

// Kind is the type of an event [Value].
type Kind uint8

// The kinds of event values. The zero Value is Null.
const (
	KindNull Kind = iota
	KindString
	KindNumber
	KindBool
	KindList
)

// Value is one event field value. It is a plain struct rather than an
// interface so that a pipeline can hand over strings without boxing them.
type Value struct {
	Kind Kind
	Str  string  // KindString
	Num  float64 // KindNumber
	Bool bool    // KindBool
	List []Value // KindList: a multi-valued field; any element may match
}

// String returns a string Value.
func String(s string) Value { return Value{Kind: KindString, Str: s} }

// Number returns a number Value.
func Number(f float64) Value { return Value{Kind: KindNumber, Num: f} }

// Bool returns a boolean Value.
func Bool(b bool) Value { return Value{Kind: KindBool, Bool: b} }

// List returns a multi-valued Value.
func List(vs ...Value) Value { return Value{Kind: KindList, List: vs} }

// Event is one flat event: nested objects are already flattened to dotted
// names by the caller. Implementations must be safe to read while a match
// runs and must not retain the callback.
type Event interface {
	// Field returns the value of the named field and whether it exists.
	Field(name string) (Value, bool)
	// Values calls yield with every field value until yield returns false;
	// keyword searches (selections without field names) use it.
	Values(yield func(Value) bool)
}

// TextEvent is an [Event] that can also write the texts of all its values
// itself, which spares the keyword prefilter a [Value] per field. The
// result must hold what [AppendText] writes, followed by a NUL byte, for
// each scalar that Values yields and each element of the lists it yields,
// nulls left out, in any order; a text written once need not be repeated.
type TextEvent interface {
	Event
	AppendTexts(dst []byte) []byte
}

// FieldIDEvent is an [Event] that can also look fields up by their index
// in the RuleSet's FieldNames, so that an implementation can prepare
// each name once (a hash, say) instead of at every look-up. FieldID(id,
// name) must return what Field(name) returns; name is
// RuleSet.FieldNames()[id].
type FieldIDEvent interface {
	Event
	FieldID(id int32, name string) (Value, bool)
}

// AppendText appends the text of a scalar value as the keyword prefilter
// and string modifiers read it: strings as they are, integral numbers
// without a fraction, other numbers in the shortest form, true or false.
// Null and lists append nothing.
func AppendText(dst []byte, v Value) []byte { return appendText(dst, v) }

// MapEvent adapts a decoded JSON object (encoding/json into map[string]any)
// to [Event]. Each lookup converts one value with [ValueOf]; a pipeline
// that keeps its own event type should implement Event directly instead.
type MapEvent map[string]any

// Field implements [Event].
func (m MapEvent) Field(name string) (Value, bool) {
	v, ok := m[name]
	if !ok {
		return Value{}, false
	}
	return ValueOf(v), true
}

// Values implements [Event].
func (m MapEvent) Values(yield func(Value) bool) {
	for _, v := range m {
		if !yield(ValueOf(v)) {
			return
		}
	}
}

// ValueOf converts a Go value as decoded from JSON or YAML into a Value:
// strings, numbers (float64, ints, json.Number), bools, nil and []any.
// Other types (such as nested objects, which the caller should have
// flattened) become Null, so an odd value never panics a match.
func ValueOf(v any) Value {
	switch x := v.(type) {
	case string:
		return Value{Kind: KindString, Str: x}
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return Value{Kind: KindNumber, Num: f}
		}
		return Value{Kind: KindString, Str: string(x)}
	case float64:
		return Value{Kind: KindNumber, Num: x}
	case int:
		return Value{Kind: KindNumber, Num: float64(x)}
	case int64:
		return Value{Kind: KindNumber, Num: float64(x)}
	case uint64:
		return Value{Kind: KindNumber, Num: float64(x)}
	case bool:
		return Value{Kind: KindBool, Bool: x}
	case []any:
		l := make([]Value, len(x))
		for i, e := range x {
			l[i] = ValueOf(e)
		}
		return Value{Kind: KindList, List: l}
	case []string:
		l := make([]Value, len(x))
		for i, e := range x {
			l[i] = String(e)
		}
		return Value{Kind: KindList, List: l}
	case Value:
		return x
	}
	return Value{}
}

// appendText appends the textual form of a scalar value, the form that
// Sigma's string comparisons see: 4688 for a number, true for a bool.
func appendText(dst []byte, v Value) []byte {
	switch v.Kind {
	case KindString:
		return append(dst, v.Str...)
	case KindNumber:
		if v.Num == math.Trunc(v.Num) && math.Abs(v.Num) < 1e18 {
			return strconv.AppendInt(dst, int64(v.Num), 10)
		}
		return strconv.AppendFloat(dst, v.Num, 'f', -1, 64)
	case KindBool:
		return strconv.AppendBool(dst, v.Bool)
	}
	return dst
}
