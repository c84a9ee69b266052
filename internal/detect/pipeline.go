package detect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"bulwark/internal/access"
	"bulwark/internal/detect/decode"
	"bulwark/internal/detect/index"
	"bulwark/internal/errs"
	"bulwark/internal/intel"
	"bulwark/internal/store"
)

// MaxLineErrors is how many line errors an ingest result lists; the rest
// are only counted.
const MaxLineErrors = 20

// ErrOverloaded is returned when every worker is busy and the wait queue
// is full or the wait ran out: the sender retries later (HTTP 429 with
// Retry-After). Nothing of the batch was processed.
var ErrOverloaded = errs.E(errs.RateLimited, "detection is overloaded; retry later")

// IngestResult counts what happened to a batch. Every line is either
// accepted (and then matched or unmatched) or rejected with a reason.
type IngestResult struct {
	Accepted   int            `json:"accepted"`
	Rejected   int            `json:"rejected"`
	Matched    int            `json:"matched"` // accepted events with at least one hit
	Alerts     int            `json:"alerts"`  // alerts opened or updated
	RejectedBy map[string]int `json:"rejected_by,omitempty"`
	Errors     []LineError    `json:"errors,omitempty"`
	// Stopped says why the rest of the input was not read (a gzip bomb,
	// a lying frame length, a body over the size limit); empty when all
	// of it was read.
	Stopped string `json:"stopped,omitempty"`
	// Duplicate is true when the batch key was applied before (a JetStream
	// redelivery): nothing was counted twice.
	Duplicate bool `json:"duplicate,omitempty"`
	// Queued is true when the events went to the stream: accepted there,
	// matched by the ingest workers.
	Queued bool `json:"queued,omitempty"`
}

