package stix

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"
)

// DefaultMaxObjectBytes is the per-object size limit used when
// ReaderOptions.MaxObjectBytes is zero. Real objects are kilobytes; a report
// with embedded artefacts may reach megabytes.
const DefaultMaxObjectBytes = 16 << 20

// Errors carried by *ObjectError or returned by Reader.Next.
var (
	// ErrUnknownType marks an object whose type is not defined by STIX 2.1
	// (custom x- types included). The object is still returned.
	ErrUnknownType = errors.New("unknown object type")
	// ErrInvalidObject marks an object that is valid JSON but not a valid
	// STIX object (no type, bad id, ...).
	ErrInvalidObject = errors.New("invalid object")
	// ErrObjectTooLarge is returned when one value exceeds the size limit.
	// It is fatal: the stream cannot be resynchronised.
	ErrObjectTooLarge = errors.New("object too large")
)

// Object is one top-level object of a bundle, as read from the stream.
// Raw is the object's JSON exactly as it appeared.
type Object struct {
	Index int // position in the bundle's objects array, from 0
	Type  string
	ID    string
	Raw   json.RawMessage
}

// ObjectError reports a problem with one object. It is not fatal: after it,
// Reader.Next can be called again for the next object.
type ObjectError struct {
	Index int
	ID    string
	Err   error
}

// Error describes the problem.
func (e *ObjectError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("stix bundle: object %d (%s): %v", e.Index, e.ID, e.Err)
	}
	return fmt.Sprintf("stix bundle: object %d: %v", e.Index, e.Err)
}

// Unwrap returns the underlying error, for errors.Is and errors.As.
func (e *ObjectError) Unwrap() error { return e.Err }

// ReaderOptions configures a Reader.
type ReaderOptions struct {
	// MaxObjectBytes bounds the size of one object (and of any other
	// top-level value of the bundle). Zero means DefaultMaxObjectBytes.
	MaxObjectBytes int64
}

// Reader reads the objects of a STIX 2.1 bundle one at a time, so that the
// memory used depends on the largest object, not on the bundle.
type Reader struct {
	src   *boundedReader
	dec   *json.Decoder
	max   int64
	state int
	index int
	err   error // sticky fatal error
}

const (
	stateStart = iota
	stateObjects
	stateDone
)

// NewReader returns a Reader over r. Reading starts on the first Next.
func NewReader(r io.Reader, opts ReaderOptions) *Reader {
	max := opts.MaxObjectBytes
	if max <= 0 {
		max = DefaultMaxObjectBytes
	}
	src := &boundedReader{r: r, limit: -1}
	dec := json.NewDecoder(src)
	dec.UseNumber()
	return &Reader{src: src, dec: dec, max: max}
}

// Next returns the next object. It returns io.EOF after the last object.
//
// A problem with one object comes back as an *ObjectError together with
// whatever could be read of the object (Raw and, when present, Type and
// ID); the caller may log it and call Next again. An object of an unknown
// type is returned with an *ObjectError wrapping ErrUnknownType. Every other
// error (bad JSON, truncated input, an object over the size limit, a
// document that is not a bundle) is fatal, names the object index where it
// can, and is returned again by later calls.
func (r *Reader) Next() (Object, error) {
	if r.err != nil {
		return Object{}, r.err
	}
	obj, err := r.next()
	var oe *ObjectError
	if err != nil && !errors.As(err, &oe) {
		r.err = err
	}
	return obj, err
}

func (r *Reader) fail(format string, args ...any) error {
	return fmt.Errorf("stix bundle: "+format, args...)
}

// tokenErr describes an error from the decoder, turning a bare EOF into
// "truncated".
func (r *Reader) tokenErr(where string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return r.fail("%s: input truncated: %w", where, io.ErrUnexpectedEOF)
	}
	if errors.Is(err, errLimit) {
		return r.fail("%s: %w (limit %d bytes)", where, ErrObjectTooLarge, r.max)
	}
	return r.fail("%s: %w", where, err)
}

func (r *Reader) next() (Object, error) {
	if r.state == stateStart {
		tok, err := r.dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return Object{}, r.fail("empty input")
			}
			return Object{}, r.tokenErr("start", err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return Object{}, r.fail("not a bundle: document does not start with '{'")
		}
		if err := r.header(); err != nil {
			return Object{}, err
		}
	}
	if r.state == stateDone {
		return Object{}, io.EOF
	}
	where := fmt.Sprintf("object %d", r.index)
	if !r.dec.More() {
		if _, err := r.dec.Token(); err != nil { // the closing ]
			return Object{}, r.tokenErr("after "+where, err)
		}
		if err := r.header(); err != nil {
			return Object{}, err
		}
		if r.state != stateDone {
			return Object{}, r.fail("more than one objects array")
		}
		return Object{}, io.EOF
	}
	var raw json.RawMessage
	r.src.limit = r.dec.InputOffset() + r.max
	err := r.dec.Decode(&raw)
	r.src.limit = -1
	if err != nil {
		return Object{}, r.tokenErr(where, err)
	}
	idx := r.index
	r.index++
	return checkObject(idx, raw)
}

