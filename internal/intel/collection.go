package intel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/stix"
	"bulwark/internal/store"
)

// CollectionQuery selects entries for a TAXII collection: those of one
// TLP level, or those owned by one agency, visible to the caller, changed
// after a point, in (updated_at, id) order.
type CollectionQuery struct {
	TLP      access.TLP
	AgencyID int64
	// After is the keyset position: entries changed after At, or at At
	// with a larger id.
	AfterAt time.Time
	AfterID int64
	// EntryIDs restricts to these entries (match[id], one object).
	EntryIDs []int64
	Limit    int
}

// EntryObject is one entry with its indicator's value, as a TAXII object.
type EntryObject struct {
	Entry
	Type  string
	Value string
}

// CollectionEntries returns up to q.Limit entries and whether more follow.
func (s *Service) CollectionEntries(ctx context.Context, q CollectionQuery) ([]EntryObject, bool, error) {
	p := access.From(ctx)
	vis, args := visibleSQL(p, "e")
	conds := []string{vis}
	if q.TLP != "" {
		conds = append(conds, "e.tlp = ?")
		args = append(args, string(q.TLP))
	}
	if q.AgencyID != 0 {
		conds = append(conds, "e.agency_id = ?")
		args = append(args, q.AgencyID)
	}
	if !q.AfterAt.IsZero() {
		conds = append(conds, "(e.updated_at > ? OR (e.updated_at = ? AND e.id > ?))")
		at := q.AfterAt.UTC()
		args = append(args, at, at, q.AfterID)
	}
	if len(q.EntryIDs) > 0 {
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(q.EntryIDs)), ", ")
		conds = append(conds, "e.id IN ("+ph+")")
		for _, id := range q.EntryIDs {
			args = append(args, id)
		}
	}
	if q.Limit <= 0 || q.Limit > MaxLimit {
		q.Limit = MaxLimit
	}
	rows, err := s.db.Query(ctx, `SELECT `+entryColumns+`, i.type, i.value FROM intel_entries e JOIN intel_indicators i ON i.id = e.indicator_id
		LEFT JOIN agencies a ON a.id = e.agency_id WHERE `+strings.Join(conds, " AND ")+` ORDER BY e.updated_at, e.id LIMIT ?`, append(args, q.Limit+1)...)
	if err != nil {
		return nil, false, fmt.Errorf("intel: collection entries: %w", err)
	}
	defer rows.Close()
	var out []EntryObject
	for rows.Next() {
		var o EntryObject
		var tags string
		var vu store.Time
		err := rows.Scan(&o.ID, &o.IndicatorID, &o.AgencyID, &o.AgencyCode, &o.Source, &o.TLP, &o.Confidence, &tags, &o.Description,
			&o.FirstSeen, &o.LastSeen, &vu, &o.Revoked, &o.RevokedReason, &o.CreatedBy, &o.CreatedAt, &o.UpdatedAt, &o.Type, &o.Value)
		if err != nil {
			return nil, false, fmt.Errorf("intel: collection entries: %w", err)
		}
		o.Tags = splitTags(tags)
		o.ValidUntil = timePtr(vu)
		o.FirstSeen, o.LastSeen, o.CreatedAt, o.UpdatedAt = o.FirstSeen.UTC(), o.LastSeen.UTC(), o.CreatedAt.UTC(), o.UpdatedAt.UTC()
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("intel: collection entries: %w", err)
	}
	more := len(out) > q.Limit
	if more {
		out = out[:q.Limit]
	}
	return out, more, nil
}

// STIXID is the stable STIX id of an entry's indicator object. It carries
// the entry id in its last group (so a TAXII request for one object finds
// the entry without a lookup table) behind a prefix derived from the
// producer name, in the UUID version 4 layout.
func (s *Service) STIXID(entryID int64) string {
	h := sha256.Sum256([]byte("bulwark:" + s.cfg.Producer))
	x := hex.EncodeToString(h[:])
	return fmt.Sprintf("indicator--%s-%s-4%s-8%s-%012x", x[:8], x[8:12], x[12:15], x[15:18], entryID)
}

// EntryIDFromSTIX reverses STIXID; false for ids this Bulwark did not make.
func (s *Service) EntryIDFromSTIX(id string) (int64, bool) {
	if len(id) != len("indicator--")+36 {
		return 0, false
	}
	probe := s.STIXID(0)
	if id[:len(id)-12] != probe[:len(probe)-12] {
		return 0, false
	}
	n, err := strconv.ParseInt(id[len(id)-12:], 16, 64)
	return n, err == nil && n > 0
}

// STIXObject renders an entry as a STIX 2.1 indicator object. It returns
// false for types STIX patterns cannot express (phone numbers).
func (s *Service) STIXObject(o EntryObject) (map[string]any, bool) {
	pattern, err := stix.PatternFor(o.Type, o.Value)
	if err != nil {
		return nil, false
	}
	created, modified := o.CreatedAt, o.UpdatedAt
	if modified.Before(created) {
		modified = created
	}
	obj := map[string]any{
		"type": "indicator", "spec_version": "2.1", "id": s.STIXID(o.ID),
		"created_by_ref": stix.IdentityID(s.cfg.Producer + "/" + o.AgencyCode),
		"created":        stix.FormatTimestamp(created), "modified": stix.FormatTimestamp(modified),
		"pattern": pattern, "pattern_type": "stix", "pattern_version": "2.1",
		"valid_from": stix.FormatTimestamp(o.FirstSeen), "confidence": o.Confidence,
		"indicator_types": []string{"malicious-activity"},
	}
	if o.Description != "" {
		obj["description"] = o.Description
	}
	if len(o.Tags) > 0 {
		obj["labels"] = o.Tags
	}
	if o.ValidUntil != nil && o.ValidUntil.After(o.FirstSeen) {
		obj["valid_until"] = stix.FormatTimestamp(*o.ValidUntil)
	}
	if o.Revoked {
		obj["revoked"] = true
	}
	if ref, ok := stix.MarkingRef(string(o.TLP)); ok {
		obj["object_marking_refs"] = []string{ref}
	}
	return obj, true
}

// SaveTAXIIStatus keeps a TAXII status resource for the caller's agency.
func (s *Service) SaveTAXIIStatus(ctx context.Context, id string, body []byte) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(ctx, `INSERT INTO intel_taxii_status (id, agency_id, body, created_at) VALUES (?, ?, ?, ?)`, id, p.AgencyID, string(body), s.stamp())
	if err != nil {
		return fmt.Errorf("intel: save taxii status: %w", err)
	}
	return nil
}

// TAXIIStatus returns a status resource of the caller's agency.
func (s *Service) TAXIIStatus(ctx context.Context, id string) ([]byte, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var body string
	err = s.db.QueryRow(ctx, `SELECT body FROM intel_taxii_status WHERE id = ? AND agency_id = ?`, id, p.AgencyID).Scan(&body)
	if err != nil {
		return nil, err
	}
	return []byte(body), nil
}
