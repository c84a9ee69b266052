package sysinv

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/notify"
	"bulwark/internal/store"
)

// The recurring duties (Circular 12/2022 and DOMAIN.md).
const (
	DutyRiskAssessment    = "risk_assessment"
	DutyMonitoringReport  = "monitoring_report"
	DutyAnnualReportUnit  = "annual_report_unit"
	DutyAnnualReportOwner = "annual_report_owner"
)

// Duties lists them.
var Duties = []string{DutyRiskAssessment, DutyMonitoringReport, DutyAnnualReportUnit, DutyAnnualReportOwner}

// Duty states.
const (
	DutyOK      = "ok"
	DutyDueSoon = "due_soon"
	DutyOverdue = "overdue"
)

// DutyStatus is one duty of one system with its next due date.
type DutyStatus struct {
	SystemID      int64  `json:"system_id"`
	SystemName    string `json:"system_name"`
	OwnerAgencyID int64  `json:"owner_agency_id"`
	OwnerAgency   string `json:"owner_agency"`
	Level         int    `json:"level"`
	Duty          string `json:"duty"`
	Every         string `json:"every"` // "12 months", "7 days", "yearly before 12-20"
	// The interval again, for translation: one of the three is set.
	EveryMonths int    `json:"every_months,omitempty"`
	EveryDays   int    `json:"every_days,omitempty"`
	YearlyBy    string `json:"yearly_by,omitempty"` // MM-DD
	LastDone    string `json:"last_done,omitempty"`
	Due         string `json:"due"`
	State       string `json:"state"`
	DaysLeft    int    `json:"days_left"`
}

// dutiesOf computes the duties of sys from the latest record of each
// duty. Retired and planned systems and systems without a level have none.
func (s *Service) dutiesOf(sys System, last map[string]string) []DutyStatus {
	if sys.Status != "operating" || sys.Level == 0 {
		return nil
	}
	today := s.today()
	r := s.cfg.Rules
	base := sys.CreatedAt.In(s.loc)
	start := time.Date(base.Year(), base.Month(), base.Day(), 0, 0, 0, 0, time.UTC)
	if d, ok := parseDate(sys.ApprovalDate); ok {
		start = d
	}
	var out []DutyStatus
	add := func(duty, every string, due time.Time) {
		ds := DutyStatus{SystemID: sys.ID, SystemName: sys.Name, OwnerAgencyID: sys.OwnerAgencyID, OwnerAgency: sys.OwnerAgency, Level: sys.Level,
			Duty: duty, Every: every, LastDone: last[duty], Due: due.Format(time.DateOnly)}
		switch {
		case strings.HasSuffix(every, " months"):
			ds.EveryMonths, _ = strconv.Atoi(strings.TrimSuffix(every, " months"))
		case strings.HasSuffix(every, " days"):
			ds.EveryDays, _ = strconv.Atoi(strings.TrimSuffix(every, " days"))
		default:
			ds.YearlyBy = strings.TrimPrefix(every, "yearly before ")
		}
		ds.DaysLeft = int(due.Sub(today).Hours() / 24)
		switch {
		case ds.DaysLeft < 0:
			ds.State = DutyOverdue
		case ds.DaysLeft <= r.DueSoonDays || (duty == DutyMonitoringReport && ds.DaysLeft <= 2):
			ds.State = DutyDueSoon
		default:
			ds.State = DutyOK
		}
		if duty == DutyMonitoringReport && ds.State == DutyDueSoon && ds.DaysLeft > 2 {
			ds.State = DutyOK // a weekly report is always within the month; "soon" means this week's end
		}
		out = append(out, ds)
	}
	months := r.RiskAssessmentMonths[strconv.Itoa(sys.Level)]
	from := start
	if d, ok := parseDate(last[DutyRiskAssessment]); ok {
		from = d
	}
	add(DutyRiskAssessment, fmt.Sprintf("%d months", months), from.AddDate(0, months, 0))
	if sys.Level >= r.MonitoringMinLevel {
		from := start
		if d, ok := parseDate(last[DutyMonitoringReport]); ok {
			from = d
		}
		add(DutyMonitoringReport, fmt.Sprintf("%d days", r.MonitoringReportDays), from.AddDate(0, 0, r.MonitoringReportDays))
	}
	for _, a := range []struct{ duty, md string }{{DutyAnnualReportUnit, r.AnnualReportUnit}, {DutyAnnualReportOwner, r.AnnualReportOwner}} {
		md, _ := time.Parse("01-02", a.md)
		var due time.Time
		if d, ok := parseDate(last[a.duty]); ok {
			// A report done in December is that year's; one done early
			// in the year is the late report of the year before.
			year := d.Year()
			if d.Month() < time.June {
				year--
			}
			due = time.Date(year+1, md.Month(), md.Day(), 0, 0, 0, 0, time.UTC)
		} else {
			due = time.Date(start.Year(), md.Month(), md.Day(), 0, 0, 0, 0, time.UTC)
			if due.Before(start) {
				due = due.AddDate(1, 0, 0)
			}
		}
		add(a.duty, "yearly before "+a.md, due)
	}
	return out
}

func lastDone(ctx context.Context, q store.Querier, systemIDs []int64) (map[int64]map[string]string, error) {
	out := map[int64]map[string]string{}
	if len(systemIDs) == 0 {
		return out, nil
	}
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(systemIDs)), ", ")
	args := make([]any, len(systemIDs))
	for i, id := range systemIDs {
		args[i] = id
	}
	rows, err := q.Query(ctx, `SELECT system_id, duty, MAX(done_on) FROM sysinv_duty_records WHERE system_id IN (`+ph+`) GROUP BY system_id, duty`, args...)
	if err != nil {
		return nil, fmt.Errorf("sysinv: last duties: %w", store.Translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var duty, done string
		if err := rows.Scan(&id, &duty, &done); err != nil {
			return nil, fmt.Errorf("sysinv: scan duty: %w", store.Translate(err))
		}
		if out[id] == nil {
			out[id] = map[string]string{}
		}
		out[id][duty] = done
	}
	return out, store.Translate(rows.Err())
}

