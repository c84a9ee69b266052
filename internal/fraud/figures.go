package fraud

import (
	"context"
	"fmt"
	"sort"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// DayCount is the number of reports on one day (province time) for one key (a
// channel or a scam type).
type DayCount struct {
	Day   string `json:"day"`
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// KeyCount is a total per key.
type KeyCount struct {
	Key    string `json:"key"`
	Count  int    `json:"count"`
	Amount int64  `json:"amount"`
}

// PartnerFigures are the referral figures of one telecom or bank.
type PartnerFigures struct {
	Partner     string         `json:"partner"`
	Name        string         `json:"name"`
	Kind        string         `json:"kind"`
	Referrals   int            `json:"referrals"`
	Answered    int            `json:"answered"`
	Overdue     int            `json:"overdue"`
	MedianHours float64        `json:"median_hours_to_outcome"`
	Outcomes    map[string]int `json:"outcomes"`
}

// Figures are the fraud figures of a period, for the dashboard and the
// annual report. They hold no personal data.
type Figures struct {
	From            time.Time        `json:"from"`
	To              time.Time        `json:"to"`
	Reports         int              `json:"reports"`
	AmountLost      int64            `json:"amount_lost"`
	ByDayChannel    []DayCount       `json:"by_day_channel"`
	ByChannel       []KeyCount       `json:"by_channel"`
	ByScamType      []KeyCount       `json:"by_scam_type"`
	Confirmed       int              `json:"confirmed_subjects"`
	MedianHoursConf float64          `json:"median_hours_to_confirmation"`
	TopSubjects     []Subject        `json:"top_subjects"`
	Partners        []PartnerFigures `json:"partners"`
}

// Figures computes the figures of reports created in [from, to). Any
// signed-in user may read them; top subjects are listed for verifiers
// only (they are unconfirmed identifiers).
func (s *Service) Figures(ctx context.Context, from, to time.Time) (Figures, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return Figures{}, err
	}
	if !to.After(from) || to.Sub(from) > 5*366*24*time.Hour {
		return Figures{}, errs.Field("to", "the period must be positive and at most five years")
	}
	// The database compares times in UTC; the answer shows them in the
	// province's zone.
	from, to = from.UTC(), to.UTC()
	f := Figures{From: from.In(s.loc), To: to.In(s.loc), ByDayChannel: []DayCount{}, ByChannel: []KeyCount{}, ByScamType: []KeyCount{},
		TopSubjects: []Subject{}, Partners: []PartnerFigures{}}
	rows, err := s.db.Query(ctx, `SELECT created_at, channel, scam_type, amount FROM fraud_reports WHERE created_at >= ? AND created_at < ?`, from, to)
	if err != nil {
		return Figures{}, fmt.Errorf("fraud: figures: %w", err)
	}
	perDay := map[[2]string]int{}
	perCh, perType := map[string]*KeyCount{}, map[string]*KeyCount{}
	for rows.Next() {
		var at store.Time
		var ch, st string
		var amount int64
		if err := rows.Scan(&at, &ch, &st, &amount); err != nil {
			rows.Close()
			return Figures{}, fmt.Errorf("fraud: figures: %w", err)
		}
		f.Reports++
		f.AmountLost += amount
		perDay[[2]string{at.Time.In(s.loc).Format("2006-01-02"), ch}]++
		bump(perCh, ch, amount)
		bump(perType, st, amount)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Figures{}, fmt.Errorf("fraud: figures: %w", err)
	}
	for k, n := range perDay {
		f.ByDayChannel = append(f.ByDayChannel, DayCount{Day: k[0], Key: k[1], Count: n})
	}
	sort.Slice(f.ByDayChannel, func(i, j int) bool {
		a, b := f.ByDayChannel[i], f.ByDayChannel[j]
		return a.Day < b.Day || (a.Day == b.Day && a.Key < b.Key)
	})
	f.ByChannel, f.ByScamType = sortedCounts(perCh), sortedCounts(perType)

	// Time from first report to confirmation, for subjects confirmed in
	// the period.
	crow, err := s.db.Query(ctx, `SELECT first_reported_at, confirmed_at FROM fraud_subjects WHERE status = ? AND confirmed_at >= ? AND confirmed_at < ?`,
		string(StatusConfirmed), from, to)
	if err != nil {
		return Figures{}, fmt.Errorf("fraud: figures: %w", err)
	}
	var hours []float64
	for crow.Next() {
		var first, conf store.Time
		if err := crow.Scan(&first, &conf); err != nil {
			crow.Close()
			return Figures{}, fmt.Errorf("fraud: figures: %w", err)
		}
		hours = append(hours, conf.Time.Sub(first.Time).Hours())
	}
	crow.Close()
	if err := crow.Err(); err != nil {
		return Figures{}, fmt.Errorf("fraud: figures: %w", err)
	}
	f.Confirmed, f.MedianHoursConf = len(hours), median(hours)

	// Referral outcomes per partner, for referrals made in the period.
	rrow, err := s.db.Query(ctx, `SELECT r.partner_code, p.name, p.kind, r.created_at, r.due_at, r.answered_at, r.outcome
		FROM fraud_referrals r JOIN fraud_partners p ON p.code = r.partner_code WHERE r.created_at >= ? AND r.created_at < ?`, from, to)
	if err != nil {
		return Figures{}, fmt.Errorf("fraud: figures: %w", err)
	}
	byPartner := map[string]*PartnerFigures{}
	hoursBy := map[string][]float64{}
	now := s.now()
	for rrow.Next() {
		var code, name, kind, outcome string
		var created, due time.Time
		var ans store.Time
		if err := rrow.Scan(&code, &name, &kind, &created, &due, &ans, &outcome); err != nil {
			rrow.Close()
			return Figures{}, fmt.Errorf("fraud: figures: %w", err)
		}
		pf := byPartner[code]
		if pf == nil {
			pf = &PartnerFigures{Partner: code, Name: name, Kind: kind, Outcomes: map[string]int{}}
			byPartner[code] = pf
		}
		pf.Referrals++
		switch {
		case ans.Valid:
			pf.Answered++
			pf.Outcomes[outcome]++
			hoursBy[code] = append(hoursBy[code], ans.Time.Sub(created).Hours())
		case now.After(due):
			pf.Overdue++
		}
	}
	rrow.Close()
	if err := rrow.Err(); err != nil {
		return Figures{}, fmt.Errorf("fraud: figures: %w", err)
	}
	for code, pf := range byPartner {
		pf.MedianHours = median(hoursBy[code])
		f.Partners = append(f.Partners, *pf)
	}
	sort.Slice(f.Partners, func(i, j int) bool {
		return f.Partners[i].Referrals > f.Partners[j].Referrals || (f.Partners[i].Referrals == f.Partners[j].Referrals && f.Partners[i].Partner < f.Partners[j].Partner)
	})

	if access.IsFraudVerifier(p) {
		top, _, err := s.ListSubjects(ctx, SubjectFilter{Sort: "count", Limit: 10})
		if err != nil {
			return Figures{}, err
		}
		f.TopSubjects = top
	}
	return f, nil
}

func bump(m map[string]*KeyCount, k string, amount int64) {
	if m[k] == nil {
		m[k] = &KeyCount{Key: k}
	}
	m[k].Count++
	m[k].Amount += amount
}

func sortedCounts(m map[string]*KeyCount) []KeyCount {
	out := make([]KeyCount, 0, len(m))
	for _, v := range m {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Count > out[j].Count || (out[i].Count == out[j].Count && out[i].Key < out[j].Key)
	})
	return out
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + m) / 2
	}
	return float64(int64(m*10+0.5)) / 10
}

// Year returns the figures of a calendar year in the province's time zone
// (as the other capabilities count theirs), for the annual report.
func (s *Service) Year(ctx context.Context, year int) (Figures, error) {
	if year < 2000 || year > 9999 {
		return Figures{}, errs.Field("year", "is not a valid year")
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, s.loc)
	return s.Figures(ctx, from, from.AddDate(1, 0, 0))
}
