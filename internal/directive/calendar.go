package directive

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"bulwark/internal/directive/ical"
	"bulwark/internal/errs"
)

// Item is one entry of the calendar: a meeting or a task's deadline.
type Item struct {
	Date        string `json:"date"`
	Kind        string `json:"kind"` // meeting or deadline
	Title       string `json:"title"`
	Link        string `json:"link"`
	Status      Status `json:"status,omitempty"`
	AgencyCode  string `json:"agency_code,omitempty"`
	MeetingID   int64  `json:"meeting_id,omitempty"`
	DirectiveID int64  `json:"directive_id,omitempty"`
	TaskID      int64  `json:"task_id,omitempty"`
	Time        string `json:"time,omitempty"`
	Place       string `json:"place,omitempty"`
}

// Items lists the meetings and the deadlines of visible directives from
// from to to (YYYY-MM-DD, both included), by date. agencyID (0 = all the
// caller sees) keeps only that agency's deadlines.
func (s *Service) Items(ctx context.Context, from, to string, agencyID int64) ([]Item, error) {
	from, err := cleanDate("from", from, true)
	if err != nil {
		return nil, err
	}
	if to, err = cleanDate("to", to, true); err != nil {
		return nil, err
	}
	if to < from {
		return nil, errs.Field("to", "is before from")
	}
	ms, _, err := s.ListMeetings(ctx, MeetingFilter{From: from, To: to, Limit: 500})
	if err != nil {
		return nil, err
	}
	out := []Item{}
	for _, m := range ms {
		out = append(out, Item{Date: m.HeldOn, Kind: "meeting", Title: m.Title, Link: fmt.Sprintf("/meetings/%d", m.ID), MeetingID: m.ID, Time: m.StartTime, Place: m.Place})
	}
	ds, _, err := s.List(ctx, Filter{AgencyID: agencyID, AnyRole: true, Limit: 500})
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		for _, t := range d.Tasks {
			if t.DueOn < from || t.DueOn > to {
				continue
			}
			out = append(out, Item{Date: t.DueOn, Kind: "deadline", Title: d.Title, Link: fmt.Sprintf("/directives/%d", d.ID), Status: t.Status,
				AgencyCode: d.Lead.Code, DirectiveID: d.ID, TaskID: t.ID})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return out, nil
}

// Calendar is the iCalendar feed of an agency's deadlines (as lead or
// coordinating) and of the meetings, from a year back to two years ahead.
// agencyID 0 means the caller's agency.
func (s *Service) Calendar(ctx context.Context, agencyID int64, host string) (ical.Calendar, error) {
	p, err := caller(ctx)
	if err != nil {
		return ical.Calendar{}, err
	}
	if agencyID == 0 {
		agencyID = p.AgencyID
	}
	now := s.now().In(s.loc)
	from := now.AddDate(-1, 0, 0).Format(dateLayout)
	to := now.AddDate(2, 0, 0).Format(dateLayout)
	items, err := s.Items(ctx, from, to, agencyID)
	if err != nil {
		return ical.Calendar{}, err
	}
	if host == "" {
		host = "bulwark"
	}
	base := strings.TrimRight(s.cfg.BaseURL, "/")
	stamp := s.now()
	cal := ical.Calendar{ProdID: "-//Bulwark//Subcommittee directives//VI", Name: "Bulwark: thời hạn nhiệm vụ"}
	for _, it := range items {
		ev := ical.Event{Stamp: stamp, Date: it.Date, Summary: it.Title, URL: base + it.Link}
		switch it.Kind {
		case "meeting":
			ev.UID = fmt.Sprintf("meeting-%d@%s", it.MeetingID, host)
			ev.Summary = "Họp: " + it.Title
			ev.Location = it.Place
			ev.Categories = []string{"meeting"}
			if it.Time != "" {
				if t, err := time.ParseInLocation("2006-01-02 15:04", it.Date+" "+it.Time, s.loc); err == nil {
					ev.Date, ev.Start = "", t
				}
			}
		default:
			ev.UID = fmt.Sprintf("directive-task-%d@%s", it.TaskID, host)
			ev.Summary = "Hạn: " + it.Title + " (" + it.AgencyCode + ")"
			ev.Description = "Trạng thái: " + string(it.Status)
			ev.Categories = []string{"deadline", string(it.Status)}
			if it.Status == StatusCancelled {
				ev.Status = "CANCELLED"
			}
		}
		cal.Events = append(cal.Events, ev)
	}
	return cal, nil
}