// LineError is one rejected line.
type LineError struct {
	Line    int    `json:"line"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

func (r *IngestResult) reject(line int, err error) {
	// A gzip guard error reaches the line reader as a read error: report
	// the guard's reason, not "io".
	var de *decode.Error
	for errors.As(err, &de) && de.Reason == decode.ReasonIO && de.Err != nil {
		var inner *decode.Error
		if !errors.As(de.Err, &inner) {
			break
		}
		err = inner
	}
	reason := string(decode.ReasonOf(err))
	r.Rejected++
	if r.RejectedBy == nil {
		r.RejectedBy = map[string]int{}
	}
	r.RejectedBy[reason]++
	if len(r.Errors) < MaxLineErrors {
		msg := reason
		if errors.As(err, &de) {
			msg = de.Msg
			if de.Reason == decode.ReasonIO && de.Err != nil {
				msg = "read failed: " + de.Err.Error()
			}
		}
		r.Errors = append(r.Errors, LineError{Line: line, Reason: reason, Message: msg})
	}
}

func (r *IngestResult) add(o IngestResult) {
	r.Accepted += o.Accepted
	r.Matched += o.Matched
	r.Alerts += o.Alerts
	r.Duplicate = r.Duplicate || o.Duplicate
}

// acquire takes a worker slot, waiting at most QueueWait in a bounded
// queue; release gives it back.
func (s *Service) acquire(ctx context.Context) (release func(), err error) {
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, nil
	default:
	}
	select {
	case s.waits <- struct{}{}:
	default:
		s.metrics.overload()
		return nil, ErrOverloaded
	}
	defer func() { <-s.waits }()
	t := time.NewTimer(s.cfg.QueueWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, nil
	case <-t.C:
		s.metrics.overload()
		return nil, ErrOverloaded
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// QueueDepth is the number of batches being processed or waiting.
func (s *Service) QueueDepth() int { return len(s.slots) + len(s.waits) }

// Ingest reads NDJSON (or any line format of the source) from r, gunzipped
// when gz, decodes it with the source's format, matches it and stores the
// alerts, in chunks of Config.BatchLines; it returns after the last chunk
// is stored. A bad line is rejected with its reason and the rest goes on;
// a stream error (gzip bomb, body too large) stops reading and is reported
// in Stopped. It returns ErrOverloaded when no worker frees up in time.
func (s *Service) Ingest(ctx context.Context, src Source, r io.Reader, gz bool) (IngestResult, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return IngestResult{}, err
	}
	defer release()
	dec, ok := s.decoders[decode.SourceKind(src.Format)]
	if !ok {
		return IngestResult{}, errs.E(errs.Invalid, "source format %q has no decoder", src.Format)
	}
	r = io.LimitReader(r, s.cfg.MaxBatchBytes+1)
	counted := &countingReader{r: r}
	r = counted
	if gz {
		zr, err := decode.NewGzipReader(r, decode.GzipLimits{MaxBytes: s.cfg.MaxBatchBytes})
		if err != nil {
			res := IngestResult{Stopped: string(decode.ReasonOf(err))}
			res.reject(0, err)
			s.countSource(src, res)
			return res, nil
		}
		defer zr.Close()
		r = zr
	}
	var res IngestResult
	lr := decode.NewLineReader(r, s.cfg.Decode.MaxLineBytes)
	batch := make([]decode.Event, 0, min(s.cfg.BatchLines, 256))
	mem := getBatchMemory()
	defer batchMemories.Put(mem)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		o, err := s.process(ctx, src, batch, "", mem.Keep)
		if err != nil {
			return err
		}
		res.add(o)
		clear(batch)
		batch = batch[:0]
		mem.Release()
		return nil
	}
	for {
		line, n, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			res.reject(n, err)
			var de *decode.Error
			if errors.As(err, &de) && de.Fatal {
				res.Stopped = res.Errors[len(res.Errors)-1].Reason
				if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
					res.Stopped = "body_too_large" // the server's body limit
				}
				break
			}
			continue
		}
		ev, err := dec.DecodeWith(line, mem.At(len(batch)))
		if err != nil {
			res.reject(n, err)
			continue
		}
		ev.Delete(decode.FieldSourceToken)
		batch = append(batch, ev)
		if len(batch) >= s.cfg.BatchLines {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	if counted.n > s.cfg.MaxBatchBytes && res.Stopped == "" {
		res.Stopped = "body_too_large"
	}
	if err := flush(); err != nil {
		return res, err
	}
	s.countRejects(src, res)
	return res, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// countRejects adds a batch's rejected lines to the source's counters and
// metrics (Process counts the accepted ones).
func (s *Service) countRejects(src Source, res IngestResult) {
	if res.Rejected == 0 {
		return
	}
	for reason, n := range res.RejectedBy {
		s.metrics.rejected(src, reason, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.db.Exec(ctx, `UPDATE detect_sources SET rejected_total = rejected_total + ? WHERE id = ?`, res.Rejected, src.ID); err != nil {
		s.log.Warn("count rejected events", "source_id", src.ID, "err", err)
	}
}

// countSource is countRejects for a batch that stopped before any line.
func (s *Service) countSource(src Source, res IngestResult) { s.countRejects(src, res) }

// alertKey identifies an open alert for deduplication.
type alertKey struct {
	kind, match, entity string
}

// pending is one alert's share of a batch.
type pending struct {
	key         alertKey
	title       string
	author      string
	severity    string
	tags        string
	hits        int64
	first, last time.Time
	samples     []string
	observables []Observable
	indicator   int64
	system      *AlertSystem
}

// Process matches decoded events of one source and stores their alerts,
// the source's counters and (after commit) the indicator sightings in one
// transaction. A non-empty batchKey makes it idempotent: a batch applied
// before is skipped and reported as Duplicate (JetStream redelivery).
// It does not check access: the caller authenticated the source.
func (s *Service) Process(ctx context.Context, src Source, events []decode.Event, batchKey string) (IngestResult, error) {
	return s.process(ctx, src, events, batchKey, nil)
}

// batchMemories holds the decoding storage of batches (decode.Memories),
// reused from batch to batch: once a batch is stored, the storage of each
// event that raised nothing is released. An event that raised a hit may
// live on in what the batch left behind (alert samples, observables,
// sightings), so its storage is kept. Correlation windows keep copies of
// the values they group by and count, so an event that only fed a
// correlation is released like any other.
var batchMemories = sync.Pool{New: func() any { return new(decode.Memories) }}

// getBatchMemory returns batch memories, none handed out (a batch
// abandoned by an error left its events their storage).
func getBatchMemory() *decode.Memories {
	m := batchMemories.Get().(*decode.Memories)
	m.Forget()
	return m
}

// process is Process that calls hit(i) for each event i that raised a hit.
func (s *Service) process(ctx context.Context, src Source, events []decode.Event, batchKey string, hit func(int)) (IngestResult, error) {
	start := time.Now()
	now := s.now()
	snap := s.engine.Snapshot()
	var res IngestResult
	res.Accepted = len(events)
	agg := map[alertKey]*pending{}
	var order []*pending
	var hits []Hit
	// Correlation windows count events by when they happened; reading the
	// time costs a little, so only when correlation rules are loaded.
	evTime := snap.Rules != nil && snap.Rules.Correlating > 0
	// A stream batch that comes again is matched again (its alerts are
	// stored only if it was not), but its events are counted in the
	// correlation windows once.
	if evTime && batchKey != "" && !snap.Rules.firstSight(src.AgencyID, batchKey) {
		snap.replay = true
	}
	for i := range events {
		ev := &events[i]
		at := now
		if evTime {
			at = eventTime(ev, now)
		}
		hits = snap.Match(ev, src.AgencyID, at, hits[:0])
		if len(hits) == 0 {
			continue
		}
		if hit != nil {
			hit(i)
		}
		res.Matched++
		for j := range hits {
			h := &hits[j]
			k := alertKey{kind: h.Kind, match: h.matchKey(), entity: entityOf(h, ev)}
			p := agg[k]
			if p == nil {
				p = s.newPending(src, h, k, ev, now)
				agg[k] = p
				order = append(order, p)
			}
			p.hits++
			if len(p.samples) < s.cfg.MaxSamples {
				p.samples = append(p.samples, s.sample(ev))
			}
		}
	}
	// Matching has changed the correlation windows, which the transaction
	// does not roll back: a batch that failed here and came again (a stream
	// redelivery, a sender's retry) would count its events twice, and a
	// correlation alert that fired (its group started afresh) would be
	// lost. So a transaction that failed for a reason that may pass is
	// tried again, with the alerts already worked out, before the batch
	// fails.
	matched := res
	err := s.storeRetrying(ctx, func(tx *store.Tx) error {
		res = matched
		if batchKey != "" {
			r, err := tx.Exec(ctx, `INSERT INTO detect_batches (batch_key, applied_at) VALUES (?, ?) ON CONFLICT (batch_key) DO NOTHING`, batchKey, now)
			if err != nil {
				return fmt.Errorf("detect: record batch: %w", store.Translate(err))
			}
			if n, _ := r.RowsAffected(); n == 0 {
				res = IngestResult{Duplicate: true}
				return nil
			}
		}
		for _, p := range order {
			if err := s.storeAlert(ctx, tx, src, p); err != nil {
				return err
			}
		}
		res.Alerts = len(order)
		if _, err := tx.Exec(ctx, `UPDATE detect_sources SET accepted_total = accepted_total + ?, matched_total = matched_total + ?, last_event_at = ? WHERE id = ?`,
			res.Accepted, res.Matched, now, src.ID); err != nil {
			return fmt.Errorf("detect: count events of source %d: %w", src.ID, store.Translate(err))
		}
		return nil
	})
	if err != nil {
		return IngestResult{}, err
	}
	if res.Duplicate {
		s.metrics.duplicate()
		return res, nil
	}
	s.addRate(src.ID, res.Accepted, now)
	s.metrics.processed(src, res, order, time.Since(start))
	s.recordSightings(src, order)
	return res, nil
}

// storeRetries are the pauses before each new attempt of a batch's
// transaction (see process): about three seconds in all, well within a
// stream's redelivery wait.
var storeRetries = []time.Duration{100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second}

// storeRetrying runs fn in a transaction, again after each of the
// storeRetries pauses while it fails for a reason that may pass (an
// unclassified database error, the database unavailable) and ctx lasts.
// Every retry is counted.
func (s *Service) storeRetrying(ctx context.Context, fn func(tx *store.Tx) error) error {
	err := s.db.Transact(ctx, fn)
	for _, pause := range storeRetries {
		if k := errs.KindOf(err); err == nil || (k != errs.Internal && k != errs.Unavailable) {
			return err
		}
		s.log.Warn("detect: storing a batch failed; trying again", "err", err, "pause", pause)
		s.metrics.storeRetry()
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
		err = s.db.Transact(ctx, fn)
	}
	return err
}

// Bounds of a believable event time. An event stamped more than
// maxEventTimeAhead after its arrival (a sensor clock set wrong, local
// time east of UTC written as UTC, a year guessed wrong for a syslog
// date) or before minEventTime (an unset clock reads 1970 or 1601) is
// correlated at its arrival time instead. The bound ahead is a clock's
// drift, no more: a group's window ends at the latest time it has seen,
// so one event stamped hours ahead (a wrong clock, or a forged time)
// would push the window past the real events that follow and hide them.
// Old events are believed, since a backfill or a hunt over last year's
// logs is exactly when they matter.
var minEventTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

const maxEventTimeAhead = 5 * time.Minute

// eventTimeFields are where an event's own time is read, in order: the
// decoders copy the source's time to decode.FieldTimestamp; the others
// are for events the auto decoder left in their own layout.
var eventTimeFields = [...]string{decode.FieldTimestamp, "ts", "TimeCreated", "EventTime", "timestamp", "UtcTime"}

// eventTime is the time correlation windows use for ev: its own timestamp
// when one parses (parseEventTime) and is believable (minEventTime,
// maxEventTimeAhead), else arrival, the time it reached Bulwark.
func eventTime(ev *decode.Event, arrival time.Time) time.Time {
	for _, f := range eventTimeFields {
		text := ev.Text(f)
		if text == "" {
			continue
		}
		t, ok := parseEventTime(text)
		if !ok {
			continue
		}
		if t.Before(minEventTime) || t.After(arrival.Add(maxEventTimeAhead)) {
			return arrival
		}
		return t
	}
	return arrival
}

// parseEventTime reads an event timestamp: ISO 8601 date and time (RFC
// 3339 as ECS, Winlogbeat, Windows SystemTime and decoded syslog write it;
// the offset without colon of Suricata and Wazuh; the space instead of T
// and no zone of Sysmon's UtcTime and NXLog's EventTime), the common log
// format of access logs, or Unix seconds (Zeek's ts, with a fraction) or
// milliseconds. A time without a zone is taken as UTC: Sysmon's UtcTime
// is, and so is what most shippers write; a source that logs local time
// without a zone is then off by its offset, consistently, which leaves its
// own correlation windows right.
func parseEventTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 9 || len(s) > 40 {
		return time.Time{}, false
	}
	if t, ok := parseISOTime(s); ok {
		return t, true
	}
	if t, ok := parseEpoch(s); ok {
		return t, true
	}
	if t, err := time.Parse("02/Jan/2006:15:04:05 -0700", s); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}

// parseISOTime reads YYYY-MM-DD[T ]hh:mm:ss[.fraction][Z|±hh:mm|±hhmm|±hh]
// by hand: time.Parse with a list of layouts costs an error allocation per
// layout that does not fit, on every event.
func parseISOTime(s string) (time.Time, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day, hour, minute, sec := num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2)
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	i, ns := 19, 0
	if i < len(s) && (s[i] == '.' || s[i] == ',') {
		i++
		start, scale := i, 100_000_000
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			ns += int(s[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == start {
			return time.Time{}, false
		}
	}
	var offset int
	switch rest := s[i:]; {
	case rest == "" || rest == "Z" || rest == "z":
	case rest[0] == '+' || rest[0] == '-':
		hh, mm := -1, 0
		switch len(rest) {
		case 3: // ±hh
			hh = num(i+1, 2)
		case 5: // ±hhmm
			hh, mm = num(i+1, 2), num(i+3, 2)
		case 6: // ±hh:mm
			if rest[3] == ':' {
				hh, mm = num(i+1, 2), num(i+4, 2)
			}
		}
		if hh < 0 || hh > 23 || mm < 0 || mm > 59 {
			return time.Time{}, false
		}
		offset = hh*3600 + mm*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, ns, time.UTC)
	if t.Day() != day { // 31 November
		return time.Time{}, false
	}
	return t.Add(-time.Duration(offset) * time.Second), true
}

// parseEpoch reads Unix seconds of 9 or 10 digits with an optional
// fraction, or milliseconds of 12 or 13 digits.
func parseEpoch(s string) (time.Time, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || strings.TrimLeft(whole+frac, "0123456789") != "" {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	switch len(whole) {
	case 9, 10:
		var ns int64
		if frac != "" {
			f := (frac + "000000000")[:9]
			ns, _ = strconv.ParseInt(f, 10, 64)
		}
		return time.Unix(n, ns).UTC(), true
	case 12, 13:
		if frac != "" {
			return time.Time{}, false
		}
		return time.UnixMilli(n).UTC(), true
	}
	return time.Time{}, false
}

func (s *Service) newPending(src Source, h *Hit, k alertKey, ev *decode.Event, now time.Time) *pending {
	p := &pending{key: k, first: now, last: now, system: s.systemOf(src, ev)}
	switch h.Kind {
	case HitIndicator:
		p.indicator = h.Indicator
		p.title = "Indicator " + h.IndicatorKind.String() + " " + h.Value
		p.severity = IndicatorSeverity(s.engine.Confidence(h.Indicator))
		p.observables = []Observable{{Type: h.IndicatorKind.String(), Value: h.Value}}
	default:
		p.title, p.author, p.severity = h.Rule.Title, h.Rule.Author, RuleSeverity(h.Rule)
		p.tags = strings.Join(h.Rule.Tags, " ")
		if h.Kind == HitCorrelation && len(h.Group) > 0 {
			p.title += " (" + strings.Join(h.Group, ", ") + ")"
		}
	}
	p.observables = appendObservables(p.observables, ev)
	p.title = truncate(p.title, 300)
	return p
}

// entityOf is the key entity of a hit: the indicator value, or for rules
// the host, else the source address, else the user.
func entityOf(h *Hit, ev *decode.Event) string {
	if h.Kind == HitIndicator {
		return truncate(h.Value, 300)
	}
	if h.Kind == HitCorrelation && len(h.Group) > 0 {
		return truncate(strings.Join(h.Group, "|"), 300)
	}
	for _, f := range []string{decode.FieldHostName, decode.FieldSourceIP, decode.FieldUserName} {
		if t := ev.Text(f); t != "" {
			return truncate(t, 300)
		}
	}
	return ""
}

// MaxObservables bounds the observables kept on one alert.
const MaxObservables = 10

// appendObservables adds the addresses, domains and hashes of an event.
func appendObservables(dst []Observable, ev *decode.Event) []Observable {
	add := func(typ, v string) {
		if v == "" || len(dst) >= MaxObservables || len(v) > 500 {
			return
		}
		for _, o := range dst {
			if o.Type == typ && o.Value == v {
				return
			}
		}
		dst = append(dst, Observable{Type: typ, Value: v})
	}
	for _, f := range []string{decode.FieldSourceIP, decode.FieldDestinationIP} {
		if a, ok := index.ParseIP(ev.Text(f)); ok {
			if a.Is4() {
				add("ipv4", a.String())
			} else {
				add("ipv6", a.String())
			}
		}
	}
	for _, f := range []string{decode.FieldDNSQuestion, decode.FieldURLDomain, decode.FieldTLSServerName} {
		if d, ok := index.NormalizeDomain(ev.Text(f)); ok && strings.Contains(d, ".") {
			add("domain", d)
		}
	}
	for f, typ := range map[string]string{decode.FieldFileMD5: "md5", decode.FieldFileSHA1: "sha1", decode.FieldFileSHA256: "sha256"} {
		if h := strings.ToLower(ev.Text(f)); h != "" && isHex(h) {
			add(typ, h)
		}
	}
	return dst
}

func (s *Service) sample(ev *decode.Event) string {
	return truncate(RedactTokens(ev.Raw()), s.cfg.MaxSampleBytes)
}

// RedactTokens replaces source tokens (a syslog sender's structured data
// carries one in every message) so raw samples never show them.
func RedactTokens(s string) string {
	const prefix, n = "bws_", 43
	i := strings.Index(s, prefix)
	if i < 0 {
		return s
	}
	var b strings.Builder
	for i >= 0 {
		end := i + len(prefix)
		for end < len(s) && end-i-len(prefix) < n && isTokenByte(s[end]) {
			end++
		}
		b.WriteString(s[:i])
		b.WriteString("bws_[redacted]")
		s = s[end:]
		i = strings.Index(s, prefix)
	}
	b.WriteString(s)
	return b.String()
}

func isTokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// storeAlert adds p to the open alert of its key within the dedup window,
// or opens a new one.
func (s *Service) storeAlert(ctx context.Context, tx *store.Tx, src Source, p *pending) error {
	var id, hits int64
	var samplesJSON, sev, obsJSON string
	err := tx.QueryRow(ctx, `SELECT id, hits, samples, severity, observables FROM detect_alerts WHERE source_id = ? AND kind = ? AND match_key = ? AND entity = ?
		AND status IN ('new', 'acknowledged') AND last_seen >= ? ORDER BY id DESC LIMIT 1`,
		src.ID, p.key.kind, p.key.match, p.key.entity, p.first.Add(-s.cfg.DedupWindow)).Scan(&id, &hits, &samplesJSON, &sev, &obsJSON)
	switch {
	case err == nil:
		var samples []string
		_ = json.Unmarshal([]byte(samplesJSON), &samples)
		for _, x := range p.samples {
			if len(samples) >= s.cfg.MaxSamples {
				break
			}
			samples = append(samples, x)
		}
		var obs []Observable
		_ = json.Unmarshal([]byte(obsJSON), &obs)
		for _, o := range p.observables {
			if len(obs) < MaxObservables && !containsObservable(obs, o) {
				obs = append(obs, o)
			}
		}
		if severityRank(p.severity) > severityRank(sev) {
			sev = p.severity
		}
		if _, err := tx.Exec(ctx, `UPDATE detect_alerts SET hits = hits + ?, last_seen = ?, samples = ?, severity = ?, observables = ?, updated_at = ? WHERE id = ?`,
			p.hits, p.last, mustJSON(samples), sev, mustJSON(obs), p.last, id); err != nil {
			return fmt.Errorf("detect: update alert %d: %w", id, store.Translate(err))
		}
		if sys := p.system; sys != nil {
			// An alert opened before its system was known gets it now.
			if _, err := tx.Exec(ctx, `UPDATE detect_alerts SET system_id = ?, system_name = ?, system_owner_agency_id = ?, system_tlp = ?, system_match = ?
				WHERE id = ? AND system_id IS NULL`, sys.ID, sys.Name, sys.owner, string(sys.tlp), sys.Matched, id); err != nil {
				return fmt.Errorf("detect: alert %d system: %w", id, store.Translate(err))
			}
		}
		return nil
	case isNoRows(err):
	default:
		return fmt.Errorf("detect: find open alert: %w", store.Translate(err))
	}
	var sysID, sysOwner any
	var sysName, sysTLP, sysMatch string
	if sys := p.system; sys != nil {
		sysID, sysOwner, sysName, sysTLP, sysMatch = sys.ID, sys.owner, sys.Name, string(sys.tlp), sys.Matched
	}
	if _, err := tx.Exec(ctx, `INSERT INTO detect_alerts (agency_id, source_id, kind, match_key, entity, title, author, severity, tags, status, hits,
		first_seen, last_seen, samples, observables, system_id, system_name, system_owner_agency_id, system_tlp, system_match, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		src.AgencyID, src.ID, p.key.kind, p.key.match, p.key.entity, p.title, p.author, p.severity, p.tags, p.hits,
		p.first, p.last, mustJSON(p.samples), mustJSON(p.observables), sysID, sysName, sysOwner, sysTLP, sysMatch, p.first, p.first); err != nil {
		return fmt.Errorf("detect: open alert: %w", store.Translate(err))
	}
	return nil
}

