package directive

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/errs"
)

// MaxOccurrences bounds how many tasks one recurring directive expands
// into, so a rule cannot fill the database (five years of monthly reports
// fit).
const MaxOccurrences = 60

// maxRuleLen bounds the text of a recurrence rule.
const maxRuleLen = 200

// Rule is a parsed recurrence: every month on Day, every quarter on Day of
// the quarter's last month, or every year on fixed dates (month, day).
// Days past the end of a month fall on its last day.
type Rule struct {
	Kind  string   // monthly, quarterly or dates
	Day   int      // 1..31 for monthly and quarterly
	Dates [][2]int // month, day pairs for dates, in calendar order
}

// ParseRule reads a recurrence rule: "monthly:20", "quarterly:20" or
// "dates:06-20,12-15" (before 20 June and 15 December every year). Errors
// are Invalid and name the field recurrence.
func ParseRule(s string) (Rule, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxRuleLen {
		return Rule{}, errs.Field("recurrence", "must be at most %d characters", maxRuleLen)
	}
	kind, arg, ok := strings.Cut(s, ":")
	if !ok {
		return Rule{}, errs.Field("recurrence", `must be "monthly:DAY", "quarterly:DAY" or "dates:MM-DD,MM-DD"`)
	}
	kind = strings.ToLower(strings.TrimSpace(kind))
	arg = strings.TrimSpace(arg)
	switch kind {
	case "monthly", "quarterly":
		d, err := strconv.Atoi(arg)
		if err != nil || d < 1 || d > 31 {
			return Rule{}, errs.Field("recurrence", "the day of %s must be a whole number from 1 to 31", kind)
		}
		return Rule{Kind: kind, Day: d}, nil
	case "dates":
		r := Rule{Kind: kind}
		for _, part := range strings.Split(arg, ",") {
			part = strings.TrimSpace(part)
			t, err := time.Parse("01-02", part)
			if err != nil || len(part) != 5 {
				return Rule{}, errs.Field("recurrence", "%q is not a date MM-DD", clip(part, 20))
			}
			md := [2]int{int(t.Month()), t.Day()}
			for _, x := range r.Dates {
				if x == md {
					return Rule{}, errs.Field("recurrence", "the date %s is given twice", part)
				}
			}
			r.Dates = append(r.Dates, md)
			if len(r.Dates) > 12 {
				return Rule{}, errs.Field("recurrence", "at most 12 dates a year")
			}
		}
		for i := 1; i < len(r.Dates); i++ { // insertion sort: at most 12
			for j := i; j > 0 && less(r.Dates[j], r.Dates[j-1]); j-- {
				r.Dates[j], r.Dates[j-1] = r.Dates[j-1], r.Dates[j]
			}
		}
		return r, nil
	}
	return Rule{}, errs.Field("recurrence", "unknown kind %q: use monthly, quarterly or dates", clip(kind, 20))
}

func less(a, b [2]int) bool { return a[0] < b[0] || a[0] == b[0] && a[1] < b[1] }

// String is the rule in the form ParseRule reads.
func (r Rule) String() string {
	switch r.Kind {
	case "monthly", "quarterly":
		return fmt.Sprintf("%s:%d", r.Kind, r.Day)
	case "dates":
		parts := make([]string, len(r.Dates))
		for i, d := range r.Dates {
			parts[i] = fmt.Sprintf("%02d-%02d", d[0], d[1])
		}
		return "dates:" + strings.Join(parts, ",")
	}
	return ""
}

// dayIn is the date of day d in month m of year y, clamped to the month's
// last day (31 in a 30-day month is the 30th; 29 February in a common year
// is the 28th).
func dayIn(y int, m time.Month, d int) time.Time {
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if d > last {
		d = last
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Expand lists the deadlines of r from from to until, both included, as
// YYYY-MM-DD. More than MaxOccurrences is an Invalid error naming the
// field until; none at all is one too.
func (r Rule) Expand(from, until time.Time) ([]string, error) {
	from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	until = time.Date(until.Year(), until.Month(), until.Day(), 0, 0, 0, 0, time.UTC)
	if until.Before(from) {
		return nil, errs.Field("until", "the end of the recurrence is before its start")
	}
	var out []string
	add := func(t time.Time) error {
		if t.Before(from) || t.After(until) {
			return nil
		}
		if len(out) == MaxOccurrences {
			return errs.Field("until", "the recurrence gives more than %d deadlines; choose an earlier end", MaxOccurrences)
		}
		out = append(out, t.Format(dateLayout))
		return nil
	}
	for y := from.Year(); y <= until.Year(); y++ {
		for m := time.January; m <= time.December; m++ {
			var err error
			switch r.Kind {
			case "monthly":
				err = add(dayIn(y, m, r.Day))
			case "quarterly":
				if m%3 == 0 {
					err = add(dayIn(y, m, r.Day))
				}
			case "dates":
				for _, d := range r.Dates {
					if time.Month(d[0]) == m {
						if err = add(dayIn(y, m, d[1])); err != nil {
							break
						}
					}
				}
			default:
				return nil, errs.Field("recurrence", "is empty")
			}
			if err != nil {
				return nil, err
			}
		}
	}
	if len(out) == 0 {
		return nil, errs.Field("until", "the recurrence gives no deadline between %s and %s", from.Format(dateLayout), until.Format(dateLayout))
	}
	return out, nil
}
