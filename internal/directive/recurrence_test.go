package directive_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/directive"
	"bulwark/internal/errs"
)

func TestRuleExpand(t *testing.T) {
	d := func(s string) time.Time { v, _ := time.Parse("2006-01-02", s); return v }
	tests := []struct {
		name, rule, from, until string
		want                    []string
		field                   string
	}{
		{"half-yearly reports", "dates:06-20,12-15", "2026-01-15", "2027-06-30", []string{"2026-06-20", "2026-12-15", "2027-06-20"}, ""},
		{"from is inclusive", "dates:06-20", "2026-06-20", "2026-06-20", []string{"2026-06-20"}, ""},
		{"quarterly", "quarterly:20", "2026-02-01", "2026-12-31", []string{"2026-03-20", "2026-06-20", "2026-09-20", "2026-12-20"}, ""},
		{"monthly clamps to month end", "monthly:31", "2026-01-01", "2026-04-30", []string{"2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"}, ""},
		{"leap day", "dates:02-29", "2027-01-01", "2028-12-31", []string{"2027-02-28", "2028-02-29"}, ""},
		{"none in range", "dates:01-01", "2026-01-02", "2026-12-31", nil, "until"},
		{"end before start", "monthly:1", "2026-05-01", "2026-04-01", nil, "until"},
		{"too many", "monthly:1", "2026-01-01", "2031-12-31", nil, "until"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := directive.ParseRule(tt.rule)
			if err != nil {
				t.Fatalf("ParseRule(%q) = %v", tt.rule, err)
			}
			got, err := r.Expand(d(tt.from), d(tt.until))
			if tt.field != "" {
				if errs.FieldOf(err) != tt.field {
					t.Fatalf("Expand = %v, %v; want an error on %s", got, err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Expand (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRuleRefusals(t *testing.T) {
	for _, s := range []string{"", "monthly", "monthly:0", "monthly:32", "quarterly:x", "dates:", "dates:13-01", "dates:02-30", "dates:06-20,06-20", "weekly:1", "dates:6-20"} {
		if _, err := directive.ParseRule(s); errs.FieldOf(err) != "recurrence" {
			t.Errorf("ParseRule(%q) = %v, want an error on recurrence", s, err)
		}
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		st               directive.State
		due, done, today string
		want             directive.Status
	}{
		{directive.StateAssigned, "2026-06-30", "", "2026-06-30", directive.StatusAssigned},
		{directive.StateAssigned, "2026-06-30", "", "2026-07-01", directive.StatusOverdue},
		{directive.StateInProgress, "2026-06-30", "", "2026-07-01", directive.StatusOverdue},
		{directive.StateReturned, "2026-06-30", "", "2026-06-01", directive.StatusReturned},
		{directive.StateDone, "2026-06-30", "2026-06-30", "2026-09-01", directive.StatusDoneOnTime},
		{directive.StateDone, "2026-06-30", "2026-07-01", "2026-09-01", directive.StatusDoneLate},
		{directive.StateCancelled, "2026-06-30", "", "2026-09-01", directive.StatusCancelled},
	}
	for _, tt := range tests {
		if got := directive.StatusOf(tt.st, tt.due, tt.done, tt.today); got != tt.want {
			t.Errorf("StatusOf(%s, %s, %q, %s) = %s, want %s", tt.st, tt.due, tt.done, tt.today, got, tt.want)
		}
	}
}

func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"monthly:20", "quarterly:1", "dates:06-20,12-15", "dates:02-29", "x:y", ":", "dates:,,,"} {
		f.Add(s)
	}
	from, until := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 12, 31, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := directive.ParseRule(s)
		if err != nil {
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("ParseRule(%q) = %v, not Invalid", s, err)
			}
			return
		}
		again, err := directive.ParseRule(r.String())
		if err != nil || again.String() != r.String() {
			t.Fatalf("ParseRule(%q).String() = %q does not parse back: %v", s, r.String(), err)
		}
		got, err := r.Expand(from, until)
		if err != nil {
			return
		}
		if len(got) > directive.MaxOccurrences {
			t.Fatalf("Expand gave %d deadlines", len(got))
		}
		for i := 1; i < len(got); i++ {
			if got[i] <= got[i-1] {
				t.Fatalf("deadlines out of order: %v", got)
			}
		}
	})
}
