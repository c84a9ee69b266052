package intel

import (
	"context"
	"fmt"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/ioc"
	"bulwark/internal/store"
)

// Filter selects indicators. Zero fields do not filter. Entry filters
// (TLP, Tag, Source, AgencyID, Active, Since) keep an indicator when one
// of its visible entries passes them all.
type Filter struct {
	Type     ioc.Type
	TLP      access.TLP
	Tag      string
	Source   string
	AgencyID int64
	// Active keeps entries neither revoked nor expired.
	Active bool
	// Revoked keeps revoked entries only.
	Revoked bool
	// Query is a value: its normalised form is matched exactly, otherwise
	// the text is matched as a prefix of stored values.
	Query string
	// Since keeps entries changed at or after this time.
	Since time.Time
	// Before is the keyset cursor: indicators with a smaller id (the
	// NextCursor of the previous page). Lists run newest first.
	Before int64
	// After walks the other way (ascending ids), for exports and streams.
	After int64
	Limit int
}

// MaxLimit is the largest page.
const MaxLimit = 1000

// ListPage is one page of indicators.
type ListPage struct {
	Items []Indicator `json:"items"`
	// NextCursor is the Before (or After) of the next page; 0 at the end.
	NextCursor int64 `json:"next_cursor,omitempty"`
}

// where builds the indicator filter for the principal.
func (f Filter) where(p *access.Principal, now time.Time) (string, []any, error) {
	vis, args := visibleSQL(p, "e")
	conds := []string{vis}
	if f.TLP != "" {
		t, err := access.ParseTLP(string(f.TLP))
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, "e.tlp = ?")
		args = append(args, string(t))
	}
	if f.Tag != "" {
		tags, err := cleanTags([]string{f.Tag})
		if err != nil || len(tags) != 1 {
			return "", nil, errs.Field("tag", "must be one tag")
		}
		conds = append(conds, `e.tags LIKE ? ESCAPE '\'`)
		args = append(args, "%,"+escapeLike(tags[0])+",%")
	}
	if f.Source != "" {
		conds = append(conds, "e.source = ?")
		args = append(args, f.Source)
	}
	if f.AgencyID != 0 {
		conds = append(conds, "e.agency_id = ?")
		args = append(args, f.AgencyID)
	}
	if f.Active {
		conds = append(conds, "NOT e.revoked AND (e.valid_until IS NULL OR e.valid_until > ?)")
		args = append(args, now)
	}
	if f.Revoked {
		conds = append(conds, "e.revoked")
	}
	if !f.Since.IsZero() {
		conds = append(conds, "e.updated_at >= ?")
		args = append(args, f.Since.UTC())
	}
	w := "EXISTS (SELECT 1 FROM intel_entries e WHERE e.indicator_id = i.id AND " + strings.Join(conds, " AND ") + ")"
	if f.Type != "" {
		t, err := ioc.ParseType(string(f.Type))
		if err != nil {
			return "", nil, errs.Field("type", "unknown indicator type")
		}
		w += " AND i.type = ?"
		args = append(args, string(t))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if len(q) > 2048 {
			return "", nil, errs.Field("q", "at most 2048 bytes")
		}
		exact := exactForms(q, f.Type)
		alts := []string{"(i.value >= ? AND i.value < ?)"}
		lq := strings.ToLower(q)
		qargs := []any{lq, lq + "\U0010FFFF"}
		for _, v := range exact {
			alts = append(alts, "i.value = ?")
			qargs = append(qargs, v)
		}
		w += " AND (" + strings.Join(alts, " OR ") + ")"
		args = append(args, qargs...)
	}
	return w, args, nil
}

