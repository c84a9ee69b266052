package fraud

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// ErrHoneypot is returned by Submit when the hidden field was filled,
// with a receipt whose code leads nowhere: the caller answers as if the
// report was accepted (so the bot learns nothing); nothing is stored.
var ErrHoneypot = errors.New("fraud: honeypot field filled")

// Submit stores a report from the public form or the public API. No login
// is needed. clientIP is the caller's address, used only for rate limiting
// (it is not stored). The reporter's consent is required. It returns
// errs.RateLimited when the address or one of the identifiers has sent too
// many reports, and ErrHoneypot (nothing stored) for bots.
func (s *Service) Submit(ctx context.Context, in ReportInput, clientIP string) (Receipt, error) {
	if strings.TrimSpace(in.Website) != "" {
		return Receipt{TrackingCode: newTrackingCode(), Status: ReportReceived, CreatedAt: s.stamp()}, ErrHoneypot
	}
	p, err := prepare(in, s.now(), true)
	if err != nil {
		return Receipt{}, err
	}
	if !s.ipLim.Allow("ip:" + clientIP) {
		return Receipt{}, errs.E(errs.RateLimited, "too many reports from your address; try again later")
	}
	for _, c := range p.subj {
		if !s.identLim.Allow(string(c.Kind) + ":" + c.Value) {
			return Receipt{}, errs.E(errs.RateLimited, "this identifier has been reported very often in the last minutes; it is already being looked at")
		}
	}
	return s.store(ctx, p, SourcePublic, BasisConsent, nil)
}

// File stores a report on a victim's behalf (analysts of any agency) or
// on the agency's own knowledge. The legal basis is crime prevention by a
// competent body unless the victim's consent is recorded.
func (s *Service) File(ctx context.Context, in ReportInput) (Receipt, error) {
	pr, err := access.Require(ctx)
	if err != nil {
		return Receipt{}, err
	}
	if !access.CanFileFraudReport(pr) {
		return Receipt{}, s.log.Denied(ctx, "fraud.report.file", "fraud_report", "")
	}
	in.Website = ""
	p, err := prepare(in, s.now(), false)
	if err != nil {
		return Receipt{}, err
	}
	basis := BasisCrimePrevention
	if in.Consent {
		basis = BasisConsent
	}
	return s.store(ctx, p, SourceStaff, basis, pr)
}