// SystemDuties returns the duties of one system with their next due dates.
func (s *Service) SystemDuties(ctx context.Context, systemID int64) ([]DutyStatus, error) {
	sys, err := s.GetSystem(ctx, systemID)
	if err != nil {
		return nil, err
	}
	last, err := lastDone(ctx, s.db, []int64{systemID})
	if err != nil {
		return nil, err
	}
	return s.dutiesOf(sys, last[systemID]), nil
}

// DutyFilter selects the agency-wide duty list.
type DutyFilter struct {
	AgencyID int64
	// All includes duties not yet due soon.
	All bool
}

// DueDuties lists, over the systems the caller may see, the duties that
// are overdue or due soon (within Rules.DueSoonDays), overdue first, then
// by due date.
func (s *Service) DueDuties(ctx context.Context, f DutyFilter) ([]DutyStatus, error) {
	systems, _, err := s.ListSystems(ctx, SystemFilter{AgencyID: f.AgencyID, Status: "operating", Limit: 5000})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(systems))
	for i, sys := range systems {
		ids[i] = sys.ID
	}
	last, err := lastDone(ctx, s.db, ids)
	if err != nil {
		return nil, err
	}
	var out []DutyStatus
	for _, sys := range systems {
		for _, d := range s.dutiesOf(sys, last[sys.ID]) {
			if f.All || d.State != DutyOK {
				out = append(out, d)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Due != out[j].Due {
			return out[i].Due < out[j].Due
		}
		return out[i].SystemID < out[j].SystemID
	})
	return out, nil
}

// DutyRecord is a duty done.
type DutyRecord struct {
	Duty   string `json:"duty"`
	DoneOn string `json:"done_on"` // YYYY-MM-DD; today when empty
	Note   string `json:"note"`
}

// RecordDuty records that a duty was done (a risk assessment, a weekly
// monitoring report, an annual report). The caller must be able to edit
// the system. A date in the future is refused.
func (s *Service) RecordDuty(ctx context.Context, systemID int64, d DutyRecord) ([]DutyStatus, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := oneOf("duty", d.Duty, Duties); err != nil {
		return nil, err
	}
	if d.DoneOn == "" {
		d.DoneOn = s.today().Format(time.DateOnly)
	}
	if err := checkDate("done_on", d.DoneOn); err != nil {
		return nil, err
	}
	if d.DoneOn > s.today().Format(time.DateOnly) {
		return nil, errs.Field("done_on", "cannot be in the future")
	}
	if err := checkLen("note", d.Note, 2000); err != nil {
		return nil, err
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		sys, err := getSystem(ctx, tx, systemID)
		if err != nil {
			return err
		}
		if !access.CanEditSystem(p, sys.OwnerAgencyID) {
			if !access.CanReadSystem(p, sys.OwnerAgencyID) {
				return errs.E(errs.NotFound, "system %d not found", systemID)
			}
			return errs.E(errs.Forbidden, "you may not record duties of this system")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sysinv_duty_records (system_id, duty, done_on, note, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?)`,
			systemID, d.Duty, d.DoneOn, d.Note, p.Label(), s.stamp()); err != nil {
			return fmt.Errorf("sysinv: record duty: %w", err)
		}
		return s.record(ctx, tx, "system.duty."+d.Duty, "system", systemID, d.DoneOn)
	})
	if errs.Is(err, errs.Forbidden) {
		return nil, s.deny(ctx, "record duties of this system", systemID)
	}
	if err != nil {
		return nil, err
	}
	return s.SystemDuties(ctx, systemID)
}

// SendDutyReminders queues one e-mail per duty that is overdue or due
// within seven days, to the owner agency's coordinators and analysts, once
// per due date. It runs as the system principal (a background job) and
// returns how many reminders it queued.
func (s *Service) SendDutyReminders(ctx context.Context) (int, error) {
	if s.notifier == nil {
		return 0, nil
	}
	ctx = access.With(ctx, access.SystemPrincipal())
	duties, err := s.DueDuties(ctx, DutyFilter{})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range duties {
		if d.DaysLeft > 7 {
			continue
		}
		err := s.transact(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `INSERT INTO sysinv_duty_reminders (system_id, duty, due_on, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				d.SystemID, d.Duty, d.Due, s.stamp())
			if err != nil {
				return fmt.Errorf("sysinv: reminder: %w", err)
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil
			}
			emails, err := ownerEmails(ctx, tx, d.OwnerAgencyID)
			if err != nil {
				return err
			}
			n++
			return s.notifier.Enqueue(ctx, tx, notify.Message{Event: "system.duty.due", Emails: emails,
				Subject: fmt.Sprintf("[Bulwark] Nhắc hạn / duty due %s: %s", d.Due, clip(d.SystemName, 100)),
				Text: fmt.Sprintf("Hệ thống \"%s\" (cấp độ %d): nhiệm vụ %s đến hạn ngày %s.\nSystem \"%s\" (level %d): %s is due on %s.\n\n%s/systems/%d",
					d.SystemName, d.Level, d.Duty, d.Due, d.SystemName, d.Level, d.Duty, d.Due, strings.TrimRight(s.cfg.BaseURL, "/"), d.SystemID),
				Payload: map[string]any{"system_id": d.SystemID, "duty": d.Duty, "due": d.Due, "state": d.State}})
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