// exactForms returns the normalised forms q takes for the types it fits.
func exactForms(q string, only ioc.Type) []string {
	var out []string
	for _, t := range Types {
		if only != "" && t != only {
			continue
		}
		if v, err := ioc.Normalize(t, q); err == nil && v != strings.ToLower(q) {
			out = append(out, v)
		}
	}
	return out
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// List returns a page of the indicators the caller may see, newest first
// (or oldest first with After), each with its visible entries only.
// Anonymous callers see TLP:CLEAR ones.
func (s *Service) List(ctx context.Context, f Filter) (ListPage, error) {
	return s.list(ctx, access.From(ctx), f, f.After > 0)
}

func (s *Service) list(ctx context.Context, p *access.Principal, f Filter, asc bool) (ListPage, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > MaxLimit {
		f.Limit = MaxLimit
	}
	now := s.now()
	w, args, err := f.where(p, now)
	if err != nil {
		return ListPage{}, err
	}
	order := "DESC"
	switch {
	case asc:
		order = "ASC"
		if f.After > 0 {
			w += " AND i.id > ?"
			args = append(args, f.After)
		}
	case f.Before > 0:
		w += " AND i.id < ?"
		args = append(args, f.Before)
	}
	rows, err := s.db.Query(ctx, `SELECT i.id, i.type, i.value, i.created_at, i.updated_at FROM intel_indicators i WHERE `+w+` ORDER BY i.id `+order+` LIMIT ?`, append(args, f.Limit)...)
	if err != nil {
		return ListPage{}, fmt.Errorf("intel: list indicators: %w", err)
	}
	var items []Indicator
	for rows.Next() {
		var ind Indicator
		if err := rows.Scan(&ind.ID, &ind.Type, &ind.Value, &ind.CreatedAt, &ind.UpdatedAt); err != nil {
			rows.Close()
			return ListPage{}, fmt.Errorf("intel: list indicators: %w", err)
		}
		ind.CreatedAt, ind.UpdatedAt = ind.CreatedAt.UTC(), ind.UpdatedAt.UTC()
		items = append(items, ind)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ListPage{}, fmt.Errorf("intel: list indicators: %w", err)
	}
	if err := s.loadEntries(ctx, s.db, p, items); err != nil {
		return ListPage{}, err
	}
	pg := ListPage{Items: items}
	if pg.Items == nil {
		pg.Items = []Indicator{}
	}
	if len(items) == f.Limit {
		pg.NextCursor = items[len(items)-1].ID
	}
	return pg, nil
}

// Each calls fn for every indicator the caller may see that passes f, in
// ascending id order, reading pages of 500 so memory stays flat whatever
// the size. f.Before and f.Limit are ignored. An error from fn stops it.
func (s *Service) Each(ctx context.Context, f Filter, fn func(Indicator) error) error {
	p := access.From(ctx)
	f.Before, f.Limit = 0, 500
	for {
		pg, err := s.list(ctx, p, f, true)
		if err != nil {
			return err
		}
		for _, ind := range pg.Items {
			if err := fn(ind); err != nil {
				return err
			}
		}
		if pg.NextCursor == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		f.After = pg.NextCursor
	}
}

// Get returns one indicator with the entries the caller may see; NotFound
// when they see none (so an invisible indicator does not exist for them).
func (s *Service) Get(ctx context.Context, id int64) (Indicator, error) {
	p := access.From(ctx)
	var ind Indicator
	err := s.db.QueryRow(ctx, `SELECT id, type, value, created_at, updated_at FROM intel_indicators WHERE id = ?`, id).
		Scan(&ind.ID, &ind.Type, &ind.Value, &ind.CreatedAt, &ind.UpdatedAt)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return Indicator{}, errs.E(errs.NotFound, "no indicator %d", id)
		}
		return Indicator{}, fmt.Errorf("intel: get indicator %d: %w", id, err)
	}
	ind.CreatedAt, ind.UpdatedAt = ind.CreatedAt.UTC(), ind.UpdatedAt.UTC()
	items := []Indicator{ind}
	if err := s.loadEntries(ctx, s.db, p, items); err != nil {
		return Indicator{}, err
	}
	if len(items[0].Entries) == 0 {
		return Indicator{}, errs.E(errs.NotFound, "no indicator %d", id)
	}
	return items[0], nil
}

