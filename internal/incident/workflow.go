package incident

import (
	"context"
	"fmt"
	"slices"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// ErrNoClosingReport is the Conflict returned when closing an incident
// that has no closing report: the coordinator closes only once it exists.
var ErrNoClosingReport = errs.E(errs.Conflict, "the incident cannot be closed without a closing report (báo cáo kết thúc ứng phó sự cố); add the closing report first")

// checkTransition applies the workflow's shape; who may do it is checked
// separately.
func checkTransition(inc *Incident, to Status) error {
	from := inc.Status
	switch {
	case from == StatusDuplicate:
		return errs.E(errs.Conflict, "this incident was merged into %s and cannot be reopened or moved; work on that one", inc.MergedIntoRef)
	case to == StatusDuplicate:
		return errs.E(errs.Conflict, "to mark a duplicate, merge it into the other incident")
	case to == from:
		return errs.E(errs.Conflict, "the incident is already %s", to)
	case to == StatusNew:
		return errs.E(errs.Conflict, "an incident cannot go back to new")
	case from == StatusClosed || from == StatusRejected:
		if to != StatusAcknowledged && to != StatusInvestigating {
			return errs.E(errs.Conflict, "a %s incident is reopened to acknowledged or investigating first", from)
		}
		return nil
	case to == StatusAcknowledged && from != StatusNew:
		return errs.E(errs.Conflict, "the incident was already acknowledged")
	case to == StatusRejected:
		if from != StatusNew && from != StatusAcknowledged && from != StatusInvestigating {
			return errs.E(errs.Conflict, "only an incident not yet contained can be rejected")
		}
		return nil
	case to == StatusClosed:
		if from == StatusNew {
			return errs.E(errs.Conflict, "acknowledge the incident before closing it")
		}
		return nil
	}
	if !slices.Contains(mainLine, to) {
		return errs.Field("status", "unknown status %q", to)
	}
	return nil
}

// needsCoordinator reports whether moving from -> to is for the lead side
// only (acknowledging receipt, rejecting, closing, reopening); the owner
// agency moves its own response through investigating .. recovered.
func needsCoordinator(from, to Status) bool {
	return to == StatusAcknowledged || to == StatusRejected || to == StatusClosed ||
		from == StatusNew || from == StatusClosed || from == StatusRejected
}

// Transition moves the incident to another status with an optional note.
// Impossible moves are Conflict errors that say why: closing without a
// closing report, moving a merged incident, going back to new. The times
// (acknowledged, contained, resolved, closed) are set on the first move
// that reaches them; reopening clears the closing time.
func (s *Service) Transition(ctx context.Context, id int64, to Status, note string) (Incident, error) {
	note, err := cleanText(text{field: "note", max: MaxMedium, multiline: true}, note)
	if err != nil {
		return Incident{}, err
	}
	if _, err := ParseStatus(string(to)); err != nil {
		return Incident{}, err
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		p, inc, err := s.allowed(ctx, tx, id, "change the incident's status", CanSee)
		if err != nil {
			return err
		}
		if err := checkTransition(&inc, to); err != nil {
			return err
		}
		ok := CanCoordinate(p, &inc)
		if !needsCoordinator(inc.Status, to) {
			ok = ok || CanEdit(p, &inc)
		}
		if !ok {
			return &denial{action: "move the incident to " + string(to), id: id, err: access.Deny("move the incident to " + string(to))}
		}
		if to == StatusClosed {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM incident_reports WHERE incident_id = ? AND kind = ?`, id, ReportClosing).Scan(&n); err != nil {
				return fmt.Errorf("incident: count closing reports: %w", err)
			}
			if n == 0 {
				return ErrNoClosingReport
			}
		}
		now := s.stamp()
		set := func(cur *time.Time, reached bool) any {
			if cur != nil {
				return *cur
			}
			if reached {
				return now
			}
			return nil
		}
		rank := slices.Index(mainLine, to)
		reached := func(st Status) bool { return rank >= slices.Index(mainLine, st) }
		var closedAt any
		if to == StatusClosed {
			closedAt = now
		}
		_, err = tx.Exec(ctx, `UPDATE incidents SET status = ?, acknowledged_at = ?, contained_at = ?, resolved_at = ?, closed_at = ?, updated_at = ? WHERE id = ?`,
			to, set(inc.AcknowledgedAt, reached(StatusAcknowledged)), set(inc.ContainedAt, reached(StatusContained)),
			set(inc.ResolvedAt, reached(StatusRecovered)), closedAt, now, id)
		if err != nil {
			return fmt.Errorf("incident: transition %d: %w", id, err)
		}
		if err := s.journalStatus(ctx, tx, id, inc.Status, to, note); err != nil {
			return err
		}
		if err := s.refreshDue(ctx, tx, id); err != nil {
			return err
		}
		if err := s.record(ctx, tx, "incident.status", id, string(inc.Status)+" -> "+string(to)); err != nil {
			return err
		}
		inc.Status = to
		agencies := []int64{inc.Owner.ID, inc.Lead.ID}
		for _, a := range inc.Participants {
			agencies = append(agencies, a.ID)
		}
		return s.notify(ctx, tx, &inc, "incident.status", agencies, 0, string(to))
	})
	if err != nil {
		return Incident{}, err
	}
	return s.load(ctx, s.db, id)
}

// Merge marks incident id as a duplicate of into: its status becomes
// duplicate, it points at into, its observables are copied there, the two
// are linked and both journals say so. Lead-side callers of both only.
func (s *Service) Merge(ctx context.Context, id, into int64, note string) (Incident, error) {
	note, err := cleanText(text{field: "note", max: MaxMedium, multiline: true}, note)
	if err != nil {
		return Incident{}, err
	}
	if id == into {
		return Incident{}, errs.Field("into", "an incident cannot be merged into itself")
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		_, inc, err := s.allowed(ctx, tx, id, "merge the incident", CanCoordinate)
		if err != nil {
			return err
		}
		_, target, err := s.allowed(ctx, tx, into, "merge into the incident", CanCoordinate)
		if err != nil {
			return err
		}
		if inc.Status == StatusDuplicate {
			return errs.E(errs.Conflict, "this incident was already merged into %s", inc.MergedIntoRef)
		}
		if target.Status == StatusDuplicate {
			return errs.E(errs.Conflict, "%s was itself merged into %s; merge into that one", target.Ref, target.MergedIntoRef)
		}
		now := s.stamp()
		if _, err := tx.Exec(ctx, `UPDATE incidents SET status = ?, merged_into_id = ?, updated_at = ? WHERE id = ?`, StatusDuplicate, into, now, id); err != nil {
			return fmt.Errorf("incident: merge: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO incident_observables (incident_id, type, value, tlp, is_indicator, note, first_seen, last_seen, created_by, created_at)
			SELECT ?, type, value, tlp, is_indicator, note, first_seen, last_seen, created_by, ? FROM incident_observables WHERE incident_id = ?
			ON CONFLICT (incident_id, type, value) DO NOTHING`, into, now, id); err != nil {
			return fmt.Errorf("incident: merge observables: %w", err)
		}
		if err := insertLink(ctx, tx, id, into, "merged", now); err != nil {
			return err
		}
		if err := s.journalStatus(ctx, tx, id, inc.Status, StatusDuplicate, target.Ref+" "+note); err != nil {
			return err
		}
		if err := s.journal(ctx, tx, into, JournalEvent, "merged_in", inc.Ref); err != nil {
			return err
		}
		if err := s.refreshDue(ctx, tx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, "incident.merge", id, inc.Ref+" -> "+target.Ref)
	})
	if err != nil {
		return Incident{}, err
	}
	return s.load(ctx, s.db, id)
}

