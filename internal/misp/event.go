package misp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxValueBytes bounds one attribute, one MISP object or one other
// event member when ReadOptions.MaxValueBytes is zero. A malware-sample
// attribute carries its file base64-encoded, hence the room.
const DefaultMaxValueBytes = 32 << 20

// ErrTooLarge is returned when one value exceeds the size limit. It is
// fatal: the stream cannot be resynchronised.
var ErrTooLarge = errors.New("value too large")

// DistributionUnset marks an absent distribution level.
const DistributionUnset = -1

// Org is a MISP organisation as embedded in events (Orgc, the creator).
type Org struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

// Tag is a MISP tag; only the name matters to Bulwark.
type Tag struct {
	Name string `json:"name"`
}

// Event is the metadata of a MISP event. Attributes are not kept here: they
// are handed to the callback of ReadEvent one at a time.
type Event struct {
	UUID             string
	Info             string
	Date             string // YYYY-MM-DD as written
	ThreatLevelID    int    // 1 high, 2 medium, 3 low, 4 undefined; 0 absent
	Analysis         int    // 0 initial, 1 ongoing, 2 complete
	Distribution     int    // 0-4, or DistributionUnset
	Published        bool
	Timestamp        int64 // Unix seconds of the last change
	PublishTimestamp int64
	Orgc             Org
	Tags             []Tag
	Attributes       int       // attributes handed to the callback
	Problems         []Problem // attributes that could not be decoded
}

// Attribute is one MISP attribute, from the event's Attribute list or from
// a MISP object (then ObjectName and ObjectUUID are set).
type Attribute struct {
	Index        int // order of appearance in the event, from 0
	UUID         string
	Type         string // the MISP type, e.g. "ip-dst|port"
	Category     string
	Value        string
	Comment      string
	ToIDs        bool
	Distribution int // 0-5 (5 inherits the event's), or DistributionUnset
	Timestamp    int64
	Deleted      bool
	Tags         []Tag
	ObjectName   string
	ObjectUUID   string
}

// Problem is an attribute that was valid JSON but could not be decoded; it
// was skipped and reading went on.
type Problem struct {
	Index int
	UUID  string
	Err   error
}

// String renders the Problem in the form it is written in.
func (p Problem) String() string {
	return fmt.Sprintf("attribute %d (%s): %v", p.Index, p.UUID, p.Err)
}

// ReadOptions configures ReadEvent.
type ReadOptions struct {
	// MaxValueBytes bounds one attribute, object or other member. Zero
	// means DefaultMaxValueBytes.
	MaxValueBytes int64
}

type tagList []Tag

// wrappedTag is the {"Tag": {...}} element of EventTag and AttributeTag
// lists, which some MISP versions write instead of a plain Tag list.
type wrappedTag struct {
	Tag Tag `json:"Tag"`
}

type attributeJSON struct {
	UUID         string       `json:"uuid"`
	Type         string       `json:"type"`
	Category     string       `json:"category"`
	Value        string       `json:"value"`
	Comment      string       `json:"comment"`
	ToIDs        flexBool     `json:"to_ids"`
	Distribution flexInt      `json:"distribution"`
	Timestamp    flexInt      `json:"timestamp"`
	Deleted      flexBool     `json:"deleted"`
	Tag          tagList      `json:"Tag"`
	AttributeTag []wrappedTag `json:"AttributeTag"`
}

type objectJSON struct {
	Name      string            `json:"name"`
	UUID      string            `json:"uuid"`
	Deleted   flexBool          `json:"deleted"`
	Attribute []json.RawMessage `json:"Attribute"`
}

func (a attributeJSON) attribute(idx int) Attribute {
	dist := DistributionUnset
	if a.Distribution.Set {
		dist = int(a.Distribution.V)
	}
	tags := append([]Tag(nil), a.Tag...)
	for _, w := range a.AttributeTag {
		tags = append(tags, w.Tag)
	}
	return Attribute{
		Index: idx, UUID: a.UUID, Type: a.Type, Category: a.Category, Value: a.Value,
		Comment: a.Comment, ToIDs: bool(a.ToIDs), Distribution: dist,
		Timestamp: a.Timestamp.V, Deleted: bool(a.Deleted), Tags: tags,
	}
}

