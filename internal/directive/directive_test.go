package directive_test

import (
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/directive"
	"bulwark/internal/errs"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// TestIssueCheck is the issue's check: a meeting records decisions that
// become directives to three agencies; one reports progress and completes
// on time, one completes late, one lets its deadline pass; the scorecard
// shows the three outcomes.
func TestIssueCheck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		m := must[directive.Meeting](t, "CreateMeeting")(e.svc.CreateMeeting(e.coord(), directive.MeetingInput{
			Title: "Hội nghị Tiểu ban năm 2026", Kind: "annual", HeldOn: "2026-01-15", StartTime: "08:00", Place: "Hội trường UBND tỉnh", Chair: "Nguyễn Văn Thành",
			Agenda: "1. Đánh giá năm 2025\n2. Nhiệm vụ năm 2026", Minutes: "# Biên bản\n\nHội nghị **thống nhất** giao nhiệm vụ.<script>alert(1)</script>",
			Attendees: []directive.Attendee{
				{PersonName: "Nguyễn Văn Thành", AgencyID: e.ids["CAT"], Attendance: "present"},
				{PersonName: "Trần Văn Bình", AgencyID: e.ids["SKHCN"], Attendance: "delegated", DelegateName: "Lê Thị Hoa"},
				{PersonName: "Phạm Minh", AgencyID: e.ids["BCH"], Attendance: "absent"},
				{PersonName: "Chuyên gia khách mời", Guest: true},
			},
			DecisionIDs: []int64{e.dec},
		}))
		if got := string(m.MinutesHTML()); strings.Contains(got, "<script") || !strings.Contains(got, "<strong>thống nhất</strong>") {
			t.Errorf("MinutesHTML = %q, want sanitised Markdown", got)
		}
		if len(m.Attendees) != 4 || m.Attendees[1].Attendance != "delegated" || !m.Attendees[3].Guest || len(m.Decisions) != 1 {
			t.Fatalf("meeting = %+v", m)
		}
		mk := func(title, lead, due string) directive.Directive {
			return must[directive.Directive](t, "Create "+title)(e.svc.Create(e.coord(), directive.Input{Title: title, Source: "meeting", MeetingID: m.ID,
				DecisionID: e.dec, PlanYear: 2026, LeadAgencyCode: lead, CoordinatingCodes: []string{"CAT"}, DueOn: due, Priority: "high"}))
		}
		onTime := mk("Theo dõi, phân tích, dự báo tình hình an ninh mạng", "SKHCN", "2026-06-30")
		late := mk("Siết chặt quản lý thuê bao", "VTL", "2026-03-31")
		overdue := mk("Tập huấn cán bộ quản trị hệ thống", "BCH", "2026-09-30")
		if onTime.Status != directive.StatusAssigned || len(onTime.Coordinating) != 1 || onTime.Coordinating[0].Code != "CAT" {
			t.Fatalf("new directive = %+v", onTime)
		}

		e.clock.set("2026-02-01")
		must[directive.Directive](t, "Acknowledge")(e.svc.Acknowledge(e.member("SKHCN", access.Analyst), onTime.ID))
		pc := 40
		must[directive.Update](t, "Progress")(e.svc.Progress(e.member("SKHCN", access.Analyst), onTime.ID, directive.Report{Note: "Đã rà soát 12 hệ thống", Percent: &pc,
			Files: []directive.Upload{{Name: "C:\\bao-cao\\tien-do.pdf", Body: strings.NewReader("%PDF-1.4 progress")}}}))
		e.clock.set("2026-06-25")
		got := must[directive.Directive](t, "Complete on time")(e.svc.Complete(e.member("SKHCN", access.Analyst), onTime.ID, directive.Report{Note: "Báo cáo phân tích, dự báo đã gửi"}))
		if got.Status != directive.StatusDoneOnTime {
			t.Errorf("on-time status = %s", got.Status)
		}
		got = must[directive.Directive](t, "Accept")(e.svc.Accept(e.coord(), onTime.ID, 0))
		if got.CurrentTask().AcceptedAt == nil {
			t.Error("Accept did not record acceptance")
		}

		e.clock.set("2026-04-10")
		got = must[directive.Directive](t, "Complete late")(e.svc.Complete(e.member("VTL", access.Liaison), late.ID, directive.Report{Note: "Đã xác thực lại 3.200 thuê bao"}))
		if got.Status != directive.StatusDoneLate {
			t.Errorf("late status = %s", got.Status)
		}

		e.clock.set("2026-10-05")
		got = must[directive.Directive](t, "Get overdue")(e.svc.Get(e.coord(), overdue.ID))
		if got.Status != directive.StatusOverdue || got.CurrentTask().State != directive.StateAssigned {
			t.Errorf("overdue = %s (state %s), want computed overdue over state assigned", got.Status, got.CurrentTask().State)
		}
		asked := must[[]directive.Directive](t, "AskedOf")(e.svc.AskedOf(e.member("BCH", access.Reporter)))
		if len(asked) != 1 || asked[0].ID != overdue.ID {
			t.Errorf("AskedOf(BCH) = %v", asked)
		}
		// The coordinating agency is asked too.
		if asked := must[[]directive.Directive](t, "AskedOf CAT")(e.svc.AskedOf(e.coord())); len(asked) != 1 {
			t.Errorf("AskedOf(CAT) = %d directives, want 1 (the open one it coordinates)", len(asked))
		}

		e.clock.set("2027-01-05")
		sc := must[directive.Scorecard](t, "Scorecard")(e.svc.Scorecard(e.member("BCH", access.Viewer), 2026))
		type row struct{ Code, Outcome string }
		var rows []row
		for _, o := range sc.Outcomes {
			rows = append(rows, row{o.Lead.Code, o.Outcome})
		}
		if diff := cmp.Diff([]row{{"BCH", "not_done"}, {"SKHCN", "done_on_time"}, {"VTL", "done_late"}}, rows); diff != "" {
			t.Errorf("outcomes (-want +got):\n%s", diff)
		}
		if sc.Totals.Total != 3 || sc.Totals.OnTime != 1 || sc.Totals.Late != 1 || sc.Totals.NotDone != 1 || sc.AsOf != "2026-12-31" {
			t.Errorf("totals = %+v as of %s", sc.Totals, sc.AsOf)
		}
		ups := must[[]directive.Update](t, "Updates")(e.svc.Updates(e.coord(), onTime.ID))
		var kinds []string
		for _, u := range ups {
			kinds = append(kinds, u.Kind)
		}
		if diff := cmp.Diff([]string{"acknowledge", "progress", "done", "accept"}, kinds); diff != "" {
			t.Errorf("updates (-want +got):\n%s", diff)
		}
		if len(ups[1].Files) != 1 || ups[1].Files[0].Name != "tien-do.pdf" {
			t.Errorf("progress files = %+v", ups[1].Files)
		}
		f, rc := func() (directive.File, func() string) {
			f, rc, err := e.svc.OpenFile(e.member("SKHCN", access.Analyst), onTime.ID, ups[1].Files[0].ID)
			if err != nil {
				t.Fatalf("OpenFile = %v", err)
			}
			defer rc.Close()
			b, _ := io.ReadAll(rc)
			return f, func() string { return string(b) }
		}()
		if rc() != "%PDF-1.4 progress" || f.Size != 17 {
			t.Errorf("file = %+v %q", f, rc())
		}
	})
}

func TestCreateRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tests := []struct {
			name  string
			in    directive.Input
			kind  errs.Kind
			field string
			msg   string
		}{
			{"no assignee", directive.Input{Title: "x", DueOn: "2026-03-01"}, errs.Invalid, "lead_agency_id", "needs a lead agency"},
			{"past deadline", directive.Input{Title: "x", LeadAgencyCode: "SKHCN", DueOn: "2026-01-14"}, errs.Invalid, "due_on", "is in the past (today is 2026-01-15)"},
			{"no deadline", directive.Input{Title: "x", LeadAgencyCode: "SKHCN"}, errs.Invalid, "due_on", "needs a deadline"},
			{"bad date", directive.Input{Title: "x", LeadAgencyCode: "SKHCN", DueOn: "30/06/2026"}, errs.Invalid, "due_on", "YYYY-MM-DD"},
			{"unknown agency", directive.Input{Title: "x", LeadAgencyCode: "NOPE", DueOn: "2026-03-01"}, errs.Invalid, "lead_agency_id", "no such agency"},
			{"merged agency", directive.Input{Title: "x", LeadAgencyCode: "OLD", DueOn: "2026-03-01"}, errs.Invalid, "lead_agency_id", "merged"},
			{"no title", directive.Input{LeadAgencyCode: "SKHCN", DueOn: "2026-03-01"}, errs.Invalid, "title", "required"},
			{"meeting source needs meeting", directive.Input{Title: "x", Source: "meeting", LeadAgencyCode: "SKHCN", DueOn: "2026-03-01"}, errs.Invalid, "meeting_id", ""},
			{"bad recurrence", directive.Input{Title: "x", LeadAgencyCode: "SKHCN", Recurrence: "weekly:1", Until: "2026-12-31"}, errs.Invalid, "recurrence", ""},
			{"too many occurrences", directive.Input{Title: "x", LeadAgencyCode: "SKHCN", Recurrence: "monthly:1", Until: "2099-12-31"}, errs.Invalid, "until", "more than 60"},
			{"over-long title", directive.Input{Title: strings.Repeat("ư", 501), LeadAgencyCode: "SKHCN", DueOn: "2026-03-01"}, errs.Invalid, "title", "at most 500"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.Create(e.coord(), tt.in)
				wantKind(t, "Create", err, tt.kind, tt.field)
				if !strings.Contains(errs.Message(err), tt.msg) {
					t.Errorf("message %q lacks %q", errs.Message(err), tt.msg)
				}
			})
		}
		_, err := e.svc.Create(e.member("SKHCN", access.Coordinator), directive.Input{Title: "x", LeadAgencyCode: "VTL", DueOn: "2026-03-01"})
		wantKind(t, "Create by a department coordinator", err, errs.Forbidden, "")

		d := must[directive.Directive](t, "Create recurring")(e.svc.Create(e.coord(), directive.Input{Title: "Báo cáo định kỳ", Source: "plan", PlanYear: 2026,
			LeadAgencyCode: "SKHCN", Recurrence: "dates:12-15,06-20", Until: "2027-12-31"}))
		var dues []string
		for _, tk := range d.Tasks {
			dues = append(dues, tk.DueOn)
		}
		if diff := cmp.Diff([]string{"2026-06-20", "2026-12-15", "2027-06-20", "2027-12-15"}, dues); diff != "" {
			t.Errorf("expanded deadlines (-want +got):\n%s", diff)
		}
		if d.Recurrence != "dates:06-20,12-15" || d.DueOn != "2026-06-20" {
			t.Errorf("recurrence %q due %q", d.Recurrence, d.DueOn)
		}
	})
}

func TestAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		wide := must[directive.Directive](t, "Create wide")(e.svc.Create(e.coord(), directive.Input{Title: "Chung", LeadAgencyCode: "SKHCN", DueOn: "2026-05-01"}))
		narrow := must[directive.Directive](t, "Create narrow")(e.svc.Create(e.coord(), directive.Input{Title: "Riêng", Visibility: "assigned",
			LeadAgencyCode: "VTL", CoordinatingCodes: []string{"SKHCN"}, DueOn: "2026-05-01"}))

		if _, err := e.svc.Get(e.member("BCH", access.Analyst), wide.ID); err != nil {
			t.Errorf("other agency reads a subcommittee-wide directive: %v", err)
		}
		_, err := e.svc.Get(e.member("BCH", access.Analyst), narrow.ID)
		wantKind(t, "other agency reads an assigned-only directive", err, errs.NotFound, "")
		if _, err := e.svc.Get(e.member("SKHCN", access.Reporter), narrow.ID); err != nil {
			t.Errorf("coordinating agency reads it: %v", err)
		}
		ds, total := func() ([]directive.Directive, int) {
			ds, n, err := e.svc.List(e.member("BCH", access.Analyst), directive.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			return ds, n
		}()
		if total != 1 || ds[0].ID != wide.ID {
			t.Errorf("List for BCH = %d items, want only the wide one", total)
		}

		_, err = e.svc.Update(e.member("SKHCN", access.Coordinator), wide.ID, directive.Edit{Title: "Sửa", LeadAgencyCode: "SKHCN"})
		wantKind(t, "assignee edits", err, errs.Forbidden, "")
		if _, err := e.svc.Update(e.coord(), wide.ID, directive.Edit{Title: "Sửa", LeadAgencyCode: "SKHCN", DueOn: "2026-06-01"}); err != nil {
			t.Errorf("issuer edits: %v", err)
		}
		_, err = e.svc.Update(e.coord(), wide.ID, directive.Edit{Title: "Sửa", LeadAgencyCode: "SKHCN", DueOn: "2026-01-01"})
		wantKind(t, "move deadline into the past", err, errs.Invalid, "due_on")
		_, err = e.svc.Acknowledge(e.member("BCH", access.Analyst), wide.ID)
		wantKind(t, "non-assignee acknowledges", err, errs.Forbidden, "")
		_, err = e.svc.Acknowledge(e.member("SKHCN", access.Viewer), wide.ID)
		wantKind(t, "viewer acknowledges", err, errs.Forbidden, "")
		_, err = e.svc.Complete(e.member("SKHCN", access.Analyst), narrow.ID, directive.Report{Note: "xong"})
		wantKind(t, "coordinating agency completes", err, errs.Forbidden, "")
		_, err = e.svc.Accept(e.coord(), narrow.ID, 0)
		wantKind(t, "accept before done", err, errs.Conflict, "")

		// A restricted note of the lead is hidden from the coordinating agency.
		must[directive.Update](t, "restricted progress")(e.svc.Progress(e.member("VTL", access.Liaison), narrow.ID, directive.Report{Note: "Danh sách thuê bao nội bộ", Restricted: true}))
		must[directive.Update](t, "open progress")(e.svc.Progress(e.member("SKHCN", access.Analyst), narrow.ID, directive.Report{Note: "Đã phối hợp"}))
		count := func(ctxName string, ups []directive.Update) int {
			n := 0
			for _, u := range ups {
				if u.Kind == "progress" {
					n++
				}
			}
			return n
		}
		for _, c := range []struct {
			name string
			who  string
			want int
		}{{"lead", "VTL", 2}, {"coordinating", "SKHCN", 1}, {"issuer", "CAT", 2}} {
			ctx := e.member(c.who, access.Analyst)
			if c.who == "CAT" {
				ctx = e.coord()
			}
			ups, err := e.svc.Updates(ctx, narrow.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := count(c.name, ups); got != c.want {
				t.Errorf("%s sees %d progress notes, want %d", c.name, got, c.want)
			}
		}

		// Return sends a done task back; the deadline counts again.
		must[directive.Directive](t, "Complete")(e.svc.Complete(e.member("VTL", access.Liaison), narrow.ID, directive.Report{Note: "xong"}))
		_, err = e.svc.Return(e.member("VTL", access.Coordinator), narrow.ID, 0, "chưa đủ")
		wantKind(t, "lead returns its own", err, errs.Forbidden, "")
		got := must[directive.Directive](t, "Return")(e.svc.Return(e.coord(), narrow.ID, 0, "Thiếu số liệu quý I"))
		if got.Status != directive.StatusReturned || got.CurrentTask().ReturnReason != "Thiếu số liệu quý I" {
			t.Errorf("after return: %s %q", got.Status, got.CurrentTask().ReturnReason)
		}
		got = must[directive.Directive](t, "Cancel")(e.svc.Cancel(e.coord(), narrow.ID, "Không còn cần thiết"))
		if got.Status != directive.StatusCancelled {
			t.Errorf("after cancel: %s", got.Status)
		}
		_, err = e.svc.Progress(e.member("VTL", access.Liaison), narrow.ID, directive.Report{Note: "x"})
		wantKind(t, "progress on cancelled", err, errs.Conflict, "")
		_, err = e.svc.Cancel(e.coord(), wide.ID, "")
		wantKind(t, "cancel without reason", err, errs.Invalid, "reason")

		// Denials are audited.
		entries, _, err := e.log.List(as(access.SystemPrincipal()), audit.Filter{Action: "access.denied", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) < 4 {
			t.Errorf("audited denials = %d, want at least 4", len(entries))
		}
	})
}
