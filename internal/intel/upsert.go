package intel

import (
	"context"
	"fmt"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/intel/warninglist"
	"bulwark/internal/ioc"
	"bulwark/internal/store"
)

// Outcome is what became of one Input of a batch.
type Outcome struct {
	Index       int    `json:"index"`
	IndicatorID int64  `json:"indicator_id,omitempty"`
	EntryID     int64  `json:"entry_id,omitempty"`
	Type        string `json:"type,omitempty"`
	Value       string `json:"value,omitempty"`
	// Created: the indicator did not exist. Merged: it existed and this
	// report was added to it (a new entry or merged into the source's).
	Created bool              `json:"created,omitempty"`
	Merged  bool              `json:"merged,omitempty"`
	Hits    []warninglist.Hit `json:"hits,omitempty"`
	Err     error             `json:"-"`
}

// batchSize is how many reports one multi-row statement carries; it keeps
// the bound parameters well under both engines' limits.
const batchSize = 400

type indKey struct {
	typ   ioc.Type
	value string
}

type entryKey struct {
	ind    int64
	agency int64
	source string
}

// entryRow is an entry being merged inside a batch.
type entryRow struct {
	id         int64
	key        entryKey
	tlp        access.TLP
	confidence int
	tags       []string
	desc       string
	firstSeen  time.Time
	lastSeen   time.Time
	validUntil *time.Time
	revoked    bool
	dirty      bool
	shares     []int64
	people     []int64
}

// upsert stores cleaned reports in tx, merging duplicates, and returns
// one outcome per item (items must all be valid). The owner agency of each
// item is already resolved. createdBy is the acting user (0 for system).
func (s *Service) upsert(ctx context.Context, tx *store.Tx, items []clean, createdBy int64) ([]Outcome, error) {
	out := make([]Outcome, len(items))
	now := s.stamp()
	for start := 0; start < len(items); start += batchSize {
		end := min(start+batchSize, len(items))
		if err := s.upsertChunk(ctx, tx, items[start:end], out[start:end], createdBy, now); err != nil {
			return nil, err
		}
	}
	for i := range out {
		out[i].Index = i
	}
	return out, nil
}

