package intel

import (
	"context"
	"fmt"
	"sort"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/store"
)

// YearFigures are one year's intelligence-sharing figures for the annual
// evaluation report: counts only, never values, so they may be shown to
// every signed-in member.
type YearFigures struct {
	// Entries is the number of indicator reports (entries) made in the year.
	Entries int
	// Indicators is the number of distinct indicators those entries cover.
	Indicators int
	// Agencies is the number of agencies that shared at least one entry.
	Agencies int
	// ByTLP counts entries per TLP label, most restricted last.
	ByTLP []KeyCount
	// ByMonth counts entries per month (index 0 is January).
	ByMonth [12]int
	// Sightings is the sum of sighting counts recorded in the year.
	Sightings int
}

// KeyCount is a label and its count.
type KeyCount struct {
	Key   string
	Count int
}

// Year returns the figures of a calendar year in loc (UTC when nil).
func (s *Service) Year(ctx context.Context, year int, loc *time.Location) (YearFigures, error) {
	if _, err := access.Require(ctx); err != nil {
		return YearFigures{}, err
	}
	if loc == nil {
		loc = time.UTC
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	to := from.AddDate(1, 0, 0)
	var f YearFigures
	rows, err := s.db.Query(ctx, `SELECT indicator_id, agency_id, tlp, created_at FROM intel_entries WHERE created_at >= ? AND created_at < ?`, from.UTC(), to.UTC())
	if err != nil {
		return f, fmt.Errorf("intel: year figures: %w", err)
	}
	defer rows.Close()
	indicators, agencies, tlps := map[int64]bool{}, map[int64]bool{}, map[string]int{}
	for rows.Next() {
		var ind, ag int64
		var tlp string
		var at store.Time
		if err := rows.Scan(&ind, &ag, &tlp, &at); err != nil {
			return f, fmt.Errorf("intel: year figures: %w", err)
		}
		f.Entries++
		indicators[ind], agencies[ag] = true, true
		tlps[tlp]++
		f.ByMonth[at.Time.In(loc).Month()-1]++
	}
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("intel: year figures: %w", err)
	}
	f.Indicators, f.Agencies = len(indicators), len(agencies)
	for t, n := range tlps {
		f.ByTLP = append(f.ByTLP, KeyCount{Key: t, Count: n})
	}
	sort.Slice(f.ByTLP, func(i, j int) bool {
		return access.TLP(f.ByTLP[i].Key).Rank() < access.TLP(f.ByTLP[j].Key).Rank()
	})
	var sightings int64
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(SUM(count), 0) FROM intel_sightings WHERE created_at >= ? AND created_at < ?`, from.UTC(), to.UTC()).Scan(&sightings); err != nil {
		return f, fmt.Errorf("intel: year sightings: %w", err)
	}
	f.Sightings = int(sightings)
	return f, nil
}

// TypeTLPCounts counts the entries a viewer sees that are in force (not
// revoked), per indicator type and entry TLP: the dashboard's figure.
type TypeTLPCounts struct {
	// Counts[type][tlp] is the number of entries.
	Counts map[string]map[access.TLP]int
	// Indicators is the number of distinct indicators they cover.
	Indicators int
	// Week is the number of those entries recorded in the last seven days.
	Week int
}

// DashboardCounts returns the caller's TypeTLPCounts.
func (s *Service) DashboardCounts(ctx context.Context) (TypeTLPCounts, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return TypeTLPCounts{}, err
	}
	vis, args := visibleSQL(p, "e")
	out := TypeTLPCounts{Counts: map[string]map[access.TLP]int{}}
	rows, err := s.db.Query(ctx, `SELECT i.type, e.tlp, COUNT(*), SUM(CASE WHEN e.created_at >= ? THEN 1 ELSE 0 END) FROM intel_entries e JOIN intel_indicators i ON i.id = e.indicator_id
		WHERE NOT e.revoked AND `+vis+` GROUP BY i.type, e.tlp`, append([]any{s.stamp().AddDate(0, 0, -7)}, args...)...)
	if err != nil {
		return out, fmt.Errorf("intel: dashboard counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var typ, tlp string
		var n, week int
		if err := rows.Scan(&typ, &tlp, &n, &week); err != nil {
			return out, fmt.Errorf("intel: dashboard counts: %w", err)
		}
		if out.Counts[typ] == nil {
			out.Counts[typ] = map[access.TLP]int{}
		}
		out.Counts[typ][access.TLP(tlp)] += n
		out.Week += week
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("intel: dashboard counts: %w", err)
	}
	err = s.db.QueryRow(ctx, `SELECT COUNT(DISTINCT e.indicator_id) FROM intel_entries e WHERE NOT e.revoked AND `+vis, args...).Scan(&out.Indicators)
	if err != nil {
		return out, fmt.Errorf("intel: dashboard counts: %w", err)
	}
	return out, nil
}