func containsObservable(l []Observable, o Observable) bool {
	for _, x := range l {
		if x == o {
			return true
		}
	}
	return false
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return "[]"
	}
	return string(b)
}

// recordSightings tells threat intelligence which indicators the source
// saw, after the alerts are stored; a failure is logged, not returned,
// since the alerts already hold the match.
func (s *Service) recordSightings(src Source, order []*pending) {
	if s.intel == nil {
		return
	}
	var ins []intel.SightingInput
	for _, p := range order {
		if p.indicator == 0 {
			continue
		}
		first, last := p.first, p.last
		ins = append(ins, intel.SightingInput{IndicatorID: p.indicator, Source: "detect:" + strconv.FormatInt(src.ID, 10),
			Location: src.Name, FirstSeen: &first, LastSeen: &last, Count: p.hits, AgencyID: src.AgencyID})
	}
	if len(ins) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(access.With(context.Background(), access.SystemPrincipal()), 30*time.Second)
	defer cancel()
	if _, err := s.intel.RecordSightings(ctx, ins); err != nil {
		s.log.Warn("record sightings", "source_id", src.ID, "count", len(ins), "err", err)
	}
}

// Publisher hands raw batches to a stream (NATS JetStream) so that ingest
// workers, possibly on other machines, process them. Publish returns once
// the stream has stored the batch.
type Publisher interface {
	Publish(ctx context.Context, b RawBatch) error
}

