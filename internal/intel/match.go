package intel

import (
	"context"
	"fmt"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/ioc"
	"bulwark/internal/store"
)

// Matchable is one entry usable for matching, with its audience: an alert
// raised on it may be shown to whoever access.CanSee allows with
// Audience().
type Matchable struct {
	EntryID        int64      `json:"entry_id"`
	IndicatorID    int64      `json:"indicator_id"`
	Type           ioc.Type   `json:"type"`
	Value          string     `json:"value"`
	TLP            access.TLP `json:"tlp"`
	OwnerAgency    int64      `json:"owner_agency_id"`
	SharedAgencies []int64    `json:"shared_agencies,omitempty"`
	People         []int64    `json:"people,omitempty"`
	Confidence     int        `json:"confidence"`
	Tags           []string   `json:"tags,omitempty"`
	Source         string     `json:"source"`
	ValidUntil     *time.Time `json:"valid_until,omitempty"`
}

// Audience is the entry's sharing description for access.CanSee.
func (m *Matchable) Audience() access.Shared {
	return access.Shared{TLP: m.TLP, OwnerAgency: m.OwnerAgency, Agencies: m.SharedAgencies, People: m.People}
}

// matchPage is how many entries one query of EachMatchable reads.
const matchPage = 5000

// EachMatchable streams every entry that is neither revoked nor expired,
// in entry id order, reading pages of 5000 so memory stays flat; fn is
// called outside any transaction. Only the system (the detection engine)
// and admins may call it, since it crosses every agency's TLP. An error
// from fn stops it.
func (s *Service) EachMatchable(ctx context.Context, fn func(Matchable) error) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if !p.System && !p.Has(access.Admin) {
		return s.deny(ctx, "read every agency's indicators for matching", "indicator", "")
	}
	var after int64
	for {
		page, err := s.matchPage(ctx, after, s.now().UTC())
		if err != nil {
			return err
		}
		for _, m := range page {
			if err := fn(m); err != nil {
				return err
			}
		}
		if len(page) < matchPage {
			return nil
		}
		after = page[len(page)-1].EntryID
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

func (s *Service) matchPage(ctx context.Context, after int64, now time.Time) ([]Matchable, error) {
	rows, err := s.db.Query(ctx, `SELECT e.id, e.indicator_id, i.type, i.value, e.tlp, e.agency_id, e.confidence, e.tags, e.source, e.valid_until
		FROM intel_entries e JOIN intel_indicators i ON i.id = e.indicator_id
		WHERE e.id > ? AND NOT e.revoked AND (e.valid_until IS NULL OR e.valid_until > ?) ORDER BY e.id LIMIT ?`, after, now, matchPage)
	if err != nil {
		return nil, fmt.Errorf("intel: matchable: %w", err)
	}
	var out []Matchable
	idx := map[int64]int{}
	var needAudience []any
	for rows.Next() {
		var m Matchable
		var tags string
		var vu store.Time
		if err := rows.Scan(&m.EntryID, &m.IndicatorID, &m.Type, &m.Value, &m.TLP, &m.OwnerAgency, &m.Confidence, &tags, &m.Source, &vu); err != nil {
			rows.Close()
			return nil, fmt.Errorf("intel: matchable: %w", err)
		}
		m.Tags = splitTags(tags)
		m.ValidUntil = timePtr(vu)
		idx[m.EntryID] = len(out)
		if m.TLP == access.Amber || m.TLP == access.Red {
			needAudience = append(needAudience, m.EntryID)
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("intel: matchable: %w", err)
	}
	for start := 0; start < len(needAudience); start += 500 {
		ids := needAudience[start:min(start+500, len(needAudience))]
		in := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
		for _, t := range []struct{ table, col string }{{"intel_entry_shares", "agency_id"}, {"intel_entry_people", "user_id"}} {
			rows, err := s.db.Query(ctx, `SELECT entry_id, `+t.col+` FROM `+t.table+` WHERE entry_id IN (`+in+`) ORDER BY entry_id, `+t.col, ids...)
			if err != nil {
				return nil, fmt.Errorf("intel: matchable audience: %w", err)
			}
			for rows.Next() {
				var eid, v int64
				if err := rows.Scan(&eid, &v); err != nil {
					rows.Close()
					return nil, fmt.Errorf("intel: matchable audience: %w", err)
				}
				m := &out[idx[eid]]
				if t.col == "agency_id" {
					m.SharedAgencies = append(m.SharedAgencies, v)
				} else {
					m.People = append(m.People, v)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("intel: matchable audience: %w", err)
			}
		}
	}
	return out, nil
}
