package intel

import (
	"context"
	"fmt"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// Bulk actions on entries.
const (
	ActionRevoke   = "revoke"
	ActionUnrevoke = "unrevoke"
	ActionTLP      = "tlp"
	ActionExtend   = "extend"
)

// Change is one bulk action: revoke (with a reason), unrevoke, set the
// TLP, or set the expiry (extend; nil ValidUntil removes it).
type Change struct {
	Action     string     `json:"action"`
	Reason     string     `json:"reason,omitempty"`
	TLP        access.TLP `json:"tlp,omitempty"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
}

func (ch *Change) check() error {
	switch ch.Action {
	case ActionRevoke:
		ch.Reason = strings.TrimSpace(ch.Reason)
		if ch.Reason == "" || len(ch.Reason) > MaxReason {
			return errs.Field("reason", "say why in at most %d bytes", MaxReason)
		}
	case ActionUnrevoke:
	case ActionTLP:
		t, err := access.ParseTLP(string(ch.TLP))
		if err != nil {
			return err
		}
		ch.TLP = t
	case ActionExtend:
		if ch.ValidUntil != nil {
			v := ch.ValidUntil.UTC().Truncate(time.Microsecond)
			ch.ValidUntil = &v
		}
	default:
		return errs.Field("action", "must be revoke, unrevoke, tlp or extend")
	}
	return nil
}

// MaxBulk bounds the indicators of one bulk action.
const MaxBulk = 1000

// ChangeIndicators applies ch to the entries of the given indicators that
// the caller may edit (their own agency's; admins every visible one) and
// returns how many entries changed. Indicators with no such entry are
// skipped, not refused, so a mixed selection does what it can.
func (s *Service) ChangeIndicators(ctx context.Context, ids []int64, ch Change) (int, error) {
	p, err := caller(ctx)
	if err != nil {
		return 0, err
	}
	if !access.CanShareIntel(p) {
		return 0, s.deny(ctx, "change indicators", "indicator", "")
	}
	if err := ch.check(); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, errs.Field("ids", "select at least one indicator")
	}
	if len(ids) > MaxBulk {
		return 0, errs.Field("ids", "at most %d indicators at once", MaxBulk)
	}
	args := make([]any, 0, len(ids))
	for _, id := range ids {
		args = append(args, id)
	}
	vis, vargs := visibleSQL(p, "e")
	q := `SELECT e.id, e.agency_id FROM intel_entries e WHERE e.indicator_id IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + `) AND ` + vis
	n := 0
	err = s.transact(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, q, append(args, vargs...)...)
		if err != nil {
			return fmt.Errorf("intel: bulk change: %w", err)
		}
		var eids []int64
		for rows.Next() {
			var id, agency int64
			if err := rows.Scan(&id, &agency); err != nil {
				rows.Close()
				return fmt.Errorf("intel: bulk change: %w", err)
			}
			if access.CanEditIntelEntry(p, agency) || p.System {
				eids = append(eids, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("intel: bulk change: %w", err)
		}
		now := s.stamp()
		for _, id := range eids {
			if err := applyChange(ctx, tx, id, ch, now); err != nil {
				return err
			}
		}
		n = len(eids)
		if n == 0 {
			return nil
		}
		return s.record(ctx, tx, "indicator."+ch.Action, "indicator", joinIDs(ids, 20), fmt.Sprintf("%d entries; %s", n, describe(ch)))
	})
	if err == nil && n > 0 {
		s.changed()
	}
	return n, err
}

func applyChange(ctx context.Context, tx *store.Tx, id int64, ch Change, now time.Time) error {
	var err error
	switch ch.Action {
	case ActionRevoke:
		_, err = tx.Exec(ctx, `UPDATE intel_entries SET revoked = ?, revoked_reason = ?, updated_at = ? WHERE id = ?`, true, ch.Reason, now, id)
	case ActionUnrevoke:
		_, err = tx.Exec(ctx, `UPDATE intel_entries SET revoked = ?, revoked_reason = '', updated_at = ? WHERE id = ?`, false, now, id)
	case ActionTLP:
		_, err = tx.Exec(ctx, `UPDATE intel_entries SET tlp = ?, updated_at = ? WHERE id = ?`, string(ch.TLP), now, id)
	case ActionExtend:
		_, err = tx.Exec(ctx, `UPDATE intel_entries SET valid_until = ?, updated_at = ? WHERE id = ?`, nullTime(ch.ValidUntil), now, id)
	}
	if err != nil {
		return fmt.Errorf("intel: %s entry %d: %w", ch.Action, id, err)
	}
	return nil
}

func describe(ch Change) string {
	switch ch.Action {
	case ActionRevoke:
		return "reason: " + ch.Reason
	case ActionTLP:
		return "tlp=" + string(ch.TLP)
	case ActionExtend:
		if ch.ValidUntil == nil {
			return "no expiry"
		}
		return "valid_until=" + ch.ValidUntil.Format(time.RFC3339)
	}
	return ""
}

func joinIDs(ids []int64, max int) string {
	var b strings.Builder
	for i, id := range ids {
		if i == max {
			fmt.Fprintf(&b, ",…(%d)", len(ids))
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, id)
	}
	return b.String()
}

// EntryUpdate is an edit of one entry's fields; nil fields stay.
type EntryUpdate struct {
	TLP         *access.TLP `json:"tlp,omitempty"`
	Confidence  *int        `json:"confidence,omitempty"`
	Tags        *[]string   `json:"tags,omitempty"`
	Description *string     `json:"description,omitempty"`
	ValidUntil  *time.Time  `json:"valid_until,omitempty"`
	NoExpiry    bool        `json:"no_expiry,omitempty"`
	ShareWith   *[]int64    `json:"share_with,omitempty"`
}

// UpdateEntry edits one entry (its agency's analysts and coordinators, or
// admins) and returns the indicator as the caller sees it.
func (s *Service) UpdateEntry(ctx context.Context, entryID int64, u EntryUpdate) (Indicator, error) {
	p, err := caller(ctx)
	if err != nil {
		return Indicator{}, err
	}
	var indID int64
	err = s.transact(ctx, func(tx *store.Tx) error {
		vis, vargs := visibleSQL(p, "e")
		row := tx.QueryRow(ctx, `SELECT `+entryColumns+` FROM intel_entries e LEFT JOIN agencies a ON a.id = e.agency_id WHERE e.id = ? AND `+vis, append([]any{entryID}, vargs...)...)
		e, err := scanEntry(row)
		if errs.Is(err, errs.NotFound) {
			return errs.E(errs.NotFound, "no entry %d", entryID)
		}
		if err != nil {
			return fmt.Errorf("intel: get entry %d: %w", entryID, err)
		}
		if !access.CanEditIntelEntry(p, e.AgencyID) && !p.System {
			return access.Deny("change another agency's indicator entry")
		}
		indID = e.IndicatorID
		in := Input{Type: "ipv4", Value: "192.0.2.1", TLP: e.TLP, Confidence: &e.Confidence, Tags: e.Tags, Description: e.Description, ValidUntil: e.ValidUntil}
		if u.TLP != nil {
			in.TLP = *u.TLP
		}
		if u.Confidence != nil {
			in.Confidence = u.Confidence
		}
		if u.Tags != nil {
			in.Tags = *u.Tags
		}
		if u.Description != nil {
			in.Description = *u.Description
		}
		if u.ValidUntil != nil {
			in.ValidUntil = u.ValidUntil
		}
		if u.NoExpiry {
			in.ValidUntil = nil
		}
		if u.ShareWith != nil {
			in.ShareWith = *u.ShareWith
		}
		c, err := validate(in, s.now(), "")
		if err != nil {
			return err
		}
		if err := checkAudience(ctx, tx, c); err != nil {
			return err
		}
		now := s.stamp()
		if _, err := tx.Exec(ctx, `UPDATE intel_entries SET tlp = ?, confidence = ?, tags = ?, description = ?, valid_until = ?, updated_at = ? WHERE id = ?`,
			string(c.tlp), c.confidence, joinTags(c.tags), c.desc, nullTime(c.validUntil), now, entryID); err != nil {
			return fmt.Errorf("intel: update entry %d: %w", entryID, err)
		}
		if u.ShareWith != nil {
			if _, err := tx.Exec(ctx, `DELETE FROM intel_entry_shares WHERE entry_id = ?`, entryID); err != nil {
				return fmt.Errorf("intel: update entry %d: %w", entryID, err)
			}
			for _, a := range c.shares {
				if _, err := tx.Exec(ctx, `INSERT INTO intel_entry_shares (entry_id, agency_id) VALUES (?, ?)`, entryID, a); err != nil {
					return fmt.Errorf("intel: update entry %d: %w", entryID, err)
				}
			}
		}
		return s.record(ctx, tx, "indicator.entry.update", "indicator", indID, fmt.Sprintf("entry %d tlp=%s confidence=%d", entryID, c.tlp, c.confidence))
	})
	if err != nil {
		if errs.KindOf(err) == errs.Forbidden {
			_ = s.deny(ctx, "change another agency's indicator entry", "indicator", entryID)
		}
		return Indicator{}, err
	}
	s.changed()
	return s.Get(ctx, indID)
}

// DeleteEntry removes one entry (its agency's analysts and coordinators,
// or admins), for a TAXII client deleting an object it shared. The
// indicator goes with its last entry, and its sightings with it. Revoking
// (ChangeIndicators) is the way to withdraw a report and keep its history;
// this is for objects shared by mistake.
func (s *Service) DeleteEntry(ctx context.Context, entryID int64) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		vis, vargs := visibleSQL(p, "e")
		row := tx.QueryRow(ctx, `SELECT `+entryColumns+` FROM intel_entries e LEFT JOIN agencies a ON a.id = e.agency_id WHERE e.id = ? AND `+vis, append([]any{entryID}, vargs...)...)
		e, err := scanEntry(row)
		if errs.Is(err, errs.NotFound) {
			return errs.E(errs.NotFound, "no entry %d", entryID)
		}
		if err != nil {
			return fmt.Errorf("intel: get entry %d: %w", entryID, err)
		}
		if !access.CanEditIntelEntry(p, e.AgencyID) && !p.System {
			return access.Deny("delete another agency's indicator entry")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM intel_entries WHERE id = ?`, entryID); err != nil {
			return fmt.Errorf("intel: delete entry %d: %w", entryID, err)
		}
		var left int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM intel_entries WHERE indicator_id = ?`, e.IndicatorID).Scan(&left); err != nil {
			return fmt.Errorf("intel: delete entry %d: %w", entryID, err)
		}
		if left == 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM intel_indicators WHERE id = ?`, e.IndicatorID); err != nil {
				return fmt.Errorf("intel: delete indicator %d: %w", e.IndicatorID, err)
			}
		}
		return s.record(ctx, tx, "indicator.entry.delete", "indicator", e.IndicatorID, fmt.Sprintf("entry %d of %s (source %s), %d entries left", entryID, e.AgencyCode, e.Source, left))
	})
	if err != nil {
		if errs.KindOf(err) == errs.Forbidden {
			_ = s.deny(ctx, "delete another agency's indicator entry", "indicator", entryID)
		}
		return err
	}
	s.changed()
	return nil
}
