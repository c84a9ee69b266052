package report_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"bulwark/internal/access"
	"bulwark/internal/agency"
	"bulwark/internal/audit"
	"bulwark/internal/directive"
	"bulwark/internal/errs"
	"bulwark/internal/report"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }
func (c *clock) set(date string) {
	d, _ := time.Parse("2006-01-02", date)
	c.t = d.Add(5 * time.Hour)
}

func as(p *access.Principal) context.Context { return access.With(context.Background(), p) }

// province seeds a subcommittee with members, a meeting and three
// directives that end on time, late and not at all.
func province(t *testing.T, db *store.DB) (*report.Builder, *clock) {
	t.Helper()
	c := &clock{}
	c.set("2026-01-10")
	log := audit.New(db, c.now)
	ag := agency.NewService(db, log, c.now)
	sys := as(access.SystemPrincipal())
	ids := map[string]int64{}
	for _, a := range []agency.AgencyInput{
		{Code: "CAT", NameVI: "Công an tỉnh", Kind: agency.KindStanding},
		{Code: "SKHCN", NameVI: "Sở Khoa học và Công nghệ", Kind: agency.KindDepartment},
		{Code: "VTL", NameVI: "Viettel Bình An", Kind: agency.KindTelecom},
		{Code: "BCH", NameVI: "Bộ Chỉ huy Quân sự tỉnh", Kind: agency.KindMilitary},
	} {
		got, err := ag.CreateAgency(sys, a)
		if err != nil {
			t.Fatal(err)
		}
		ids[a.Code] = got.ID
	}
	dec, err := ag.CreateDecision(sys, agency.Decision{Number: "1234/QĐ-UBND", Date: "2025-03-15", Title: "Kiện toàn Tiểu ban", Kind: agency.DecisionMembership})
	if err != nil {
		t.Fatal(err)
	}
	body, err := ag.CreateBody(sys, agency.Body{Code: "TB-ATANM", NameVI: "Tiểu ban An toàn, an ninh mạng tỉnh Bình An", Kind: agency.BodySubcommittee, DecisionID: dec.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []agency.Membership{
		{BodyID: body.ID, PersonName: "Nguyễn Văn Thành", PersonTitle: "Phó Chủ tịch UBND tỉnh", AgencyID: ids["CAT"], Role: agency.RoleHead, DecisionID: dec.ID, From: "2025-03-15"},
		{BodyID: body.ID, PersonName: "Trần Thị Hương", PersonTitle: "Giám đốc Sở", AgencyID: ids["SKHCN"], Role: agency.RoleMember, DecisionID: dec.ID, From: "2025-03-15"},
	} {
		if _, err := ag.Appoint(sys, m); err != nil {
			t.Fatal(err)
		}
	}
	svc := directive.NewService(directive.Deps{DB: db, Audit: log, Now: c.now}, directive.Config{})
	coord := as(&access.Principal{UserID: 1, Email: "c@cat", AgencyID: ids["CAT"], Standing: true, Roles: []access.Role{access.Coordinator}})
	m, err := svc.CreateMeeting(coord, directive.MeetingInput{Title: "Hội nghị Tiểu ban năm 2026", Kind: "annual", HeldOn: "2026-01-10", Chair: "Nguyễn Văn Thành",
		Attendees: []directive.Attendee{{PersonName: "Nguyễn Văn Thành", AgencyID: ids["CAT"]}, {PersonName: "Trần Thị Hương", AgencyID: ids["SKHCN"], Attendance: "absent"}}, DecisionIDs: []int64{dec.ID}})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(title, lead, due string) int64 {
		d, err := svc.Create(coord, directive.Input{Title: title, Source: "meeting", MeetingID: m.ID, LeadAgencyCode: lead, DueOn: due})
		if err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	a, b := mk("Phân tích, dự báo tình hình", "SKHCN", "2026-06-30"), mk("Quản lý thuê bao", "VTL", "2026-03-31")
	mk("Tập huấn quản trị hệ thống", "BCH", "2026-09-30")
	member := func(code string) context.Context {
		return as(&access.Principal{UserID: ids[code] + 10, Email: code, AgencyID: ids[code], Roles: []access.Role{access.Analyst}})
	}
	c.set("2026-06-01")
	if _, err := svc.Complete(member("SKHCN"), a, directive.Report{Note: "Đã gửi báo cáo"}); err != nil {
		t.Fatal(err)
	}
	c.set("2026-05-01")
	if _, err := svc.Complete(member("VTL"), b, directive.Report{Note: "Đã xong"}); err != nil {
		t.Fatal(err)
	}
	c.set("2026-11-29")
	b2 := report.NewBuilder("Tiểu ban An toàn, an ninh mạng tỉnh Bình An", map[string]report.Source{
		report.KeyComposition: report.CompositionSource(ag, svc),
		report.KeyMeetings:    report.MeetingsSource(svc),
		report.KeyDirectives:  report.DirectivesSource(svc),
		report.KeyIncidents: report.SourceFunc(func(ctx context.Context, year int) (report.Section, error) {
			tb, ch := report.Breakdown("Sự cố theo mức độ", "Mức độ", []report.KeyCount{{"high", 2}, {"low", 5}}, map[string]string{"high": "Cao", "low": "Thấp"})
			return report.Section{Facts: []report.Fact{{"Tổng số sự cố", "7"}}, Tables: []report.Table{tb}, Charts: []report.Chart{ch}}, nil
		}),
	}, c.now)
	return b2, c
}

func viewer() context.Context {
	return as(&access.Principal{UserID: 99, Email: "xem", AgencyID: 1, Roles: []access.Role{access.Viewer}})
}

func TestAnnualReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b, _ := province(t, db)
		r, err := b.Build(viewer(), 2026)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, s := range r.Sections {
			keys = append(keys, s.Key)
		}
		if diff := cmp.Diff(report.Order, keys); diff != "" {
			t.Errorf("sections (-want +got):\n%s", diff)
		}
		d := r.Section(report.KeyDirectives)
		var outcomes []string
		for _, row := range d.Tables[1].Rows {
			outcomes = append(outcomes, row[1]+": "+row[4])
		}
		want := []string{"BCH: Chưa hoàn thành (quá hạn)", "SKHCN: Hoàn thành đúng hạn", "VTL: Hoàn thành trễ hạn"}
		if diff := cmp.Diff(want, outcomes); diff != "" {
			t.Errorf("directive outcomes (-want +got):\n%s", diff)
		}
		if s := r.Section(report.KeyFraud); s.Available || !strings.Contains(s.Note, "chưa có") || !s.Empty() {
			t.Errorf("fraud section without a source = %+v, want a note and no zeros", s)
		}
		if got := r.Section(report.KeyMeetings).Tables[0].Rows[0]; got[4] != "1" || got[5] != "1" || got[8] != "1234/QĐ-UBND" {
			t.Errorf("meeting row = %q", got)
		}
		if got := r.Section(report.KeyComposition).Tables[0].Rows[0]; got[0] != "Nguyễn Văn Thành" || got[3] != "Trưởng Tiểu ban" {
			t.Errorf("composition row = %q", got)
		}

		var pdf bytes.Buffer
		if err := report.WritePDF(&pdf, r); err != nil {
			t.Fatal(err)
		}
		text := pdfText(t, pdf.Bytes())
		for _, h := range []string{"BÁO CÁO ĐÁNH GIÁ KẾT QUẢ CÔNG TÁC NĂM 2026", "1. Thành phần Tiểu ban", "3. Nhiệm vụ được giao và kết quả thực hiện",
			"4. Sự cố an toàn thông tin mạng", "7. Phản ánh lừa đảo trực tuyến", "Hoàn thành trễ hạn", "Nguyễn Văn Thành", "Chưa hoàn thành (quá hạn)"} {
			if !strings.Contains(text, h) {
				t.Errorf("PDF text lacks %q", h)
			}
		}

		var x bytes.Buffer
		if err := report.WriteXLSX(&x, r); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&x)
		if err != nil {
			t.Fatalf("XLSX does not open: %v", err)
		}
		defer f.Close()
		wantSheets := []string{"Báo cáo", "1. Thành phần", "2. Cuộc họp", "3. Nhiệm vụ", "4. Sự cố", "5. IoC", "6. Cảnh báo", "7. Lừa đảo", "8. Hệ thống thông tin", "9. Đào tạo"}
		if diff := cmp.Diff(wantSheets, f.GetSheetList()); diff != "" {
			t.Errorf("sheets (-want +got):\n%s", diff)
		}
		rows, err := f.GetRows("3. Nhiệm vụ")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(flat(rows), "VTL|Quản lý thuê bao") && !strings.Contains(flat(rows), "Quản lý thuê bao|VTL") {
			t.Errorf("directives sheet lacks the VTL task: %s", flat(rows))
		}
	})
}

