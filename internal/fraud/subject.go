package fraud

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// SubjectFilter narrows ListSubjects. Sort is "count" (default), "amount"
// or "recent".
type SubjectFilter struct {
	Kind     IdentifierKind
	Statuses []Status
	Query    string
	Sort     string
	Limit    int
	Offset   int
}

const subjectCols = `id, kind, value, status, reason, report_count, amount_total, channels, first_reported_at, last_reported_at,
	incident_ref, case_number, confirmed_at, updated_at`

func scanSubject(sc interface{ Scan(...any) error }) (Subject, error) {
	var sb Subject
	var kind, st, ch string
	var conf store.Time
	err := sc.Scan(&sb.ID, &kind, &sb.Value, &st, &sb.Reason, &sb.ReportCount, &sb.AmountTotal, &ch, &sb.FirstReport, &sb.LastReport,
		&sb.IncidentRef, &sb.CaseNumber, &conf, &sb.UpdatedAt)
	sb.Kind, sb.Status, sb.ConfirmedAt = IdentifierKind(kind), Status(st), conf.Ptr()
	sb.Channels = []Channel{}
	for _, c := range strings.Split(ch, ",") {
		if c != "" {
			sb.Channels = append(sb.Channels, Channel(c))
		}
	}
	return sb, err
}

// Queue is the verification queue: subjects not yet decided, most
// reported first (or by amount, or most recent).
func (s *Service) Queue(ctx context.Context, sort string, limit, offset int) ([]Subject, int, error) {
	return s.ListSubjects(ctx, SubjectFilter{Statuses: []Status{StatusUnverified, StatusUnderReview}, Sort: sort, Limit: limit, Offset: offset})
}

// ListSubjects lists subjects for verifiers.
func (s *Service) ListSubjects(ctx context.Context, f SubjectFilter) ([]Subject, int, error) {
	if _, err := s.verifier(ctx, "fraud.subject.list"); err != nil {
		return nil, 0, err
	}
	where, args := []string{"1=1"}, []any{}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(f.Kind))
	}
	if len(f.Statuses) > 0 {
		ph := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			ph[i] = "?"
			args = append(args, string(st))
		}
		where = append(where, "status IN ("+strings.Join(ph, ",")+")")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if len(q) > 200 {
			return nil, 0, errs.Field("q", "is too long")
		}
		// Search the canonical form when the query normalises.
		if ms, err := lookupKeys(q); err == nil && len(ms) > 0 {
			ph := make([]string, len(ms))
			for i, m := range ms {
				ph[i] = "?"
				args = append(args, m)
			}
			where = append(where, "lookup_key IN ("+strings.Join(ph, ",")+")")
		} else {
			where, args = append(where, "value LIKE ? ESCAPE '\\'"), append(args, "%"+likeEscape(strings.ToLower(q))+"%")
		}
	}
	order := "report_count DESC, amount_total DESC, last_reported_at DESC"
	switch f.Sort {
	case "amount":
		order = "amount_total DESC, report_count DESC, last_reported_at DESC"
	case "recent":
		order = "last_reported_at DESC, report_count DESC"
	case "", "count":
	default:
		return nil, 0, errs.Field("sort", "must be count, amount or recent")
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM fraud_subjects WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("fraud: count subjects: %w", err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.Query(ctx, `SELECT `+subjectCols+` FROM fraud_subjects WHERE `+cond+` ORDER BY `+order+`, id LIMIT ? OFFSET ?`,
		append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("fraud: list subjects: %w", err)
	}
	defer rows.Close()
	out := []Subject{}
	for rows.Next() {
		sb, err := scanSubject(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("fraud: list subjects: %w", err)
		}
		out = append(out, sb)
	}
	return out, total, rows.Err()
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// GetSubject returns a subject with its reports side by side (no reporter
// contacts), its history, referrals and hand-offs. Verifiers only.
func (s *Service) GetSubject(ctx context.Context, id int64) (SubjectDetail, error) {
	if _, err := s.verifier(ctx, "fraud.subject.read"); err != nil {
		return SubjectDetail{}, err
	}
	sb, err := scanSubject(s.db.QueryRow(ctx, `SELECT `+subjectCols+` FROM fraud_subjects WHERE id = ?`, id))
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return SubjectDetail{}, notFound("subject")
		}
		return SubjectDetail{}, fmt.Errorf("fraud: get subject %d: %w", id, err)
	}
	d := SubjectDetail{Subject: sb, Reports: []Report{}, History: []HistoryEntry{}}
	rows, err := s.db.Query(ctx, `SELECT `+reportCols+` FROM fraud_reports WHERE id IN (SELECT report_id FROM fraud_report_subjects WHERE subject_id = ?)
		ORDER BY created_at DESC, id DESC LIMIT 200`, id)
	if err != nil {
		return SubjectDetail{}, fmt.Errorf("fraud: subject reports: %w", err)
	}
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			rows.Close()
			return SubjectDetail{}, fmt.Errorf("fraud: subject reports: %w", err)
		}
		d.Reports = append(d.Reports, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return SubjectDetail{}, fmt.Errorf("fraud: subject reports: %w", err)
	}
	if err := s.fillReports(ctx, s.db, d.Reports); err != nil {
		return SubjectDetail{}, err
	}
	hrows, err := s.db.Query(ctx, `SELECT at, from_status, to_status, reason, actor FROM fraud_subject_history WHERE subject_id = ? ORDER BY at, id`, id)
	if err != nil {
		return SubjectDetail{}, fmt.Errorf("fraud: subject history: %w", err)
	}
	for hrows.Next() {
		var h HistoryEntry
		var from, to string
		if err := hrows.Scan(&h.At, &from, &to, &h.Reason, &h.Actor); err != nil {
			hrows.Close()
			return SubjectDetail{}, fmt.Errorf("fraud: subject history: %w", err)
		}
		h.From, h.To = Status(from), Status(to)
		d.History = append(d.History, h)
	}
	hrows.Close()
	if err := hrows.Err(); err != nil {
		return SubjectDetail{}, fmt.Errorf("fraud: subject history: %w", err)
	}
	if d.Referrals, err = s.referrals(ctx, s.db, "r.subject_id = ?", []any{id}, 0, 100); err != nil {
		return SubjectDetail{}, err
	}
	if d.Handoffs, err = s.handoffs(ctx, "subject_id = ?", id); err != nil {
		return SubjectDetail{}, err
	}
	return d, nil
}

