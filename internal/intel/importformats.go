package intel

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/ioc"
	"bulwark/internal/misp"
	"bulwark/internal/stix"
)

// fromPath imports a file, or for MISP feeds a folder or URL.
func (imp *importer) fromPath(ctx context.Context, path string) error {
	if imp.opts.Format == FormatMISPFeed {
		return imp.mispFeed(ctx, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "cannot open the import file")
	}
	defer f.Close()
	return imp.fromReader(ctx, f)
}

func (imp *importer) fromReader(ctx context.Context, r io.Reader) error {
	cr := countingReader{r: r, n: &imp.read}
	br := bufio.NewReaderSize(cr, 256<<10)
	switch imp.opts.Format {
	case FormatSTIX:
		return imp.stixBundle(ctx, br)
	case FormatMISP:
		return imp.mispEvent(ctx, br, "")
	case FormatCSV:
		return imp.csvFile(ctx, br)
	case FormatPlain:
		return imp.plainList(ctx, br)
	}
	return errs.Field("format", "%s cannot be read from a single file", imp.opts.Format)
}

// --- STIX 2.1 ---

type stixCommon struct {
	ObjectMarkingRefs []string `json:"object_marking_refs"`
	Labels            []string `json:"labels"`
	Revoked           bool     `json:"revoked"`
}

