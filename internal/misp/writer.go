package misp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ErrNoMISPType is returned for a Bulwark type with no MISP equivalent.
var ErrNoMISPType = errors.New("no MISP attribute type")

// AttributeNamespace is the UUIDv5 namespace of attribute uuids written by
// EventWriter: UUIDv5(AttributeNamespace, event uuid + "\n" + MISP type +
// "\n" + value), so writing the same event again gives the same uuids and
// MISP updates instead of duplicating. Never change it.
const AttributeNamespace = "6b1d1a36-0d6e-4c44-9f63-8f4b7e2a5d10"

var attrNamespace = uuid.MustParse(AttributeNamespace)

// MISPType returns the MISP attribute type and its default category (from
// MISP's describeTypes sane_defaults) for a Bulwark type.
func MISPType(bulwarkType string) (mispType, category string, err error) {
	switch bulwarkType {
	case TypeIPv4, TypeIPv6, TypeCIDR:
		return "ip-dst", "Network activity", nil
	case TypeDomain:
		return "domain", "Network activity", nil
	case TypeURL:
		return "url", "Network activity", nil
	case TypeMD5, TypeSHA1, TypeSHA256:
		return bulwarkType, "Payload delivery", nil
	case TypeFilename:
		return "filename", "Payload delivery", nil
	case TypeEmail:
		return "email-src", "Payload delivery", nil
	case TypeASN:
		return "AS", "Network activity", nil
	case TypePhone:
		return "phone-number", "Person", nil
	case TypeOther:
		return "text", "Other", nil
	}
	return "", "", fmt.Errorf("misp: type %q: %w", bulwarkType, ErrNoMISPType)
}

// EventSpec describes the event an EventWriter writes.
type EventSpec struct {
	UUID          string    // a random one when empty
	Info          string    // required: MISP rejects events without it
	Date          time.Time // Now when zero
	ThreatLevelID int       // 1-4; 4 (undefined) when zero
	Analysis      int       // 0-2
	Distribution  int       // 0-4
	Published     bool
	Timestamp     time.Time // Now when zero
	Orgc          Org
	Tags          []string // e.g. "tlp:green"
}

// AttributeSpec describes one attribute to write.
type AttributeSpec struct {
	Type     string // a Bulwark type, mapped by MISPType
	Value    string
	ToIDs    bool
	Comment  string
	Tags     []string
	Category string // overrides the default category when set
}

// EventWriter streams one MISP event ({"Event": {...}}): NewEventWriter
// writes the event's fields, WriteAttribute one attribute, Close the end.
// Not safe for concurrent use.
type EventWriter struct {
	w       *bufio.Writer
	buf     bytes.Buffer
	enc     *json.Encoder
	uuid    string
	ts      string
	count   int
	err     error
	closed  bool
	seenIDs map[string]bool
}

type tagOut struct {
	Name string `json:"name"`
}

type eventHeader struct {
	UUID          string   `json:"uuid"`
	Info          string   `json:"info"`
	Date          string   `json:"date"`
	ThreatLevelID string   `json:"threat_level_id"`
	Analysis      string   `json:"analysis"`
	Distribution  string   `json:"distribution"`
	Published     bool     `json:"published"`
	Timestamp     string   `json:"timestamp"`
	Orgc          *Org     `json:"Orgc,omitempty"`
	Tag           []tagOut `json:"Tag,omitempty"`
}

type attributeOut struct {
	UUID         string   `json:"uuid"`
	Type         string   `json:"type"`
	Category     string   `json:"category"`
	Value        string   `json:"value"`
	ToIDs        bool     `json:"to_ids"`
	Comment      string   `json:"comment"`
	Distribution string   `json:"distribution"`
	Timestamp    string   `json:"timestamp"`
	Tag          []tagOut `json:"Tag,omitempty"`
}

func tagsOut(names []string) []tagOut {
	var out []tagOut
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, tagOut{Name: n})
		}
	}
	return out
}

