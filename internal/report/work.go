package report

import (
	"context"
	"fmt"

	"bulwark/internal/agency"
	"bulwark/internal/directive"
)

// Directory is what the composition section needs of the agency
// directory.
type Directory interface {
	ListBodies(ctx context.Context) ([]agency.Body, error)
	Composition(ctx context.Context, bodyID int64, on string) ([]agency.Membership, error)
}

// Work is what the meetings and directives sections need of the
// subcommittee's work.
type Work interface {
	ListMeetings(ctx context.Context, f directive.MeetingFilter) ([]directive.Meeting, int, error)
	GetMeeting(ctx context.Context, id int64) (directive.Meeting, error)
	Scorecard(ctx context.Context, year int) (directive.Scorecard, error)
	Today() string
}

// RoleNames are the Vietnamese names of the roles on a body.
var RoleNames = map[string]string{
	agency.RoleHead: "Trưởng Tiểu ban", agency.RoleDeputyHead: "Phó Trưởng Tiểu ban",
	agency.RoleMember: "Thành viên", agency.RoleSecretary: "Thư ký",
}

// MeetingKindNames are the Vietnamese names of the kinds of meeting.
var MeetingKindNames = map[string]string{
	directive.MeetingAnnual: "Thường niên", directive.MeetingQuarterly: "Định kỳ quý", directive.MeetingExtraordinary: "Đột xuất",
}

// OutcomeNames are the Vietnamese names of a task's outcome.
var OutcomeNames = map[string]string{
	directive.OutcomeOnTime: "Hoàn thành đúng hạn", directive.OutcomeLate: "Hoàn thành trễ hạn",
	directive.OutcomeNotDone: "Chưa hoàn thành (quá hạn)", directive.OutcomePending: "Chưa đến hạn",
}

// evaluationDate is the date a year is judged on: 31 December, or today
// while the year runs.
func evaluationDate(year int, today string) string {
	d := fmt.Sprintf("%04d-12-31", year)
	if today < d {
		return today
	}
	return d
}

// CompositionSource lists who sat on the subcommittee at the end of the
// year (or today, for the current year).
func CompositionSource(dir Directory, w Work) Source {
	return SourceFunc(func(ctx context.Context, year int) (Section, error) {
		bodies, err := dir.ListBodies(ctx)
		if err != nil {
			return Section{}, err
		}
		var body *agency.Body
		for i := range bodies {
			if bodies[i].Kind == agency.BodySubcommittee {
				body = &bodies[i]
				break
			}
		}
		if body == nil {
			return Section{Note: "Chưa ghi nhận Tiểu ban trong danh bạ."}, nil
		}
		on := evaluationDate(year, w.Today())
		ms, err := dir.Composition(ctx, body.ID, on)
		if err != nil {
			return Section{}, err
		}
		s := Section{Facts: []Fact{{"Tên", body.NameVI}, {"Thành phần tính đến ngày", on}, {"Số thành viên", Count(len(ms))}}}
		if len(ms) == 0 {
			return s, nil
		}
		t := Table{Title: "Danh sách thành viên", Columns: []string{"Họ và tên", "Chức vụ", "Cơ quan", "Vai trò", "Quyết định"}}
		for _, m := range ms {
			t.Rows = append(t.Rows, []string{m.PersonName, m.PersonTitle, m.AgencyName, RoleNames[m.Role], m.DecisionNumber})
		}
		s.Tables = []Table{t}
		return s, nil
	})
}

