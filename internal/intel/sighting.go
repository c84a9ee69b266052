package intel

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// Sighting is one report that an indicator was seen: by which agency,
// where (a sensor, a system), when, and how many times.
type Sighting struct {
	ID          int64      `json:"id"`
	IndicatorID int64      `json:"indicator_id"`
	AgencyID    int64      `json:"agency_id"`
	AgencyCode  string     `json:"agency_code"`
	TLP         access.TLP `json:"tlp"`
	Source      string     `json:"source"`
	Location    string     `json:"location,omitempty"`
	FirstSeen   time.Time  `json:"first_seen"`
	LastSeen    time.Time  `json:"last_seen"`
	Count       int64      `json:"count"`
	Note        string     `json:"note,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

// SightingInput reports a sighting of an indicator, named by id or by
// (type, value).
type SightingInput struct {
	IndicatorID int64      `json:"indicator_id,omitempty"`
	Type        string     `json:"type,omitempty"`
	Value       string     `json:"value,omitempty"`
	TLP         access.TLP `json:"tlp,omitempty"` // AMBER when empty
	Source      string     `json:"source,omitempty"`
	Location    string     `json:"location,omitempty"`
	FirstSeen   *time.Time `json:"first_seen,omitempty"`
	LastSeen    *time.Time `json:"last_seen,omitempty"`
	Count       int64      `json:"count,omitempty"` // 1 when zero
	Note        string     `json:"note,omitempty"`
	// AgencyID is the sighting agency; the caller's when zero (only the
	// system and admins name another).
	AgencyID int64 `json:"agency_id,omitempty"`
}

type cleanSighting struct {
	SightingInput
	tlp access.TLP
	fs  time.Time
	ls  time.Time
}

func checkSighting(in SightingInput, now time.Time) (cleanSighting, error) {
	c := cleanSighting{SightingInput: in}
	t := in.TLP
	if t == "" {
		t = access.Amber
	}
	var err error
	if c.tlp, err = access.ParseTLP(string(t)); err != nil {
		return c, err
	}
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"source", &c.Source, MaxSource}, {"location", &c.Location, MaxSource}, {"note", &c.Note, MaxDescription}} {
		*f.v = strings.TrimSpace(*f.v)
		if len(*f.v) > f.max || !utf8.ValidString(*f.v) {
			return c, errs.Field(f.name, "must be UTF-8 text of at most %d bytes", f.max)
		}
	}
	if c.Source == "" {
		c.Source = "manual"
	}
	if c.Count == 0 {
		c.Count = 1
	}
	if c.Count < 0 || c.Count > 1_000_000_000 {
		return c, errs.Field("count", "must be from 1 to 1000000000")
	}
	now = now.UTC().Truncate(time.Microsecond)
	c.fs, c.ls = now, now
	if in.FirstSeen != nil && !in.FirstSeen.IsZero() {
		c.fs = in.FirstSeen.UTC().Truncate(time.Microsecond)
		c.ls = c.fs
	}
	if in.LastSeen != nil && !in.LastSeen.IsZero() {
		c.ls = in.LastSeen.UTC().Truncate(time.Microsecond)
	}
	if c.ls.Before(c.fs) {
		return c, errs.Field("last_seen", "must not be before first_seen")
	}
	return c, nil
}

// resolveIndicator finds the id of a sighting's indicator that p may see.
func (s *Service) resolveIndicator(ctx context.Context, q store.Querier, p *access.Principal, in SightingInput) (int64, error) {
	id := in.IndicatorID
	if id == 0 {
		c, err := validate(Input{Type: in.Type, Value: in.Value, TLP: access.Clear}, s.now(), access.Clear)
		if err != nil {
			return 0, err
		}
		err = q.QueryRow(ctx, `SELECT id FROM intel_indicators WHERE type = ? AND value = ?`, string(c.typ), c.value).Scan(&id)
		if errs.Is(err, errs.NotFound) {
			return 0, errs.E(errs.NotFound, "no such indicator")
		}
		if err != nil {
			return 0, fmt.Errorf("intel: find indicator: %w", err)
		}
	}
	vis, args := visibleSQL(p, "e")
	var ok int
	err := q.QueryRow(ctx, `SELECT 1 FROM intel_entries e WHERE e.indicator_id = ? AND `+vis+` LIMIT 1`, append([]any{id}, args...)...).Scan(&ok)
	if errs.Is(err, errs.NotFound) {
		return 0, errs.E(errs.NotFound, "no indicator %d", id)
	}
	if err != nil {
		return 0, fmt.Errorf("intel: check indicator: %w", err)
	}
	return id, nil
}

// canSight: everyone who shares indicators, and reporters, record what
// they saw.
func canSight(p *access.Principal) bool {
	return access.CanShareIntel(p) || p.Has(access.Reporter)
}

// AddSighting records one sighting of an indicator the caller may see.
func (s *Service) AddSighting(ctx context.Context, in SightingInput) (Sighting, error) {
	n, err := s.RecordSightings(ctx, []SightingInput{in})
	if err != nil {
		return Sighting{}, err
	}
	return s.getSighting(ctx, n[0])
}

// RecordSightings records sightings in one transaction and returns their
// ids. A sighting by the same agency, source and location of the same
// indicator whose last sighting is under a day old adds to that row's
// count and widens its dates instead of adding a row, so a sensor that
// reports every match does not flood the table. For detection: call as
// the system principal with AgencyID set.
func (s *Service) RecordSightings(ctx context.Context, ins []SightingInput) ([]int64, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if !canSight(p) {
		return nil, s.deny(ctx, "record sightings", "indicator", "")
	}
	if len(ins) > 100_000 {
		return nil, errs.E(errs.TooLarge, "at most 100000 sightings per call")
	}
	ids := make([]int64, 0, len(ins))
	err = s.transact(ctx, func(tx *store.Tx) error {
		now := s.stamp()
		for _, in := range ins {
			c, err := checkSighting(in, now)
			if err != nil {
				return err
			}
			agency, err := ownerAgency(ctx, tx, p, in.AgencyID)
			if err != nil {
				return err
			}
			ind, err := s.resolveIndicator(ctx, tx, p, in)
			if err != nil {
				return err
			}
			var id int64
			err = tx.QueryRow(ctx, `SELECT id FROM intel_sightings WHERE indicator_id = ? AND agency_id = ? AND source = ? AND location = ? AND tlp = ? AND last_seen >= ? ORDER BY id DESC LIMIT 1`,
				ind, agency, c.Source, c.Location, string(c.tlp), c.fs.Add(-24*time.Hour)).Scan(&id)
			switch {
			case err == nil:
				if _, err := tx.Exec(ctx, `UPDATE intel_sightings SET count = count + ?, first_seen = CASE WHEN first_seen > ? THEN ? ELSE first_seen END,
					last_seen = CASE WHEN last_seen < ? THEN ? ELSE last_seen END WHERE id = ?`, c.Count, c.fs, c.fs, c.ls, c.ls, id); err != nil {
					return fmt.Errorf("intel: add to sighting %d: %w", id, err)
				}
			case errs.Is(err, errs.NotFound):
				err = tx.QueryRow(ctx, `INSERT INTO intel_sightings (indicator_id, agency_id, tlp, source, location, first_seen, last_seen, count, note, created_by, created_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, ind, agency, string(c.tlp), c.Source, c.Location, c.fs, c.ls, c.Count, c.Note, nullID(p.UserID), now).Scan(&id)
				if err != nil {
					return fmt.Errorf("intel: add sighting: %w", err)
				}
			default:
				return fmt.Errorf("intel: find sighting: %w", err)
			}
			ids = append(ids, id)
		}
		if len(ins) == 1 {
			return s.record(ctx, tx, "indicator.sighting", "indicator", ids[0], "sighting "+fmt.Sprint(ids[0]))
		}
		return s.record(ctx, tx, "indicator.sighting", "indicator", "", fmt.Sprintf("%d sightings", len(ins)))
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

