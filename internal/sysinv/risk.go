package sysinv

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// Risk is a system's risk score and what it is made of. The score is
// level × per_level + Σ open findings' CVSS (× kev_factor when known
// exploited, × weak_factor for name matches), capped at findings_cap, +
// overdue duties × per_overdue_duty + Σ incidents detected in the last
// incident_days × their severity's weight × per_recent_incident
// (Rules.Risk). It ranks systems; it is not a probability.
type Risk struct {
	Score           float64 `json:"score"`
	LevelPart       float64 `json:"level_part"`
	FindingsPart    float64 `json:"findings_part"`
	DutiesPart      float64 `json:"duties_part"`
	IncidentsPart   float64 `json:"incidents_part"`
	OpenFindings    int     `json:"open_findings"`
	KEVFindings     int     `json:"kev_findings"`
	OverdueFindings int     `json:"overdue_findings"`
	OverdueDuties   int     `json:"overdue_duties"`
	RecentIncidents int     `json:"recent_incidents"`
}

// SystemRow is one line of the province view: the system, its risk and
// its compliance.
type SystemRow struct {
	System     System     `json:"system"`
	Risk       Risk       `json:"risk"`
	Compliance Compliance `json:"compliance"`
}

// AgencySummary sums an agency's systems.
type AgencySummary struct {
	AgencyID   int64      `json:"agency_id"`
	Agency     string     `json:"agency"`
	Systems    int        `json:"systems"`
	ByLevel    [6]int     `json:"by_level"` // index 0: no level yet
	Risk       float64    `json:"risk"`     // sum of the systems' scores
	MaxRisk    float64    `json:"max_risk"`
	KEV        int        `json:"kev_findings"`
	Compliance Compliance `json:"compliance"`
}

// ProvinceView is the inventory seen from above: every visible system with
// its risk, and the sums per agency.
type ProvinceView struct {
	Rows     []SystemRow     `json:"systems"`
	Agencies []AgencySummary `json:"agencies"`
	ByLevel  [6]int          `json:"by_level"`
}

type findingAgg struct {
	open, kev, overdue int
	sum                float64
}

// Overview computes the rows for the systems the caller may see (one
// agency when agencyID is set), sorted by sort: "risk" (default, highest
// first), "level", "name" or "agency".
func (s *Service) Overview(ctx context.Context, agencyID int64, sortBy string) (ProvinceView, error) {
	systems, _, err := s.ListSystems(ctx, SystemFilter{AgencyID: agencyID, Limit: 5000})
	if err != nil {
		return ProvinceView{}, err
	}
	return s.view(ctx, systems, sortBy)
}