// eventReader holds the decoding state of one ReadEvent call.
type eventReader struct {
	src *boundedReader
	dec *json.Decoder
	max int64
	ev  *Event
	fn  func(Attribute) error
	idx int
}

// ReadEvent reads one MISP event in JSON ({"Event": {...}}, or the bare
// event object) and calls fn for each attribute as soon as it is decoded,
// objects' attributes included, so that an event with a million attributes
// never sits in memory. The event's own fields are returned at the end:
// MISP often writes the event's Tag list after the attributes, so TLP can
// only be resolved once ReadEvent has returned (see Event.AttributeTLP).
//
// An attribute that is valid JSON but cannot be decoded is recorded in
// Event.Problems and skipped; an attribute without type or value too.
// Malformed JSON, truncated input and values over the size limit are
// errors. An error from fn stops reading and is returned wrapped.
func ReadEvent(r io.Reader, opts ReadOptions, fn func(Attribute) error) (*Event, error) {
	max := opts.MaxValueBytes
	if max <= 0 {
		max = DefaultMaxValueBytes
	}
	src := &boundedReader{r: r, limit: -1}
	er := &eventReader{src: src, dec: json.NewDecoder(src), max: max,
		ev: &Event{Distribution: DistributionUnset}, fn: fn}
	if err := er.document(); err != nil {
		return nil, err
	}
	return er.ev, nil
}