func placeholders(n, cols int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

func (s *Service) upsertChunk(ctx context.Context, tx *store.Tx, items []clean, out []Outcome, createdBy int64, now time.Time) error {
	// 1. Indicators: find existing, insert the missing ones.
	ids := map[indKey]int64{}
	var values []any
	seenVal := map[string]bool{}
	for _, c := range items {
		if !seenVal[c.value] {
			seenVal[c.value] = true
			values = append(values, c.value)
		}
	}
	rows, err := tx.Query(ctx, `SELECT id, type, value FROM intel_indicators WHERE value IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(values)), ", ")+`)`, values...)
	if err != nil {
		return fmt.Errorf("intel: find indicators: %w", err)
	}
	for rows.Next() {
		var id int64
		var k indKey
		if err := rows.Scan(&id, &k.typ, &k.value); err != nil {
			rows.Close()
			return fmt.Errorf("intel: find indicators: %w", err)
		}
		ids[k] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("intel: find indicators: %w", err)
	}
	existed := map[indKey]bool{}
	var missing []indKey
	var touched []any
	for _, c := range items {
		k := indKey{c.typ, c.value}
		if id, ok := ids[k]; ok {
			if !existed[k] {
				existed[k] = true
				touched = append(touched, id)
			}
			continue
		}
		if _, queued := ids[k]; !queued {
			ids[k] = 0
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		args := make([]any, 0, len(missing)*4)
		for _, k := range missing {
			args = append(args, string(k.typ), k.value, now, now)
		}
		rows, err := tx.Query(ctx, `INSERT INTO intel_indicators (type, value, created_at, updated_at) VALUES `+placeholders(len(missing), 4)+` RETURNING id, type, value`, args...)
		if err != nil {
			return fmt.Errorf("intel: insert indicators: %w", err)
		}
		for rows.Next() {
			var id int64
			var k indKey
			if err := rows.Scan(&id, &k.typ, &k.value); err != nil {
				rows.Close()
				return fmt.Errorf("intel: insert indicators: %w", err)
			}
			ids[k] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("intel: insert indicators: %w", err)
		}
	}
	if len(touched) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE intel_indicators SET updated_at = ? WHERE id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(touched)), ", ")+`)`, append([]any{now}, touched...)...); err != nil {
			return fmt.Errorf("intel: touch indicators: %w", err)
		}
	}

	// 2. Entries: load the existing ones of these indicators, merge.
	entries := map[entryKey]*entryRow{}
	if len(touched) > 0 {
		rows, err := tx.Query(ctx, `SELECT id, indicator_id, agency_id, source, tlp, confidence, tags, description, first_seen, last_seen, valid_until, revoked
			FROM intel_entries WHERE indicator_id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(touched)), ", ")+`)`, touched...)
		if err != nil {
			return fmt.Errorf("intel: find entries: %w", err)
		}
		for rows.Next() {
			var e entryRow
			var tags string
			var vu store.Time
			if err := rows.Scan(&e.id, &e.key.ind, &e.key.agency, &e.key.source, &e.tlp, &e.confidence, &tags, &e.desc, &e.firstSeen, &e.lastSeen, &vu, &e.revoked); err != nil {
				rows.Close()
				return fmt.Errorf("intel: find entries: %w", err)
			}
			e.tags = splitTags(tags)
			e.firstSeen, e.lastSeen = e.firstSeen.UTC(), e.lastSeen.UTC()
			e.validUntil = timePtr(vu)
			entries[e.key] = &e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("intel: find entries: %w", err)
		}
	}
	var fresh []*entryRow
	rowOf := make([]*entryRow, len(items))
	for i, c := range items {
		k := indKey{c.typ, c.value}
		ek := entryKey{ids[k], c.agency, c.source}
		out[i].IndicatorID, out[i].Type, out[i].Value, out[i].Hits = ids[k], string(c.typ), c.value, c.hits
		out[i].Created = !existed[k]
		out[i].Merged = existed[k]
		people := c.people
		if c.tlp == access.Red && createdBy != 0 {
			people = uniqueIDs(append(people, createdBy))
		}
		e, ok := entries[ek]
		if !ok {
			e = &entryRow{key: ek, tlp: c.tlp, confidence: c.confidence, tags: c.tags, desc: c.desc,
				firstSeen: c.firstSeen, lastSeen: c.lastSeen, validUntil: c.validUntil, revoked: c.revoked,
				shares: c.shares, people: people}
			entries[ek] = e
			fresh = append(fresh, e)
			rowOf[i] = e
			continue
		}
		rowOf[i] = e
		e.merge(c)
		e.shares = uniqueIDs(append(e.shares, c.shares...))
		e.people = uniqueIDs(append(e.people, people...))
		if e.id != 0 {
			e.dirty = true
		}
	}
	if len(fresh) > 0 {
		args := make([]any, 0, len(fresh)*14)
		for _, e := range fresh {
			args = append(args, e.key.ind, e.key.agency, e.key.source, string(e.tlp), e.confidence, joinTags(e.tags), e.desc,
				e.firstSeen, e.lastSeen, nullTime(e.validUntil), e.revoked, nullID(createdBy), now, now)
		}
		rows, err := tx.Query(ctx, `INSERT INTO intel_entries (indicator_id, agency_id, source, tlp, confidence, tags, description, first_seen, last_seen, valid_until, revoked, created_by, created_at, updated_at)
			VALUES `+placeholders(len(fresh), 14)+` RETURNING id, indicator_id, agency_id, source`, args...)
		if err != nil {
			return fmt.Errorf("intel: insert entries: %w", err)
		}
		for rows.Next() {
			var id int64
			var k entryKey
			if err := rows.Scan(&id, &k.ind, &k.agency, &k.source); err != nil {
				rows.Close()
				return fmt.Errorf("intel: insert entries: %w", err)
			}
			entries[k].id = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("intel: insert entries: %w", err)
		}
	}
	done := map[*entryRow]bool{}
	for i, e := range rowOf {
		out[i].EntryID = e.id
		if done[e] {
			continue
		}
		done[e] = true
		if e.dirty {
			if _, err := tx.Exec(ctx, `UPDATE intel_entries SET tlp = ?, confidence = ?, tags = ?, description = ?, first_seen = ?, last_seen = ?, valid_until = ?, revoked = ?, updated_at = ? WHERE id = ?`,
				string(e.tlp), e.confidence, joinTags(e.tags), e.desc, e.firstSeen, e.lastSeen, nullTime(e.validUntil), e.revoked, now, e.id); err != nil {
				return fmt.Errorf("intel: merge entry %d: %w", e.id, err)
			}
		}
		for _, a := range e.shares {
			if _, err := tx.Exec(ctx, `INSERT INTO intel_entry_shares (entry_id, agency_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, e.id, a); err != nil {
				return fmt.Errorf("intel: share entry %d: %w", e.id, err)
			}
		}
		for _, u := range e.people {
			if _, err := tx.Exec(ctx, `INSERT INTO intel_entry_people (entry_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, e.id, u); err != nil {
				return fmt.Errorf("intel: name people on entry %d: %w", e.id, err)
			}
		}
	}
	return nil
}

// merge folds a new report by the same source into the entry: seen dates
// widen, the strictest TLP wins, tags unite, the higher confidence and the
// later expiry stay (no expiry is the latest), a new description replaces the old, and a report
// that says revoked revokes (a plain re-report does not un-revoke: only an
// explicit change does, so re-importing an old file cannot resurrect a
// retracted indicator).
func (e *entryRow) merge(c clean) {
	e.tlp = access.Stricter(e.tlp, c.tlp)
	e.confidence = max(e.confidence, c.confidence)
	e.tags = unionTags(e.tags, c.tags)
	if c.desc != "" {
		e.desc = c.desc
	}
	if c.firstSeen.Before(e.firstSeen) {
		e.firstSeen = c.firstSeen
	}
	if c.lastSeen.After(e.lastSeen) {
		e.lastSeen = c.lastSeen
	}
	if c.validUntil != nil && e.validUntil != nil && c.validUntil.After(*e.validUntil) {
		e.validUntil = c.validUntil
	}
	if c.revoked {
		e.revoked = true
	}
}