// store writes the report and upserts its subjects in one transaction.
func (s *Service) store(ctx context.Context, p prepared, source, basis string, by *access.Principal) (Receipt, error) {
	code := newTrackingCode()
	now := s.stamp()
	err := s.transact(ctx, func(tx *store.Tx) error {
		id, err := s.insertReport(ctx, tx, p, source, basis, by, code, now)
		if err != nil {
			return err
		}
		// No personal data in the audit detail: counts and codes only.
		return s.record(ctx, tx, "fraud.report.create", "fraud_report", id,
			fmt.Sprintf("source=%s channel=%s identifiers=%d", source, p.in.Channel, len(p.subj)))
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("fraud: store report: %w", err)
	}
	return Receipt{TrackingCode: code, Status: ReportReceived, CreatedAt: now}, nil
}

// insertReport writes one report and its subjects inside tx and returns
// its id; the caller audits it (an import stores and audits many reports
// per transaction).
func (s *Service) insertReport(ctx context.Context, tx *store.Tx, p prepared, source, basis string, by *access.Principal, code string, now time.Time) (int64, error) {
	var filedBy, agencyID any
	if by != nil && !by.System {
		filedBy, agencyID = by.UserID, by.AgencyID
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO fraud_reports (tracking_hash, source, channel, scam_type, occurred_on, amount, narrative,
		reporter_name, reporter_phone, reporter_email, consent, legal_basis, status, filed_by_user_id, agency_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		trackingHash(code), source, string(p.in.Channel), p.in.ScamType, p.occurs, p.in.Amount, p.in.Narrative,
		p.in.Reporter.Name, p.phone, p.email, p.in.Consent, basis, ReportReceived, filedBy, agencyID, now, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert report: %w", err)
	}
	for _, c := range p.subj {
		sid, err := upsertSubject(ctx, tx, c, p.in, now)
		if err != nil {
			return 0, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO fraud_report_subjects (report_id, subject_id, detail) VALUES (?, ?, ?)`, id, sid, c.Detail); err != nil {
			return 0, fmt.Errorf("link subject: %w", err)
		}
	}
	return id, nil
}

// upsertSubject adds one report to a subject, creating it on first sight.
// The subject's count, amount, last report and channels move; its status
// does not (a confirmed number stays confirmed).
func upsertSubject(ctx context.Context, tx *store.Tx, c canon, in ReportInput, now time.Time) (int64, error) {
	var id int64
	var channels string
	err := tx.QueryRow(ctx, `INSERT INTO fraud_subjects (kind, value, lookup_key, status, report_count, amount_total, channels,
			first_reported_at, last_reported_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, value) DO UPDATE SET report_count = fraud_subjects.report_count + 1,
			amount_total = fraud_subjects.amount_total + excluded.amount_total,
			last_reported_at = excluded.last_reported_at, updated_at = excluded.updated_at
		RETURNING id, channels`,
		string(c.Kind), c.Value, c.Key, string(StatusUnverified), in.Amount, string(in.Channel), now, now, now, now).Scan(&id, &channels)
	if err != nil {
		return 0, fmt.Errorf("upsert subject: %w", err)
	}
	if !slices.Contains(strings.Split(channels, ","), string(in.Channel)) {
		if _, err := tx.Exec(ctx, `UPDATE fraud_subjects SET channels = ? WHERE id = ?`, channels+","+string(in.Channel), id); err != nil {
			return 0, fmt.Errorf("subject channels: %w", err)
		}
	}
	return id, nil
}

// Status returns the status of the one report a tracking code names. No
// login is needed; the answer holds no report text and no identifiers.
// A malformed or unknown code is NotFound. clientIP is used only for the
// rate limit that keeps anyone from guessing codes.
func (s *Service) Status(ctx context.Context, code, clientIP string) (PublicStatus, error) {
	if !s.lookupLim.Allow("status:" + clientIP) {
		return PublicStatus{}, errs.E(errs.RateLimited, "too many requests from your address; wait a minute")
	}
	if !validTrackingCode(code) {
		return PublicStatus{}, notFound("report")
	}
	var st PublicStatus
	var id int64
	var closed store.Time
	err := s.db.QueryRow(ctx, `SELECT id, status, created_at, updated_at, closed_at FROM fraud_reports WHERE tracking_hash = ?`,
		trackingHash(code)).Scan(&id, &st.Status, &st.CreatedAt, &st.UpdatedAt, &closed)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return PublicStatus{}, notFound("report")
		}
		return PublicStatus{}, fmt.Errorf("fraud: report status: %w", err)
	}
	st.ClosedAt = closed.Ptr()
	err = s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN s.status = ? THEN 1 ELSE 0 END), 0)
		FROM fraud_report_subjects rs JOIN fraud_subjects s ON s.id = rs.subject_id WHERE rs.report_id = ?`,
		string(StatusConfirmed), id).Scan(&st.Identifiers, &st.Confirmed)
	if err != nil {
		return PublicStatus{}, fmt.Errorf("fraud: report status: %w", err)
	}
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM fraud_evidence WHERE report_id = ?`, id).Scan(&st.EvidenceFiles); err != nil {
		return PublicStatus{}, fmt.Errorf("fraud: report status: %w", err)
	}
	return st, nil
}

// reportIDByCode resolves a tracking code for evidence uploads.
func (s *Service) reportIDByCode(ctx context.Context, code string) (int64, string, error) {
	if !validTrackingCode(code) {
		return 0, "", notFound("report")
	}
	var id int64
	var status string
	err := s.db.QueryRow(ctx, `SELECT id, status FROM fraud_reports WHERE tracking_hash = ?`, trackingHash(code)).Scan(&id, &status)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return 0, "", notFound("report")
		}
		return 0, "", fmt.Errorf("fraud: find report: %w", err)
	}
	return id, status, nil
}

// ReportFilter narrows ListReports.
type ReportFilter struct {
	Channel  Channel
	ScamType string
	Source   string
	Since    time.Time
	Limit    int
	Offset   int
}

const reportCols = `id, source, channel, scam_type, occurred_on, amount, narrative, status, legal_basis,
	(reporter_name = '' AND reporter_phone = '' AND reporter_email = ''), anonymised_at, keep_reason, created_at, closed_at, COALESCE(filed_by_user_id, 0)`

func scanReport(sc interface{ Scan(...any) error }) (Report, error) {
	var r Report
	var anon, closed store.Time
	var ch string
	err := sc.Scan(&r.ID, &r.Source, &ch, &r.ScamType, &r.OccurredOn, &r.Amount, &r.Narrative, &r.Status, &r.LegalBasis,
		&r.Anonymous, &anon, &r.KeepReason, &r.CreatedAt, &closed, &r.FiledByUser)
	r.Channel = Channel(ch)
	r.Anonymised = anon.Valid
	r.ClosedAt = closed.Ptr()
	r.Subjects, r.Evidence = []Ref{}, []Evidence{}
	return r, err
}

// ListReports lists reports newest first, for verifiers. Reporter
// contacts are not included (see ReporterContact).
func (s *Service) ListReports(ctx context.Context, f ReportFilter) ([]Report, int, error) {
	if _, err := s.verifier(ctx, "fraud.report.list"); err != nil {
		return nil, 0, err
	}
	where, args := []string{"1=1"}, []any{}
	if f.Channel != "" {
		where, args = append(where, "channel = ?"), append(args, string(f.Channel))
	}
	if f.ScamType != "" {
		where, args = append(where, "scam_type = ?"), append(args, f.ScamType)
	}
	if f.Source != "" {
		where, args = append(where, "source = ?"), append(args, f.Source)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, f.Since.UTC())
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM fraud_reports WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("fraud: count reports: %w", err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.Query(ctx, `SELECT `+reportCols+` FROM fraud_reports WHERE `+cond+` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`,
		append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("fraud: list reports: %w", err)
	}
	defer rows.Close()
	var out []Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("fraud: list reports: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("fraud: list reports: %w", err)
	}
	if err := s.fillReports(ctx, s.db, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// GetReport returns one report with its subjects and evidence, for
// verifiers. Staff who filed it may read it back too.
func (s *Service) GetReport(ctx context.Context, id int64) (Report, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return Report{}, err
	}
	r, err := scanReport(s.db.QueryRow(ctx, `SELECT `+reportCols+` FROM fraud_reports WHERE id = ?`, id))
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return Report{}, notFound("report")
		}
		return Report{}, fmt.Errorf("fraud: get report %d: %w", id, err)
	}
	if !access.IsFraudVerifier(p) && (r.FiledByUser == 0 || r.FiledByUser != p.UserID) {
		return Report{}, s.log.Denied(ctx, "fraud.report.read", "fraud_report", fmt.Sprint(id))
	}
	list := []Report{r}
	if err := s.fillReports(ctx, s.db, list); err != nil {
		return Report{}, err
	}
	return list[0], nil
}

// fillReports loads the subjects and evidence of reports.
func (s *Service) fillReports(ctx context.Context, q store.Querier, list []Report) error {
	for i := range list {
		rows, err := q.Query(ctx, `SELECT s.id, s.kind, s.value, s.status, rs.detail FROM fraud_report_subjects rs
			JOIN fraud_subjects s ON s.id = rs.subject_id WHERE rs.report_id = ? ORDER BY s.id`, list[i].ID)
		if err != nil {
			return fmt.Errorf("fraud: report subjects: %w", err)
		}
		for rows.Next() {
			var ref Ref
			var kind, st string
			if err := rows.Scan(&ref.SubjectID, &kind, &ref.Value, &st, &ref.Detail); err != nil {
				rows.Close()
				return fmt.Errorf("fraud: report subjects: %w", err)
			}
			ref.Kind, ref.Status = IdentifierKind(kind), Status(st)
			list[i].Subjects = append(list[i].Subjects, ref)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("fraud: report subjects: %w", err)
		}
		ev, err := s.evidenceOf(ctx, q, list[i].ID)
		if err != nil {
			return err
		}
		list[i].Evidence = ev
	}
	return nil
}

// ReporterContact returns who filed a report. Only police analysts may
// call it, and every call leaves an audit row (the view of personal data),
// whether or not the report had a contact.
func (s *Service) ReporterContact(ctx context.Context, reportID int64) (Contact, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return Contact{}, err
	}
	if !access.CanSeeReporterContact(p) {
		return Contact{}, s.log.Denied(ctx, "fraud.reporter.view", "fraud_report", fmt.Sprint(reportID))
	}
	var c Contact
	err = s.transact(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT reporter_name, reporter_phone, reporter_email FROM fraud_reports WHERE id = ?`, reportID).
			Scan(&c.Name, &c.Phone, &c.Email); err != nil {
			return err
		}
		return s.record(ctx, tx, "fraud.reporter.view", "fraud_report", reportID, "")
	})
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return Contact{}, notFound("report")
		}
		return Contact{}, fmt.Errorf("fraud: reporter contact: %w", err)
	}
	return c, nil
}

