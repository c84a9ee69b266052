package demo

import (
	"context"
	"fmt"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/agency"
	"bulwark/internal/auth"
	"bulwark/internal/directive"
)

// Directives is the demo step of the subcommittee's work (see Seed).
func Directives(svc *directive.Service, ag *agency.Service, au *auth.Service) func(context.Context) error {
	return func(ctx context.Context) error { return SeedDirectives(ctx, svc, ag, au) }
}

// SeedDirectives records the subcommittee's 2026 annual meeting (with
// decision 78/QĐ-TBATANM) and the directives it gave: the science and
// technology department's review of important systems, done on time and
// accepted; Viettel's subscriber clean-up, done late; Tân Phú district's
// staff training, left to pass its deadline (overdue); and the police's
// quarterly situation report, recurring, with two quarters done. Each
// step runs on the date it happened (the service's clock is moved), so
// outcomes are those of 2026 whatever today is. ctx must carry the
// system principal.
func SeedDirectives(ctx context.Context, svc *directive.Service, ag *agency.Service, au *auth.Service) error {
	as := func(email string) (context.Context, error) {
		u, err := au.UserByEmail(ctx, email)
		if err != nil {
			return nil, fmt.Errorf("demo: user %s: %w", email, err)
		}
		p, err := au.Principal(ctx, u.ID)
		if err != nil {
			return nil, fmt.Errorf("demo: principal %s: %w", email, err)
		}
		return access.With(ctx, p), nil
	}
	on := func(date string) *directive.Service {
		d, _ := time.Parse("2006-01-02", date)
		return svc.At(func() time.Time { return d.Add(3 * time.Hour) }) // 10:00 in the province
	}
	decs, _, err := ag.ListDecisions(ctx, 100, 0)
	if err != nil {
		return fmt.Errorf("demo: directives: %w", err)
	}
	var decision int64
	for _, d := range decs {
		if d.Number == "78/QĐ-TBATANM" {
			decision = d.ID
		}
	}
	coord, err := as("dieuphoi@demo.bulwark.vn")
	if err != nil {
		return err
	}
	people := []directive.Attendee{
		{PersonName: "Nguyễn Văn Thành", PersonTitle: "Chủ tịch UBND tỉnh, Trưởng Tiểu ban", Attendance: directive.Present},
		{PersonName: "Đại tá Hoàng Minh Sơn", PersonTitle: "Giám đốc Công an tỉnh, Phó Trưởng Tiểu ban thường trực", Attendance: directive.Present},
		{PersonName: "Lê Thị Mai", PersonTitle: "Giám đốc Sở Khoa học và Công nghệ", Attendance: directive.Present},
		{PersonName: "Võ Đức Tài", PersonTitle: "Giám đốc Viettel Bình An", Attendance: directive.Delegated, DelegateName: "Phạm Quốc Việt, Phó Giám đốc"},
		{PersonName: "Trần Văn Hùng", PersonTitle: "Chủ tịch UBND huyện Tân Phú", Attendance: directive.Absent},
		{PersonName: "Chuyên gia Trung tâm Giám sát an toàn không gian mạng quốc gia", Attendance: directive.Present, Guest: true},
	}
	codes := []string{"UBND", "CAT", "SKHCN", "VTL", "HTP", ""}
	for i, c := range codes {
		if c == "" {
			continue
		}
		if a, err := ag.AgencyByCode(ctx, c); err == nil {
			people[i].AgencyID = a.ID
		}
	}
	in := directive.MeetingInput{Title: "Hội nghị Tiểu ban An toàn, an ninh mạng tỉnh năm 2026", Kind: directive.MeetingAnnual,
		HeldOn: "2026-01-20", StartTime: "08:00", Place: "Hội trường UBND tỉnh Bình An", Chair: "Nguyễn Văn Thành, Trưởng Tiểu ban",
		Agenda: "1. Đánh giá kết quả năm 2025\n2. Phương hướng, nhiệm vụ năm 2026\n3. Phân công nhiệm vụ thành viên",
		Minutes: "## Kết luận\n\nTiểu ban **thống nhất** đánh giá năm 2025 và giao nhiệm vụ năm 2026 theo Quyết định 78/QĐ-TBATANM:\n\n" +
			"- Sở Khoa học và Công nghệ rà soát các hệ thống thông tin quan trọng;\n- Viettel Bình An siết chặt quản lý thuê bao;\n" +
			"- UBND huyện Tân Phú tập huấn cho cán bộ;\n- Công an tỉnh báo cáo tình hình hằng quý.",
		Attendees: people}
	if decision != 0 {
		in.DecisionIDs = []int64{decision}
	}
	m, err := on("2026-01-20").CreateMeeting(coord, in)
	if err != nil {
		return fmt.Errorf("demo: meeting: %w", err)
	}
	issue := func(title, desc, lead, due, recurrence, until string) (int64, error) {
		d, err := on("2026-01-20").Create(coord, directive.Input{Title: title, Description: desc, Source: directive.SourceMeeting,
			MeetingID: m.ID, DecisionID: decision, PlanYear: 2026, Visibility: directive.VisibleSubcommittee, Priority: "high",
			LeadAgencyCode: lead, DueOn: due, Recurrence: recurrence, Until: until})
		if err != nil {
			return 0, fmt.Errorf("demo: directive %q: %w", title, err)
		}
		return d.ID, nil
	}
	skhcnID, err := issue("Rà soát, phê duyệt cấp độ các hệ thống thông tin quan trọng",
		"Rà soát toàn bộ hệ thống thông tin của các sở, ngành; hoàn thiện hồ sơ đề xuất cấp độ.", "SKHCN", "2026-06-30", "", "")
	if err != nil {
		return err
	}
	vtlID, err := issue("Chuẩn hóa thông tin thuê bao di động trên địa bàn",
		"Rà soát, chuẩn hóa thuê bao; khóa thuê bao không chính chủ dùng để lừa đảo.", "VTL", "2026-03-31", "", "")
	if err != nil {
		return err
	}
	if _, err := issue("Tập huấn an toàn thông tin cho cán bộ cấp xã",
		"Tổ chức ít nhất một lớp tập huấn cho cán bộ, công chức cấp xã.", "HTP", "2026-09-30", "", ""); err != nil {
		return err
	}
	catID, err := issue("Báo cáo tình hình an ninh mạng hằng quý",
		"Phân tích, dự báo tình hình an ninh mạng trên địa bàn; gửi Tiểu ban trước ngày 20 tháng cuối quý.", "CAT", "", "quarterly:20", "2026-12-31")
	if err != nil {
		return err
	}

	skhcn, err := as("phantich.skhcn@demo.bulwark.vn")
	if err != nil {
		return err
	}
	vtl, err := as("lienlac.vtl@demo.bulwark.vn")
	if err != nil {
		return err
	}
	analyst, err := as("phantich@demo.bulwark.vn")
	if err != nil {
		return err
	}
	pct := func(n int) *int { return &n }
	steps := []struct {
		date string
		do   func(s *directive.Service) error
	}{
		{"2026-01-22", func(s *directive.Service) error { _, err := s.Acknowledge(skhcn, skhcnID); return err }},
		{"2026-01-25", func(s *directive.Service) error { _, err := s.Acknowledge(vtl, vtlID); return err }},
		{"2026-03-15", func(s *directive.Service) error {
			_, err := s.Progress(skhcn, skhcnID, directive.Report{Note: "Đã rà soát 12/20 hệ thống; 3 hệ thống thiếu hồ sơ.", Percent: pct(60)})
			return err
		}},
		{"2026-03-18", func(s *directive.Service) error {
			_, err := s.Complete(analyst, catID, directive.Report{Note: "Báo cáo quý I/2026 đã gửi Tiểu ban."})
			return err
		}},
		{"2026-03-25", func(s *directive.Service) error {
			_, err := s.Progress(vtl, vtlID, directive.Report{Note: "Còn 4.200 thuê bao chưa chuẩn hóa; chi tiết theo danh sách nội bộ.", Percent: pct(80), Restricted: true})
			return err
		}},
		{"2026-04-10", func(s *directive.Service) error {
			_, err := s.Complete(vtl, vtlID, directive.Report{Note: "Đã chuẩn hóa, khóa 1.350 thuê bao không chính chủ."})
			return err
		}},
		{"2026-04-12", func(s *directive.Service) error { _, err := s.Accept(coord, vtlID, 0); return err }},
		{"2026-06-19", func(s *directive.Service) error {
			_, err := s.Complete(analyst, catID, directive.Report{Note: "Báo cáo quý II/2026 đã gửi Tiểu ban."})
			return err
		}},
		{"2026-06-20", func(s *directive.Service) error {
			_, err := s.Complete(skhcn, skhcnID, directive.Report{Note: "Đã rà soát 20/20 hệ thống; trình phê duyệt cấp độ 6 hệ thống."})
			return err
		}},
		{"2026-06-22", func(s *directive.Service) error { _, err := s.Accept(coord, skhcnID, 0); return err }},
	}
	for _, st := range steps {
		if err := st.do(on(st.date)); err != nil {
			return fmt.Errorf("demo: directive step of %s: %w", st.date, err)
		}
	}
	return nil
}