func (imp *importer) stixBundle(ctx context.Context, r io.Reader) error {
	rd := stix.NewReader(r, stix.ReaderOptions{})
	marks := stix.NewMarkings()
	for {
		obj, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		where := fmt.Sprintf("object %d", obj.Index)
		if obj.ID != "" {
			where += " (" + obj.ID + ")"
		}
		var oe *stix.ObjectError
		if err != nil {
			if errors.As(err, &oe) {
				imp.problem("rejected", where, "", strings.TrimPrefix(oe.Err.Error(), "stix: "))
				continue
			}
			return errs.Wrap(errs.Invalid, err, "the STIX bundle cannot be read: "+err.Error())
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		switch obj.Type {
		case "marking-definition":
			marks.Learn(obj)
		case "indicator":
			if err := imp.stixIndicator(ctx, obj, where, marks); err != nil {
				return err
			}
		case "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file", "autonomous-system":
			obs, err := stix.DecodeObservable(obj)
			if err != nil {
				imp.problem("rejected", where, "", strings.TrimPrefix(err.Error(), "stix: "))
				continue
			}
			var cm stixCommon
			_ = json.Unmarshal(obj.Raw, &cm)
			tlp := imp.opts.TLP
			if l, ok := marks.TLP(cm.ObjectMarkingRefs, nil); ok {
				tlp = access.TLP(l)
			}
			for _, o := range obs {
				if err := imp.add(ctx, where, Input{Type: o.Type, Value: o.Value, TLP: tlp}); err != nil {
					return err
				}
			}
		}
		// Other objects (identities, reports, relationships, malware) carry
		// no indicator value; they are read and passed over.
	}
}

func (imp *importer) stixIndicator(ctx context.Context, obj stix.Object, where string, marks *stix.Markings) error {
	ind, err := stix.DecodeIndicator(obj.Raw)
	if err != nil {
		imp.problem("rejected", where, "", strings.TrimPrefix(err.Error(), "stix: "))
		return nil
	}
	if ind.PatternType != "stix" {
		imp.problem("rejected", where, ind.Pattern, "pattern type "+ind.PatternType+" is not STIX patterning")
		return nil
	}
	x, err := stix.Extract(ind.Pattern)
	if err != nil {
		imp.problem("rejected", where, ind.Pattern, "invalid pattern: "+err.Error())
		return nil
	}
	for _, r := range x.Reasons {
		imp.problem("partial", where, r.Expr, r.Why)
	}
	if len(x.Observables) == 0 {
		imp.problem("rejected", where, ind.Pattern, "the pattern holds no simple indicator")
		return nil
	}
	tlp := imp.opts.TLP
	if l, ok := marks.TLP(ind.ObjectMarkingRefs, ind.Labels); ok {
		tlp = access.TLP(l)
	}
	var tags []string
	for _, l := range append(append([]string{}, ind.Labels...), ind.IndicatorTypes...) {
		if !strings.HasPrefix(strings.ToLower(l), "tlp:") && len(tags) < MaxTags/2 && len(l) <= MaxTagLen && !strings.Contains(l, ",") {
			tags = append(tags, l)
		}
	}
	desc := ind.Name
	if ind.Description != "" {
		if desc != "" {
			desc += ": "
		}
		desc += ind.Description
	}
	in := Input{TLP: tlp, Confidence: ind.Confidence, Tags: tags, Description: truncate(desc, MaxDescription-8), Revoked: ind.Revoked}
	if !ind.ValidFrom.IsZero() {
		vf := ind.ValidFrom
		in.FirstSeen = &vf
	}
	if !ind.Modified.IsZero() && !ind.Modified.Before(ind.ValidFrom) {
		m := ind.Modified
		in.LastSeen = &m
	}
	if !ind.ValidUntil.IsZero() {
		vu := ind.ValidUntil
		in.ValidUntil = &vu
	}
	for _, o := range x.Observables {
		in.Type, in.Value = o.Type, o.Value
		if err := imp.add(ctx, where, in); err != nil {
			return err
		}
	}
	return nil
}

// --- MISP ---

// mispEvent reads one event. MISP may write the event's tags after its
// attributes, so attributes are spooled to a temporary file and stored
// once the event's TLP is known: memory stays flat for huge events.
func (imp *importer) mispEvent(ctx context.Context, r io.Reader, prefix string) error {
	spool, err := os.CreateTemp(imp.s.cfg.SpoolDir, "bulwark-misp-*.jsonl")
	if err != nil {
		return fmt.Errorf("intel: spool misp attributes: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	bw := bufio.NewWriterSize(spool, 256<<10)
	enc := json.NewEncoder(bw)
	n := 0
	ev, err := misp.ReadEvent(r, misp.ReadOptions{}, func(a misp.Attribute) error {
		n++
		return enc.Encode(a)
	})
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "the MISP event cannot be read: "+strings.TrimPrefix(err.Error(), "misp: "))
	}
	for _, pr := range ev.Problems {
		imp.problem("rejected", fmt.Sprintf("%sattribute %d (%s)", prefix, pr.Index, pr.UUID), "", pr.Err.Error())
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("intel: spool misp attributes: %w", err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("intel: spool misp attributes: %w", err)
	}
	dec := json.NewDecoder(bufio.NewReaderSize(spool, 256<<10))
	source := imp.opts.Source
	if ev.Orgc.Name != "" && imp.opts.Format == FormatMISPFeed {
		source = truncate("misp:"+ev.Orgc.Name, MaxSource-4)
	}
	for i := 0; i < n; i++ {
		var a misp.Attribute
		if err := dec.Decode(&a); err != nil {
			return fmt.Errorf("intel: read spooled attribute: %w", err)
		}
		where := fmt.Sprintf("%sattribute %d (%s)", prefix, a.Index, a.UUID)
		if a.Deleted || (!a.ToIDs && !imp.opts.IncludeNonIDS) {
			continue
		}
		obs, err := misp.Map(a)
		if err != nil {
			imp.problem("rejected", where, a.Value, strings.TrimPrefix(err.Error(), "misp: "))
			continue
		}
		in := Input{TLP: access.TLP(ev.AttributeTLP(a)), Description: truncate(a.Comment, MaxDescription-8), Source: source}
		for _, t := range append(append([]misp.Tag{}, a.Tags...), ev.Tags...) {
			if _, isTLP := misp.TLPFromTag(t.Name); !isTLP && len(in.Tags) < MaxTags/2 && len(t.Name) <= MaxTagLen && !strings.Contains(t.Name, ",") {
				in.Tags = append(in.Tags, t.Name)
			}
		}
		if a.Timestamp > 0 {
			ts := time.Unix(a.Timestamp, 0).UTC()
			in.FirstSeen, in.LastSeen = &ts, &ts
		}
		for _, o := range obs {
			in.Type, in.Value = o.Type, o.Value
			if err := imp.add(ctx, where, in); err != nil {
				return err
			}
		}
	}
	return nil
}

func (imp *importer) mispFeed(ctx context.Context, location string) error {
	var feed *misp.Feed
	if strings.HasPrefix(location, "http://") || strings.HasPrefix(location, "https://") {
		var err error
		if feed, err = misp.NewHTTPFeed(imp.s.http, location); err != nil {
			return errs.Wrap(errs.Invalid, err, "bad MISP feed URL")
		}
	} else {
		abs, err := filepath.Abs(location)
		if err != nil {
			return errs.Wrap(errs.Invalid, err, "bad MISP feed folder")
		}
		feed = misp.NewFSFeed(os.DirFS(abs))
	}
	events, err := feed.EventsSince(ctx, imp.opts.Since)
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "the MISP feed manifest cannot be read: "+err.Error())
	}
	imp.s.mu.Lock()
	imp.job.BytesTotal = int64(len(events))
	imp.s.mu.Unlock()
	for i, ev := range events {
		if err := ctx.Err(); err != nil {
			return err
		}
		rc, err := feed.OpenEvent(ctx, ev.UUID)
		if err != nil {
			imp.problem("rejected", "event "+ev.UUID, "", err.Error())
			continue
		}
		err = imp.mispEvent(ctx, rc, "event "+ev.UUID+" ")
		rc.Close()
		if err != nil {
			if errs.KindOf(err) != errs.Invalid {
				return err
			}
			imp.problem("rejected", "event "+ev.UUID, "", errs.Message(err))
		}
		imp.read.Store(int64(i + 1))
	}
	return nil
}

// --- CSV and plain lists ---

type csvCols struct {
	value, typ, tlp, tags, desc, conf, first, last, until int
}

