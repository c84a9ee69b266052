package incident

import (
	"context"
	"fmt"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// Rule is a deadline rule: the end event must happen within Minutes of the
// start event, for incidents of Severity ("" for all). The national rules
// are seeded (report within 5 days of detection; closing report within 5
// days after the response ends) with the per-severity response targets;
// admins edit them.
type Rule struct {
	ID       int64     `json:"id"`
	Code     string    `json:"code"`
	NameVI   string    `json:"name_vi"`
	NameEN   string    `json:"name_en"`
	Severity Severity  `json:"severity,omitempty"`
	Start    string    `json:"start_event"`
	End      string    `json:"end_event"`
	Minutes  int       `json:"minutes"`
	Legal    bool      `json:"legal"`
	Active   bool      `json:"active"`
	Updated  time.Time `json:"updated_at"`
}

// The events rules refer to.
var Events = []string{"detected", "reported", "acknowledged", "contained", "resolved", "closed", "closing_report"}

// Deadline is one rule applied to one incident.
type Deadline struct {
	Rule  Rule       `json:"rule"`
	Start *time.Time `json:"start,omitempty"` // nil: not started yet
	Due   *time.Time `json:"due,omitempty"`
	Done  *time.Time `json:"done,omitempty"`
	// State is pending (not started), open, overdue, met, late (met after
	// the due time) or void (the incident ended without it).
	State string `json:"state"`
}

func (s *Service) rules(ctx context.Context, q store.Querier, activeOnly bool) ([]Rule, error) {
	query := `SELECT id, code, name_vi, name_en, severity, start_event, end_event, minutes, legal, active, updated_at FROM incident_deadline_rules`
	if activeOnly {
		query += ` WHERE active`
	}
	rows, err := q.Query(ctx, query+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("incident: rules: %w", err)
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		var r Rule
		var at store.Time
		if err := rows.Scan(&r.ID, &r.Code, &r.NameVI, &r.NameEN, &r.Severity, &r.Start, &r.End, &r.Minutes, &r.Legal, &r.Active, &at); err != nil {
			return nil, err
		}
		r.Updated = at.Time
		out = append(out, r)
	}
	return out, rows.Err()
}

// Rules lists every deadline rule; any signed-in user may read them.
func (s *Service) Rules(ctx context.Context) ([]Rule, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	return s.rules(ctx, s.db, false)
}

// UpdateRule changes a rule's duration and whether it applies (admins
// only), then recomputes the next deadline of every open incident.
func (s *Service) UpdateRule(ctx context.Context, code string, minutes int, active bool) (Rule, error) {
	p, err := caller(ctx)
	if err != nil {
		return Rule{}, err
	}
	if !p.Has(access.Admin) {
		return Rule{}, s.log.Denied(ctx, "edit deadline rules", "incident_rule", code)
	}
	if minutes < 1 || minutes > 366*24*60 {
		return Rule{}, errs.Field("minutes", "must be from 1 minute to 1 year")
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE incident_deadline_rules SET minutes = ?, active = ?, updated_at = ? WHERE code = ?`, minutes, active, s.stamp(), code)
		if err != nil {
			return fmt.Errorf("incident: update rule: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "no deadline rule %q", code)
		}
		ids, err := int64s(ctx, tx, `SELECT id FROM incidents WHERE status NOT IN ('closed', 'rejected', 'duplicate')`)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.refreshDue(ctx, tx, id); err != nil {
				return err
			}
		}
		return s.log.Record(ctx, tx, auditEntry("incident.rule_update", "incident_rule", code, fmt.Sprintf("minutes=%d active=%t", minutes, active)))
	})
	if err != nil {
		return Rule{}, err
	}
	rules, err := s.rules(ctx, s.db, false)
	if err != nil {
		return Rule{}, err
	}
	for _, r := range rules {
		if r.Code == code {
			return r, nil
		}
	}
	return Rule{}, errs.E(errs.NotFound, "no deadline rule %q", code)
}

// eventTimes reads the times of an incident's events.
func eventTimes(ctx context.Context, q store.Querier, inc *Incident) (map[string]*time.Time, error) {
	ev := map[string]*time.Time{
		"detected": &inc.DetectedAt, "reported": &inc.ReportedAt, "acknowledged": inc.AcknowledgedAt,
		"contained": inc.ContainedAt, "resolved": inc.ResolvedAt, "closed": inc.ClosedAt,
	}
	var first store.Time
	if err := q.QueryRow(ctx, `SELECT MIN(created_at) FROM incident_reports WHERE incident_id = ? AND kind = ?`, inc.ID, ReportClosing).Scan(&first); err != nil {
		return nil, fmt.Errorf("incident: closing report time: %w", err)
	}
	ev["closing_report"] = first.Ptr()
	return ev, nil
}

// evaluate applies the rules to an incident at now.
func evaluate(rules []Rule, inc *Incident, ev map[string]*time.Time, now time.Time) []Deadline {
	var out []Deadline
	for _, r := range rules {
		if !r.Active || (r.Severity != "" && r.Severity != inc.Severity) {
			continue
		}
		d := Deadline{Rule: r, Start: ev[r.Start], Done: ev[r.End]}
		switch {
		case d.Start == nil:
			d.State = "pending"
			if d.Done != nil {
				d.State = "met"
			}
		default:
			due := d.Start.Add(time.Duration(r.Minutes) * time.Minute)
			d.Due = &due
			switch {
			case d.Done != nil && d.Done.After(due):
				d.State = "late"
			case d.Done != nil:
				d.State = "met"
			case !inc.Status.Open():
				d.State = "void"
			case now.After(due):
				d.State = "overdue"
			default:
				d.State = "open"
			}
		}
		out = append(out, d)
	}
	return out
}

// refreshDue stores the incident's earliest unmet deadline (a rule's or
// an open task's due date), which lists, filters and the dashboard read.
func (s *Service) refreshDue(ctx context.Context, tx *store.Tx, id int64) error {
	inc, err := s.load(ctx, tx, id)
	if err != nil {
		return err
	}
	rules, err := s.rules(ctx, tx, true)
	if err != nil {
		return err
	}
	ev, err := eventTimes(ctx, tx, &inc)
	if err != nil {
		return err
	}
	var due *time.Time
	code := ""
	for _, d := range evaluate(rules, &inc, ev, s.now()) {
		if (d.State == "open" || d.State == "overdue") && (due == nil || d.Due.Before(*due)) {
			due, code = d.Due, d.Rule.Code
		}
	}
	// An open task's due date is a deadline of the incident too: a task
	// past due makes the incident overdue ("task:<id>").
	if inc.Status.Open() {
		var tid int64
		var tdue store.Time
		err := tx.QueryRow(ctx, `SELECT id, due_at FROM incident_tasks WHERE incident_id = ? AND status IN ('open', 'in_progress')
			AND due_at IS NOT NULL ORDER BY due_at, id LIMIT 1`, id).Scan(&tid, &tdue)
		switch {
		case errs.Is(err, errs.NotFound):
		case err != nil:
			return fmt.Errorf("incident: task deadline: %w", err)
		case tdue.Valid && (due == nil || tdue.Time.Before(*due)):
			due, code = tdue.Ptr(), fmt.Sprintf("task:%d", tid)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE incidents SET next_due_at = ?, next_due_rule = ? WHERE id = ?`, nullTime(due), code, id); err != nil {
		return fmt.Errorf("incident: store next deadline: %w", err)
	}
	return nil
}

// Deadlines applies the rules to one incident the caller sees.
func (s *Service) Deadlines(ctx context.Context, id int64) ([]Deadline, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	inc, err := s.viewed(ctx, p, id)
	if err != nil {
		return nil, err
	}
	rules, err := s.rules(ctx, s.db, true)
	if err != nil {
		return nil, err
	}
	ev, err := eventTimes(ctx, s.db, &inc)
	if err != nil {
		return nil, err
	}
	return evaluate(rules, &inc, ev, s.now()), nil
}

// CheckDeadlines notifies, once per rule and stage, the lead and owner
// agencies of incidents whose next deadline is within soon or past. It
// runs as the system from the background job and returns how many
// notifications it queued.
func (s *Service) CheckDeadlines(ctx context.Context, soon time.Duration) (int, error) {
	ctx = access.With(ctx, access.SystemPrincipal())
	now := s.now()
	ids, err := int64s(ctx, s.db, `SELECT id FROM incidents WHERE status NOT IN ('closed', 'rejected', 'duplicate')
		AND next_due_at IS NOT NULL AND next_due_at < ?`, now.Add(soon).UTC())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		err := s.transact(ctx, func(tx *store.Tx) error {
			inc, err := s.load(ctx, tx, id)
			if err != nil || inc.NextDueAt == nil {
				return err
			}
			stage := "soon"
			if now.After(*inc.NextDueAt) {
				stage = "overdue"
			}
			mark := inc.NextDueRule + ":" + stage
			var notified string
			if err := tx.QueryRow(ctx, `SELECT due_notified FROM incidents WHERE id = ?`, id).Scan(&notified); err != nil {
				return err
			}
			if notified == mark {
				return nil
			}
			if _, err := tx.Exec(ctx, `UPDATE incidents SET due_notified = ? WHERE id = ?`, mark, id); err != nil {
				return err
			}
			n++
			if stage == "overdue" {
				if err := s.journal(ctx, tx, id, JournalEvent, "overdue", inc.NextDueRule); err != nil {
					return err
				}
			}
			return s.notify(ctx, tx, &inc, "incident.deadline", []int64{inc.Lead.ID, inc.Owner.ID}, 0, mark)
		})
		if err != nil {
			return n, fmt.Errorf("incident: check deadline of %d: %w", id, err)
		}
	}
	return n, nil
}

// Watch runs CheckDeadlines every interval until ctx ends; errors are
// returned to report, never stop the loop.
func (s *Service) Watch(ctx context.Context, interval time.Duration, report func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.CheckDeadlines(ctx, time.Hour); err != nil && ctx.Err() == nil && report != nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
