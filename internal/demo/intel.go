package demo

import (
	"context"
	"fmt"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/agency"
	"bulwark/internal/auth"
	"bulwark/internal/intel"
)

// Intel returns the demo step of threat intelligence, for Seed.
func Intel(svc *intel.Service, ag *agency.Service, au *auth.Service) func(context.Context) error {
	return func(ctx context.Context) error { return SeedIntel(ctx, svc, ag, au) }
}

// demoIndicator is one report of the demo province. The values are made
// up for the demo: documentation address ranges (RFC 5737, RFC 3849),
// invented look-alike domains and hashes of harmless strings.
type demoIndicator struct {
	agency, typ, value string
	tlp                access.TLP
	confidence         int
	tags               []string
	desc               string
	daysAgo            int    // first seen
	validDays          int    // expiry after first seen; 0 none, negative: already expired
	share              string // agency code an AMBER entry is shared with
}

var demoIndicators = []demoIndicator{
	// The standing agency (provincial police cyber unit) shares the most.
	{"CAT", "domain", "dichvucong-binhan.top", access.Green, 90, []string{"phishing", "dvc"}, "Trang giả mạo Cổng dịch vụ công tỉnh, gửi qua SMS", 3, 90, ""},
	{"CAT", "url", "http://dichvucong-binhan.top/dang-nhap", access.Green, 90, []string{"phishing", "dvc"}, "Trang đăng nhập giả mạo", 3, 90, ""},
	{"CAT", "domain", "evnbinhan-thanhtoan.xyz", access.Green, 85, []string{"phishing", "evn"}, "Giả mạo thông báo tiền điện", 6, 60, ""},
	{"CAT", "domain", "khobac-xacthuc.top", access.Green, 80, []string{"phishing", "kho-bac"}, "Giả mạo Kho bạc, thu thập tài khoản DVC", 9, 60, ""},
	{"CAT", "ipv4", "198.51.100.77", access.Amber, 75, []string{"webshell", "c2"}, "Máy gửi lệnh tới webshell trên cổng TP Bình An", 12, 30, "TPBA"},
	{"CAT", "ipv4", "203.0.113.45", access.Green, 70, []string{"scanner", "sqlmap"}, "Dò quét lỗ hổng các cổng thông tin", 2, 14, ""},
	{"CAT", "cidr", "198.51.100.0/27", access.Amber, 60, []string{"bulletproof-hosting"}, "Dải máy chủ thuê của nhóm lừa đảo", 20, 0, "SKHCN"},
	{"CAT", "phone", "0896 123 456", access.Green, 85, []string{"lua-dao", "gia-danh-cong-an"}, "Số giả danh công an gọi yêu cầu chuyển tiền", 4, 0, ""},
	{"CAT", "phone", "+84 24 7300 9999", access.Green, 60, []string{"lua-dao"}, "Số tổng đài giả mạo ngân hàng", 11, 0, ""},
	{"CAT", "email", "hotro@khobac-xacthuc.top", access.Green, 80, []string{"phishing"}, "Hộp thư gửi thư giả mạo", 9, 60, ""},
	{"CAT", "sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", access.AmberStrict, 95, []string{"ransomware"}, "Mã độc mã hoá dữ liệu, đang điều tra", 1, 0, ""},
	{"CAT", "md5", "098f6bcd4621d373cade4e832627b4f6", access.Red, 95, []string{"apt"}, "Công cụ của nhóm APT, chỉ người được nêu tên", 1, 0, ""},
	{"CAT", "asn", "AS64500", access.Amber, 50, []string{"hosting"}, "Mạng của nhà cung cấp chứa nhiều máy chủ lừa đảo", 30, 0, ""},
	{"CAT", "domain", "zalo-baomat.click", access.Green, 80, []string{"phishing", "zalo"}, "Giả mạo trang bảo mật Zalo", 16, -5, ""},
	{"CAT", "domain", "tracuu-phatnguoi-csgt.top", access.Clear, 90, []string{"phishing", "cong-khai"}, "Cảnh báo công khai: trang tra cứu phạt nguội giả mạo", 4, 90, ""},
	{"CAT", "url", "https://tracuu-phatnguoi-csgt.top/nop-phat", access.Clear, 90, []string{"phishing", "cong-khai"}, "Cảnh báo công khai cho người dân", 4, 90, ""},
	// The Department of Science and Technology runs the data centre.
	{"SKHCN", "ipv4", "192.0.2.66", access.Amber, 80, []string{"c2", "beacon"}, "Máy điều khiển mà máy chủ TTDL gọi ra", 8, 30, "CAT"},
	{"SKHCN", "ipv6", "2001:db8:bad::66", access.Amber, 60, []string{"c2"}, "Địa chỉ IPv6 cùng nhóm điều khiển", 8, 30, ""},
	{"SKHCN", "filename", "update_ttdl.exe", access.Green, 55, []string{"dropper"}, "Tệp thả mã độc qua thư", 10, 0, ""},
	{"SKHCN", "sha1", "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", access.Green, 70, []string{"dropper"}, "Mã băm của update_ttdl.exe", 10, 0, ""},
	{"SKHCN", "url", "https://cdn-capnhat.top/update_ttdl.exe", access.Green, 70, []string{"dropper"}, "Nơi tải tệp thả mã độc", 10, 45, ""},
	{"SKHCN", "domain", "cdn-capnhat.top", access.Green, 70, []string{"dropper"}, "", 10, 45, ""},
	// Districts and the city report what their portals saw.
	{"TPBA", "url", "http://tpbinhan.gov.vn/wp-content/plugins/old-gallery/up.php", access.Amber, 90, []string{"webshell"}, "Webshell trên cổng TP Bình An", 12, 0, "CAT"},
	{"TPBA", "ipv4", "198.51.100.23", access.Green, 50, []string{"brute-force", "rdp"}, "Dò mật khẩu RDP", 5, 14, ""},
	{"HTP", "ipv4", "203.0.113.120", access.Green, 45, []string{"brute-force"}, "Dò mật khẩu cổng một cửa", 7, 14, ""},
	{"HLD", "domain", "motcua-longdien.online", access.Green, 65, []string{"phishing"}, "Giả mạo cổng một cửa huyện", 13, 30, ""},
	// Banks and telecoms share fraud identifiers.
	{"VCB", "domain", "vcb-digibank-xacthuc.com", access.Green, 90, []string{"phishing", "ngan-hang"}, "Giả mạo ngân hàng điện tử", 2, 60, ""},
	{"VCB", "url", "https://vcb-digibank-xacthuc.com/otp", access.Green, 90, []string{"phishing", "ngan-hang"}, "Trang lấy OTP", 2, 60, ""},
	{"BIDV", "domain", "bidv-smartbanking.vip", access.Green, 85, []string{"phishing", "ngan-hang"}, "Giả mạo ứng dụng ngân hàng", 5, 60, ""},
	{"BIDV", "email", "cskh@bidv-smartbanking.vip", access.Amber, 70, []string{"phishing"}, "", 5, 60, "CAT"},
	{"VTL", "phone", "0868 555 012", access.Green, 75, []string{"lua-dao", "sim-rac"}, "Thuê bao phát tán tin nhắn giả mạo", 1, 30, ""},
	{"VTL", "phone", "0868 555 013", access.Green, 75, []string{"lua-dao", "sim-rac"}, "Thuê bao cùng lô", 1, 30, ""},
	{"VNPT", "domain", "vnpt-khuyenmai.shop", access.Green, 70, []string{"phishing"}, "Giả mạo khuyến mãi nhà mạng", 14, 30, ""},
	{"MBF", "ipv4", "203.0.113.200", access.Amber, 55, []string{"sms-brandname"}, "Máy gửi tin nhắn thương hiệu giả", 6, 30, "CAT"},
	// The military command reports a tool seen on its network.
	{"BCHQS", "sha256", "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", access.AmberStrict, 85, []string{"apt"}, "Công cụ do thám", 18, 0, ""},
	// A second report of a value merges into the first indicator.
	{"SKHCN", "domain", "dichvucong-binhan.top", access.Green, 80, []string{"phishing"}, "Người dân báo qua đường dây nóng Sở", 2, 90, ""},
	{"TPBA", "ipv4", "203.0.113.45", access.Green, 65, []string{"scanner"}, "Cùng máy dò quét cổng TP", 1, 14, ""},
}