func resolveColumn(spec string, header []string, field string) (int, error) {
	if spec == "" {
		return -1, nil
	}
	if n, err := strconv.Atoi(spec); err == nil {
		if n < 1 || n > 1000 {
			return 0, errs.Field("csv."+field, "column numbers start at 1")
		}
		return n - 1, nil
	}
	for i, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), spec) {
			return i, nil
		}
	}
	return 0, errs.Field("csv."+field, "no column is named %q", spec)
}

func (imp *importer) csvFile(ctx context.Context, r io.Reader) error {
	m := imp.opts.CSV
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = 0
	cr.Comment = '#'
	if m.Comma != "" {
		rs := []rune(m.Comma)
		if len(rs) != 1 || rs[0] == '"' || rs[0] == '\n' || rs[0] == '\r' {
			return errs.Field("csv.comma", "must be one character")
		}
		cr.Comma = rs[0]
	}
	var header []string
	if m.Header {
		h, err := cr.Read()
		if err != nil {
			return errs.Wrap(errs.Invalid, err, "the CSV header cannot be read")
		}
		header = append([]string(nil), h...)
	}
	var cols csvCols
	for _, c := range []struct {
		spec, name string
		dst        *int
	}{{m.Value, "value", &cols.value}, {m.Type, "type", &cols.typ}, {m.TLP, "tlp", &cols.tlp}, {m.Tags, "tags", &cols.tags},
		{m.Description, "description", &cols.desc}, {m.Confidence, "confidence", &cols.conf}, {m.FirstSeen, "first_seen", &cols.first},
		{m.LastSeen, "last_seen", &cols.last}, {m.ValidUntil, "valid_until", &cols.until}} {
		i, err := resolveColumn(c.spec, header, c.name)
		if err != nil {
			return err
		}
		*c.dst = i
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				imp.s.mu.Lock()
				imp.job.Items++
				imp.s.mu.Unlock()
				imp.problem("rejected", fmt.Sprintf("line %d", pe.Line), "", pe.Err.Error())
				if errors.Is(pe.Err, csv.ErrFieldCount) {
					continue
				}
				if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
					continue
				}
			}
			return errs.Wrap(errs.Invalid, err, "the CSV file cannot be read: "+err.Error())
		}
		line, _ := cr.FieldPos(0)
		where := fmt.Sprintf("line %d", line)
		get := func(i int) string {
			if i < 0 || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		in := Input{Value: get(cols.value), Type: get(cols.typ), TLP: access.TLP(get(cols.tlp)), Description: get(cols.desc)}
		if t := get(cols.tags); t != "" {
			in.Tags = strings.FieldsFunc(t, func(r rune) bool { return r == '|' || r == ';' || r == ' ' })
		}
		if c := get(cols.conf); c != "" {
			n, err := strconv.Atoi(c)
			if err != nil {
				imp.problem("rejected", where, in.Value, "confidence is not a whole number")
				continue
			}
			in.Confidence = &n
		}
		bad := false
		for _, d := range []struct {
			col  int
			name string
			dst  **time.Time
		}{{cols.first, "first_seen", &in.FirstSeen}, {cols.last, "last_seen", &in.LastSeen}, {cols.until, "valid_until", &in.ValidUntil}} {
			if s := get(d.col); s != "" {
				t, err := parseLooseTime(s)
				if err != nil {
					imp.problem("rejected", where, in.Value, d.name+": "+err.Error())
					bad = true
					break
				}
				*d.dst = &t
			}
		}
		if bad {
			continue
		}
		if err := imp.typed(ctx, where, in); err != nil {
			return err
		}
	}
}

// typed fills the type of an item from the options or by detection.
func (imp *importer) typed(ctx context.Context, where string, in Input) error {
	if in.Type == "" {
		in.Type = imp.opts.Type
	}
	if in.Type == "" && in.Value != "" {
		t, _, err := ioc.Detect(in.Value)
		if err != nil {
			imp.s.mu.Lock()
			imp.job.Items++
			imp.s.mu.Unlock()
			imp.problem("rejected", where, in.Value, "type not recognised: "+err.Error())
			return nil
		}
		in.Type = string(t)
	}
	return imp.add(ctx, where, in)
}

// plainList reads one value per line; blank lines and # comments are
// skipped; a value may be followed by white space and a comment.
func (imp *importer) plainList(ctx context.Context, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") || strings.HasPrefix(s, ";") {
			continue
		}
		if i := strings.IndexAny(s, " \t"); i > 0 {
			s = s[:i]
		}
		if err := imp.typed(ctx, fmt.Sprintf("line %d", line), Input{Value: s}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return errs.E(errs.Invalid, "line %d is longer than 64 KiB; is this a plain list?", line+1)
		}
		return fmt.Errorf("intel: read list: %w", err)
	}
	return nil
}

// parseLooseTime accepts RFC 3339, "YYYY-MM-DD HH:MM:SS", a date, or Unix
// seconds: what CSV exports of other tools write.
func parseLooseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 && n < 1<<40 {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date", truncate(s, 40))
}
