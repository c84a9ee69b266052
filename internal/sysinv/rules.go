package sysinv

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

//go:embed rules.json
var defaultRules []byte

// Rules are the deadlines and weights that law or local practice sets and
// that change without a new release: the dossier deadlines, the duty
// intervals, the due days of findings and the risk weights. DefaultRules
// reads the embedded rules.json; a deployment may load its own.
type Rules struct {
	AppraisalDays        map[string]int `json:"appraisal_days"` // by level "1".."5"
	ApprovalWorkingDays  int            `json:"approval_working_days"`
	RiskAssessmentMonths map[string]int `json:"risk_assessment_months"`
	MonitoringReportDays int            `json:"monitoring_report_days"`
	MonitoringMinLevel   int            `json:"monitoring_min_level"`
	AnnualReportUnit     string         `json:"annual_report_unit"`  // MM-DD
	AnnualReportOwner    string         `json:"annual_report_owner"` // MM-DD
	DueSoonDays          int            `json:"due_soon_days"`
	FindingDueDays       []FindingRule  `json:"finding_due_days"`
	Risk                 RiskWeights    `json:"risk"`
	// Holidays are the public holidays and compensatory days off on which
	// offices do not work (Labour Code 2019 art. 112), stated per date
	// because Tết and the Hùng Kings' day follow the lunar calendar and
	// the Prime Minister fixes Tết and the day beside 2 September yearly.
	Holidays []Holiday `json:"holidays"`
	// Workdays are Saturdays or Sundays worked in exchange for a bridge
	// day off, as the yearly notices announce them.
	Workdays []string `json:"workdays"`

	off, on map[string]bool // Holidays and Workdays by date
}

// Holiday is one day off.
type Holiday struct {
	Date string `json:"date"` // YYYY-MM-DD
	Name string `json:"name"`
}

// FindingRule gives the days to fix a finding; the first rule whose
// conditions hold applies.
type FindingRule struct {
	KEV      bool    `json:"kev,omitempty"`      // only known-exploited vulnerabilities
	MinCVSS  float64 `json:"min_cvss,omitempty"` // CVSS at least
	MinLevel int     `json:"min_level"`          // system level at least
	Days     int     `json:"days"`
}

// RiskWeights weigh the parts of a system's risk score.
type RiskWeights struct {
	PerLevel          float64 `json:"per_level"`
	KEVFactor         float64 `json:"kev_factor"`
	WeakFactor        float64 `json:"weak_factor"`
	FindingsCap       float64 `json:"findings_cap"`
	PerOverdueDuty    float64 `json:"per_overdue_duty"`
	PerRecentIncident float64 `json:"per_recent_incident"`
	IncidentDays      int     `json:"incident_days"`
	// IncidentSeverity weighs a recent incident by its severity (low,
	// medium, high, critical); a severity not listed weighs 1.
	IncidentSeverity map[string]float64 `json:"incident_severity"`
}

// incidentWeight is what one recent incident of a severity adds.
func (w RiskWeights) incidentWeight(severity string) float64 {
	f, ok := w.IncidentSeverity[severity]
	if !ok {
		f = 1
	}
	return f * w.PerRecentIncident
}

// DefaultRules returns the embedded rules.
func DefaultRules() Rules {
	r, err := ParseRules(defaultRules)
	if err != nil {
		panic("sysinv: embedded rules.json: " + err.Error()) // a build defect, caught by the tests
	}
	return r
}

// ParseRules reads and checks rules from JSON.
func ParseRules(b []byte) (Rules, error) {
	var r Rules
	if err := json.Unmarshal(b, &r); err != nil {
		return Rules{}, fmt.Errorf("sysinv: rules: %w", err)
	}
	for l := 1; l <= 5; l++ {
		if r.AppraisalDays[strconv.Itoa(l)] <= 0 || r.RiskAssessmentMonths[strconv.Itoa(l)] <= 0 {
			return Rules{}, fmt.Errorf("sysinv: rules: level %d needs appraisal_days and risk_assessment_months", l)
		}
	}
	for _, md := range []string{r.AnnualReportUnit, r.AnnualReportOwner} {
		if _, err := time.Parse("01-02", md); err != nil {
			return Rules{}, fmt.Errorf("sysinv: rules: annual report date %q is not MM-DD", md)
		}
	}
	if r.ApprovalWorkingDays <= 0 || r.MonitoringReportDays <= 0 || r.DueSoonDays <= 0 || len(r.FindingDueDays) == 0 {
		return Rules{}, fmt.Errorf("sysinv: rules: approval_working_days, monitoring_report_days, due_soon_days and finding_due_days are required")
	}
	r.off, r.on = map[string]bool{}, map[string]bool{}
	for _, h := range r.Holidays {
		if _, err := time.Parse(time.DateOnly, h.Date); err != nil {
			return Rules{}, fmt.Errorf("sysinv: rules: holiday %q is not YYYY-MM-DD", h.Date)
		}
		if r.off[h.Date] {
			return Rules{}, fmt.Errorf("sysinv: rules: holiday %s is listed twice", h.Date)
		}
		r.off[h.Date] = true
	}
	for _, d := range r.Workdays {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			return Rules{}, fmt.Errorf("sysinv: rules: workday %q is not YYYY-MM-DD", d)
		}
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			return Rules{}, fmt.Errorf("sysinv: rules: workday %s is not a Saturday or Sunday", d)
		}
		if r.off[d] {
			return Rules{}, fmt.Errorf("sysinv: rules: %s is both a holiday and a workday", d)
		}
		r.on[d] = true
	}
	return r, nil
}

// FindingDays returns the days allowed to fix a finding of the given CVSS
// and known-exploited flag on a system of the given level.
func (r Rules) FindingDays(cvss float64, kev bool, level int) int {
	for _, fr := range r.FindingDueDays {
		if fr.KEV && !kev {
			continue
		}
		if cvss < fr.MinCVSS || level < fr.MinLevel {
			continue
		}
		return fr.Days
	}
	return 180
}

// WorkingDay reports whether offices work on d: Monday to Friday unless a
// holiday, or a weekend day listed as a workday.
func (r Rules) WorkingDay(d time.Time) bool {
	day := d.Format(time.DateOnly)
	if r.on[day] {
		return true
	}
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !r.off[day]
}

// AddWorkingDays adds n working days to d (see WorkingDay). Dates past the
// last year the holidays list covers count weekends only.
func (r Rules) AddWorkingDays(d time.Time, n int) time.Time {
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if r.WorkingDay(d) {
			n--
		}
	}
	return d
}
