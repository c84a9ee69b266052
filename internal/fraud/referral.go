package fraud

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/ioc"
	"bulwark/internal/store"
)

// operatorOf finds the operator holding a Vietnamese mobile number by the
// longest matching prefix of its national number. ok is false for foreign
// numbers and unknown prefixes. Number portability makes this a hint.
func operatorOf(ctx context.Context, q store.Querier, e164 string) (string, bool, error) {
	nsn, ok := strings.CutPrefix(e164, "+84")
	if !ok {
		return "", false, nil
	}
	rows, err := q.Query(ctx, `SELECT prefix, partner_code FROM fraud_prefixes`)
	if err != nil {
		return "", false, fmt.Errorf("prefixes: %w", err)
	}
	defer rows.Close()
	best, code := "", ""
	for rows.Next() {
		var p, c string
		if err := rows.Scan(&p, &c); err != nil {
			return "", false, fmt.Errorf("prefixes: %w", err)
		}
		if strings.HasPrefix(nsn, p) && len(p) > len(best) {
			best, code = p, c
		}
	}
	if err := rows.Err(); err != nil {
		return "", false, fmt.Errorf("prefixes: %w", err)
	}
	return code, code != "", nil
}

// OperatorOf returns the operator a number's prefix names, for display
// ("" when unknown). Any signed-in user may ask.
func (s *Service) OperatorOf(ctx context.Context, phone string) (Partner, error) {
	if _, err := access.Require(ctx); err != nil {
		return Partner{}, err
	}
	e164, err := ioc.NormalizePhone(phone)
	if err != nil {
		return Partner{}, errs.Field("phone", "is not a valid phone number")
	}
	code, ok, err := operatorOf(ctx, s.db, e164)
	if err != nil || !ok {
		return Partner{}, err
	}
	return s.partner(ctx, s.db, code)
}

func (s *Service) partner(ctx context.Context, q store.Querier, code string) (Partner, error) {
	var p Partner
	err := q.QueryRow(ctx, `SELECT code, kind, name, COALESCE(agency_id, 0) FROM fraud_partners WHERE code = ?`, code).Scan(&p.Code, &p.Kind, &p.Name, &p.AgencyID)
	if err != nil {
		return Partner{}, fmt.Errorf("fraud: partner %s: %w", code, err)
	}
	return p, nil
}