// Lookup finds the indicator of a (type, raw value) the caller may see.
func (s *Service) Lookup(ctx context.Context, typ, value string) (Indicator, error) {
	c, err := validate(Input{Type: typ, Value: value, TLP: access.Clear}, s.now(), access.Clear)
	if err != nil {
		return Indicator{}, err
	}
	var id int64
	err = s.db.QueryRow(ctx, `SELECT id FROM intel_indicators WHERE type = ? AND value = ?`, string(c.typ), c.value).Scan(&id)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return Indicator{}, errs.E(errs.NotFound, "no such indicator")
		}
		return Indicator{}, fmt.Errorf("intel: lookup: %w", err)
	}
	return s.Get(ctx, id)
}

const entryColumns = `e.id, e.indicator_id, e.agency_id, COALESCE(a.code, ''), e.source, e.tlp, e.confidence, e.tags, e.description,
	e.first_seen, e.last_seen, e.valid_until, e.revoked, e.revoked_reason, COALESCE(e.created_by, 0), e.created_at, e.updated_at`

func scanEntry(r interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	var tags string
	var vu store.Time
	err := r.Scan(&e.ID, &e.IndicatorID, &e.AgencyID, &e.AgencyCode, &e.Source, &e.TLP, &e.Confidence, &tags, &e.Description,
		&e.FirstSeen, &e.LastSeen, &vu, &e.Revoked, &e.RevokedReason, &e.CreatedBy, &e.CreatedAt, &e.UpdatedAt)
	if err != nil {
		return e, err
	}
	e.Tags = splitTags(tags)
	if e.Tags == nil {
		e.Tags = []string{}
	}
	e.ValidUntil = timePtr(vu)
	e.FirstSeen, e.LastSeen, e.CreatedAt, e.UpdatedAt = e.FirstSeen.UTC(), e.LastSeen.UTC(), e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e, nil
}

// loadEntries fills the visible entries (with sharing lists) of items and
// summarises them.
func (s *Service) loadEntries(ctx context.Context, q store.Querier, p *access.Principal, items []Indicator) error {
	if len(items) == 0 {
		return nil
	}
	byID := map[int64]*Indicator{}
	ids := make([]any, 0, len(items))
	for i := range items {
		byID[items[i].ID] = &items[i]
		ids = append(ids, items[i].ID)
	}
	vis, args := visibleSQL(p, "e")
	rows, err := q.Query(ctx, `SELECT `+entryColumns+` FROM intel_entries e LEFT JOIN agencies a ON a.id = e.agency_id
		WHERE e.indicator_id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`) AND `+vis+` ORDER BY e.id`, append(ids, args...)...)
	if err != nil {
		return fmt.Errorf("intel: load entries: %w", err)
	}
	entryOf := map[int64]*Indicator{}
	var eids []any
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("intel: load entries: %w", err)
		}
		ind := byID[e.IndicatorID]
		ind.Entries = append(ind.Entries, e)
		entryOf[e.ID] = ind
		eids = append(eids, e.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("intel: load entries: %w", err)
	}
	if len(eids) > 0 {
		in := strings.TrimSuffix(strings.Repeat("?, ", len(eids)), ", ")
		for _, t := range []struct {
			table, col string
			people     bool
		}{{"intel_entry_shares", "agency_id", false}, {"intel_entry_people", "user_id", true}} {
			rows, err := q.Query(ctx, `SELECT entry_id, `+t.col+` FROM `+t.table+` WHERE entry_id IN (`+in+`) ORDER BY entry_id, `+t.col, eids...)
			if err != nil {
				return fmt.Errorf("intel: load sharing: %w", err)
			}
			for rows.Next() {
				var eid, v int64
				if err := rows.Scan(&eid, &v); err != nil {
					rows.Close()
					return fmt.Errorf("intel: load sharing: %w", err)
				}
				ind := entryOf[eid]
				for k := range ind.Entries {
					if ind.Entries[k].ID == eid {
						if t.people {
							ind.Entries[k].People = append(ind.Entries[k].People, v)
						} else {
							ind.Entries[k].ShareWith = append(ind.Entries[k].ShareWith, v)
						}
					}
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("intel: load sharing: %w", err)
			}
		}
	}
	now := s.now()
	for i := range items {
		if items[i].Entries == nil {
			items[i].Entries = []Entry{}
		}
		items[i].summarise(now)
	}
	return nil
}