var demoSightings = []struct {
	agency, typ, value, location string
	count                        int64
	daysAgo                      int
}{
	{"SKHCN", "ipv4", "192.0.2.66", "IDS Trung tâm dữ liệu tỉnh", 42, 1},
	{"TPBA", "ipv4", "203.0.113.45", "Nginx cổng dịch vụ công TP", 118, 1},
	{"HTP", "ipv4", "203.0.113.45", "Tường lửa UBND huyện Tân Phú", 7, 2},
	{"VNPT", "domain", "dichvucong-binhan.top", "DNS resolver VNPT Bình An", 356, 1},
	{"VTL", "domain", "dichvucong-binhan.top", "DNS resolver Viettel Bình An", 212, 1},
	{"VCB", "domain", "vcb-digibank-xacthuc.com", "Phản ánh của khách hàng", 15, 2},
	{"HLD", "domain", "motcua-longdien.online", "Proxy UBND huyện Long Điền", 4, 5},
}

// SeedIntel shares a few dozen indicators of every type and TLP from
// several agencies (two values are reported twice and merge; one is
// revoked; one has expired), records sightings, and so gives the
// dashboard's figure and the related incidents of the demo something to
// show. ctx must carry the system principal.
func SeedIntel(ctx context.Context, svc *intel.Service, ag *agency.Service, au *auth.Service) error {
	if svc == nil {
		return nil
	}
	now := time.Now().UTC().Truncate(time.Second)
	ids := map[string]int64{}
	agencyID := func(code string) (int64, error) {
		if id, ok := ids[code]; ok {
			return id, nil
		}
		a, err := ag.AgencyByCode(ctx, code)
		if err != nil {
			return 0, fmt.Errorf("demo: intel agency %s: %w", code, err)
		}
		ids[code] = a.ID
		return a.ID, nil
	}
	var redPeople []int64
	if au != nil {
		if u, err := au.UserByEmail(ctx, "phantich@demo.bulwark.vn"); err == nil {
			redPeople = append(redPeople, u.ID)
		}
	}
	var ins []intel.Input
	for _, d := range demoIndicators {
		owner, err := agencyID(d.agency)
		if err != nil {
			return err
		}
		first := now.AddDate(0, 0, -d.daysAgo)
		last := now.AddDate(0, 0, -d.daysAgo/3)
		conf := d.confidence
		in := intel.Input{Type: d.typ, Value: d.value, TLP: d.tlp, Confidence: &conf, Tags: d.tags, Description: d.desc,
			Source: "demo", AgencyID: owner, FirstSeen: &first, LastSeen: &last}
		if d.validDays != 0 {
			until := first.AddDate(0, 0, d.validDays)
			if d.validDays < 0 {
				until = now.AddDate(0, 0, d.validDays)
			}
			in.ValidUntil = &until
		}
		if d.share != "" {
			sid, err := agencyID(d.share)
			if err != nil {
				return err
			}
			in.ShareWith = []int64{sid}
		}
		if d.tlp == access.Red {
			in.People = redPeople
		}
		ins = append(ins, in)
	}
	outs, err := svc.Submit(ctx, ins)
	if err != nil {
		return fmt.Errorf("demo: indicators: %w", err)
	}
	for i, o := range outs {
		if o.Err != nil {
			return fmt.Errorf("demo: indicator %s: %w", ins[i].Value, o.Err)
		}
	}
	// A district withdraws a report that proved wrong.
	for i, d := range demoIndicators {
		if d.agency == "HTP" && d.value == "203.0.113.120" {
			if _, err := svc.ChangeIndicators(ctx, []int64{outs[i].IndicatorID}, intel.Change{Action: intel.ActionRevoke, Reason: "Địa chỉ của đơn vị kiểm thử được thuê, không phải kẻ tấn công"}); err != nil {
				return fmt.Errorf("demo: revoke: %w", err)
			}
		}
	}
	var sights []intel.SightingInput
	for _, s := range demoSightings {
		aid, err := agencyID(s.agency)
		if err != nil {
			return err
		}
		at := now.AddDate(0, 0, -s.daysAgo)
		sights = append(sights, intel.SightingInput{Type: s.typ, Value: s.value, Location: s.location, Count: s.count, AgencyID: aid,
			FirstSeen: &at, LastSeen: &at, TLP: access.Green, Source: "demo"})
	}
	if _, err := svc.RecordSightings(ctx, sights); err != nil {
		return fmt.Errorf("demo: sightings: %w", err)
	}
	return nil
}
