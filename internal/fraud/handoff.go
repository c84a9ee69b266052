package fraud

import (
	"context"
	"fmt"
	"strings"
	"time"

	"bulwark/internal/store"
)

// recordHandoffs keeps the indicators of a confirmed domain: the domain
// itself and each reported URL on it. Values already handed over are not
// repeated.
func (s *Service) recordHandoffs(ctx context.Context, tx *store.Tx, sb Subject, agencyID int64, now time.Time) ([]Indicator, error) {
	vals := [][2]string{{"domain", sb.Value}}
	rows, err := tx.Query(ctx, `SELECT detail FROM fraud_report_subjects WHERE subject_id = ? AND detail <> ''`, sb.ID)
	if err != nil {
		return nil, fmt.Errorf("handoff urls: %w", err)
	}
	seen := map[string]bool{}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return nil, fmt.Errorf("handoff urls: %w", err)
		}
		for _, u := range strings.Split(d, "\n") {
			if u != "" && !seen[u] && len(seen) < 500 {
				seen[u] = true
				vals = append(vals, [2]string{"url", u})
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("handoff urls: %w", err)
	}
	var out []Indicator
	for _, v := range vals {
		var agency any
		if agencyID != 0 {
			agency = agencyID
		}
		if _, err := tx.Exec(ctx, `INSERT INTO fraud_handoffs (subject_id, type, value, tlp, created_at, agency_id) VALUES (?, ?, ?, 'CLEAR', ?, ?)
			ON CONFLICT (type, value) DO UPDATE SET delivered = FALSE, agency_id = excluded.agency_id`, sb.ID, v[0], v[1], now, agency); err != nil {
			return nil, fmt.Errorf("handoff: %w", err)
		}
		out = append(out, Indicator{Type: v[0], Value: v[1], TLP: "CLEAR", SubjectID: sb.ID, ConfirmedAt: now, AgencyID: agencyID,
			Description: "Confirmed phishing site reported to the provincial police (fraud subject " + fmt.Sprint(sb.ID) + ")"})
	}
	return out, nil
}

// deliver hands indicators to the sink after the confirming transaction
// committed; a failure leaves them pending for DeliverPending.
func (s *Service) deliver(ctx context.Context, inds []Indicator) {
	if s.sink == nil || len(inds) == 0 {
		return
	}
	for _, ind := range inds {
		if err := s.sink.ShareIndicator(ctx, ind); err != nil {
			s.slog.Warn("fraud: hand indicator to intel", "type", ind.Type, "subject_id", ind.SubjectID, "err", err)
			continue
		}
		if _, err := s.db.Exec(ctx, `UPDATE fraud_handoffs SET delivered = TRUE WHERE type = ? AND value = ?`, ind.Type, ind.Value); err != nil {
			s.slog.Warn("fraud: mark hand-off delivered", "err", err)
		}
	}
}

// DeliverPending hands over the indicators a missing or failing sink left
// behind (of subjects still confirmed). It returns how many were delivered.
// Background jobs call it; it needs no principal.
func (s *Service) DeliverPending(ctx context.Context) (int, error) {
	if s.sink == nil {
		return 0, nil
	}
	rows, err := s.db.Query(ctx, `SELECT h.subject_id, h.type, h.value, h.created_at, COALESCE(h.agency_id, 0) FROM fraud_handoffs h JOIN fraud_subjects s ON s.id = h.subject_id
		WHERE h.delivered = FALSE AND s.status = ? ORDER BY h.id LIMIT 1000`, string(StatusConfirmed))
	if err != nil {
		return 0, fmt.Errorf("fraud: pending hand-offs: %w", err)
	}
	var inds []Indicator
	for rows.Next() {
		var ind Indicator
		if err := rows.Scan(&ind.SubjectID, &ind.Type, &ind.Value, &ind.ConfirmedAt, &ind.AgencyID); err != nil {
			rows.Close()
			return 0, fmt.Errorf("fraud: pending hand-offs: %w", err)
		}
		ind.TLP = "CLEAR"
		ind.Description = "Confirmed phishing site reported to the provincial police (fraud subject " + fmt.Sprint(ind.SubjectID) + ")"
		inds = append(inds, ind)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("fraud: pending hand-offs: %w", err)
	}
	before := len(inds)
	s.deliver(ctx, inds)
	var left int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM fraud_handoffs WHERE delivered = FALSE`).Scan(&left); err != nil {
		return 0, fmt.Errorf("fraud: pending hand-offs: %w", err)
	}
	return max(before-left, 0), nil
}

// ListHandoffs lists the indicators handed (or waiting to be handed) to
// threat intelligence, newest first. Verifiers only. Without an intel
// service wired this is where confirmed phishing indicators can be read.
func (s *Service) ListHandoffs(ctx context.Context, limit int) ([]Handoff, error) {
	if _, err := s.verifier(ctx, "fraud.handoff.list"); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return s.handoffs(ctx, "1=1 ORDER BY id DESC LIMIT ?", limit)
}

func (s *Service) handoffs(ctx context.Context, cond string, args ...any) ([]Handoff, error) {
	rows, err := s.db.Query(ctx, `SELECT id, subject_id, type, value, tlp, delivered, created_at FROM fraud_handoffs WHERE `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("fraud: hand-offs: %w", err)
	}
	defer rows.Close()
	out := []Handoff{}
	for rows.Next() {
		var h Handoff
		if err := rows.Scan(&h.ID, &h.SubjectID, &h.Type, &h.Value, &h.TLP, &h.Delivered, &h.CreatedAt); err != nil {
			return nil, fmt.Errorf("fraud: hand-offs: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// handoffIndicators lists the indicators handed over for a subject.
func (s *Service) handoffIndicators(ctx context.Context, tx *store.Tx, subjectID int64) ([]Indicator, error) {
	rows, err := tx.Query(ctx, `SELECT type, value, COALESCE(agency_id, 0) FROM fraud_handoffs WHERE subject_id = ? ORDER BY id`, subjectID)
	if err != nil {
		return nil, fmt.Errorf("hand-offs: %w", err)
	}
	defer rows.Close()
	var out []Indicator
	for rows.Next() {
		ind := Indicator{SubjectID: subjectID, TLP: "CLEAR"}
		if err := rows.Scan(&ind.Type, &ind.Value, &ind.AgencyID); err != nil {
			return nil, fmt.Errorf("hand-offs: %w", err)
		}
		out = append(out, ind)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hand-offs: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE fraud_handoffs SET delivered = FALSE WHERE subject_id = ?`, subjectID); err != nil {
		return nil, fmt.Errorf("hand-offs: %w", err)
	}
	return out, nil
}

// withdraw takes indicators back from a sink that can; failures are
// logged (the subject's status is what the public sees).
func (s *Service) withdraw(ctx context.Context, inds []Indicator) {
	w, ok := s.sink.(IndicatorWithdrawer)
	if !ok {
		return
	}
	for _, ind := range inds {
		if err := w.WithdrawIndicator(ctx, ind); err != nil {
			s.slog.Warn("fraud: withdraw indicator from intel", "type", ind.Type, "subject_id", ind.SubjectID, "err", err)
		}
	}
}
