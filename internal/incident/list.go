package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// Filter selects incidents for lists and exports.
type Filter struct {
	Status   Status   // "" any; "open" any open status
	Severity Severity // "" any
	Category string   // a class ("intrusions") or a class/type
	AgencyID int64    // owner, lead or participant
	From, To time.Time
	Overdue  bool
	Serious  bool
	Query    string // full-text search
	Limit    int
	Offset   int
}

// searchTokens turns a query into at most 10 folded word tokens (letters
// and digits only), so nothing the user types is taken as search syntax.
func searchTokens(q string) []string {
	f := strings.FieldsFunc(fold(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(f) > 10 {
		f = f[:10]
	}
	return f
}

// reindex rewrites the incident's full-text entry.
func (s *Service) reindex(ctx context.Context, tx *store.Tx, id int64) error {
	var ref, title, desc, systems, addrs, operator, owner string
	if err := tx.QueryRow(ctx, `SELECT ref, title, description, affected_systems, affected_addresses, operator, system_owner FROM incidents WHERE id = ?`, id).
		Scan(&ref, &title, &desc, &systems, &addrs, &operator, &owner); err != nil {
		return fmt.Errorf("incident: reindex %d: %w", id, err)
	}
	names, err := systemNames(ctx, tx, id)
	if err != nil {
		return err
	}
	words := strings.FieldsFunc(fold(strings.Join([]string{ref, title, desc, systems, names, addrs, operator, owner}, " ")),
		func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	body := strings.Join(words, " ")
	if tx.Dialect() == store.Postgres {
		if _, err := tx.Exec(ctx, `UPDATE incidents SET search = to_tsvector('simple', ?) WHERE id = ?`, body, id); err != nil {
			return fmt.Errorf("incident: reindex %d: %w", id, err)
		}
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM incident_fts WHERE rowid = ?`, id); err != nil {
		return fmt.Errorf("incident: reindex %d: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO incident_fts (rowid, body) VALUES (?, ?)`, id, body); err != nil {
		return fmt.Errorf("incident: reindex %d: %w", id, err)
	}
	return nil
}

// where builds the filter's conditions over alias i, visibility included.
func (s *Service) where(d store.Dialect, f Filter, cond string, args []any) (string, []any, error) {
	conds := []string{cond}
	switch f.Status {
	case "":
	case "open":
		conds = append(conds, `i.status NOT IN ('closed', 'rejected', 'duplicate')`)
	default:
		st, err := ParseStatus(string(f.Status))
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, `i.status = ?`)
		args = append(args, st)
	}
	if f.Severity != "" {
		sv, err := ParseSeverity(string(f.Severity))
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, `i.severity = ?`)
		args = append(args, sv)
	}
	if f.Category != "" {
		c := strings.ToLower(strings.TrimSpace(f.Category))
		switch {
		case ValidCategory(c):
			conds = append(conds, `i.category = ?`)
			args = append(args, c)
		case slices.ContainsFunc(Taxonomy, func(x Category) bool { return x.Class == c }):
			conds = append(conds, `i.category LIKE ?`)
			args = append(args, c+"/%")
		default:
			return "", nil, errs.Field("category", "unknown category")
		}
	}
	if f.AgencyID != 0 {
		conds = append(conds, `(i.owner_agency_id = ? OR i.lead_agency_id = ? OR EXISTS (SELECT 1 FROM incident_agencies fa WHERE fa.incident_id = i.id AND fa.agency_id = ?))`)
		args = append(args, f.AgencyID, f.AgencyID, f.AgencyID)
	}
	if !f.From.IsZero() {
		conds = append(conds, `i.detected_at >= ?`)
		args = append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		conds = append(conds, `i.detected_at < ?`)
		args = append(args, f.To.UTC())
	}
	if f.Overdue {
		conds = append(conds, `i.status NOT IN ('closed', 'rejected', 'duplicate') AND i.next_due_at IS NOT NULL AND i.next_due_at < ?`)
		args = append(args, s.now().UTC())
	}
	if f.Serious {
		conds = append(conds, `i.serious`)
	}
	if len(f.Query) > 4*MaxQuery {
		return "", nil, errs.Field("q", "must be at most %d characters", MaxQuery)
	}
	if toks := searchTokens(f.Query); len(toks) > 0 {
		if d == store.Postgres {
			for i, t := range toks {
				toks[i] = t + ":*"
			}
			conds = append(conds, `i.search @@ to_tsquery('simple', ?)`)
			args = append(args, strings.Join(toks, " & "))
		} else {
			for i, t := range toks {
				toks[i] = `"` + t + `"*`
			}
			conds = append(conds, `i.id IN (SELECT rowid FROM incident_fts WHERE incident_fts MATCH ?)`)
			args = append(args, strings.Join(toks, " AND "))
		}
	}
	return strings.Join(conds, " AND "), args, nil
}

// List returns the incidents the caller sees that match f, newest first,
// and how many match in all.
func (s *Service) List(ctx context.Context, f Filter) ([]Incident, int, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, 0, err
	}
	limit, offset := page(f.Limit, f.Offset)
	cond, args := visibleCond(p)
	where, args, err := s.where(s.db.Dialect(), f, cond, args)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM incidents i WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("incident: count: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+incidentCols+incidentFrom+` WHERE `+where+` ORDER BY i.reported_at DESC, i.id DESC LIMIT ? OFFSET ?`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("incident: list: %w", err)
	}
	defer rows.Close()
	out := []Incident{}
	for rows.Next() {
		inc, err := s.scanIncident(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, inc)
	}
	return out, total, rows.Err()
}

// Overdue lists the open incidents the caller sees whose next deadline has
// passed, the most overdue first, with their count (for the dashboard).
func (s *Service) Overdue(ctx context.Context, limit int) ([]Incident, int, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, 0, err
	}
	cond, args := visibleCond(p)
	where, args, err := s.where(s.db.Dialect(), Filter{Overdue: true}, cond, args)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM incidents i WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("incident: count overdue: %w", err)
	}
	limit, _ = page(limit, 0)
	rows, err := s.db.Query(ctx, `SELECT `+incidentCols+incidentFrom+` WHERE `+where+` ORDER BY i.next_due_at, i.id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, 0, fmt.Errorf("incident: overdue: %w", err)
	}
	defer rows.Close()
	out := []Incident{}
	for rows.Next() {
		inc, err := s.scanIncident(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, inc)
	}
	return out, total, rows.Err()
}