// refer creates the referral of a confirmed phone or account, unless an
// unanswered one to the same partner exists.
func (s *Service) refer(ctx context.Context, tx *store.Tx, sb Subject, action string, by *access.Principal, now time.Time) error {
	var code string
	var due time.Duration
	switch sb.Kind {
	case KindPhone:
		c, ok, err := operatorOf(ctx, tx, sb.Value)
		if err != nil || !ok {
			return err // foreign or unknown prefix: nobody to refer to
		}
		code, due = c, s.cfg.TelecomDue
		if action == "" {
			action = TelecomActions[0]
		}
		if !slices.Contains(TelecomActions, action) {
			return errs.Field("action", "must be one of %s", strings.Join(TelecomActions, ", "))
		}
	case KindAccount:
		bank, _, _ := ioc.SplitAccount(sb.Value)
		code, due = bank, s.cfg.BankDue
		if action == "" {
			action = BankActions[0]
		}
		if !slices.Contains(BankActions, action) {
			return errs.Field("action", "must be one of %s", strings.Join(BankActions, ", "))
		}
		// A bank not in the table yet gets a row without a liaison agency,
		// so the referral exists and shows as unassigned.
		if _, err := tx.Exec(ctx, `INSERT INTO fraud_partners (code, kind, name) VALUES (?, 'bank', ?) ON CONFLICT (code) DO NOTHING`, code, code); err != nil {
			return fmt.Errorf("bank partner: %w", err)
		}
	default:
		return nil
	}
	var open int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM fraud_referrals WHERE subject_id = ? AND partner_code = ? AND answered_at IS NULL`, sb.ID, code).Scan(&open); err != nil {
		return fmt.Errorf("open referrals: %w", err)
	}
	if open > 0 {
		return nil
	}
	p, err := s.partner(ctx, tx, code)
	if err != nil {
		return err
	}
	var agency any
	if p.AgencyID != 0 {
		agency = p.AgencyID
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO fraud_referrals (subject_id, partner_code, agency_id, action, due_at, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, sb.ID, code, agency, action, now.Add(due), by.Label(), now).Scan(&id); err != nil {
		return fmt.Errorf("insert referral: %w", err)
	}
	return s.record(ctx, tx, "fraud.referral.create", "fraud_referral", id, "partner="+code+" action="+action)
}

const referralSelect = `SELECT r.id, r.subject_id, s.kind, s.value, r.partner_code, p.name, p.kind, COALESCE(r.agency_id, 0), r.action, r.note,
	r.due_at, r.outcome, r.outcome_note, r.outcome_on, r.answered_at, r.answered_by, r.created_at
	FROM fraud_referrals r JOIN fraud_subjects s ON s.id = r.subject_id JOIN fraud_partners p ON p.code = r.partner_code`

func (s *Service) referrals(ctx context.Context, q store.Querier, cond string, args []any, offset, limit int) ([]Referral, error) {
	rows, err := q.Query(ctx, referralSelect+` WHERE `+cond+` ORDER BY (r.answered_at IS NULL) DESC, r.due_at, r.id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, fmt.Errorf("fraud: referrals: %w", err)
	}
	defer rows.Close()
	now := s.now()
	out := []Referral{}
	for rows.Next() {
		var r Referral
		var kind string
		var ans store.Time
		if err := rows.Scan(&r.ID, &r.SubjectID, &kind, &r.SubjectValue, &r.Partner, &r.PartnerName, &r.PartnerKind, &r.AgencyID, &r.Action, &r.Note,
			&r.DueAt, &r.Outcome, &r.OutcomeNote, &r.OutcomeOn, &ans, &r.AnsweredBy, &r.CreatedAt); err != nil {
			return nil, fmt.Errorf("fraud: referrals: %w", err)
		}
		r.SubjectKind, r.AnsweredAt = IdentifierKind(kind), ans.Ptr()
		r.Overdue = r.AnsweredAt == nil && now.After(r.DueAt)
		r.PrefixHint = r.PartnerKind == "telecom"
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReferralFilter narrows ListReferrals.
type ReferralFilter struct {
	Open    bool // unanswered only
	Overdue bool // unanswered and past due only
	Partner string
	Limit   int
	Offset  int
}

// ListReferrals lists referrals: every one for verifiers, only their own
// agency's for liaisons (never another operator's), Forbidden otherwise.
func (s *Service) ListReferrals(ctx context.Context, f ReferralFilter) ([]Referral, int, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	where, args := []string{"1=1"}, []any{}
	switch {
	case access.IsFraudVerifier(p):
	case p.Has(access.Liaison) && p.AgencyID != 0:
		where, args = append(where, "r.agency_id = ?"), append(args, p.AgencyID)
	default:
		return nil, 0, s.log.Denied(ctx, "fraud.referral.list", "fraud_referral", "")
	}
	if f.Open || f.Overdue {
		where = append(where, "r.answered_at IS NULL")
	}
	if f.Overdue {
		where, args = append(where, "r.due_at < ?"), append(args, s.now().UTC())
	}
	if f.Partner != "" {
		where, args = append(where, "r.partner_code = ?"), append(args, f.Partner)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM fraud_referrals r WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("fraud: count referrals: %w", err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	list, err := s.referrals(ctx, s.db, cond, args, max(f.Offset, 0), limit)
	return list, total, err
}

// GetReferral returns one referral to a verifier or to the liaison of its
// agency; anyone else gets NotFound (the id reveals nothing) and an audit
// row.
func (s *Service) GetReferral(ctx context.Context, id int64) (Referral, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return Referral{}, err
	}
	list, err := s.referrals(ctx, s.db, "r.id = ?", []any{id}, 0, 1)
	if err != nil {
		return Referral{}, err
	}
	if len(list) == 0 {
		return Referral{}, notFound("referral")
	}
	if !access.CanReadReferral(p, list[0].AgencyID) {
		_ = s.log.Denied(ctx, "fraud.referral.read", "fraud_referral", fmt.Sprint(id))
		return Referral{}, notFound("referral")
	}
	return list[0], nil
}

// Answer is a partner's outcome for a referral.
type Answer struct {
	Outcome string `json:"outcome"`
	Note    string `json:"note,omitempty"`
	On      string `json:"on"` // YYYY-MM-DD, the day the action was taken
}

// AnswerReferral records the outcome of a referral. Only the liaison of
// the referral's agency may answer; the outcome must be an active one of
// the partner's kind; "not processed" outcomes need a note; a referral is
// answered once.
func (s *Service) AnswerReferral(ctx context.Context, id int64, a Answer) (Referral, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return Referral{}, err
	}
	r, err := s.GetReferral(ctx, id)
	if err != nil {
		return Referral{}, err
	}
	if !access.CanAnswerReferral(p, r.AgencyID) {
		return Referral{}, s.log.Denied(ctx, "fraud.referral.answer", "fraud_referral", fmt.Sprint(id))
	}
	if r.AnsweredAt != nil {
		return Referral{}, errs.E(errs.Conflict, "this referral has already been answered")
	}
	if a.Note, err = cleanText("note", a.Note, MaxReason, true); err != nil {
		return Referral{}, err
	}
	on, err := time.Parse("2006-01-02", strings.TrimSpace(a.On))
	if err != nil {
		return Referral{}, errs.Field("on", "must be a date YYYY-MM-DD")
	}
	if on.After(s.now().Add(24 * time.Hour)) {
		return Referral{}, errs.Field("on", "must not be in the future")
	}
	var kind string
	var needs, active bool
	err = s.db.QueryRow(ctx, `SELECT kind, needs_note, active FROM fraud_outcomes WHERE code = ?`, a.Outcome).Scan(&kind, &needs, &active)
	if err != nil || kind != r.PartnerKind || !active {
		return Referral{}, errs.Field("outcome", "choose one of the listed outcomes")
	}
	if needs && a.Note == "" {
		return Referral{}, errs.Field("note", "give the reason")
	}
	now := s.stamp()
	err = s.transact(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE fraud_referrals SET outcome = ?, outcome_note = ?, outcome_on = ?, answered_at = ?, answered_by = ?
			WHERE id = ? AND answered_at IS NULL`, a.Outcome, a.Note, on.Format("2006-01-02"), now, p.Label(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.Conflict, "this referral has already been answered")
		}
		return s.record(ctx, tx, "fraud.referral.answer", "fraud_referral", id, "outcome="+a.Outcome)
	})
	if err != nil {
		return Referral{}, fmt.Errorf("fraud: answer referral %d: %w", id, err)
	}
	return s.GetReferral(ctx, id)
}

// Outcomes lists the outcomes of a partner kind ("telecom", "bank", or
// "" for all), active ones unless all is set. Any signed-in user.
func (s *Service) Outcomes(ctx context.Context, kind string, all bool) ([]Outcome, error) {
	if _, err := access.Require(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT code, kind, label_vi, label_en, needs_note, active FROM fraud_outcomes
		WHERE (? = '' OR kind = ?) ORDER BY kind, position, code`, kind, kind)
	if err != nil {
		return nil, fmt.Errorf("fraud: outcomes: %w", err)
	}
	defer rows.Close()
	out := []Outcome{}
	for rows.Next() {
		var o Outcome
		if err := rows.Scan(&o.Code, &o.Kind, &o.LabelVI, &o.LabelEN, &o.NeedNote, &o.Active); err != nil {
			return nil, fmt.Errorf("fraud: outcomes: %w", err)
		}
		if o.Active || all {
			out = append(out, o)
		}
	}
	return out, rows.Err()
}

// SaveOutcome adds or edits an outcome (admins and the standing agency's
// coordinators). Outcomes are never deleted, only made inactive, so old
// answers keep their meaning.
func (s *Service) SaveOutcome(ctx context.Context, o Outcome) error {
	if err := s.manager(ctx, "fraud.outcome.save"); err != nil {
		return err
	}
	o.Code = strings.TrimSpace(o.Code)
	if o.Code == "" || len(o.Code) > 40 || strings.Trim(o.Code, "abcdefghijklmnopqrstuvwxyz_0123456789") != "" {
		return errs.Field("code", "use 1-40 lower-case letters, digits and underscores")
	}
	if o.Kind != "telecom" && o.Kind != "bank" {
		return errs.Field("kind", "must be telecom or bank")
	}
	var err error
	if o.LabelVI, err = cleanText("label_vi", o.LabelVI, MaxName, false); err != nil || o.LabelVI == "" {
		return errs.Field("label_vi", "is required")
	}
	if o.LabelEN, err = cleanText("label_en", o.LabelEN, MaxName, false); err != nil {
		return err
	}
	return s.transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO fraud_outcomes (code, kind, label_vi, label_en, needs_note, active, position) VALUES (?, ?, ?, ?, ?, ?, 99)
			ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, label_vi = excluded.label_vi, label_en = excluded.label_en,
			needs_note = excluded.needs_note, active = excluded.active`, o.Code, o.Kind, o.LabelVI, o.LabelEN, o.NeedNote, o.Active); err != nil {
			return fmt.Errorf("fraud: save outcome: %w", err)
		}
		return s.record(ctx, tx, "fraud.outcome.save", "fraud_outcome", 0, o.Code)
	})
}

func (s *Service) manager(ctx context.Context, action string) error {
	p, err := access.Require(ctx)
	if err != nil {
		return err
	}
	if !access.CanManageFraudData(p) {
		return s.log.Denied(ctx, action, "fraud", "")
	}
	return nil
}

// Partners lists the telecoms and banks. Any signed-in user.
func (s *Service) Partners(ctx context.Context) ([]Partner, error) {
	if _, err := access.Require(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT code, kind, name, COALESCE(agency_id, 0) FROM fraud_partners ORDER BY kind DESC, name`)
	if err != nil {
		return nil, fmt.Errorf("fraud: partners: %w", err)
	}
	defer rows.Close()
	out := []Partner{}
	for rows.Next() {
		var p Partner
		if err := rows.Scan(&p.Code, &p.Kind, &p.Name, &p.AgencyID); err != nil {
			return nil, fmt.Errorf("fraud: partners: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SavePartner adds or edits a partner and the agency whose liaisons
// receive its referrals (0 for none). Open referrals without an agency
// are given the new one.
func (s *Service) SavePartner(ctx context.Context, p Partner) error {
	if err := s.manager(ctx, "fraud.partner.save"); err != nil {
		return err
	}
	p.Code = strings.TrimSpace(p.Code)
	if p.Code == "" || len(p.Code) > 20 {
		return errs.Field("code", "is required (at most 20 characters)")
	}
	if p.Kind != "telecom" && p.Kind != "bank" {
		return errs.Field("kind", "must be telecom or bank")
	}
	var err error
	if p.Name, err = cleanText("name", p.Name, MaxName, false); err != nil || p.Name == "" {
		return errs.Field("name", "is required")
	}
	var agency any
	if p.AgencyID != 0 {
		agency = p.AgencyID
	}
	return s.transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO fraud_partners (code, kind, name, agency_id) VALUES (?, ?, ?, ?)
			ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, name = excluded.name, agency_id = excluded.agency_id`, p.Code, p.Kind, p.Name, agency); err != nil {
			return fmt.Errorf("fraud: save partner: %w", err)
		}
		if agency != nil {
			if _, err := tx.Exec(ctx, `UPDATE fraud_referrals SET agency_id = ? WHERE partner_code = ? AND agency_id IS NULL AND answered_at IS NULL`, agency, p.Code); err != nil {
				return fmt.Errorf("fraud: assign referrals: %w", err)
			}
		}
		return s.record(ctx, tx, "fraud.partner.save", "fraud_partner", p.AgencyID, p.Code)
	})
}

// Prefixes lists the mobile prefix table. Any signed-in user.
func (s *Service) Prefixes(ctx context.Context) ([]Prefix, error) {
	if _, err := access.Require(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT prefix, partner_code FROM fraud_prefixes ORDER BY partner_code, prefix`)
	if err != nil {
		return nil, fmt.Errorf("fraud: prefixes: %w", err)
	}
	defer rows.Close()
	out := []Prefix{}
	for rows.Next() {
		var p Prefix
		if err := rows.Scan(&p.Prefix, &p.Partner); err != nil {
			return nil, fmt.Errorf("fraud: prefixes: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SetPrefix maps a prefix (digits of the national number, without the
// leading 0) to a telecom partner; an empty partner removes the prefix.
func (s *Service) SetPrefix(ctx context.Context, prefix, partner string) error {
	if err := s.manager(ctx, "fraud.prefix.save"); err != nil {
		return err
	}
	prefix = strings.TrimPrefix(strings.TrimSpace(prefix), "0")
	if len(prefix) < 2 || len(prefix) > 6 || strings.Trim(prefix, "0123456789") != "" {
		return errs.Field("prefix", "must be 2-6 digits without the leading 0, e.g. 91")
	}
	return s.transact(ctx, func(tx *store.Tx) error {
		if partner == "" {
			if _, err := tx.Exec(ctx, `DELETE FROM fraud_prefixes WHERE prefix = ?`, prefix); err != nil {
				return fmt.Errorf("fraud: delete prefix: %w", err)
			}
		} else {
			var kind string
			if err := tx.QueryRow(ctx, `SELECT kind FROM fraud_partners WHERE code = ?`, partner).Scan(&kind); err != nil || kind != "telecom" {
				return errs.Field("partner", "must be a telecom operator")
			}
			if _, err := tx.Exec(ctx, `INSERT INTO fraud_prefixes (prefix, partner_code) VALUES (?, ?)
				ON CONFLICT (prefix) DO UPDATE SET partner_code = excluded.partner_code`, prefix, partner); err != nil {
				return fmt.Errorf("fraud: save prefix: %w", err)
			}
		}
		return s.record(ctx, tx, "fraud.prefix.save", "fraud_prefix", 0, prefix+"="+partner)
	})
}
