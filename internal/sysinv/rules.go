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

// addWorkingDays adds n working days (Monday to Friday) to d. Public
// holidays are not known to Bulwark; the deadline may then fall a day or
// two early, which errs on the safe side.
func addWorkingDays(d time.Time, n int) time.Time {
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return d
}