// RawBatch is a chunk of one source's undecoded lines.
type RawBatch struct {
	SourceID int64
	// AgencyID is the source's agency: a stream keeps each agency's
	// batches together (one partition), so that one worker correlates them.
	AgencyID int64
	// Format overrides the source's format (syslog listeners send syslog
	// messages whatever the source's configured format).
	Format string
	Lines  [][]byte
}

// SetPublisher makes Submit publish to a stream instead of processing in
// this process. Call it before serving.
func (s *Service) SetPublisher(p Publisher) { s.pub = p }

// Submit is what listeners call with a source's input: with a publisher it
// reads the lines and publishes them in chunks (the answer counts them as
// accepted once the stream holds them; decoding and matching happen in the
// workers), otherwise it runs Ingest.
func (s *Service) Submit(ctx context.Context, src Source, r io.Reader, gz bool) (IngestResult, error) {
	if s.pub == nil {
		return s.Ingest(ctx, src, r, gz)
	}
	r = io.LimitReader(r, s.cfg.MaxBatchBytes+1)
	if gz {
		zr, err := decode.NewGzipReader(r, decode.GzipLimits{MaxBytes: s.cfg.MaxBatchBytes})
		if err != nil {
			res := IngestResult{Stopped: string(decode.ReasonOf(err))}
			res.reject(0, err)
			s.countRejects(src, res)
			return res, nil
		}
		defer zr.Close()
		r = zr
	}
	var res IngestResult
	lr := decode.NewLineReader(r, s.cfg.Decode.MaxLineBytes)
	var chunk [][]byte
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		if err := s.pub.Publish(ctx, RawBatch{SourceID: src.ID, AgencyID: src.AgencyID, Lines: chunk}); err != nil {
			return errs.Wrap(errs.Unavailable, err, "the event stream is unavailable; retry later")
		}
		res.Accepted += len(chunk)
		res.Queued = true
		chunk = nil
		return nil
	}
	for {
		line, n, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			res.reject(n, err)
			var de *decode.Error
			if errors.As(err, &de) && de.Fatal {
				res.Stopped = string(de.Reason)
				break
			}
			continue
		}
		chunk = append(chunk, append([]byte(nil), line...))
		if len(chunk) >= s.cfg.BatchLines {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	if err := flush(); err != nil {
		return res, err
	}
	s.countRejects(src, res)
	return res, nil
}

