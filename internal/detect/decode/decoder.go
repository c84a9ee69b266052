package decode

import (
	"bytes"
	"fmt"
	"sync"
)

// Format is the concrete layout an event was decoded from.
type Format string

// Formats.
const (
	FormatJSON        Format = "json"               // generic JSON, flattened only
	FormatSuricata    Format = "suricata"           // Suricata EVE JSON
	FormatWazuh       Format = "wazuh"              // Wazuh alerts.json
	FormatEVTX        Format = "windows.evtx"       // Event.System.* / Event.EventData.* (evtx_dump, python-evtx)
	FormatWinlogbeat  Format = "windows.winlogbeat" // winlog.* and ECS (Winlogbeat, Elastic Agent)
	FormatWindowsFlat Format = "windows.flat"       // Channel, EventID and EventData at top level (OTRF, NXLog)
	FormatZeek        Format = "zeek"               // Zeek JSON logs
	FormatAccessLog   Format = "accesslog"          // combined or common log format
	FormatRFC5424     Format = "syslog.rfc5424"
	FormatRFC3164     Format = "syslog.rfc3164"
)

// IsWindows reports whether f is one of the Windows event layouts.
func (f Format) IsWindows() bool {
	return f == FormatEVTX || f == FormatWinlogbeat || f == FormatWindowsFlat
}

// SourceKind is what a sensor source is configured to send.
type SourceKind string

// Source kinds. KindAuto takes any JSON object and recognises the layouts
// above by their fields.
const (
	KindJSON      SourceKind = "json"
	KindAuto      SourceKind = "auto"
	KindSuricata  SourceKind = "suricata"
	KindWazuh     SourceKind = "wazuh"
	KindWindows   SourceKind = "windows"
	KindZeek      SourceKind = "zeek"
	KindAccessLog SourceKind = "accesslog"
	KindSyslog    SourceKind = "syslog"
)

// SourceKinds returns every SourceKind, for configuration validation and
// help texts.
func SourceKinds() []SourceKind {
	return []SourceKind{KindJSON, KindAuto, KindSuricata, KindWazuh, KindWindows, KindZeek, KindAccessLog, KindSyslog}
}

// Decoder turns one line (or syslog message) into an Event. Decode never
// panics and never retains line: the event owns a private copy. On error
// the returned Event is the zero Event and the error is an *Error.
// All decoders in this package are safe for concurrent use.
type Decoder interface {
	Decode(line []byte) (Event, error)
	// DecodeWith is Decode into storage of m, reused once the caller
	// released the last event decoded with m (see Memory). A nil m is
	// Decode.
	DecodeWith(line []byte, m *Memory) (Event, error)
}

// New returns the decoder for a source kind.
func New(kind SourceKind, o Options) (Decoder, error) {
	switch kind {
	case KindJSON:
		return NewJSONDecoder(o), nil
	case KindAuto:
		return NewAutoDecoder(o), nil
	case KindSuricata:
		return NewSuricataDecoder(o), nil
	case KindWazuh:
		return NewWazuhDecoder(o), nil
	case KindWindows:
		return NewWindowsDecoder(o), nil
	case KindZeek:
		return NewZeekDecoder(o), nil
	case KindAccessLog:
		return NewAccessLogDecoder(o), nil
	case KindSyslog:
		return NewSyslogDecoder(o), nil
	}
	return nil, &Error{Reason: ReasonUnknownFormat, Offset: -1, Msg: fmt.Sprintf("unknown source kind %q", kind)}
}

// JSONDecoder decodes one JSON object per line and normalises it for one
// source kind.
type JSONDecoder struct {
	o         Options
	kind      SourceKind
	pairNamed bool
}

// NewJSONDecoder returns a decoder that only flattens: nested objects
// become dotted names, arrays lists. Fields a sender already names in ECS
// are usable as they are.
func NewJSONDecoder(o Options) *JSONDecoder {
	return &JSONDecoder{o: o.withDefaults(), kind: KindJSON}
}

// NewAutoDecoder returns a decoder that recognises Suricata EVE, Wazuh,
// the three Windows layouts and Zeek by their fields, and normalises what
// it recognises; anything else is decoded as generic JSON.
func NewAutoDecoder(o Options) *JSONDecoder {
	return &JSONDecoder{o: o.withDefaults(), kind: KindAuto, pairNamed: true}
}

