package detect

import (
	"context"
	"fmt"
	"sort"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
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

// DailyAlerts counts alerts by day of first sighting and severity, for the
// dashboard's chart, within what the caller may list (as Year).
type DailyAlerts struct {
	// Days are the dates (YYYY-MM-DD in the location asked), oldest first.
	Days []string
	// BySeverity holds, per severity of Severities, one count per day.
	BySeverity map[string][]int
	Total      int
}

// MaxDailyAlertDays bounds the days DailyAlerts covers.
const MaxDailyAlertDays = 92

// DailyAlerts returns the alerts first seen on each of the last days days
// up to and including now's day in loc (UTC when nil).
func (s *Service) DailyAlerts(ctx context.Context, days int, loc *time.Location) (DailyAlerts, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return DailyAlerts{}, err
	}
	if days < 1 || days > MaxDailyAlertDays {
		return DailyAlerts{}, errs.Field("days", "from 1 to %d", MaxDailyAlertDays)
	}
	if loc == nil {
		loc = time.UTC
	}
	now := s.now().In(loc)
	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, 1-days)
	out := DailyAlerts{BySeverity: map[string][]int{}}
	pos := map[string]int{}
	for i := range days {
		d := from.AddDate(0, 0, i).Format(time.DateOnly)
		pos[d] = i
		out.Days = append(out.Days, d)
	}
	for _, sv := range Severities {
		out.BySeverity[sv] = make([]int, days)
	}
	q := `SELECT severity, first_seen FROM detect_alerts WHERE first_seen >= ?`
	args := []any{from.UTC()}
	if !access.CanListAllDetection(p) {
		q, args = q+` AND agency_id = ?`, append(args, p.AgencyID)
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return DailyAlerts{}, fmt.Errorf("detect: daily alerts: %w", store.Translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var sev string
		var at store.Time
		if err := rows.Scan(&sev, &at); err != nil {
			return DailyAlerts{}, fmt.Errorf("detect: daily alerts: %w", err)
		}
		i, ok := pos[at.Time.In(loc).Format(time.DateOnly)]
		counts := out.BySeverity[sev]
		if !ok || counts == nil {
			continue // a clock ahead of ours, or a severity no longer used
		}
		counts[i]++
		out.Total++
	}
	if err := rows.Err(); err != nil {
		return DailyAlerts{}, fmt.Errorf("detect: daily alerts: %w", err)
	}
	return out, nil
}