func flat(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, "|"))
		b.WriteString("\n")
	}
	return b.String()
}

// pdfText extracts a PDF's text with pdftotext (poppler-utils).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("BULWARK_TEST_SHARED") == "required" {
			t.Fatal("pdftotext (poppler-utils) is required")
		}
		t.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	cmd := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func TestEmptyYear(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b, _ := province(t, db)
		r, err := b.Build(viewer(), 2019)
		if err != nil {
			t.Fatalf("Build(2019) = %v, want an empty report", err)
		}
		if s := r.Section(report.KeyMeetings); !s.Available || len(s.Tables) != 0 || s.Facts[0].Value != "0" {
			t.Errorf("meetings of an empty year = %+v", s)
		}
		if s := r.Section(report.KeyComposition); len(s.Tables) != 0 {
			t.Errorf("composition before the subcommittee existed = %+v", s)
		}
		var pdf, x bytes.Buffer
		if err := report.WritePDF(&pdf, r); err != nil {
			t.Fatal(err)
		}
		if err := report.WriteXLSX(&x, r); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(pdfText(t, pdf.Bytes()), "NĂM 2019") {
			t.Error("empty-year PDF lacks its title")
		}
		_, err = b.Build(viewer(), 1999)
		if errs.FieldOf(err) != "year" {
			t.Errorf("Build(1999) = %v, want an error on year", err)
		}
		_, err = b.Build(context.Background(), 2026)
		if !errs.Is(err, errs.Unauthorized) {
			t.Errorf("anonymous Build = %v", err)
		}
	})
}

func TestCountAndSheetName(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1.000", 1234567: "1.234.567", -4200: "-4.200"} {
		if got := report.Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
	if got := report.SheetName(0, report.Section{Title: "a/b:c?d*e[f]g\\h and a very long tail that overflows"}); got != "1. abcdefgh and a very long ta" || len([]rune(got)) > 31 {
		t.Errorf("SheetName = %q", got)
	}
}