func (er *eventReader) wrap(where string, err error) error {
	var cb *callbackError
	switch {
	case errors.As(err, &cb):
		return fmt.Errorf("misp event: attribute %d: %w", cb.idx, cb.err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("misp event: %s: input truncated: %w", where, io.ErrUnexpectedEOF)
	case errors.Is(err, errLimit):
		return fmt.Errorf("misp event: %s: %w (limit %d bytes)", where, ErrTooLarge, er.max)
	}
	return fmt.Errorf("misp event: %s: %w", where, err)
}

type callbackError struct {
	idx int
	err error
}

// Error describes the problem.
func (e *callbackError) Error() string { return e.err.Error() }

func (er *eventReader) decode(v any) error {
	er.src.limit = er.dec.InputOffset() + er.max
	defer func() { er.src.limit = -1 }()
	return er.dec.Decode(v)
}

func (er *eventReader) delim(want json.Delim, where string) error {
	tok, err := er.dec.Token()
	if err != nil {
		return er.wrap(where, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("misp event: %s: expected %q", where, string(want))
	}
	return nil
}

func (er *eventReader) document() error {
	tok, err := er.dec.Token()
	if errors.Is(err, io.EOF) {
		return errors.New("misp event: empty input")
	}
	if err != nil {
		return er.wrap("start", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("misp event: document does not start with '{'")
	}
	wrapped := false
	for er.dec.More() {
		tok, err := er.dec.Token()
		if err != nil {
			return er.wrap("event", err)
		}
		key, _ := tok.(string)
		if key == "Event" && !wrapped {
			wrapped = true
			if err := er.delim('{', "Event"); err != nil {
				return err
			}
			if err := er.members(); err != nil {
				return err
			}
			continue
		}
		if wrapped {
			if err := skipValue(er.dec); err != nil {
				return er.wrap("member "+key, err)
			}
			continue
		}
		if err := er.member(key); err != nil {
			return err
		}
	}
	if err := er.delim('}', "end of document"); err != nil {
		return err
	}
	if _, err := er.dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("misp event: data after the end of the event")
	}
	if er.ev.UUID == "" && er.ev.Info == "" && er.ev.Attributes == 0 && len(er.ev.Problems) == 0 {
		return errors.New("misp event: no event found")
	}
	return nil
}

// members reads the members of the event object up to its closing brace.
func (er *eventReader) members() error {
	for er.dec.More() {
		tok, err := er.dec.Token()
		if err != nil {
			return er.wrap("event", err)
		}
		key, _ := tok.(string)
		if err := er.member(key); err != nil {
			return err
		}
	}
	return er.delim('}', "end of Event")
}

func (er *eventReader) member(key string) error {
	ev := er.ev
	var err error
	switch key {
	case "Attribute":
		return er.attributes()
	case "Object":
		return er.objects()
	case "uuid":
		err = er.decode(&ev.UUID)
	case "info":
		err = er.decode(&ev.Info)
	case "date":
		err = er.decode(&ev.Date)
	case "threat_level_id", "analysis", "distribution", "timestamp", "publish_timestamp":
		var n flexInt
		if err = er.decode(&n); err == nil {
			switch key {
			case "threat_level_id":
				ev.ThreatLevelID = int(n.V)
			case "analysis":
				ev.Analysis = int(n.V)
			case "distribution":
				if n.Set {
					ev.Distribution = int(n.V)
				}
			case "timestamp":
				ev.Timestamp = n.V
			default:
				ev.PublishTimestamp = n.V
			}
		}
	case "published":
		var b flexBool
		err = er.decode(&b)
		ev.Published = bool(b)
	case "Orgc":
		err = er.decode(&ev.Orgc)
	case "Tag":
		var tags tagList
		err = er.decode(&tags)
		ev.Tags = append(ev.Tags, tags...)
	case "EventTag":
		var tags []wrappedTag
		err = er.decode(&tags)
		for _, t := range tags {
			ev.Tags = append(ev.Tags, t.Tag)
		}
	default:
		err = skipValue(er.dec)
	}
	if err != nil {
		return er.wrap("event member "+key, err)
	}
	return nil
}

// attributes streams the event's Attribute array.
func (er *eventReader) attributes() error {
	tok, err := er.dec.Token()
	if err != nil {
		return er.wrap("Attribute", err)
	}
	if tok == nil { // "Attribute": null
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return errors.New("misp event: Attribute is not an array")
	}
	for er.dec.More() {
		var raw json.RawMessage
		if err := er.decode(&raw); err != nil {
			return er.wrap(fmt.Sprintf("attribute %d", er.idx), err)
		}
		if err := er.emit(raw, "", ""); err != nil {
			return err
		}
	}
	return er.delim(']', "end of Attribute")
}

// objects streams the Object array; each MISP object is small and is
// decoded whole, then its attributes are emitted.
func (er *eventReader) objects() error {
	tok, err := er.dec.Token()
	if err != nil {
		return er.wrap("Object", err)
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return errors.New("misp event: Object is not an array")
	}
	for n := 0; er.dec.More(); n++ {
		var raw json.RawMessage
		if err := er.decode(&raw); err != nil {
			return er.wrap(fmt.Sprintf("object %d", n), err)
		}
		var o objectJSON
		if err := json.Unmarshal(raw, &o); err != nil {
			er.ev.Problems = append(er.ev.Problems, Problem{Index: er.idx, Err: fmt.Errorf("object %d: %w", n, err)})
			continue
		}
		for _, a := range o.Attribute {
			if err := er.emit(a, o.Name, o.UUID); err != nil {
				return err
			}
		}
	}
	return er.delim(']', "end of Object")
}

// emit decodes one attribute and hands it to the callback.
func (er *eventReader) emit(raw json.RawMessage, objName, objUUID string) error {
	idx := er.idx
	er.idx++
	var aj attributeJSON
	if err := json.Unmarshal(raw, &aj); err != nil {
		er.ev.Problems = append(er.ev.Problems, Problem{Index: idx, UUID: aj.UUID, Err: err})
		return nil
	}
	if aj.Type == "" || aj.Value == "" {
		er.ev.Problems = append(er.ev.Problems, Problem{Index: idx, UUID: aj.UUID, Err: errors.New("attribute without type or value")})
		return nil
	}
	a := aj.attribute(idx)
	a.ObjectName, a.ObjectUUID = objName, objUUID
	er.ev.Attributes++
	if err := er.fn(a); err != nil {
		return er.wrap("", &callbackError{idx: idx, err: err})
	}
	return nil
}
