package incident

import (
	"context"
	"fmt"
	"strings"
	"time"

	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// History holds the real times of an incident's steps when it is recorded
// after the fact (the demo province, a migration from another tool): the
// workflow stamps each step when it is taken, which is then not when it
// happened. A zero time leaves that step's time as it is.
type History struct {
	ReportedAt     time.Time `json:"reported_at"`
	AcknowledgedAt time.Time `json:"acknowledged_at"`
	ContainedAt    time.Time `json:"contained_at"`
	ResolvedAt     time.Time `json:"resolved_at"`
	ClosedAt       time.Time `json:"closed_at"`
}

// RecordHistory sets the times of steps an incident has already taken.
// Only the system principal may (no person rewrites when things happened);
// the times must follow detection and each other in workflow order, and
// must not be in the future. The change is journalled and audited, and
// the deadlines are recomputed.
func (s *Service) RecordHistory(ctx context.Context, id int64, h History) (Incident, error) {
	p, err := caller(ctx)
	if err != nil {
		return Incident{}, err
	}
	if !p.System {
		return Incident{}, s.log.Denied(ctx, "rewrite an incident's step times", "incident", fmt.Sprint(id))
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		inc, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		steps := []struct {
			field string
			cur   *time.Time
			set   time.Time
		}{
			{"reported_at", &inc.ReportedAt, h.ReportedAt}, {"acknowledged_at", inc.AcknowledgedAt, h.AcknowledgedAt},
			{"contained_at", inc.ContainedAt, h.ContainedAt}, {"resolved_at", inc.ResolvedAt, h.ResolvedAt}, {"closed_at", inc.ClosedAt, h.ClosedAt},
		}
		prev, now := inc.DetectedAt, s.now().Add(time.Minute)
		var changed []string
		args := []any{}
		for _, st := range steps {
			t := st.set.UTC().Truncate(time.Microsecond)
			switch {
			case st.set.IsZero():
				if st.cur == nil {
					continue
				}
				t = *st.cur
			case st.cur == nil:
				return errs.Field(st.field, "the incident has not reached this step")
			case t.After(now):
				return errs.Field(st.field, "is in the future")
			default:
				changed = append(changed, st.field)
				args = append(args, t)
			}
			if t.Before(prev) {
				return errs.Field(st.field, "must not come before the step before it (%s)", prev.Format(time.RFC3339))
			}
			prev = t
		}
		if len(changed) == 0 {
			return nil
		}
		sets := make([]string, len(changed))
		for i, f := range changed {
			sets[i] = f + " = ?"
		}
		if _, err := tx.Exec(ctx, `UPDATE incidents SET `+strings.Join(sets, ", ")+` WHERE id = ?`, append(args, id)...); err != nil {
			return fmt.Errorf("incident: record history: %w", err)
		}
		if err := s.journal(ctx, tx, id, JournalEvent, "history", strings.Join(changed, ", ")); err != nil {
			return err
		}
		if err := s.refreshDue(ctx, tx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, "incident.history", id, strings.Join(changed, ","))
	})
	if err != nil {
		return Incident{}, err
	}
	return s.load(ctx, s.db, id)
}
