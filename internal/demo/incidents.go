package demo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/agency"
	"bulwark/internal/auth"
	"bulwark/internal/incident"
)

// Incidents returns the seeding step that files the demo incidents, for
// Seed's steps: demo.Seed(ctx, ag, au, demo.Incidents(svc, ag, au)).
func Incidents(svc *incident.Service, ag *agency.Service, au *auth.Service) func(context.Context) error {
	return func(ctx context.Context) error { return SeedIncidents(ctx, svc, ag, au) }
}

// SeedIncidents files a few realistic incidents in the demo province, each
// by the demo account that would really do it, and moves them along the
// workflow: a defaced city portal under investigation with a task for the
// Department of Science and Technology, a ransomware outbreak at the
// hospital (contained), a phishing campaign not yet acknowledged, a DDoS
// on the public-service portal closed with its closing report, and a
// compromised mailbox. Their steps get realistic times (acknowledged,
// contained, closed at different offsets after detection), and the
// hospital's and the portal's incidents are linked to their inventory
// systems when SeedSystems ran before. ctx must carry the system
// principal.
func SeedIncidents(ctx context.Context, svc *incident.Service, ag *agency.Service, au *auth.Service) error {
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
	agencyID := func(code string) int64 {
		a, err := ag.AgencyByCode(ctx, code)
		if err != nil {
			return 0
		}
		return a.ID
	}
	now := time.Now()
	type step struct {
		who string
		do  func(c context.Context, inc incident.Incident) error
	}
	transition := func(to incident.Status, note string) func(context.Context, incident.Incident) error {
		return func(c context.Context, inc incident.Incident) error {
			_, err := svc.Transition(c, inc.ID, to, note)
			return err
		}
	}
	task := func(title, agencyCode string, due time.Duration) func(context.Context, incident.Incident) error {
		return func(c context.Context, inc incident.Incident) error {
			d := now.Add(due)
			_, err := svc.AddTask(c, inc.ID, incident.TaskInput{Title: title, AgencyID: agencyID(agencyCode), DueAt: &d})
			return err
		}
	}
	observable := func(typ, value string, indicator bool) func(context.Context, incident.Incident) error {
		return func(c context.Context, inc incident.Incident) error {
			_, err := svc.AddObservable(c, inc.ID, incident.ObservableInput{Type: typ, Value: value, IsIndicator: indicator})
			return err
		}
	}
	comment := func(body string) func(context.Context, incident.Incident) error {
		return func(c context.Context, inc incident.Incident) error {
			_, err := svc.Comment(c, inc.ID, body)
			return err
		}
	}
	closing := func(results string) func(context.Context, incident.Incident) error {
		return func(c context.Context, inc incident.Incident) error {
			d, err := svc.Draft(c, inc.ID, incident.ReportClosing)
			if err != nil {
				return err
			}
			d.Results, d.Helpers = results, "Công an tỉnh Bình An; Viettel Bình An"
			d.Signer, d.SignerTitle = "Lê Thị Minh Hạnh", "Giám đốc Sở Khoa học và Công nghệ"
			_, err = svc.AddReport(c, inc.ID, d)
			return err
		}
	}
	// at is a time relative to the incident's detection, for the real
	// times of its steps (the workflow stamps each step when the demo
	// takes it, all within the same second).
	at := func(in incident.Input, d time.Duration) time.Time { return in.DetectedAt.Add(d) }
	demo := []struct {
		reporter string
		in       incident.Input
		steps    []step
		// systems name the inventory systems the incident hit, linked when
		// the inventory has them (it is seeded first by bulwark demo).
		systems []string
		history func(in incident.Input) incident.History
	}{
		{
			reporter: "baocao.tpba@demo.bulwark.vn",
			in: incident.Input{
				Title:           "Cổng thông tin điện tử thành phố bị thay đổi giao diện",
				Description:     "Khoảng **06:30** trang chủ `tpbinhan.gov.vn` hiển thị nội dung lạ và ảnh không rõ nguồn gốc.\n\n- Các trang con vẫn truy cập được\n- Nghi ngờ khai thác plugin CMS cũ",
				Category:        "information-content-security/unauthorised-information-modification",
				Severity:        incident.SeverityHigh,
				SystemLevel:     3,
				AffectedSystems: "Cổng thông tin điện tử UBND thành phố Bình An",
				AffectedAddrs:   "tpbinhan.gov.vn, 203.0.113.25",
				Operator:        "Phòng Văn hóa - Thông tin thành phố",
				SystemOwner:     "UBND thành phố Bình An",
				Provider:        "VNPT Bình An",
				Measures:        "Đã chuyển trang chủ sang trang bảo trì.",
				DetectedAt:      now.Add(-26 * time.Hour),
				Playbook:        "defacement",
			},
			steps: []step{
				{"dieuphoi@demo.bulwark.vn", transition(incident.StatusAcknowledged, "Đã tiếp nhận, giao Sở KH&CN hỗ trợ phân tích")},
				{"dieuphoi@demo.bulwark.vn", task("Ngăn chặn: rà soát web shell, cô lập máy chủ web", "SKHCN", 24*time.Hour)},
				{"dieuphoi@demo.bulwark.vn", transition(incident.StatusInvestigating, "")},
				{"baocao.tpba@demo.bulwark.vn", observable("ipv4", "198.51.100.77", true)},
				{"baocao.tpba@demo.bulwark.vn", observable("url", "http://tpbinhan.gov.vn/wp-content/plugins/old-gallery/up.php", true)},
				{"phantich.skhcn@demo.bulwark.vn", comment("Tìm thấy web shell `up.php` trong thư mục plugin; đã lưu mẫu.")},
			},
			history: func(in incident.Input) incident.History {
				return incident.History{ReportedAt: at(in, 90*time.Minute), AcknowledgedAt: at(in, 135*time.Minute)}
			},
		},
		{
			reporter: "baocao.bvdk@demo.bulwark.vn",
			in: incident.Input{
				Title:           "Mã độc mã hóa dữ liệu trên máy chủ bệnh án điện tử",
				Description:     "Nhiều tệp trên máy chủ lưu trữ bị đổi đuôi `.lockbit`, xuất hiện thư đòi tiền chuộc.",
				Category:        "malicious-code/infected-system",
				Severity:        incident.SeverityCritical,
				SystemLevel:     3,
				Effects:         []incident.Effect{incident.EffectInterruption},
				TLP:             access.AmberStrict,
				AffectedSystems: "Hệ thống bệnh án điện tử",
				AffectedAddrs:   "10.20.0.15",
				Operator:        "Phòng Công nghệ thông tin, Bệnh viện Đa khoa tỉnh",
				SystemOwner:     "Sở Y tế",
				DetectedAt:      now.Add(-50 * time.Hour),
				Playbook:        "ransomware",
			},
			steps: []step{
				{"dieuphoi@demo.bulwark.vn", transition(incident.StatusAcknowledged, "")},
				{"baocao.bvdk@demo.bulwark.vn", observable("sha256", "3f2b1c7e9a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7", true)},
				{"baocao.bvdk@demo.bulwark.vn", observable("ipv4", "192.0.2.66", true)},
				{"dieuphoi@demo.bulwark.vn", transition(incident.StatusContained, "Đã cách ly các máy bị nhiễm")},
			},
			systems: []string{"Hệ thống thông tin bệnh viện (HIS)"},
			history: func(in incident.Input) incident.History {
				return incident.History{ReportedAt: at(in, 40*time.Minute), AcknowledgedAt: at(in, 65*time.Minute), ContainedAt: at(in, 20*time.Hour)}
			},
		},
		{
			reporter: "baocao.htp@demo.bulwark.vn",
			in: incident.Input{
				Title:           "Thư giả mạo Kho bạc Nhà nước gửi cán bộ huyện",
				Description:     "Cán bộ nhận thư yêu cầu đăng nhập lại tài khoản công vụ qua đường dẫn lạ.",
				Category:        "fraud/phishing",
				Severity:        incident.SeverityMedium,
				AffectedSystems: "Hệ thống thư điện tử công vụ huyện Tân Phú",
				DetectedAt:      now.Add(-3 * time.Hour),
				Playbook:        "phishing",
			},
			steps: []step{
				{"baocao.htp@demo.bulwark.vn", observable("domain", "khobac-xacthuc.top", true)},
				{"baocao.htp@demo.bulwark.vn", observable("email", "thongbao@khobac-xacthuc.top", false)},
			},
			history: func(in incident.Input) incident.History {
				return incident.History{ReportedAt: at(in, 35*time.Minute)}
			},
		},
		{
			reporter: "phantich.skhcn@demo.bulwark.vn",
			in: incident.Input{
				Title:           "Tấn công từ chối dịch vụ Cổng dịch vụ công tỉnh",
				Description:     "Lưu lượng tăng đột biến tới 12 Gbps từ nhiều nguồn nước ngoài, cổng dịch vụ công gián đoạn 40 phút.",
				Category:        "availability/ddos",
				Severity:        incident.SeverityHigh,
				SystemLevel:     3,
				TLP:             access.Green,
				AffectedSystems: "Cổng dịch vụ công tỉnh Bình An",
				AffectedAddrs:   "dichvucong.binhan.gov.vn",
				Provider:        "Viettel Bình An",
				DetectedAt:      now.Add(-9 * 24 * time.Hour),
			},
			steps: []step{
				{"dieuphoi@demo.bulwark.vn", transition(incident.StatusAcknowledged, "")},
				{"dieuphoi@demo.bulwark.vn", task("Phối hợp lọc lưu lượng tấn công", "VTL", -7*24*time.Hour)},
				{"phantich.skhcn@demo.bulwark.vn", transition(incident.StatusRecovered, "Dịch vụ hoạt động bình thường")},
				{"phantich.skhcn@demo.bulwark.vn", closing("Lưu lượng tấn công được lọc tại nhà mạng; bổ sung dịch vụ chống DDoS.")},
				{"dieuphoi@demo.bulwark.vn", transition(incident.StatusClosed, "Đã nhận báo cáo kết thúc")},
			},
			systems: []string{"Cổng dịch vụ công tỉnh Bình An"},
			// Contained after 6 hours, recovered a week later; the closing
			// report and the closure are today's.
			history: func(in incident.Input) incident.History {
				return incident.History{ReportedAt: at(in, time.Hour), AcknowledgedAt: at(in, 80*time.Minute), ContainedAt: at(in, 6*time.Hour),
					ResolvedAt: at(in, 8*24*time.Hour)}
			},
		},
		{
			reporter: "baocao.hld@demo.bulwark.vn",
			in: incident.Input{
				Title:       "Tài khoản thư công vụ bị chiếm, gửi thư rác",
				Description: "Một tài khoản thư của Văn phòng huyện gửi hàng trăm thư rác trong đêm.",
				Category:    "intrusions/unprivileged-account-compromise",
				Severity:    incident.SeverityLow,
				DetectedAt:  now.Add(-30 * time.Hour),
				Playbook:    "account-compromise",
			},
			steps: []step{
				{"dieuphoi@demo.bulwark.vn", transition(incident.StatusAcknowledged, "")},
			},
			history: func(in incident.Input) incident.History {
				return incident.History{ReportedAt: at(in, 2*time.Hour), AcknowledgedAt: at(in, 5*time.Hour)}
			},
		},
	}
	for _, d := range demo {
		c, err := as(d.reporter)
		if err != nil {
			return err
		}
		if len(d.systems) > 0 {
			known, err := svc.LinkableSystems(c)
			if err != nil {
				return fmt.Errorf("demo: systems: %w", err)
			}
			for _, k := range known {
				if slices.Contains(d.systems, k.Name) {
					d.in.SystemIDs = append(d.in.SystemIDs, k.ID)
				}
			}
		}
		inc, err := svc.Create(c, d.in)
		if err != nil {
			return fmt.Errorf("demo: incident %q: %w", d.in.Title, err)
		}
		for i, s := range d.steps {
			c, err := as(s.who)
			if err != nil {
				return err
			}
			if err := s.do(c, inc); err != nil {
				return fmt.Errorf("demo: incident %s step %d: %w", inc.Ref, i+1, err)
			}
		}
		if d.history != nil {
			if _, err := svc.RecordHistory(ctx, inc.ID, d.history(d.in)); err != nil {
				return fmt.Errorf("demo: incident %s times: %w", inc.Ref, err)
			}
		}
	}
	return nil
}
