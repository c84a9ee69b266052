package incident

import (
	"context"
	"fmt"
	"sort"
	"time"

	"bulwark/internal/store"
)

// Count is one bar of a breakdown.
type Count struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// Figures are the incident numbers the annual report needs, over the
// incidents the caller sees that were detected in [From, To), duplicates
// left out. Medians are in hours and nil when nothing was measured.
type Figures struct {
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	Total      int       `json:"total"`
	Serious    int       `json:"serious"`
	Open       int       `json:"open"`
	ByCategory []Count   `json:"by_category"`
	ByClass    []Count   `json:"by_class"`
	BySeverity []Count   `json:"by_severity"`
	ByAgency   []Count   `json:"by_agency"`
	ByMonth    []Count   `json:"by_month"`
	// MedianAcknowledgeHours runs from report to acknowledgement,
	// MedianContainHours from detection to containment, MedianCloseHours
	// from report to closing.
	MedianAcknowledgeHours *float64 `json:"median_acknowledge_hours"`
	MedianContainHours     *float64 `json:"median_contain_hours"`
	MedianCloseHours       *float64 `json:"median_close_hours"`
}

// Figures computes the annual-report figures for [from, to).
func (s *Service) Figures(ctx context.Context, from, to time.Time) (Figures, error) {
	p, err := caller(ctx)
	if err != nil {
		return Figures{}, err
	}
	cond, args := visibleCond(p)
	rows, err := s.db.Query(ctx, `SELECT i.category, i.severity, i.serious, i.status, oa.code, i.detected_at, i.reported_at,
		i.acknowledged_at, i.contained_at, i.closed_at FROM incidents i JOIN agencies oa ON oa.id = i.owner_agency_id
		WHERE `+cond+` AND i.status <> 'duplicate' AND i.detected_at >= ? AND i.detected_at < ?`,
		append(args, from.UTC(), to.UTC())...)
	if err != nil {
		return Figures{}, fmt.Errorf("incident: figures: %w", err)
	}
	defer rows.Close()
	f := Figures{From: from, To: to}
	cat, class, sev, ag, month := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	var ack, contain, closeH []float64
	for rows.Next() {
		var category, code string
		var severity Severity
		var status Status
		var serious bool
		var det, rep, ak, ct, cl store.Time
		if err := rows.Scan(&category, &severity, &serious, &status, &code, &det, &rep, &ak, &ct, &cl); err != nil {
			return Figures{}, err
		}
		f.Total++
		if serious {
			f.Serious++
		}
		if status.Open() {
			f.Open++
		}
		cat[category]++
		class[CategoryClass(category)]++
		sev[string(severity)]++
		ag[code]++
		month[det.Time.In(s.loc).Format("2006-01")]++
		if ak.Valid {
			ack = append(ack, ak.Time.Sub(rep.Time).Hours())
		}
		if ct.Valid {
			contain = append(contain, ct.Time.Sub(det.Time).Hours())
		}
		if cl.Valid {
			closeH = append(closeH, cl.Time.Sub(rep.Time).Hours())
		}
	}
	if err := rows.Err(); err != nil {
		return Figures{}, err
	}
	f.ByCategory, f.ByClass, f.ByAgency = counts(cat), counts(class), counts(ag)
	for _, sv := range Severities {
		f.BySeverity = append(f.BySeverity, Count{Key: string(sv), Count: sev[string(sv)]})
	}
	for m := time.Date(from.In(s.loc).Year(), from.In(s.loc).Month(), 1, 0, 0, 0, 0, s.loc); m.Before(to); m = m.AddDate(0, 1, 0) {
		k := m.Format("2006-01")
		f.ByMonth = append(f.ByMonth, Count{Key: k, Count: month[k]})
		if len(f.ByMonth) > 240 {
			break
		}
	}
	f.MedianAcknowledgeHours, f.MedianContainHours, f.MedianCloseHours = median(ack), median(contain), median(closeH)
	return f, nil
}

// counts sorts a breakdown by count, then key.
func counts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{Key: k, Count: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// median of xs, nil for none.
func median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	sort.Float64s(xs)
	m := xs[len(xs)/2]
	if len(xs)%2 == 0 {
		m = (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
	}
	return &m
}
