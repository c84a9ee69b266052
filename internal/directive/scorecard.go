package directive

import (
	"context"
	"fmt"
	"sort"

	"bulwark/internal/access"
	"bulwark/internal/errs"
)

// The outcomes of a task at the end of a year.
const (
	OutcomeOnTime  = "done_on_time"
	OutcomeLate    = "done_late"
	OutcomeNotDone = "not_done"
	// OutcomePending is a task whose deadline has not come yet.
	OutcomePending = "pending"
)

// Outcome is one task due in the year and how it ended (or stands).
type Outcome struct {
	DirectiveID int64     `json:"directive_id"`
	TaskID      int64     `json:"task_id"`
	Title       string    `json:"title"`
	Lead        AgencyRef `json:"lead"`
	PlanYear    int       `json:"plan_year"`
	DueOn       string    `json:"due_on"`
	DoneOn      string    `json:"done_on"`
	Status      Status    `json:"status"`
	Outcome     string    `json:"outcome"`
}

// Score is one lead agency's record for the year.
type Score struct {
	Agency  AgencyRef `json:"agency"`
	Total   int       `json:"total"`
	OnTime  int       `json:"on_time"`
	Late    int       `json:"late"`
	NotDone int       `json:"not_done"`
	Pending int       `json:"pending"`
	// OnTimeRate is OnTime over the tasks whose deadline has passed, in
	// percent; nil when none has.
	OnTimeRate *float64 `json:"on_time_rate"`
}

// Scorecard is the year-end evaluation: every task due in the year, and
// the tally per lead agency. AsOf is the date the outcomes were judged on:
// 31 December, or today for the current year.
type Scorecard struct {
	Year     int       `json:"year"`
	AsOf     string    `json:"as_of"`
	Outcomes []Outcome `json:"outcomes"`
	Scores   []Score   `json:"scores"`
	Totals   Score     `json:"totals"`
}

// OutcomeOf judges a task on date asOf: done by its deadline, done late,
// not done (deadline passed), or pending.
func OutcomeOf(st Status, due, asOf string) string {
	switch st {
	case StatusDoneOnTime:
		return OutcomeOnTime
	case StatusDoneLate:
		return OutcomeLate
	}
	if due < asOf {
		return OutcomeNotDone
	}
	return OutcomePending
}

// Scorecard evaluates the year: tasks of directives not cancelled with a
// deadline in the year. Outcomes list only directives the caller may see;
// the per-agency tallies count all of them, since counts reveal no content.
func (s *Service) Scorecard(ctx context.Context, year int) (Scorecard, error) {
	p, err := caller(ctx)
	if err != nil {
		return Scorecard{}, err
	}
	if !access.CanReadAnnualReport(p) {
		return Scorecard{}, s.log.Denied(ctx, "read the scorecard", "directive", "")
	}
	if year < 2000 || year > 2100 {
		return Scorecard{}, errs.Field("year", "must be a year from 2000 to 2100")
	}
	from, to := fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-12-31", year)
	asOf := to
	if today := s.Today(); today < asOf {
		asOf = today
	}
	ds, err := s.load(ctx, s.db, `d.cancelled_at IS NULL AND d.id IN (SELECT directive_id FROM directive_tasks WHERE due_on >= ? AND due_on <= ?)`, from, to)
	if err != nil {
		return Scorecard{}, fmt.Errorf("directive: scorecard %d: %w", year, err)
	}
	sc := Scorecard{Year: year, AsOf: asOf, Outcomes: []Outcome{}, Scores: []Score{}}
	by := map[int64]*Score{}
	for _, d := range ds {
		for _, t := range d.Tasks {
			if t.DueOn < from || t.DueOn > to || t.State == StateCancelled {
				continue
			}
			// A task done after the year's end was still open on AsOf.
			st := t.Status
			if t.State == StateDone && t.DoneOn > asOf {
				st = StatusInProgress
			}
			o := Outcome{DirectiveID: d.ID, TaskID: t.ID, Title: d.Title, Lead: d.Lead, PlanYear: d.PlanYear, DueOn: t.DueOn, DoneOn: t.DoneOn, Status: st, Outcome: OutcomeOf(st, t.DueOn, asOf)}
			if access.CanReadDirective(p, d.refs()) {
				sc.Outcomes = append(sc.Outcomes, o)
			}
			sp := by[d.Lead.ID]
			if sp == nil {
				sp = &Score{Agency: d.Lead}
				by[d.Lead.ID] = sp
			}
			tally(sp, o.Outcome)
			tally(&sc.Totals, o.Outcome)
		}
	}
	for _, sp := range by {
		rate(sp)
		sc.Scores = append(sc.Scores, *sp)
	}
	rate(&sc.Totals)
	sort.Slice(sc.Scores, func(i, j int) bool { return sc.Scores[i].Agency.Code < sc.Scores[j].Agency.Code })
	sort.SliceStable(sc.Outcomes, func(i, j int) bool {
		if sc.Outcomes[i].Lead.Code != sc.Outcomes[j].Lead.Code {
			return sc.Outcomes[i].Lead.Code < sc.Outcomes[j].Lead.Code
		}
		return sc.Outcomes[i].DueOn < sc.Outcomes[j].DueOn
	})
	return sc, nil
}

func tally(s *Score, outcome string) {
	s.Total++
	switch outcome {
	case OutcomeOnTime:
		s.OnTime++
	case OutcomeLate:
		s.Late++
	case OutcomeNotDone:
		s.NotDone++
	default:
		s.Pending++
	}
}

func rate(s *Score) {
	if due := s.OnTime + s.Late + s.NotDone; due > 0 {
		r := float64(s.OnTime) * 100 / float64(due)
		s.OnTimeRate = &r
	}
}
