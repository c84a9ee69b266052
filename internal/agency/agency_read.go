package agency

import (
	"context"
	"fmt"
	"strings"

	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// This file holds the reads of agencies: single lookups, the filtered
// listing, the history and counts.

const agencyColumns = `a.id, a.code, a.name_vi, a.name_en, a.kind, COALESCE(a.parent_id, 0), COALESCE(p.code, ''),
	a.address, a.contact_name, a.contact_phone, a.contact_email, a.contact_updated_at, a.active,
	COALESCE(a.merged_into_id, 0), a.created_at, a.updated_at
	FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id`

type scanner interface{ Scan(...any) error }

func scanAgency(r scanner) (Agency, error) {
	var a Agency
	var contactAt, created, updated store.Time
	err := r.Scan(&a.ID, &a.Code, &a.NameVI, &a.NameEN, &a.Kind, &a.ParentID, &a.ParentCode,
		&a.Address, &a.ContactName, &a.ContactPhone, &a.ContactEmail, &contactAt, &a.Active,
		&a.MergedIntoID, &created, &updated)
	a.ContactUpdatedAt, a.CreatedAt, a.UpdatedAt = contactAt.Ptr(), created.Time, updated.Time
	return a, err
}

func getAgency(ctx context.Context, q store.Querier, id int64) (Agency, error) {
	a, err := scanAgency(q.QueryRow(ctx, `SELECT `+agencyColumns+` WHERE a.id = ?`, id))
	if errs.Is(err, errs.NotFound) {
		return Agency{}, errs.Wrap(errs.NotFound, err, "agency not found")
	}
	return a, err
}

// GetAgency returns agency id, active or not. Any signed-in user may read
// it; a missing agency is errs.NotFound.
func (s *Service) GetAgency(ctx context.Context, id int64) (Agency, error) {
	if _, err := s.reader(ctx); err != nil {
		return Agency{}, err
	}
	a, err := getAgency(ctx, s.db, id)
	if err != nil {
		return Agency{}, fmt.Errorf("agency: get %d: %w", id, err)
	}
	return a, nil
}

// AgencyByCode returns the agency with code (case-insensitive), active or
// not; errs.NotFound when there is none.
func (s *Service) AgencyByCode(ctx context.Context, code string) (Agency, error) {
	if _, err := s.reader(ctx); err != nil {
		return Agency{}, err
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	a, err := scanAgency(s.db.QueryRow(ctx, `SELECT `+agencyColumns+` WHERE a.code = ?`, code))
	if errs.Is(err, errs.NotFound) {
		err = errs.Wrap(errs.NotFound, err, "agency not found")
	}
	if err != nil {
		return Agency{}, fmt.Errorf("agency: by code %q: %w", code, err)
	}
	return a, nil
}

// rankExpr is an SQL expression ranking col by its place in values, which
// are this package's constants (never user input).
func rankExpr(col string, values []string) string {
	var b strings.Builder
	b.WriteString("CASE " + col)
	for i, v := range values {
		fmt.Fprintf(&b, " WHEN '%s' THEN %d", v, i)
	}
	fmt.Fprintf(&b, " ELSE %d END", len(values))
	return b.String()
}

// ListAgencies returns one page of agencies matching f, active ones only
// unless f.IncludeInactive, ordered active first, then by kind (in Kinds
// order) and code; and the total number matching, for pagination.
func (s *Service) ListAgencies(ctx context.Context, f AgencyFilter) ([]Agency, int, error) {
	if _, err := s.reader(ctx); err != nil {
		return nil, 0, err
	}
	var where []string
	var args []any
	if f.Kind != "" {
		k := strings.ToLower(strings.TrimSpace(f.Kind))
		if !ValidKind(k) {
			return nil, 0, errs.Field("kind", "must be one of %s", strings.Join(Kinds, ", "))
		}
		where, args = append(where, "a.kind = ?"), append(args, k)
	}
	if !f.IncludeInactive {
		where = append(where, "a.active")
	}
	if strings.TrimSpace(f.Query) != "" {
		q, err := cleanText(text{field: "q", max: maxQuery}, f.Query)
		if err != nil {
			return nil, 0, err
		}
		// search_text is set by this package; the LOWER() arms keep rows
		// written by other means findable (then diacritics must match).
		where = append(where, `(a.search_text LIKE ? ESCAPE '\' OR LOWER(a.code) LIKE ? ESCAPE '\'
			OR LOWER(a.name_vi) LIKE ? ESCAPE '\' OR LOWER(a.name_en) LIKE ? ESCAPE '\')`)
		folded, lower := containsPattern(fold(q)), containsPattern(strings.ToLower(q))
		args = append(args, folded, lower, lower, lower)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM agencies a`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("agency: count: %w", err)
	}
	limit, offset := page(f.Limit, f.Offset)
	order := " ORDER BY CASE WHEN a.active THEN 0 ELSE 1 END, " + rankExpr("a.kind", Kinds) + ", a.code LIMIT ? OFFSET ?"
	rows, err := s.db.Query(ctx, `SELECT `+agencyColumns+cond+order, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("agency: list: %w", err)
	}
	defer rows.Close()
	out := []Agency{}
	for rows.Next() {
		a, err := scanAgency(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("agency: list: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("agency: list: %w", err)
	}
	return out, total, nil
}

// AgencyHistory returns the changes to agency id, oldest first. It is
// errs.NotFound when the agency does not exist.
func (s *Service) AgencyHistory(ctx context.Context, id int64) ([]HistoryEntry, error) {
	if _, err := s.reader(ctx); err != nil {
		return nil, err
	}
	if _, err := getAgency(ctx, s.db, id); err != nil {
		return nil, fmt.Errorf("agency: history %d: %w", id, err)
	}
	rows, err := s.db.Query(ctx, `SELECT h.id, h.agency_id, h.changed_at, h.change, h.old_name_vi, h.old_name_en, h.old_kind,
		COALESCE(h.old_parent_id, 0), h.new_name_vi, h.new_name_en, h.new_kind, COALESCE(h.new_parent_id, 0),
		COALESCE(h.other_agency_id, 0), COALESCE(o.code, ''), h.note, COALESCE(h.actor_user_id, 0)
		FROM agency_history h LEFT JOIN agencies o ON o.id = h.other_agency_id
		WHERE h.agency_id = ? ORDER BY h.id`, id)
	if err != nil {
		return nil, fmt.Errorf("agency: history %d: %w", id, err)
	}
	defer rows.Close()
	out := []HistoryEntry{}
	for rows.Next() {
		var h HistoryEntry
		var at store.Time
		if err := rows.Scan(&h.ID, &h.AgencyID, &at, &h.Change, &h.OldNameVI, &h.OldNameEN, &h.OldKind,
			&h.OldParentID, &h.NewNameVI, &h.NewNameEN, &h.NewKind, &h.NewParentID,
			&h.OtherAgencyID, &h.OtherAgencyCode, &h.Note, &h.ActorUserID); err != nil {
			return nil, fmt.Errorf("agency: history %d: %w", id, err)
		}
		h.ChangedAt = at.Time
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("agency: history %d: %w", id, err)
	}
	return out, nil
}

// StandingAgency returns the active standing agency, or errs.NotFound when
// none is recorded.
func (s *Service) StandingAgency(ctx context.Context) (Agency, error) {
	if _, err := s.reader(ctx); err != nil {
		return Agency{}, err
	}
	a, err := scanAgency(s.db.QueryRow(ctx, `SELECT `+agencyColumns+` WHERE a.kind = ? AND a.active ORDER BY a.id LIMIT 1`, KindStanding))
	if errs.Is(err, errs.NotFound) {
		err = errs.Wrap(errs.NotFound, err, "no standing agency is recorded")
	}
	if err != nil {
		return Agency{}, fmt.Errorf("agency: standing: %w", err)
	}
	return a, nil
}

// CountAgencies returns the number of active agencies (merged ones are
// not counted).
func (s *Service) CountAgencies(ctx context.Context) (int, error) {
	if _, err := s.reader(ctx); err != nil {
		return 0, err
	}
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM agencies WHERE active`).Scan(&n); err != nil {
		return 0, fmt.Errorf("agency: count: %w", err)
	}
	return n, nil
}