const sightingColumns = `s.id, s.indicator_id, s.agency_id, COALESCE(a.code, ''), s.tlp, s.source, s.location, s.first_seen, s.last_seen, s.count, s.note, s.created_at`

func scanSighting(r interface{ Scan(...any) error }) (Sighting, error) {
	var x Sighting
	err := r.Scan(&x.ID, &x.IndicatorID, &x.AgencyID, &x.AgencyCode, &x.TLP, &x.Source, &x.Location, &x.FirstSeen, &x.LastSeen, &x.Count, &x.Note, &x.CreatedAt)
	x.FirstSeen, x.LastSeen, x.CreatedAt = x.FirstSeen.UTC(), x.LastSeen.UTC(), x.CreatedAt.UTC()
	return x, err
}

func (s *Service) getSighting(ctx context.Context, id int64) (Sighting, error) {
	x, err := scanSighting(s.db.QueryRow(ctx, `SELECT `+sightingColumns+` FROM intel_sightings s LEFT JOIN agencies a ON a.id = s.agency_id WHERE s.id = ?`, id))
	if err != nil {
		return Sighting{}, fmt.Errorf("intel: get sighting %d: %w", id, err)
	}
	return x, nil
}

// Sightings lists the sightings of an indicator the caller may see, whose
// own TLP lets the caller see them (a sighting's owner is the agency that
// saw it), newest first, at most 500.
func (s *Service) Sightings(ctx context.Context, indicatorID int64) ([]Sighting, error) {
	p := access.From(ctx)
	if _, err := s.resolveIndicator(ctx, s.db, p, SightingInput{IndicatorID: indicatorID}); err != nil {
		return nil, err
	}
	vis, args := visibleSQL(p, "s")
	// Sightings have no sharing lists; neutralise those sub-queries by
	// naming a table column that never matches.
	vis = strings.ReplaceAll(vis, "sh.entry_id = s.id", "1 = 0")
	vis = strings.ReplaceAll(vis, "pe.entry_id = s.id", "1 = 0")
	rows, err := s.db.Query(ctx, `SELECT `+sightingColumns+` FROM intel_sightings s LEFT JOIN agencies a ON a.id = s.agency_id
		WHERE s.indicator_id = ? AND `+vis+` ORDER BY s.id DESC LIMIT 500`, append([]any{indicatorID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("intel: list sightings: %w", err)
	}
	defer rows.Close()
	out := []Sighting{}
	for rows.Next() {
		x, err := scanSighting(rows)
		if err != nil {
			return nil, fmt.Errorf("intel: list sightings: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}