// refreshReports recomputes the reporter-facing status of the reports
// naming a subject: in review once any subject is looked at, processed
// (and closed, which starts the retention clock) once all are decided.
func refreshReports(ctx context.Context, tx *store.Tx, subjectID int64, now time.Time) error {
	rows, err := tx.Query(ctx, `SELECT rs.report_id,
			SUM(CASE WHEN s.status IN (?, ?, ?) THEN 1 ELSE 0 END), SUM(CASE WHEN s.status = ? THEN 1 ELSE 0 END), COUNT(*)
		FROM fraud_report_subjects rs JOIN fraud_subjects s ON s.id = rs.subject_id
		WHERE rs.report_id IN (SELECT report_id FROM fraud_report_subjects WHERE subject_id = ?)
		GROUP BY rs.report_id`,
		string(StatusConfirmed), string(StatusInsufficient), string(StatusCleared), string(StatusUnverified), subjectID)
	if err != nil {
		return fmt.Errorf("refresh reports: %w", err)
	}
	type upd struct {
		id     int64
		status string
	}
	var ups []upd
	for rows.Next() {
		var id int64
		var decided, unverified, total int
		if err := rows.Scan(&id, &decided, &unverified, &total); err != nil {
			rows.Close()
			return fmt.Errorf("refresh reports: %w", err)
		}
		st := ReportInReview
		switch {
		case decided == total:
			st = ReportProcessed
		case unverified == total:
			st = ReportReceived
		}
		ups = append(ups, upd{id, st})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("refresh reports: %w", err)
	}
	for _, u := range ups {
		var closed any = sql.NullTime{}
		if u.status == ReportProcessed {
			closed = now
		}
		if _, err := tx.Exec(ctx, `UPDATE fraud_reports SET status = ?, updated_at = ?, closed_at = ? WHERE id = ? AND status <> ?`,
			u.status, now, closed, u.id, u.status); err != nil {
			return fmt.Errorf("refresh reports: %w", err)
		}
	}
	return nil
}
