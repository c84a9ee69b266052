package stix

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

// IDNamespace is the UUIDv5 namespace of Bulwark's deterministic STIX ids.
// An indicator's id is UUIDv5(IDNamespace, producer identity id + "\n" +
// type + "\n" + value), so exporting the same indicator again gives the
// same id, while two agencies exporting the same value do not collide (STIX
// treats one id as one object). Never change it: ids already shared would
// no longer match.
const IDNamespace = "342b30b1-f39d-4246-ac14-9b25fd259212"

// ErrNotExpressible is returned for a (type, value) pair that STIX 2.1
// patterns cannot express (phone numbers, "other", malformed AS numbers).
var ErrNotExpressible = errors.New("not expressible as a STIX pattern")

var idNamespace = uuid.MustParse(IDNamespace)

// timestampLayout is the STIX form with millisecond precision, which the
// spec requires for created and modified.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// FormatTimestamp renders t as a STIX timestamp (UTC, milliseconds).
func FormatTimestamp(t time.Time) string { return t.UTC().Format(timestampLayout) }

// IndicatorID returns the deterministic indicator id for a value exported
// by the producer with the given identity id (which may be empty).
func IndicatorID(producerID, typ, value string) string {
	return "indicator--" + uuid.NewSHA1(idNamespace, []byte(producerID+"\n"+typ+"\n"+value)).String()
}

// IdentityID returns the deterministic identity id for a producer name.
func IdentityID(name string) string {
	return "identity--" + uuid.NewSHA1(idNamespace, []byte("identity\n"+name)).String()
}

// PatternFor builds the STIX pattern matching one (type, value) pair, with
// the value escaped. Hashes use the quoted spec names ('SHA-256'); a cidr
// uses ipv4-addr or ipv6-addr by its form; an asn accepts "64500" or
// "AS64500". It returns an error wrapping ErrNotExpressible for phone,
// other and unknown types.
func PatternFor(typ, value string) (string, error) {
	if value == "" {
		return "", fmt.Errorf("stix: pattern for %s: empty value: %w", typ, ErrNotExpressible)
	}
	path := func(objType string, keys ...string) ObjectPath {
		p := ObjectPath{ObjectType: objType}
		for _, k := range keys {
			p.Steps = append(p.Steps, PathStep{Key: k})
		}
		return p
	}
	var p ObjectPath
	val := Constant{Kind: ConstString, Str: value}
	switch typ {
	case TypeIPv4:
		p = path("ipv4-addr", "value")
	case TypeIPv6:
		p = path("ipv6-addr", "value")
	case TypeCIDR:
		if strings.Contains(value, ":") {
			p = path("ipv6-addr", "value")
		} else {
			p = path("ipv4-addr", "value")
		}
	case TypeDomain:
		p = path("domain-name", "value")
	case TypeURL:
		p = path("url", "value")
	case TypeEmail:
		p = path("email-addr", "value")
	case TypeFilename:
		p = path("file", "name")
	case TypeMD5:
		p = path("file", "hashes", "MD5")
	case TypeSHA1:
		p = path("file", "hashes", "SHA-1")
	case TypeSHA256:
		p = path("file", "hashes", "SHA-256")
	case TypeASN:
		digits := strings.TrimPrefix(strings.TrimPrefix(value, "AS"), "as")
		n, err := strconv.ParseUint(digits, 10, 32)
		if err != nil {
			return "", fmt.Errorf("stix: pattern for asn %q: %w", value, ErrNotExpressible)
		}
		p = path("autonomous-system", "number")
		val = Constant{Kind: ConstInt, Int: int64(n)}
	default:
		return "", fmt.Errorf("stix: pattern for %s: %w", typ, ErrNotExpressible)
	}
	pat := Pattern{Expr: Observation{Expr: Comparison{Path: p, Op: OpEq, Value: val}}}
	return pat.String(), nil
}