// Decision changes a subject's status.
type Decision struct {
	Status Status `json:"status"`
	Reason string `json:"reason"`
	// Action is the referral's requested action when confirming a phone
	// (reverify, suspend_outgoing, suspend_both, terminate) or an account
	// (warn, hold); empty takes the mildest.
	Action string `json:"action,omitempty"`
}

// Decide moves a subject to a new status with a reason, kept in its
// history. Confirming a phone refers it to the operator its prefix names;
// confirming an account refers it to its bank; confirming a domain hands
// it and its reported URLs to threat intelligence as TLP:CLEAR. Only
// verifiers may decide; a reason is required for every decision.
func (s *Service) Decide(ctx context.Context, id int64, d Decision) (Subject, error) {
	p, err := s.verifier(ctx, "fraud.subject.decide")
	if err != nil {
		return Subject{}, err
	}
	if !slices.Contains(Statuses, d.Status) {
		return Subject{}, errs.Field("status", "must be one of unverified, under_review, confirmed, insufficient, cleared")
	}
	if d.Reason, err = cleanText("reason", d.Reason, MaxReason, true); err != nil {
		return Subject{}, err
	}
	if d.Reason == "" && d.Status != StatusUnderReview {
		return Subject{}, errs.Field("reason", "give the reason for the decision")
	}
	var out Subject
	var handoffs, withdrawn []Indicator
	now := s.stamp()
	err = s.transact(ctx, func(tx *store.Tx) error {
		sb, err := scanSubject(tx.QueryRow(ctx, `SELECT `+subjectCols+` FROM fraud_subjects WHERE id = ?`, id))
		if err != nil {
			return err
		}
		if sb.Status == d.Status {
			return errs.E(errs.Conflict, "the subject is already %s", d.Status)
		}
		var confirmed any = store.NullTime(sb.ConfirmedAt)
		if d.Status == StatusConfirmed {
			confirmed = now
		}
		if _, err := tx.Exec(ctx, `UPDATE fraud_subjects SET status = ?, reason = ?, confirmed_at = ?, updated_at = ? WHERE id = ?`,
			string(d.Status), d.Reason, confirmed, now, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO fraud_subject_history (subject_id, at, from_status, to_status, reason, actor) VALUES (?, ?, ?, ?, ?, ?)`,
			id, now, string(sb.Status), string(d.Status), d.Reason, p.Label()); err != nil {
			return err
		}
		if sb.Status == StatusConfirmed && d.Status != StatusConfirmed && sb.Kind == KindDomain {
			if withdrawn, err = s.handoffIndicators(ctx, tx, id); err != nil {
				return err
			}
		}
		if d.Status == StatusConfirmed {
			switch sb.Kind {
			case KindPhone, KindAccount:
				if err := s.refer(ctx, tx, sb, d.Action, p, now); err != nil {
					return err
				}
			case KindDomain:
				if handoffs, err = s.recordHandoffs(ctx, tx, sb, p.AgencyID, now); err != nil {
					return err
				}
			}
		}
		if err := refreshReports(ctx, tx, id, now); err != nil {
			return err
		}
		if err := s.record(ctx, tx, "fraud.subject."+string(d.Status), "fraud_subject", id, string(sb.Status)+" -> "+string(d.Status)); err != nil {
			return err
		}
		out, err = scanSubject(tx.QueryRow(ctx, `SELECT `+subjectCols+` FROM fraud_subjects WHERE id = ?`, id))
		return err
	})
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return Subject{}, notFound("subject")
		}
		return Subject{}, fmt.Errorf("fraud: decide subject %d: %w", id, err)
	}
	s.deliver(ctx, handoffs)
	s.withdraw(ctx, withdrawn)
	return out, nil
}

// Link ties a subject to an incident (its id or reference) and/or a
// criminal case number. Linked subjects' reports are kept past the
// retention period, with the case as the reason.
func (s *Service) Link(ctx context.Context, id int64, incidentRef, caseNumber string) (Subject, error) {
	if _, err := s.verifier(ctx, "fraud.subject.link"); err != nil {
		return Subject{}, err
	}
	var err error
	if incidentRef, err = cleanText("incident_ref", incidentRef, 64, false); err != nil {
		return Subject{}, err
	}
	if caseNumber, err = cleanText("case_number", caseNumber, 64, false); err != nil {
		return Subject{}, err
	}
	var out Subject
	now := s.stamp()
	err = s.transact(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE fraud_subjects SET incident_ref = ?, case_number = ?, updated_at = ? WHERE id = ?`, incidentRef, caseNumber, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("subject")
		}
		if caseNumber != "" {
			if _, err := tx.Exec(ctx, `UPDATE fraud_reports SET keep_reason = ? WHERE keep_reason = '' AND id IN (SELECT report_id FROM fraud_report_subjects WHERE subject_id = ?)`,
				"case "+caseNumber, id); err != nil {
				return err
			}
		}
		if err := s.record(ctx, tx, "fraud.subject.link", "fraud_subject", id, "incident="+incidentRef+" case="+caseNumber); err != nil {
			return err
		}
		out, err = scanSubject(tx.QueryRow(ctx, `SELECT `+subjectCols+` FROM fraud_subjects WHERE id = ?`, id))
		return err
	})
	if err != nil {
		return Subject{}, fmt.Errorf("fraud: link subject %d: %w", id, err)
	}
	return out, nil
}

// SubjectByValue finds a subject by kind and canonical value (verifiers).
func (s *Service) SubjectByValue(ctx context.Context, kind IdentifierKind, value string) (Subject, error) {
	if _, err := s.verifier(ctx, "fraud.subject.read"); err != nil {
		return Subject{}, err
	}
	sb, err := scanSubject(s.db.QueryRow(ctx, `SELECT `+subjectCols+` FROM fraud_subjects WHERE kind = ? AND value = ?`, string(kind), value))
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return Subject{}, notFound("subject")
		}
		return Subject{}, fmt.Errorf("fraud: subject by value: %w", err)
	}
	return sb, nil
}
