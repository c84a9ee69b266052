package decode

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	syslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"
)

// SyslogDecoder decodes one syslog message, RFC 5424 or RFC 3164 (the
// "BSD" format most devices send), detected per message. It never rejects
// a message for its syntax: what the parser cannot read stays in
// "message", so nothing a sensor sent is dropped.
//
// From the message text it extracts, in this order of preference:
//   - a JSON object (optionally after the "@cee:" cookie), flattened and
//     recognised like KindAuto input (Suricata EVE sent through rsyslog
//     becomes a Suricata event with the syslog header fields beside it);
//   - otherwise key=value pairs (values bare, "double" or 'single'
//     quoted), under their own names, plus the common fields for the usual
//     firewall keys (src, dst, spt, dpt, proto, action...).
//
// Header fields (host.name, log.syslog.*, process.*) win over names found
// in the text. RFC 5424 structured data is exposed as
// log.syslog.structured_data.<SD-ID>.<param>; see FieldSourceToken.
type SyslogDecoder struct {
	o Options
	// The go-syslog machines are not safe for concurrent use and their
	// parsers serialise on a mutex; a pool gives each goroutine its own.
	m5424 sync.Pool
	m3164 sync.Pool
}

// NewSyslogDecoder returns a syslog decoder.
func NewSyslogDecoder(o Options) *SyslogDecoder {
	d := &SyslogDecoder{o: o.withDefaults()}
	d.m5424.New = func() any {
		return rfc5424.NewMachine(rfc5424.WithBestEffort())
	}
	year := clockYear{now: d.o.Now}
	loc := d.o.Location
	d.m3164.New = func() any {
		return rfc3164.NewMachine(rfc3164.WithBestEffort(), rfc3164.WithYear(year),
			rfc3164.WithLocaleTimezone(loc), rfc3164.WithRFC3339(), rfc3164.WithLenientDay(),
			rfc3164.WithSecondFractions(), rfc3164.WithEmbeddedNewlines())
	}
	return d
}

// clockYear gives RFC 3164 timestamps the current year of the injected
// clock (see fixYear for the new-year case).
type clockYear struct{ now func() time.Time }

func (y clockYear) Apply() int { return y.now().Year() }

// Decode decodes one message. Trailing CR, LF and NUL (framing leftovers)
// are dropped.
func (d *SyslogDecoder) Decode(line []byte) (Event, error) { return d.DecodeWith(line, nil) }

// DecodeWith is Decode with storage from m (see Memory).
func (d *SyslogDecoder) DecodeWith(line []byte, m *Memory) (ev Event, err error) {
	if len(line) > d.o.MaxLineBytes {
		return Event{}, errAt(ReasonLineTooLong, d.o.MaxLineBytes, "message longer than the limit")
	}
	line = bytes.TrimRight(line, "\r\n\x00")
	if len(bytes.TrimSpace(line)) == 0 {
		return Event{}, errAt(ReasonEmpty, 0, "blank message")
	}
	if !utf8.Valid(line) && d.o.UTF8 == UTF8Reject {
		return Event{}, errAt(ReasonInvalidUTF8, 0, "invalid UTF-8")
	}
	e := newEvent(line, FormatRFC3164, len(line)+128, m)
	input := e.buf[:len(line):len(line)] // the parser sees exactly the private copy
	defer func() {
		// go-syslog is a generated state machine; a panic on some input
		// must cost that message, not the listener.
		if r := recover(); r != nil {
			ev, err = Event{}, &Error{Reason: ReasonInternal, Offset: -1, Msg: fmt.Sprintf("syslog parser panic: %v", r)}
		}
	}()
	var base *syslog.Base
	var sd *map[string]map[string]string
	var version uint16
	if is5424(line) {
		m := d.m5424.Get().(syslog.Machine)
		msg, _ := m.Parse(input)
		d.m5424.Put(m)
		if sm, ok := msg.(*rfc5424.SyslogMessage); ok && sm != nil {
			e.format = FormatRFC5424
			base, sd, version = &sm.Base, sm.StructuredData, sm.Version
		}
	} else {
		m := d.m3164.Get().(syslog.Machine)
		msg, _ := m.Parse(input)
		d.m3164.Put(m)
		if sm, ok := msg.(*rfc3164.SyslogMessage); ok && sm != nil {
			base = &sm.Base
		}
	}
	if base == nil {
		base = &syslog.Base{}
	}
	text := ""
	if base.Message != nil {
		text = *base.Message
	} else {
		// The rest of the header did not parse: keep everything after
		// the PRI as the message.
		text = e.raw
		if i := strings.IndexByte(text, '>'); text[0] == '<' && i > 0 && i < 5 {
			text = text[i+1:]
		}
	}
	if !utf8.ValidString(text) {
		text = replaceInvalidUTF8(e, text)
	}

	syslogFormat := e.format // body may recognise a JSON payload's own format
	isJSON := d.body(e, text)
	d.header(e, base, sd, version, isJSON, text, syslogFormat)
	return e.finish(), nil
}

