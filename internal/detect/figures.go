package detect

import (
	"context"
	"fmt"
	"sort"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/store"
)

// YearFigures are one year's alert figures for the annual evaluation
// report, within what the caller may list: coordinators all agencies,
// others their own.
type YearFigures struct {
	// Alerts is the number of alerts first seen in the year.
	Alerts int
	// Hits is the number of matching events those alerts counted.
	Hits int64
	// Promoted is the number of alerts promoted to incidents.
	Promoted int
	// Dismissed is the number dismissed as false positives or noise.
	Dismissed int
	// BySeverity and ByKind count alerts (kind: sigma or indicator).
	BySeverity []KeyCount
	ByKind     []KeyCount
	// ByMonth counts alerts per month of first sighting (0 is January).
	ByMonth [12]int
}

// KeyCount is a label and its count.
type KeyCount struct {
	Key   string
	Count int
}

// Year returns the alert figures of a calendar year in loc (UTC when nil).
func (s *Service) Year(ctx context.Context, year int, loc *time.Location) (YearFigures, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return YearFigures{}, err
	}
	if loc == nil {
		loc = time.UTC
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	to := from.AddDate(1, 0, 0)
	q := `SELECT severity, kind, status, hits, first_seen FROM detect_alerts WHERE first_seen >= ? AND first_seen < ?`
	args := []any{from.UTC(), to.UTC()}
	if !access.CanListAllDetection(p) {
		q, args = q+` AND agency_id = ?`, append(args, p.AgencyID)
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return YearFigures{}, fmt.Errorf("detect: year figures: %w", store.Translate(err))
	}
	defer rows.Close()
	var f YearFigures
	sev, kind := map[string]int{}, map[string]int{}
	for rows.Next() {
		var severity, k, status string
		var hits int64
		var at store.Time
		if err := rows.Scan(&severity, &k, &status, &hits, &at); err != nil {
			return f, fmt.Errorf("detect: year figures: %w", err)
		}
		f.Alerts++
		f.Hits += hits
		sev[severity]++
		kind[k]++
		switch status {
		case StatusPromoted:
			f.Promoted++
		case StatusDismissed:
			f.Dismissed++
		}
		f.ByMonth[at.Time.In(loc).Month()-1]++
	}
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("detect: year figures: %w", err)
	}
	f.BySeverity, f.ByKind = sortedCounts(sev), sortedCounts(kind)
	return f, nil
}

func sortedCounts(m map[string]int) []KeyCount {
	out := make([]KeyCount, 0, len(m))
	for k, n := range m {
		out = append(out, KeyCount{Key: k, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	return out
}
