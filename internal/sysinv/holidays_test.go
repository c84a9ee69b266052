package sysinv_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
	"bulwark/internal/sysinv"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWorkingDaysHonourHolidays(t *testing.T) {
	r := sysinv.DefaultRules()
	for _, tt := range []struct {
		from string
		n    int
		want string
		why  string
	}{
		{"2026-02-13", 1, "2026-02-23", "Tết Bính Ngọ: 16-20 February off, then the weekend"},
		{"2026-02-13", 7, "2026-03-03", "seven working days across Tết"},
		{"2026-02-12", 7, "2026-03-02", "Thursday before Tết: Friday 13th counts"},
		{"2025-01-24", 1, "2025-02-03", "Tết Ất Tỵ: 27-31 January"},
		{"2027-02-04", 1, "2027-02-12", "Tết Đinh Mùi with two compensatory days for the weekend"},
		{"2026-04-24", 1, "2026-04-28", "Hùng Kings' day on Sunday 26 April: Monday 27th off"},
		{"2025-04-29", 1, "2025-05-02", "30 April and 1 May"},
		{"2025-08-29", 1, "2025-09-03", "2 September and the day before"},
		{"2027-04-29", 2, "2027-05-05", "30 April on Friday, 1 May on Saturday: Monday 3 May off"},
		{"2025-12-31", 1, "2026-01-02", "1 January"},
		{"2026-11-19", 7, "2026-11-30", "no holiday: weekends only"},
		{"2028-02-10", 1, "2028-02-11", "beyond the list: weekends only"},
	} {
		if got := r.AddWorkingDays(date(tt.from), tt.n).Format(time.DateOnly); got != tt.want {
			t.Errorf("%s + %d working days = %s, want %s (%s)", tt.from, tt.n, got, tt.want, tt.why)
		}
	}
	for d, want := range map[string]bool{"2026-02-17": false, "2026-02-23": true, "2026-04-27": false, "2026-02-21": false, "2026-09-02": false} {
		if got := r.WorkingDay(date(d)); got != want {
			t.Errorf("WorkingDay(%s) = %v, want %v", d, got, want)
		}
	}
	// Every year 2025-2027 has its Tết, Hùng Kings' day, 30/4, 1/5 and two days for 2/9 listed.
	for _, y := range []string{"2025", "2026", "2027"} {
		var tet, hung, sep int
		for _, h := range r.Holidays {
			if !strings.HasPrefix(h.Date, y) {
				continue
			}
			switch {
			case strings.Contains(h.Name, "Tết Nguyên đán"):
				tet++
			case strings.HasPrefix(h.Name, "Giỗ Tổ"):
				hung++
			case strings.HasPrefix(h.Name, "Quốc khánh"):
				sep++
			}
		}
		if tet != 5 || hung != 1 || sep != 2 {
			t.Errorf("%s: %d Tết days, %d Hùng Kings' days, %d National Day days; want 5, 1, 2", y, tet, hung, sep)
		}
	}
}

func TestHolidayRulesAreChecked(t *testing.T) {
	raw, err := os.ReadFile("rules.json")
	if err != nil {
		t.Fatal(err)
	}
	with := func(holidays, workdays string) []byte {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		m["holidays"], m["workdays"] = json.RawMessage(holidays), json.RawMessage(workdays)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tt := range []struct{ name, holidays, workdays, want string }{
		{"bad date", `[{"date":"2026-02-30","name":"x"}]`, `[]`, "not YYYY-MM-DD"},
		{"twice", `[{"date":"2026-02-17","name":"x"},{"date":"2026-02-17","name":"y"}]`, `[]`, "listed twice"},
		{"workday on a Tuesday", `[]`, `["2026-02-17"]`, "not a Saturday or Sunday"},
		{"workday and holiday", `[{"date":"2026-02-21","name":"x"}]`, `["2026-02-21"]`, "both a holiday and a workday"},
	} {
		if _, err := sysinv.ParseRules(with(tt.holidays, tt.workdays)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ParseRules = %v, want %q", tt.name, err, tt.want)
		}
	}
	// A Saturday worked in exchange for a bridge day counts.
	r, err := sysinv.ParseRules(with(`[]`, `["2026-02-28"]`))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.AddWorkingDays(date("2026-02-27"), 1).Format(time.DateOnly); got != "2026-02-28" {
		t.Errorf("with a working Saturday: %s, want 2026-02-28", got)
	}
}

// TestApprovalDeadlineAcrossTet runs the dossier to "appraised" on the
// Friday before Tết: the 7 working days to approve end on 3 March.
func TestApprovalDeadlineAcrossTet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.clock.Set(time.Date(2026, 2, 13, 3, 0, 0, 0, time.UTC)) // Friday 13 February 2026, 10:00 in the province
		sys, err := w.svc.CreateSystem(w.as("skhcn"), portal(w))
		if err != nil {
			t.Fatal(err)
		}
		var d sysinv.Dossier
		for _, a := range []string{"submit", "start_appraisal", "appraised"} {
			if d, err = w.svc.Advance(w.as("skhcn-coord"), sys.ID, sysinv.Step{Action: a, Note: "Đạt yêu cầu"}); err != nil {
				t.Fatalf("%s: %v", a, err)
			}
		}
		if d.Due != "2026-03-03" {
			t.Errorf("approval due %s, want 2026-03-03 (Tết 16-20 February is not counted)", d.Due)
		}
	})
}
