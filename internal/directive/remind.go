package directive

import (
	"context"
	"fmt"
	"time"

	"bulwark/internal/audit"
	"bulwark/internal/store"
)

// Remind sends the reminders that are due: for each open task, one e-mail
// when its deadline is RemindDays away (7 and 1 by default) and one when it
// becomes overdue. Each reminder goes out once: the directive_reminders row
// is written in the transaction that queues the e-mail. It acts as the
// system and returns how many reminders it queued.
func (s *Service) Remind(ctx context.Context) (int, error) {
	if s.note == nil || s.rcpt == nil {
		return 0, nil
	}
	today := s.Today()
	t0, _ := time.Parse(dateLayout, today)
	maxDays := 0
	for _, d := range s.cfg.RemindDays {
		maxDays = max(maxDays, d)
	}
	horizon := t0.AddDate(0, 0, maxDays).Format(dateLayout)
	rows, err := s.db.Query(ctx, `SELECT t.id, t.directive_id, t.due_on, d.title, d.lead_agency_id FROM directive_tasks t JOIN directives d ON d.id = t.directive_id
		WHERE d.cancelled_at IS NULL AND t.state NOT IN ('done', 'cancelled') AND t.due_on <= ? ORDER BY t.due_on, t.id`, horizon)
	if err != nil {
		return 0, fmt.Errorf("directive: remind: %w", err)
	}
	type due struct {
		task, directive, lead int64
		dueOn, title          string
	}
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.task, &d.directive, &d.dueOn, &d.title, &d.lead); err != nil {
			rows.Close()
			return 0, fmt.Errorf("directive: remind: %w", err)
		}
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("directive: remind: %w", err)
	}
	sent := 0
	for _, d := range list {
		dueT, _ := time.Parse(dateLayout, d.dueOn)
		left := int(dueT.Sub(t0).Hours() / 24)
		kind, subject, body := "", "", ""
		switch {
		case left < 0:
			kind = "overdue"
			subject = "[Bulwark] Quá hạn: " + clip(d.title, 120)
			body = fmt.Sprintf("Nhiệm vụ \"%s\" đã quá hạn (hạn %s). Đề nghị báo cáo kết quả hoặc tiến độ.\n%s", d.title, d.dueOn, s.link(d.directive))
		default:
			// The tightest reminder that applies: 1 day before beats 7.
			best := -1
			for _, r := range s.cfg.RemindDays {
				if left <= r && (best < 0 || r < best) {
					best = r
				}
			}
			if best < 0 {
				continue
			}
			kind = fmt.Sprintf("before_%d", best)
			subject = fmt.Sprintf("[Bulwark] Còn %d ngày: %s", left, clip(d.title, 120))
			body = fmt.Sprintf("Nhiệm vụ \"%s\" đến hạn ngày %s (còn %d ngày).\n%s", d.title, d.dueOn, left, s.link(d.directive))
		}
		var agencies []int64
		arows, err := s.db.Query(ctx, `SELECT agency_id FROM directive_agencies WHERE directive_id = ? ORDER BY role DESC, agency_id`, d.directive)
		if err != nil {
			return sent, fmt.Errorf("directive: remind: %w", err)
		}
		for arows.Next() {
			var a int64
			if err := arows.Scan(&a); err != nil {
				arows.Close()
				return sent, err
			}
			agencies = append(agencies, a)
		}
		arows.Close()
		err = s.transact(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `INSERT INTO directive_reminders (task_id, kind, sent_at) VALUES (?, ?, ?) ON CONFLICT (task_id, kind) DO NOTHING`, d.task, kind, s.stamp())
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			if err := s.notifyAgencies(ctx, tx, agencies, "directive."+kind, subject, body, d.directive); err != nil {
				return err
			}
			sent++
			return s.log.Record(ctx, tx, audit.Entry{Actor: "system", Action: "directive.remind", ObjectType: "directive", ObjectID: fmt.Sprint(d.directive), Detail: kind + " " + d.dueOn})
		})
		if err != nil {
			return sent, fmt.Errorf("directive: remind task %d: %w", d.task, err)
		}
	}
	return sent, nil
}

// Watch sends due reminders every interval until ctx ends; errors go to
// onErr.
func (s *Service) Watch(ctx context.Context, interval time.Duration, onErr func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Remind(ctx); err != nil && onErr != nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