// is5424 reports whether a message starts "<PRI>VERSION " (RFC 5424).
func is5424(b []byte) bool {
	i := 0
	if len(b) > 0 && b[0] == '<' {
		i = bytes.IndexByte(b[:min(len(b), 6)], '>')
		if i < 0 {
			return false
		}
		i++
	}
	j := i
	for j < len(b) && j-i < 3 && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	return j > i && b[i] != '0' && j < len(b) && b[j] == ' '
}

// body extracts JSON or key=value fields from the message text and
// reports whether it was JSON.
func (d *SyslogDecoder) body(e *Event, text string) bool {
	t := strings.TrimSpace(text)
	t = strings.TrimPrefix(t, "@cee:")
	t = strings.TrimSpace(t)
	if len(t) >= 2 && t[0] == '{' && t[len(t)-1] == '}' {
		n := len(e.fields)
		if err := parseJSONObject(e, t, &d.o, "", true); err == nil {
			normaliseJSON(e, KindAuto)
			return true
		}
		clear(e.fields[n:])
		e.fields = e.fields[:n]
		e.reindex()
	}
	parseKV(e, text, d.o.MaxValues)
	kvECS(e)
	return false
}

// header adds the syslog header fields, replacing same-named fields from
// the message text.
func (d *SyslogDecoder) header(e *Event, b *syslog.Base, sd *map[string]map[string]string, version uint16, isJSON bool, text string, f Format) {
	if b.Priority != nil {
		e.put(FieldSyslogPriority, uintValue(e, uint64(*b.Priority)))
	}
	if b.Facility != nil {
		e.put(FieldSyslogFacility, uintValue(e, uint64(*b.Facility)))
	}
	if b.Severity != nil {
		e.put(FieldSyslogSeverity, uintValue(e, uint64(*b.Severity)))
		if name := severityName(*b.Severity); name != "" {
			e.put(FieldLogLevel, String(name))
		}
	}
	if version != 0 {
		e.put("log.syslog.version", uintValue(e, uint64(version)))
	}
	if b.Timestamp != nil {
		ts := fixYear(*b.Timestamp, f, d.o.Now())
		m := e.mark()
		e.buf = ts.AppendFormat(e.buf, time.RFC3339Nano)
		e.put(FieldTimestamp, String(e.since(m)))
	}
	if b.Hostname != nil {
		e.put(FieldHostName, String(*b.Hostname))
	}
	if b.Appname != nil {
		e.put(FieldSyslogAppName, String(*b.Appname))
		e.put(FieldProcessName, String(*b.Appname))
	}
	if b.ProcID != nil {
		if isDigits(*b.ProcID) {
			e.put(FieldProcessPID, Number(*b.ProcID))
		} else {
			e.put("log.syslog.procid", String(*b.ProcID))
		}
	}
	if b.MsgID != nil {
		e.put(FieldSyslogMsgID, String(*b.MsgID))
	}
	if !isJSON || !e.Has(FieldMessage) {
		e.put(FieldMessage, String(text))
	}
	if sd != nil {
		ids := make([]string, 0, len(*sd))
		for id := range *sd {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			params := (*sd)[id]
			names := make([]string, 0, len(params))
			for p := range params {
				names = append(names, p)
			}
			slices.Sort(names)
			if len(names) == 0 {
				e.put(e.concat(FieldSyslogStructured, ".", id), Bool(true))
			}
			for _, p := range names {
				e.put(e.concat(FieldSyslogStructured, ".", id, ".", p), String(params[p]))
			}
		}
	}
}

// fixYear moves an RFC 3164 timestamp (which has no year, so got the
// clock's) back a year when that puts it more than a day in the future:
// a "Dec 31 23:59:59" message read on January 1st.
func fixYear(ts time.Time, f Format, now time.Time) time.Time {
	if f == FormatRFC3164 && ts.After(now.Add(24*time.Hour)) {
		return ts.AddDate(-1, 0, 0)
	}
	return ts
}

func severityName(s uint8) string {
	switch s {
	case 0:
		return "emergency"
	case 1:
		return "alert"
	case 2:
		return "critical"
	case 3:
		return "error"
	case 4:
		return "warning"
	case 5:
		return "notice"
	case 6:
		return "informational"
	case 7:
		return "debug"
	}
	return ""
}

func uintValue(e *Event, n uint64) Value {
	m := e.mark()
	e.buf = strconv.AppendUint(e.buf, n, 10)
	return Number(e.since(m))
}

// put adds a field or replaces its value, during decoding.
func (e *Event) put(name string, v Value) {
	if i := e.find(name); i >= 0 {
		e.fields[i].Value = v
		return
	}
	e.add(name, v)
}