// ProcessRaw decodes and processes a batch taken from the stream, as
// source sourceID, once per batchKey (the stream's message id): a batch
// redelivered after a worker died mid-way is skipped if it was stored.
func (s *Service) ProcessRaw(ctx context.Context, b RawBatch, batchKey string) (IngestResult, error) {
	src, err := s.getSource(ctx, s.db, b.SourceID)
	if err != nil {
		return IngestResult{}, err
	}
	lines := b.Lines
	format := src.Format
	if b.Format != "" {
		format = b.Format
	}
	dec, ok := s.decoders[decode.SourceKind(format)]
	if !ok {
		return IngestResult{}, errs.E(errs.Invalid, "format %q has no decoder", format)
	}
	var rej IngestResult
	events := make([]decode.Event, 0, len(lines))
	mem := getBatchMemory()
	defer batchMemories.Put(mem)
	for i, l := range lines {
		ev, err := dec.DecodeWith(l, mem.At(len(events)))
		if err != nil {
			rej.reject(i+1, err)
			continue
		}
		ev.Delete(decode.FieldSourceToken)
		events = append(events, ev)
	}
	res, err := s.process(ctx, src, events, batchKey, mem.Keep)
	if err != nil || res.Duplicate {
		return res, err
	}
	clear(events)
	mem.Release()
	res.Rejected, res.RejectedBy, res.Errors = rej.Rejected, rej.RejectedBy, rej.Errors
	s.countRejects(src, res)
	return res, nil
}