// MeetingsSource lists the meetings held in the year with their
// attendance and decisions.
func MeetingsSource(w Work) Source {
	return SourceFunc(func(ctx context.Context, year int) (Section, error) {
		ms, total, err := w.ListMeetings(ctx, directive.MeetingFilter{Year: year, Limit: 500})
		if err != nil {
			return Section{}, err
		}
		s := Section{Facts: []Fact{{"Số cuộc họp", Count(total)}}}
		if total == 0 {
			return s, nil
		}
		t := Table{Title: "Các cuộc họp", Columns: []string{"Ngày", "Cuộc họp", "Loại", "Chủ trì", "Có mặt", "Vắng", "Ủy quyền", "Khách mời", "Quyết định"}}
		kinds := map[string]int{}
		for i := len(ms) - 1; i >= 0; i-- { // oldest first
			m, err := w.GetMeeting(ctx, ms[i].ID)
			if err != nil {
				return Section{}, err
			}
			kinds[m.Kind]++
			var present, absent, delegated, guests int
			for _, a := range m.Attendees {
				switch {
				case a.Guest:
					guests++
				case a.Attendance == directive.Absent:
					absent++
				case a.Attendance == directive.Delegated:
					delegated++
				default:
					present++
				}
			}
			decs := ""
			for j, d := range m.Decisions {
				if j > 0 {
					decs += ", "
				}
				decs += d.Number
			}
			t.Rows = append(t.Rows, []string{m.HeldOn, m.Title, MeetingKindNames[m.Kind], m.Chair, Count(present), Count(absent), Count(delegated), Count(guests), decs})
		}
		for _, k := range directive.MeetingKinds {
			if kinds[k] > 0 {
				s.Facts = append(s.Facts, Fact{"Họp " + lower(MeetingKindNames[k]), Count(kinds[k])})
			}
		}
		s.Tables = []Table{t}
		return s, nil
	})
}

func lower(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	if r[0] >= 'A' && r[0] <= 'Z' {
		r[0] += 'a' - 'A'
	} else if r[0] == 'Đ' {
		r[0] = 'đ'
	}
	return string(r)
}

// DirectivesSource gives the year's tasks, their outcomes, and the
// scorecard per lead agency.
func DirectivesSource(w Work) Source {
	return SourceFunc(func(ctx context.Context, year int) (Section, error) {
		sc, err := w.Scorecard(ctx, year)
		if err != nil {
			return Section{}, err
		}
		tt := sc.Totals
		s := Section{Facts: []Fact{
			{"Đánh giá tính đến ngày", sc.AsOf},
			{"Tổng số nhiệm vụ có thời hạn trong năm", Count(tt.Total)},
			{OutcomeNames[directive.OutcomeOnTime], Count(tt.OnTime)},
			{OutcomeNames[directive.OutcomeLate], Count(tt.Late)},
			{OutcomeNames[directive.OutcomeNotDone], Count(tt.NotDone)},
			{OutcomeNames[directive.OutcomePending], Count(tt.Pending)},
			{"Tỷ lệ hoàn thành đúng hạn", Percent(tt.OnTimeRate)},
		}}
		if tt.Total == 0 {
			return s, nil
		}
		byAgency := Table{Title: "Kết quả theo cơ quan chủ trì", Columns: []string{"Cơ quan", "Tổng", "Đúng hạn", "Trễ hạn", "Chưa hoàn thành", "Chưa đến hạn", "Tỷ lệ đúng hạn"}}
		onTime := Chart{Title: "Nhiệm vụ hoàn thành đúng hạn, trễ hạn và chưa hoàn thành theo cơ quan", Label: "Hoàn thành đúng hạn"}
		for _, a := range sc.Scores {
			byAgency.Rows = append(byAgency.Rows, []string{a.Agency.Code + " – " + a.Agency.Name, Count(a.Total), Count(a.OnTime), Count(a.Late), Count(a.NotDone), Count(a.Pending), Percent(a.OnTimeRate)})
			onTime.Labels = append(onTime.Labels, a.Agency.Code)
			onTime.Values = append(onTime.Values, float64(a.OnTime))
		}
		outcomes := Table{Title: "Kết quả từng nhiệm vụ", Columns: []string{"Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn", "Ngày hoàn thành", "Kết quả"}}
		for _, o := range sc.Outcomes {
			outcomes.Rows = append(outcomes.Rows, []string{o.Title, o.Lead.Code, o.DueOn, o.DoneOn, OutcomeNames[o.Outcome]})
		}
		counts := []KeyCount{{OutcomeNames[directive.OutcomeOnTime], tt.OnTime}, {OutcomeNames[directive.OutcomeLate], tt.Late},
			{OutcomeNames[directive.OutcomeNotDone], tt.NotDone}, {OutcomeNames[directive.OutcomePending], tt.Pending}}
		_, byOutcome := Breakdown("Nhiệm vụ theo kết quả", "Kết quả", counts, nil)
		onTime.Title = "Nhiệm vụ hoàn thành đúng hạn theo cơ quan"
		s.Tables = []Table{byAgency, outcomes}
		s.Charts = []Chart{byOutcome, onTime}
		return s, nil
	})
}