// NewSuricataDecoder returns a decoder for Suricata EVE JSON.
func NewSuricataDecoder(o Options) *JSONDecoder {
	return &JSONDecoder{o: o.withDefaults(), kind: KindSuricata}
}

// NewWazuhDecoder returns a decoder for Wazuh alerts JSON.
func NewWazuhDecoder(o Options) *JSONDecoder {
	return &JSONDecoder{o: o.withDefaults(), kind: KindWazuh}
}

// NewWindowsDecoder returns a decoder for Windows events as JSON, in any
// of the EVTX converter, Winlogbeat/ECS and flat (OTRF) layouts, detected
// per line.
func NewWindowsDecoder(o Options) *JSONDecoder {
	return &JSONDecoder{o: o.withDefaults(), kind: KindWindows, pairNamed: true}
}

// NewZeekDecoder returns a decoder for Zeek JSON logs (one log entry per
// line, with or without the "_path" field).
func NewZeekDecoder(o Options) *JSONDecoder {
	return &JSONDecoder{o: o.withDefaults(), kind: KindZeek}
}

// Decode decodes one line. Surrounding white space (including a CR left by
// CRLF line endings) is ignored.
func (d *JSONDecoder) Decode(line []byte) (Event, error) { return d.DecodeWith(line, nil) }

// DecodeWith is Decode with storage from m (see Memory).
func (d *JSONDecoder) DecodeWith(line []byte, m *Memory) (Event, error) {
	if len(line) > d.o.MaxLineBytes {
		return Event{}, errAt(ReasonLineTooLong, d.o.MaxLineBytes, "line longer than the limit")
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return Event{}, errAt(ReasonEmpty, 0, "blank line")
	}
	e := newEvent(line, FormatJSON, len(line)+128, m)
	// The fields are collected in a reused scratch slice and copied once,
	// at their final count, into the event: one allocation of the right
	// size, without counting keys beforehand.
	sp := fieldScratch.Get().(*[]Field)
	e.fields = (*sp)[:0]
	err := parseJSONObject(e, e.raw, &d.o, "", d.pairNamed)
	if err == nil {
		normaliseJSON(e, d.kind)
	}
	scratch := e.fields
	if err == nil {
		e.fields = nil
		if len(scratch) > 0 {
			// make and copy in this form allocate without write
			// barriers on the (zeroed) destination, unlike slices.Clone.
			fields := m.reuseFields(len(scratch))
			if fields == nil {
				fields = make([]Field, len(scratch))
			} else {
				fields = fields[:len(scratch)]
			}
			copy(fields, scratch)
			e.fields = fields
		}
	}
	// Cleared so the pool holds no strings of this event; a scratch grown
	// by a very large event is dropped.
	clear(scratch)
	if cap(scratch) <= maxScratchFields {
		*sp = scratch[:0]
		fieldScratch.Put(sp)
	}
	if err != nil {
		return Event{}, err
	}
	return e.finish(), nil
}

// fieldScratch holds *[]Field scratch slices for JSONDecoder.Decode.
var fieldScratch = sync.Pool{New: func() any {
	s := make([]Field, 0, 256)
	return &s
}}

// maxScratchFields bounds the scratch slices kept for reuse.
const maxScratchFields = 4096

// normaliseJSON recognises the layout of a flattened JSON event (within
// what kind allows) and adds the common fields.
func normaliseJSON(e *Event, kind SourceKind) {
	switch kind {
	case KindSuricata:
		normaliseSuricata(e)
	case KindWazuh:
		normaliseWazuh(e)
	case KindZeek:
		normaliseZeek(e)
	case KindWindows:
		if f := windowsLayout(e); f != "" {
			normaliseWindows(e, f)
		}
	case KindAuto:
		switch {
		case windowsLayout(e) != "":
			normaliseWindows(e, windowsLayout(e))
		case e.Has("event_type") && (e.Has("src_ip") || e.Has("flow_id") || e.Has("timestamp")):
			normaliseSuricata(e)
		case e.Has("rule.level") && (e.Has("agent.id") || e.Has("agent.name")):
			normaliseWazuh(e)
		case e.Has("_path") || (e.Has("uid") && e.Has("id.orig_h")) || e.Has("fingerprint") && e.Has("certificate.serial"):
			normaliseZeek(e)
		}
	}
}