func (s *Service) view(ctx context.Context, systems []System, sortBy string) (ProvinceView, error) {
	ids := make([]int64, len(systems))
	for i, sys := range systems {
		ids[i] = sys.ID
	}
	agg := map[int64]*findingAgg{}
	w := s.cfg.Rules.Risk
	today := s.today().Format(time.DateOnly)
	rows, err := s.db.Query(ctx, `SELECT system_id, cvss, kev, strength, due_on FROM sysinv_findings WHERE status IN ('open', 'mitigated')`)
	if err != nil {
		return ProvinceView{}, fmt.Errorf("sysinv: risk findings: %w", store.Translate(err))
	}
	for rows.Next() {
		var id int64
		var cvss float64
		var kev bool
		var strength, due string
		if err := rows.Scan(&id, &cvss, &kev, &strength, &due); err != nil {
			rows.Close()
			return ProvinceView{}, store.Translate(err)
		}
		a := agg[id]
		if a == nil {
			a = &findingAgg{}
			agg[id] = a
		}
		v := cvss
		if v == 0 {
			v = 5 // unscored: count as medium rather than nothing
		}
		if kev {
			v *= w.KEVFactor
			a.kev++
		}
		if strength == "name" {
			v *= w.WeakFactor
		}
		a.open++
		a.sum += v
		if due < today {
			a.overdue++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ProvinceView{}, store.Translate(err)
	}
	last, err := lastDone(ctx, s.db, ids)
	if err != nil {
		return ProvinceView{}, err
	}
	comp, err := s.complianceOf(ctx, systems)
	if err != nil {
		return ProvinceView{}, err
	}
	var incidents map[int64]map[string]int
	if s.incidents != nil {
		if incidents, err = s.incidents.IncidentCounts(ctx, s.now().AddDate(0, 0, -w.IncidentDays)); err != nil {
			s.slog.Warn("sysinv: incident counts failed; risk scores leave incidents out", "err", err)
		}
	}
	var pv ProvinceView
	byAgency := map[int64]*AgencySummary{}
	agencyMet := map[int64][2]int{}
	for _, sys := range systems {
		r := Risk{LevelPart: float64(sys.Level) * w.PerLevel}
		if a := agg[sys.ID]; a != nil && sys.Status != "retired" {
			r.OpenFindings, r.KEVFindings, r.OverdueFindings = a.open, a.kev, a.overdue
			r.FindingsPart = math.Min(a.sum, w.FindingsCap)
		}
		for _, d := range s.dutiesOf(sys, last[sys.ID]) {
			if d.State == DutyOverdue {
				r.OverdueDuties++
			}
		}
		r.DutiesPart = float64(r.OverdueDuties) * w.PerOverdueDuty
		if sys.Status != "retired" {
			for sev, n := range incidents[sys.ID] {
				r.RecentIncidents += n
				r.IncidentsPart += float64(n) * w.incidentWeight(sev)
			}
			r.IncidentsPart = math.Round(r.IncidentsPart*10) / 10
		}
		if sys.Status == "retired" {
			r.LevelPart = 0
		}
		r.Score = math.Round((r.LevelPart+r.FindingsPart+r.DutiesPart+r.IncidentsPart)*10) / 10
		pv.Rows = append(pv.Rows, SystemRow{System: sys, Risk: r, Compliance: comp[sys.ID]})
		pv.ByLevel[min(max(sys.Level, 0), 5)]++
		as := byAgency[sys.OwnerAgencyID]
		if as == nil {
			as = &AgencySummary{AgencyID: sys.OwnerAgencyID, Agency: sys.OwnerAgency}
			byAgency[sys.OwnerAgencyID] = as
		}
		as.Systems++
		as.ByLevel[min(max(sys.Level, 0), 5)]++
		as.Risk = math.Round((as.Risk+r.Score)*10) / 10
		as.MaxRisk = math.Max(as.MaxRisk, r.Score)
		as.KEV += r.KEVFindings
		m := agencyMet[sys.OwnerAgencyID]
		agencyMet[sys.OwnerAgencyID] = [2]int{m[0] + comp[sys.ID].Met, m[1] + comp[sys.ID].Applicable}
	}
	for id, as := range byAgency {
		m := agencyMet[id]
		as.Compliance = compliance(m[0], m[1])
		pv.Agencies = append(pv.Agencies, *as)
	}
	sort.Slice(pv.Agencies, func(i, j int) bool {
		if pv.Agencies[i].Risk != pv.Agencies[j].Risk {
			return pv.Agencies[i].Risk > pv.Agencies[j].Risk
		}
		return pv.Agencies[i].Agency < pv.Agencies[j].Agency
	})
	sortRows(pv.Rows, sortBy)
	return pv, nil
}

func sortRows(rows []SystemRow, by string) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		switch by {
		case "name":
			return a.System.Name < b.System.Name
		case "level":
			if a.System.Level != b.System.Level {
				return a.System.Level > b.System.Level
			}
		case "agency":
			if a.System.OwnerAgency != b.System.OwnerAgency {
				return a.System.OwnerAgency < b.System.OwnerAgency
			}
		}
		if a.Risk.Score != b.Risk.Score {
			return a.Risk.Score > b.Risk.Score
		}
		return a.System.Name < b.System.Name
	})
}

// SystemRisk returns one system's risk and compliance.
func (s *Service) SystemRisk(ctx context.Context, systemID int64) (SystemRow, error) {
	sys, err := s.GetSystem(ctx, systemID)
	if err != nil {
		return SystemRow{}, err
	}
	pv, err := s.view(ctx, []System{sys}, "")
	if err != nil {
		return SystemRow{}, err
	}
	return pv.Rows[0], nil
}

// AnnualFigures are the inventory's numbers for the annual report of a
// year.
type AnnualFigures struct {
	Year    int    `json:"year"`
	Systems int    `json:"systems"`
	ByLevel [6]int `json:"by_level"`
	// Approved counts systems with an approved level; ApprovedInYear those
	// whose approval decision is dated in the year.
	Approved       int `json:"approved"`
	ApprovedInYear int `json:"approved_in_year"`
	// AssessmentsDue counts risk assessments that fell due in the year;
	// OnTime those done by their due date.
	AssessmentsDue    int `json:"assessments_due"`
	AssessmentsOnTime int `json:"assessments_on_time"`
	AssessmentsDone   int `json:"assessments_done"`
	FindingsNew       int `json:"findings_new"`
	FindingsFixed     int `json:"findings_fixed"`
	FindingsOpen      int `json:"findings_open"`
	KEVOpen           int `json:"kev_open"`
}