// header reads top-level members until the objects array opens
// (state becomes stateObjects) or the bundle closes (stateDone).
func (r *Reader) header() error {
	for {
		tok, err := r.dec.Token()
		if err != nil {
			return r.tokenErr("bundle", err)
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			r.state = stateDone
			// Anything after the bundle is an error, not silently ignored.
			if _, err := r.dec.Token(); !errors.Is(err, io.EOF) {
				return r.fail("data after the end of the bundle")
			}
			return nil
		}
		key, _ := tok.(string)
		switch key {
		case "objects":
			if r.state == stateObjects {
				return r.fail("more than one objects array")
			}
			tok, err := r.dec.Token()
			if err != nil {
				return r.tokenErr("objects", err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return r.fail("objects is not an array")
			}
			r.state = stateObjects
			return nil
		case "type":
			var typ string
			if err := r.decodeBounded(&typ); err != nil {
				return r.tokenErr("bundle type", err)
			}
			if typ != "bundle" {
				return r.fail("not a bundle: type is %q", typ)
			}
		default:
			var skip json.RawMessage
			if err := r.decodeBounded(&skip); err != nil {
				return r.tokenErr("bundle member "+key, err)
			}
		}
	}
}

func (r *Reader) decodeBounded(v any) error {
	r.src.limit = r.dec.InputOffset() + r.max
	defer func() { r.src.limit = -1 }()
	return r.dec.Decode(v)
}

// objectHead is the part of every object the reader looks at.
type objectHead struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

func checkObject(idx int, raw json.RawMessage) (Object, error) {
	obj := Object{Index: idx, Raw: raw}
	if len(raw) == 0 || raw[0] != '{' {
		return obj, &ObjectError{Index: idx, Err: fmt.Errorf("%w: not a JSON object", ErrInvalidObject)}
	}
	var h objectHead
	if err := json.Unmarshal(raw, &h); err != nil {
		return obj, &ObjectError{Index: idx, Err: fmt.Errorf("%w: %v", ErrInvalidObject, err)}
	}
	obj.Type, obj.ID = h.Type, h.ID
	if h.Type == "" {
		return obj, &ObjectError{Index: idx, ID: h.ID, Err: fmt.Errorf("%w: no type", ErrInvalidObject)}
	}
	if err := checkID(h.Type, h.ID); err != nil {
		return obj, &ObjectError{Index: idx, ID: h.ID, Err: fmt.Errorf("%w: %v", ErrInvalidObject, err)}
	}
	if !knownTypes(h.Type) {
		return obj, &ObjectError{Index: idx, ID: h.ID, Err: fmt.Errorf("%w %q", ErrUnknownType, h.Type)}
	}
	return obj, nil
}

// checkID verifies the STIX identifier form type--UUID.
func checkID(typ, id string) error {
	if id == "" {
		return errors.New("no id")
	}
	prefix, u, ok := strings.Cut(id, "--")
	if !ok || prefix != typ {
		return fmt.Errorf("id %q does not start with %q", id, typ+"--")
	}
	if _, err := uuid.Parse(u); err != nil || len(u) != 36 {
		return fmt.Errorf("id %q has no valid UUID", id)
	}
	return nil
}

// knownTypes reports whether typ is an object type defined by STIX 2.1.
func knownTypes(typ string) bool {
	switch typ {
	// Domain objects.
	case "attack-pattern", "campaign", "course-of-action", "grouping", "identity",
		"incident", "indicator", "infrastructure", "intrusion-set", "location",
		"malware", "malware-analysis", "note", "observed-data", "opinion",
		"report", "threat-actor", "tool", "vulnerability":
		return true
	// Relationship objects.
	case "relationship", "sighting":
		return true
	// Cyber-observable objects.
	case "artifact", "autonomous-system", "directory", "domain-name",
		"email-addr", "email-message", "file", "ipv4-addr", "ipv6-addr",
		"mac-addr", "mutex", "network-traffic", "process", "software", "url",
		"user-account", "windows-registry-key", "x509-certificate":
		return true
	// Meta objects.
	case "marking-definition", "language-content", "extension-definition":
		return true
	}
	return false
}

// errLimit is what boundedReader returns when a value outgrows its limit.
var errLimit = errors.New("size limit reached")

// boundedReader caps how far the decoder may read while one value is being
// decoded: reads are shortened so the total never passes limit, and at the
// limit the decoder gets errLimit. The decoder only reads when the current
// value is incomplete, so errLimit means that value is too large.
type boundedReader struct {
	r     io.Reader
	n     int64 // bytes handed to the decoder so far
	limit int64 // -1 when no value is being bounded
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.limit >= 0 {
		left := b.limit - b.n
		if left <= 0 {
			return 0, errLimit
		}
		if int64(len(p)) > left {
			p = p[:left]
		}
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	return n, err
}