// Producer is the agency that issues an export; it becomes an identity
// object and the created_by_ref of every indicator.
type Producer struct {
	Name          string
	IdentityClass string    // "organization" when empty
	Created       time.Time // of the identity; the writer's Now when zero
}

// WriterOptions configures a Writer.
type WriterOptions struct {
	Producer Producer // no identity object is written when Name is empty
	BundleID string   // "bundle--<uuid>"; a random one when empty
	// Now supplies default created/modified/valid_from times; time.Now
	// when nil.
	Now func() time.Time
}

// IndicatorSpec describes one indicator to write. Zero times default to the
// writer's Now; ValidFrom defaults to Created.
type IndicatorSpec struct {
	Type, Value       string // a Bulwark type name and the value
	Name, Description string
	TLP               string // a TLP 2.0 level; no marking when empty
	Labels            []string
	IndicatorTypes    []string // STIX indicator-type-ov, e.g. "malicious-activity"
	Confidence        *int
	Created           time.Time
	Modified          time.Time
	ValidFrom         time.Time
	ValidUntil        time.Time
	Revoked           bool
}

// Writer streams a STIX 2.1 bundle: NewWriter writes the header, each
// Write* call one object, Close the footer. Not safe for concurrent use.
type Writer struct {
	w          *bufio.Writer
	buf        bytes.Buffer
	enc        *json.Encoder
	now        func() time.Time
	producerID string
	markings   map[string]bool
	count      int
	err        error
	closed     bool
}

// NewWriter starts a bundle on w and writes the producer identity if one
// is given. The caller must call Close to finish the bundle.
func NewWriter(w io.Writer, opts WriterOptions) (*Writer, error) {
	bw := &Writer{w: bufio.NewWriterSize(w, 64<<10), now: opts.Now, markings: map[string]bool{}}
	if bw.now == nil {
		bw.now = time.Now
	}
	bw.enc = json.NewEncoder(&bw.buf)
	bw.enc.SetEscapeHTML(false)
	id := opts.BundleID
	if id == "" {
		id = "bundle--" + uuid.NewString()
	} else if err := checkID("bundle", id); err != nil {
		return nil, fmt.Errorf("stix: new writer: %w", err)
	}
	fmt.Fprintf(bw.w, `{"type":"bundle","id":%q,"objects":[`, id)
	if opts.Producer.Name != "" {
		p := opts.Producer
		bw.producerID = IdentityID(p.Name)
		class := p.IdentityClass
		if class == "" {
			class = "organization"
		}
		created := p.Created
		if created.IsZero() {
			created = bw.now()
		}
		ts := FormatTimestamp(created)
		if err := bw.WriteObject(map[string]any{
			"type": "identity", "spec_version": "2.1", "id": bw.producerID,
			"created": ts, "modified": ts, "name": p.Name, "identity_class": class,
		}); err != nil {
			return nil, err
		}
	}
	return bw, bw.err
}

// ProducerID is the identity id used as created_by_ref ("" without one).
func (w *Writer) ProducerID() string { return w.producerID }

// Count is the number of objects written so far, identity and markings
// included.
func (w *Writer) Count() int { return w.count }

// WriteObject writes any value that marshals to a STIX object. The caller
// is responsible for its validity.
func (w *Writer) WriteObject(v any) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("stix: write after close")
	}
	w.buf.Reset()
	if err := w.enc.Encode(v); err != nil {
		return fmt.Errorf("stix: write object: %w", err)
	}
	if w.count > 0 {
		w.w.WriteByte(',')
	}
	w.w.WriteByte('\n')
	_, err := w.w.Write(bytes.TrimRight(w.buf.Bytes(), "\n"))
	if err != nil {
		w.err = fmt.Errorf("stix: write object: %w", err)
		return w.err
	}
	w.count++
	return nil
}

