package detect

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"bulwark/internal/detect/decode"
	"bulwark/internal/detect/index"
)

// HuntOptions configure an offline hunt.
type HuntOptions struct {
	Rules *Rules // nil: indicators only
	// Index and Values come from ReadIndicatorList; nil: rules only.
	// Values[id-1] is the indicator of id.
	Index  *index.Index
	Values []string
	// Format decodes the files (default auto: any JSON layout decode
	// recognises).
	Format decode.SourceKind
	Decode decode.Options
}

// HuntMatch is one hit in a file, printed as one JSON line.
type HuntMatch struct {
	File  string `json:"file"`
	Entry string `json:"entry,omitempty"` // the member of a zip archive
	Line  int    `json:"line"`
	Kind  string `json:"kind"`
	// Rule hits.
	RuleID string `json:"rule_id,omitempty"`
	Title  string `json:"title,omitempty"`
	Author string `json:"author,omitempty"`
	Level  string `json:"level,omitempty"`
	// Indicator hits.
	Indicator string `json:"indicator,omitempty"`
	// Fields are the matched field (indicator hits) or the fields the rule
	// lists as relevant, with the event's values.
	Fields map[string]string `json:"fields,omitempty"`
}

// HuntSummary counts a hunt.
type HuntSummary struct {
	Files         int            `json:"files"`
	Events        int            `json:"events"`
	Rejected      int            `json:"rejected"`
	Matches       int            `json:"matches"`
	EventsMatched int            `json:"events_matched"`
	ByTitle       map[string]int `json:"by_title,omitempty"`
	Took          time.Duration  `json:"took_ns"`
}