// Link is a relation between two incidents.
type Link struct {
	ID     int64  `json:"id"`
	Ref    string `json:"ref"`
	Title  string `json:"title"`
	Status Status `json:"status"`
	Note   string `json:"note"`
}

func insertLink(ctx context.Context, tx *store.Tx, a, b int64, note string, now time.Time) error {
	if a > b {
		a, b = b, a
	}
	_, err := tx.Exec(ctx, `INSERT INTO incident_links (a_id, b_id, note, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (a_id, b_id) DO NOTHING`, a, b, note, now)
	if err != nil {
		return fmt.Errorf("incident: link: %w", err)
	}
	return nil
}

// LinkIncidents relates two incidents the caller coordinates or edits.
func (s *Service) LinkIncidents(ctx context.Context, id, other int64, note string) error {
	note, err := cleanText(text{field: "note", max: MaxShort}, note)
	if err != nil {
		return err
	}
	if id == other {
		return errs.Field("other", "an incident cannot be linked to itself")
	}
	return s.transact(ctx, func(tx *store.Tx) error {
		_, a, err := s.allowed(ctx, tx, id, "link the incident", CanEdit)
		if err != nil {
			return err
		}
		_, b, err := s.allowed(ctx, tx, other, "link the incident", CanSee)
		if err != nil {
			return err
		}
		if err := insertLink(ctx, tx, id, other, note, s.stamp()); err != nil {
			return err
		}
		if err := s.journal(ctx, tx, id, JournalEvent, "linked", b.Ref); err != nil {
			return err
		}
		if err := s.journal(ctx, tx, other, JournalEvent, "linked", a.Ref); err != nil {
			return err
		}
		return s.record(ctx, tx, "incident.link", id, a.Ref+" <-> "+b.Ref)
	})
}

// Links lists the incidents related to id that the caller can see.
func (s *Service) Links(ctx context.Context, id int64) ([]Link, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.viewed(ctx, p, id); err != nil {
		return nil, err
	}
	cond, args := visibleCond(p)
	rows, err := s.db.Query(ctx, `SELECT i.id, i.ref, i.title, i.status, l.note FROM incident_links l
		JOIN incidents i ON i.id = CASE WHEN l.a_id = ? THEN l.b_id ELSE l.a_id END
		WHERE (l.a_id = ? OR l.b_id = ?) AND `+cond+` ORDER BY i.id`, append([]any{id, id, id}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("incident: links: %w", err)
	}
	defer rows.Close()
	out := []Link{}
	for rows.Next() {
		var l Link
		if err := rows.Scan(&l.ID, &l.Ref, &l.Title, &l.Status, &l.Note); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// NextStatuses lists the statuses p may move inc to, for offering actions
// (closing still needs its report, checked when it is tried).
func NextStatuses(p *access.Principal, inc *Incident) []Status {
	var out []Status
	for _, to := range Statuses {
		if to == StatusNew || to == StatusDuplicate || checkTransition(inc, to) != nil {
			continue
		}
		ok := CanCoordinate(p, inc)
		if !needsCoordinator(inc.Status, to) {
			ok = ok || CanEdit(p, inc)
		}
		if ok {
			out = append(out, to)
		}
	}
	return out
}