// indicatorOut is the wire form of a written indicator; field order is the
// order in the output.
type indicatorOut struct {
	Type              string   `json:"type"`
	SpecVersion       string   `json:"spec_version"`
	ID                string   `json:"id"`
	CreatedByRef      string   `json:"created_by_ref,omitempty"`
	Created           string   `json:"created"`
	Modified          string   `json:"modified"`
	Name              string   `json:"name,omitempty"`
	Description       string   `json:"description,omitempty"`
	IndicatorTypes    []string `json:"indicator_types,omitempty"`
	Pattern           string   `json:"pattern"`
	PatternType       string   `json:"pattern_type"`
	PatternVersion    string   `json:"pattern_version"`
	ValidFrom         string   `json:"valid_from"`
	ValidUntil        string   `json:"valid_until,omitempty"`
	Labels            []string `json:"labels,omitempty"`
	Confidence        *int     `json:"confidence,omitempty"`
	Revoked           bool     `json:"revoked,omitempty"`
	ObjectMarkingRefs []string `json:"object_marking_refs,omitempty"`
}

// WriteIndicator writes one indicator (and, the first time a TLP level is
// used, its TLP 2.0 marking definition). It returns the indicator id. A
// pair STIX cannot express gives an error wrapping ErrNotExpressible and
// writes nothing; the writer stays usable.
func (w *Writer) WriteIndicator(s IndicatorSpec) (string, error) {
	pattern, err := PatternFor(s.Type, s.Value)
	if err != nil {
		return "", err
	}
	if s.Confidence != nil && (*s.Confidence < 0 || *s.Confidence > 100) {
		return "", fmt.Errorf("stix: write indicator: confidence %d outside 0-100", *s.Confidence)
	}
	now := w.now()
	created, modified, validFrom := s.Created, s.Modified, s.ValidFrom
	if created.IsZero() {
		created = now
	}
	if modified.IsZero() || modified.Before(created) {
		modified = created
	}
	if validFrom.IsZero() {
		validFrom = created
	}
	out := indicatorOut{
		Type: "indicator", SpecVersion: "2.1",
		ID:           IndicatorID(w.producerID, s.Type, s.Value),
		CreatedByRef: w.producerID,
		Created:      FormatTimestamp(created), Modified: FormatTimestamp(modified),
		Name: s.Name, Description: s.Description, IndicatorTypes: s.IndicatorTypes,
		Pattern: pattern, PatternType: "stix", PatternVersion: "2.1",
		ValidFrom: FormatTimestamp(validFrom), Labels: s.Labels,
		Confidence: s.Confidence, Revoked: s.Revoked,
	}
	if !s.ValidUntil.IsZero() {
		if !s.ValidUntil.After(validFrom) {
			return "", fmt.Errorf("stix: write indicator %s: valid_until is not later than valid_from", out.ID)
		}
		out.ValidUntil = FormatTimestamp(s.ValidUntil)
	}
	if s.TLP != "" {
		ref, ok := MarkingRef(s.TLP)
		if !ok {
			return "", fmt.Errorf("stix: write indicator: unknown TLP %q", s.TLP)
		}
		if err := w.writeMarking(s.TLP, ref); err != nil {
			return "", err
		}
		out.ObjectMarkingRefs = []string{ref}
	}
	return out.ID, w.WriteObject(out)
}

// writeMarking writes the official TLP 2.0 marking definition once per
// bundle so that consumers without it built in can resolve the ref.
func (w *Writer) writeMarking(level, ref string) error {
	if w.markings[ref] {
		return nil
	}
	w.markings[ref] = true
	return w.WriteObject(map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": ref,
		"created": "2022-10-01T00:00:00.000Z", "name": "TLP:" + level,
		"extensions": map[string]any{
			TLP2ExtensionID: map[string]any{
				"extension_type": "property-extension",
				"tlp_2_0":        strings.ToLower(level),
			},
		},
	})
}

// Close writes the end of the bundle and flushes. It does not close the
// underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return nil
	}
	w.closed = true
	w.w.WriteString("\n]}\n")
	if err := w.w.Flush(); err != nil {
		w.err = fmt.Errorf("stix: close bundle: %w", err)
		return w.err
	}
	return nil
}