// NewEventWriter writes the start of an event to w. now supplies default
// dates (time.Now when nil).
func NewEventWriter(w io.Writer, ev EventSpec, now func() time.Time) (*EventWriter, error) {
	if now == nil {
		now = time.Now
	}
	if strings.TrimSpace(ev.Info) == "" {
		return nil, errors.New("misp: new event: info is required")
	}
	if ev.UUID == "" {
		ev.UUID = uuid.NewString()
	} else if !validUUID(ev.UUID) {
		return nil, fmt.Errorf("misp: new event: %q is not a uuid", ev.UUID)
	}
	if ev.ThreatLevelID == 0 {
		ev.ThreatLevelID = 4
	}
	if ev.ThreatLevelID < 1 || ev.ThreatLevelID > 4 || ev.Analysis < 0 || ev.Analysis > 2 || ev.Distribution < 0 || ev.Distribution > 4 {
		return nil, fmt.Errorf("misp: new event: threat level %d, analysis %d or distribution %d out of range",
			ev.ThreatLevelID, ev.Analysis, ev.Distribution)
	}
	if ev.Date.IsZero() {
		ev.Date = now()
	}
	if ev.Timestamp.IsZero() {
		ev.Timestamp = now()
	}
	ew := &EventWriter{w: bufio.NewWriterSize(w, 64<<10), uuid: strings.ToLower(ev.UUID),
		ts: strconv.FormatInt(ev.Timestamp.Unix(), 10), seenIDs: map[string]bool{}}
	ew.enc = json.NewEncoder(&ew.buf)
	ew.enc.SetEscapeHTML(false)
	h := eventHeader{
		UUID: ew.uuid, Info: ev.Info, Date: ev.Date.Format("2006-01-02"),
		ThreatLevelID: strconv.Itoa(ev.ThreatLevelID), Analysis: strconv.Itoa(ev.Analysis),
		Distribution: strconv.Itoa(ev.Distribution), Published: ev.Published, Timestamp: ew.ts,
		Tag: tagsOut(ev.Tags),
	}
	if ev.Orgc.Name != "" {
		h.Orgc = &ev.Orgc
	}
	if err := ew.enc.Encode(h); err != nil {
		return nil, fmt.Errorf("misp: new event: %w", err)
	}
	// Reopen the header object to append the Attribute list.
	head := bytes.TrimRight(ew.buf.Bytes(), "\n")
	head = head[:len(head)-1] // the closing brace
	ew.w.WriteString(`{"Event":`)
	ew.w.Write(head)
	ew.w.WriteString(`,"Attribute":[`)
	return ew, nil
}

// UUID is the event's uuid.
func (w *EventWriter) UUID() string { return w.uuid }

// WriteAttribute writes one attribute and returns its uuid. Attributes
// with the same MISP type and value are written once (MISP rejects
// duplicates in an event); a repeat returns the same uuid and writes
// nothing. An unmappable type gives an error wrapping ErrNoMISPType and
// leaves the writer usable.
func (w *EventWriter) WriteAttribute(a AttributeSpec) (string, error) {
	if w.err != nil {
		return "", w.err
	}
	if w.closed {
		return "", errors.New("misp: write after close")
	}
	typ, cat, err := MISPType(a.Type)
	if err != nil {
		return "", err
	}
	if a.Category != "" {
		cat = a.Category
	}
	value := a.Value
	if a.Type == TypeASN && !strings.HasPrefix(strings.ToUpper(value), "AS") {
		value = "AS" + value
	}
	if strings.TrimSpace(value) == "" {
		return "", errors.New("misp: write attribute: empty value")
	}
	id := uuid.NewSHA1(attrNamespace, []byte(w.uuid+"\n"+typ+"\n"+value)).String()
	if w.seenIDs[id] {
		return id, nil
	}
	w.seenIDs[id] = true
	w.buf.Reset()
	// distribution 5 inherits the event's level.
	if err := w.enc.Encode(attributeOut{UUID: id, Type: typ, Category: cat, Value: value, ToIDs: a.ToIDs,
		Comment: a.Comment, Distribution: "5", Timestamp: w.ts, Tag: tagsOut(a.Tags)}); err != nil {
		return "", fmt.Errorf("misp: write attribute: %w", err)
	}
	if w.count > 0 {
		w.w.WriteByte(',')
	}
	w.w.WriteByte('\n')
	if _, err := w.w.Write(bytes.TrimRight(w.buf.Bytes(), "\n")); err != nil {
		w.err = fmt.Errorf("misp: write attribute: %w", err)
		return "", w.err
	}
	w.count++
	return id, nil
}

// Close ends the event and flushes; it does not close the underlying
// writer.
func (w *EventWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return nil
	}
	w.closed = true
	w.w.WriteString("\n]}}\n")
	if err := w.w.Flush(); err != nil {
		w.err = fmt.Errorf("misp: close event: %w", err)
		return w.err
	}
	return nil
}