// Hunt evaluates the rules and indicators over files without a server:
// NDJSON or text lines in the chosen format, or pretty-printed JSON (one
// object, several, or an array of them, as EVTX converters write single
// records), gzip-compressed (.gz, with the gzip bomb guard) or in zip
// archives (each .json or .ndjson member). It
// calls out for every hit, in file order. Bad lines are counted, not fatal;
// an unreadable file is.
func Hunt(ctx context.Context, opts HuntOptions, files []string, out func(HuntMatch) error) (HuntSummary, error) {
	start := time.Now()
	if opts.Format == "" {
		opts.Format = decode.KindAuto
	}
	dec, err := decode.New(opts.Format, opts.Decode)
	if err != nil {
		return HuntSummary{}, fmt.Errorf("detect: hunt: %w", err)
	}
	e := NewEngine()
	e.SetRules(opts.Rules)
	e.index.Store(opts.Index)
	snap := e.Snapshot()
	correlating := opts.Rules != nil && opts.Rules.Correlating > 0
	sum := HuntSummary{ByTitle: map[string]int{}}
	var hits []Hit
	// Pretty-printed JSON is recognised in the JSON formats only: a line
	// of a web server or syslog file may well start with '['.
	read := decodeStream
	if opts.Format == decode.KindAccessLog || opts.Format == decode.KindSyslog {
		read = decode.DecodeLines
	}
	// Events are decoded into reused storage, released after each event
	// that raised nothing; a matched event's strings live on in the
	// matches handed out and in correlation windows.
	var mem decode.Memory
	memDec := decode.WithMemory(dec, &mem)
	var cur decode.Event
	scan := func(name, entry string, r io.Reader) error {
		return read(r, memDec, opts.Decode, func(n int, e decode.Event, err error) error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				sum.Rejected++
				return nil
			}
			sum.Events++
			cur = e // matched through a pointer: one variable, not one per event
			ev := &cur
			// Correlation windows use the event's own time: in an old
			// file the time it is read means nothing.
			var at time.Time
			if correlating {
				at = eventTime(ev, time.Now())
			}
			hits = snap.Match(ev, 0, at, hits[:0])
			if len(hits) == 0 {
				mem.Release()
				return nil
			}
			sum.EventsMatched++
			for i := range hits {
				h := &hits[i]
				m := HuntMatch{File: name, Entry: entry, Line: n, Kind: h.Kind}
				if h.Kind == HitIndicator {
					if id := h.Indicator; id >= 1 && int(id) <= len(opts.Values) {
						m.Indicator = opts.Values[id-1]
					}
					if sameIndicator(hits[:i], opts.Values, m.Indicator) {
						continue // a list may repeat a value under several families
					}
					m.Title = "Indicator " + h.IndicatorKind.String() + " " + m.Indicator
					m.Fields = map[string]string{h.Field: h.Value}
				} else {
					m.RuleID, m.Title, m.Author, m.Level = h.Rule.ID, h.Rule.Title, h.Rule.Author, h.Rule.Level
					m.Fields = ruleFields(h, ev)
				}
				sum.Matches++
				sum.ByTitle[m.Title]++
				if err := out(m); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for _, f := range files {
		sum.Files++
		base := filepath.Base(f)
		if err := ForEachStream(f, func(entry string, r io.Reader) error { return scan(base, entry, r) }); err != nil {
			return sum, err
		}
	}
	sum.Took = time.Since(start)
	return sum, nil
}

// ruleFields are the event's values of the fields a rule lists, or of the
// usual process and network fields when it lists none.
func ruleFields(h *Hit, ev *decode.Event) map[string]string {
	out := map[string]string{}
	for _, names := range [][]string{h.Rule.Fields, {"Image", "CommandLine", "TargetImage", "ParentImage", decode.FieldSourceIP,
		decode.FieldDestinationIP, decode.FieldDNSQuestion, decode.FieldURLOriginal}} {
		for _, n := range names {
			if t := ev.Text(n); t != "" && len(out) < 10 {
				out[n] = truncate(t, 500)
			}
		}
		if len(out) > 0 {
			break
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// ForEachStream opens an event file and calls fn with each stream in it:
// the file itself, its decompressed content (.gz, with the gzip bomb
// guard), or each .json, .ndjson and .log member of a .zip archive (entry
// names the member).
func ForEachStream(name string, fn func(entry string, r io.Reader) error) error {
	base := filepath.Base(name)
	if strings.HasSuffix(strings.ToLower(name), ".zip") {
		zr, err := zip.OpenReader(name)
		if err != nil {
			return fmt.Errorf("detect: open %s: %w", base, err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			low := strings.ToLower(f.Name)
			if !strings.HasSuffix(low, ".json") && !strings.HasSuffix(low, ".ndjson") && !strings.HasSuffix(low, ".log") {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				return fmt.Errorf("detect: open %s: %s: %w", base, f.Name, err)
			}
			err = fn(f.Name, io.LimitReader(rc, decode.DefaultGzipMaxBytes))
			rc.Close()
			if err != nil {
				return fmt.Errorf("detect: read %s: %s: %w", base, f.Name, err)
			}
		}
		return nil
	}
	fh, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	defer fh.Close()
	var r io.Reader = fh
	if strings.HasSuffix(strings.ToLower(name), ".gz") {
		zr, err := decode.NewGzipReader(fh, decode.GzipLimits{})
		if err != nil {
			return fmt.Errorf("detect: open %s: %w", base, err)
		}
		defer zr.Close()
		r = zr
	}
	if err := fn("", r); err != nil {
		return fmt.Errorf("detect: read %s: %w", base, err)
	}
	return nil
}

func sameIndicator(prev []Hit, values []string, v string) bool {
	for _, h := range prev {
		if h.Kind == HitIndicator && h.Indicator >= 1 && int(h.Indicator) <= len(values) && values[h.Indicator-1] == v {
			return true
		}
	}
	return false
}

// maxPrettyJSONBytes bounds a pretty-printed JSON stream, which is read
// whole; NDJSON streams have no such bound (only a line's).
var maxPrettyJSONBytes = 64 << 20

// decodeStream decodes r as lines (decode.DecodeLines) or, when it holds
// pretty-printed JSON, object by object. A stream is pretty-printed JSON
// when it starts with '[' (a JSON array: never an NDJSON line) or its first
// line is a lone '{' (an NDJSON line holds a whole object). Each object of
// such a stream, or each element of its array, is compacted to one line
// and decoded; lineNo is the line where the object starts.
func decodeStream(r io.Reader, d decode.Decoder, o decode.Options, fn func(lineNo int, ev decode.Event, err error) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(64 << 10)
	if !prettyJSON(head) {
		return decode.DecodeLines(br, d, o, fn)
	}
	data, err := io.ReadAll(io.LimitReader(br, int64(maxPrettyJSONBytes)+1))
	if err != nil {
		return err
	}
	if len(data) > maxPrettyJSONBytes {
		return fmt.Errorf("pretty-printed JSON larger than %d MiB: write one object per line (for example with jq -c)", maxPrettyJSONBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	start := bytes.IndexFunc(data, func(r rune) bool { return r != ' ' && r != '\t' && r != '\r' && r != '\n' })
	array := start >= 0 && data[start] == '['
	if array {
		if _, err := dec.Token(); err != nil {
			return err
		}
	}
	var line bytes.Buffer
	// Lines are counted from where the last count stopped: offsets only
	// grow, and counting from the start for every object would cost the
	// square of the stream's length.
	counted, countedLine := 0, 1 // countedLine is the line of data[counted]
	lineAt := func(off int) int {
		countedLine += bytes.Count(data[counted:off], []byte{'\n'})
		counted = off
		return countedLine
	}
	for dec.More() {
		off := int(dec.InputOffset())
		for off < len(data) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
			off++
		}
		lineNo := lineAt(off)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			// The rest of the stream cannot be split into objects.
			var se *json.SyntaxError
			switch {
			case errors.As(err, &se):
				return fn(lineNo, decode.Event{}, &decode.Error{Reason: decode.ReasonJSONSyntax, Line: lineNo, Offset: se.Offset, Msg: se.Error()})
			case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF): // EOF: after an array's comma
				return fn(lineNo, decode.Event{}, &decode.Error{Reason: decode.ReasonJSONSyntax, Line: lineNo, Offset: -1, Msg: "the stream ends inside an object"})
			}
			return err
		}
		line.Reset()
		var ev decode.Event
		err := json.Compact(&line, raw)
		if err == nil {
			ev, err = d.Decode(line.Bytes())
		}
		if ferr := fn(lineNo, ev, err); ferr != nil {
			return ferr
		}
	}
	// What follows the records (past the array's closing bracket, which
	// a cut stream may lack) is not read: it is rejected rather than
	// silently skipped.
	off := int(dec.InputOffset())
	skip := func() {
		for off < len(data) && strings.IndexByte(" \t\r\n", data[off]) >= 0 {
			off++
		}
	}
	skip()
	if array && off < len(data) && data[off] == ']' {
		off++
		skip()
	}
	if off < len(data) {
		n := lineAt(off)
		return fn(n, decode.Event{}, &decode.Error{Reason: decode.ReasonJSONSyntax, Line: n, Offset: -1, Msg: "data after the JSON records"})
	}
	return nil
}

// prettyJSON reports whether a stream starting with head is pretty-printed
// JSON rather than one object per line (see decodeStream).
func prettyJSON(head []byte) bool {
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(head) == 0 {
		return false
	}
	if head[0] == '[' {
		return true
	}
	first, _, _ := bytes.Cut(head, []byte{'\n'})
	return string(bytes.TrimSpace(first)) == "{"
}