// SubmitEvents processes events a listener decoded for one source. With a
// publisher their raw messages go to the stream (as format). Otherwise it
// waits for a worker when wait is true (TCP: the sender is held back, which
// is its backpressure) or returns ErrOverloaded (UDP, which cannot wait:
// the caller counts the loss as rejected). hit, when not nil, is called
// with the position of each event that raised a hit; the others the
// caller may release (decode.Memory).
func (s *Service) SubmitEvents(ctx context.Context, src Source, format string, events []decode.Event, wait bool, hit func(i int)) (IngestResult, error) {
	if s.pub != nil {
		lines := make([][]byte, len(events))
		for i := range events {
			lines[i] = []byte(RedactTokens(events[i].Raw()))
		}
		if err := s.pub.Publish(ctx, RawBatch{SourceID: src.ID, AgencyID: src.AgencyID, Format: format, Lines: lines}); err != nil {
			return IngestResult{}, errs.Wrap(errs.Unavailable, err, "the event stream is unavailable")
		}
		return IngestResult{Accepted: len(events), Queued: true}, nil
	}
	for {
		release, err := s.acquire(ctx)
		if err == nil {
			defer release()
			for i := range events {
				events[i].Delete(decode.FieldSourceToken)
			}
			return s.process(ctx, src, events, "", hit)
		}
		if !wait || !errors.Is(err, ErrOverloaded) {
			return IngestResult{}, err
		}
	}
}

// CountRejected counts input a listener rejected: for a known source on
// its counters, else (no token, unknown sender) under source "unknown".
func (s *Service) CountRejected(src *Source, reason string, n int) {
	if src == nil {
		s.metrics.rejected(Source{}, reason, n)
		return
	}
	s.countRejects(*src, IngestResult{Rejected: n, RejectedBy: map[string]int{reason: n}})
}
