package fraud

import (
	"context"
	"fmt"
	"strings"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/ioc"
	"bulwark/internal/store"
)

// anonymiseSQL blanks what identifies or was told by the reporter; the
// counts, channel, scam type, amount and dates stay for the figures, and
// the subjects (the scammers' identifiers) stay linked.
const anonymiseSQL = `UPDATE fraud_reports SET reporter_name = '', reporter_phone = '', reporter_email = '', narrative = '',
	anonymised_at = ?, updated_at = ? WHERE `

// Anonymise applies the retention period: closed reports whose closing is
// older than Config.Retention, and not kept for a criminal case, lose the
// reporter's contact, the narrative and the evidence files (deleted from
// the blob store once nothing else refers to them, see purge.go). Background
// jobs call it with the system principal; admins may run it by hand. It
// returns how many reports were anonymised.
func (s *Service) Anonymise(ctx context.Context) (int, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return 0, err
	}
	if !p.System && !access.CanManageReporterData(p) {
		return 0, s.log.Denied(ctx, "fraud.retention.run", "fraud", "")
	}
	now := s.stamp()
	cutoff := now.Add(-s.cfg.Retention)
	var n int64
	err = s.transact(ctx, func(tx *store.Tx) error {
		cond := `status = ? AND closed_at < ? AND anonymised_at IS NULL AND keep_reason = ''`
		args := []any{ReportProcessed, cutoff}
		if err := s.queueEvidencePurge(ctx, tx, cond, args...); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM fraud_evidence WHERE report_id IN (SELECT id FROM fraud_reports WHERE `+cond+`)`, args...); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, anonymiseSQL+cond, append([]any{now, now}, args...)...)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		if n == 0 {
			return nil
		}
		return s.record(ctx, tx, "fraud.retention.anonymise", "fraud_report", 0, fmt.Sprintf("reports=%d", n))
	})
	if err != nil {
		return 0, fmt.Errorf("fraud: anonymise: %w", err)
	}
	// Also retries deletions that failed earlier.
	if _, err := s.purgeEvidence(ctx); err != nil {
		s.slog.Warn("fraud: evidence files of anonymised reports", "err", err)
	}
	return int(n), nil
}

// ReporterData is everything kept about one reporter, for a data-subject
// request (Law 91/2025): their contact as given and their reports.
type ReporterData struct {
	Contacts []Contact `json:"contacts"`
	Reports  []Report  `json:"reports"`
}

// reporterCond selects a reporter's reports by phone or e-mail.
func reporterCond(phoneOrEmail string) (string, string, error) {
	v := strings.TrimSpace(phoneOrEmail)
	if strings.Contains(v, "@") {
		if len(v) > 254 {
			return "", "", errs.Field("reporter", "is too long")
		}
		return "reporter_email = ?", strings.ToLower(v), nil
	}
	ph, err := ioc.NormalizePhone(v)
	if err != nil {
		return "", "", errs.Field("reporter", "give the reporter's phone number or e-mail address")
	}
	return "reporter_phone = ?", ph, nil
}

// ExportReporter returns one reporter's data, found by phone or e-mail.
// Admins only; the export is audited.
func (s *Service) ExportReporter(ctx context.Context, phoneOrEmail string) (ReporterData, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return ReporterData{}, err
	}
	if !access.CanManageReporterData(p) {
		return ReporterData{}, s.log.Denied(ctx, "fraud.reporter.export", "fraud", "")
	}
	cond, arg, err := reporterCond(phoneOrEmail)
	if err != nil {
		return ReporterData{}, err
	}
	out := ReporterData{Contacts: []Contact{}, Reports: []Report{}}
	err = s.transact(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+reportCols+`, reporter_name, reporter_phone, reporter_email FROM fraud_reports WHERE `+cond+` ORDER BY id LIMIT 1000`, arg)
		if err != nil {
			return err
		}
		seen := map[Contact]bool{}
		for rows.Next() {
			var c Contact
			var r Report
			var anon, closed store.Time
			var ch string
			if err := rows.Scan(&r.ID, &r.Source, &ch, &r.ScamType, &r.OccurredOn, &r.Amount, &r.Narrative, &r.Status, &r.LegalBasis,
				&r.Anonymous, &anon, &r.KeepReason, &r.CreatedAt, &closed, &r.FiledByUser, &c.Name, &c.Phone, &c.Email); err != nil {
				rows.Close()
				return err
			}
			r.Channel, r.Anonymised, r.ClosedAt = Channel(ch), anon.Valid, closed.Ptr()
			r.Subjects, r.Evidence = []Ref{}, []Evidence{}
			out.Reports = append(out.Reports, r)
			if !seen[c] {
				seen[c] = true
				out.Contacts = append(out.Contacts, c)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := s.fillReports(ctx, tx, out.Reports); err != nil {
			return err
		}
		return s.record(ctx, tx, "fraud.reporter.export", "fraud", 0, fmt.Sprintf("reports=%d", len(out.Reports)))
	})
	if err != nil {
		return ReporterData{}, fmt.Errorf("fraud: export reporter: %w", err)
	}
	return out, nil
}

// EraseReporter anonymises every report of one reporter (found by phone or
// e-mail) at their request and deletes their evidence files, except reports kept for a criminal case, whose
// count is returned as kept. Admins only; audited.
func (s *Service) EraseReporter(ctx context.Context, phoneOrEmail string) (erased, kept int, err error) {
	p, err := access.Require(ctx)
	if err != nil {
		return 0, 0, err
	}
	if !access.CanManageReporterData(p) {
		return 0, 0, s.log.Denied(ctx, "fraud.reporter.erase", "fraud", "")
	}
	cond, arg, err := reporterCond(phoneOrEmail)
	if err != nil {
		return 0, 0, err
	}
	now := s.stamp()
	err = s.transact(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM fraud_reports WHERE `+cond+` AND keep_reason <> ''`, arg).Scan(&kept); err != nil {
			return err
		}
		sel := cond + ` AND keep_reason = ''`
		if err := s.queueEvidencePurge(ctx, tx, sel, arg); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM fraud_evidence WHERE report_id IN (SELECT id FROM fraud_reports WHERE `+sel+`)`, arg); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, anonymiseSQL+sel, now, now, arg)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		erased = int(n)
		return s.record(ctx, tx, "fraud.reporter.erase", "fraud", 0, fmt.Sprintf("erased=%d kept=%d", erased, kept))
	})
	if err != nil {
		return 0, 0, fmt.Errorf("fraud: erase reporter: %w", err)
	}
	if _, err := s.purgeEvidence(ctx); err != nil {
		s.slog.Warn("fraud: evidence files of erased reports", "err", err)
	}
	return erased, kept, nil
}