// Annual computes the figures of year over the systems the caller may see
// (province coordinators: the whole province). Assessments on time: for
// each system, the due dates of its risk assessment falling in the year
// (from its approval or creation and the level's interval) are compared
// with the recorded assessments.
func (s *Service) Annual(ctx context.Context, year int) (AnnualFigures, error) {
	if year < 2000 || year > 2200 {
		return AnnualFigures{}, errs.Field("year", "must be a year like 2026")
	}
	systems, _, err := s.ListSystems(ctx, SystemFilter{Limit: 5000})
	if err != nil {
		return AnnualFigures{}, err
	}
	f := AnnualFigures{Year: year}
	y0 := fmt.Sprintf("%d-01-01", year)
	y1 := fmt.Sprintf("%d-12-31", year)
	visible := map[int64]bool{}
	for _, sys := range systems {
		if sys.Status == "retired" {
			continue
		}
		visible[sys.ID] = true
		f.Systems++
		f.ByLevel[min(max(sys.Level, 0), 5)]++
		if sys.ApprovedLevel > 0 {
			f.Approved++
			if sys.ApprovalDate >= y0 && sys.ApprovalDate <= y1 {
				f.ApprovedInYear++
			}
		}
		if sys.Level == 0 {
			continue
		}
		done, err := s.dutyDates(ctx, sys.ID, DutyRiskAssessment)
		if err != nil {
			return AnnualFigures{}, err
		}
		months := s.cfg.Rules.RiskAssessmentMonths[fmt.Sprint(sys.Level)]
		start := sys.CreatedAt.In(s.loc).Format(time.DateOnly)
		if sys.ApprovalDate != "" {
			start = sys.ApprovalDate
		}
		prev, _ := parseDate(start)
		// Walk the due dates: each follows the previous assessment (or the start).
		for i := 0; i < 100; i++ {
			due := prev.AddDate(0, months, 0)
			ds := due.Format(time.DateOnly)
			// The first assessment after prev answers this due date.
			var answered string
			for _, d := range done {
				if d > prev.Format(time.DateOnly) {
					answered = d
					break
				}
			}
			// An obligation met early belongs to the year it was met in.
			counted := ds
			if answered != "" && answered < ds {
				counted = answered
			}
			if counted > y1 {
				break
			}
			if counted >= y0 {
				f.AssessmentsDue++
				if answered != "" && answered <= ds {
					f.AssessmentsOnTime++
				}
			}
			if answered == "" {
				break
			}
			prev, _ = parseDate(answered)
		}
		for _, d := range done {
			if d >= y0 && d <= y1 {
				f.AssessmentsDone++
			}
		}
	}
	rows, err := s.db.Query(ctx, `SELECT system_id, status, kev, first_seen, resolved_at FROM sysinv_findings`)
	if err != nil {
		return AnnualFigures{}, fmt.Errorf("sysinv: annual findings: %w", store.Translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var status string
		var kev bool
		var first, resolved store.Time
		if err := rows.Scan(&id, &status, &kev, &first, &resolved); err != nil {
			return AnnualFigures{}, store.Translate(err)
		}
		if !visible[id] {
			continue
		}
		if first.Time.In(s.loc).Year() == year {
			f.FindingsNew++
		}
		if status == "fixed" && resolved.Valid && resolved.Time.In(s.loc).Year() == year {
			f.FindingsFixed++
		}
		if status == "open" || status == "mitigated" {
			f.FindingsOpen++
			if kev {
				f.KEVOpen++
			}
		}
	}
	return f, store.Translate(rows.Err())
}

func (s *Service) dutyDates(ctx context.Context, systemID int64, duty string) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT done_on FROM sysinv_duty_records WHERE system_id = ? AND duty = ? ORDER BY done_on`, systemID, duty)
	if err != nil {
		return nil, fmt.Errorf("sysinv: duty dates: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, store.Translate(err)
		}
		out = append(out, d)
	}
	return out, store.Translate(rows.Err())
}
