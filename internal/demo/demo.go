// Package demo seeds the demo province: a provincial Cyber Security and
// Safety Subcommittee with its working group, about fifteen agencies, their
// decisions, and accounts that let a newcomer play every part. Everything
// goes through the services, so the demo data obeys the same rules and lands
// in the audit log like any other.
package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"

	"bulwark/internal/access"
	"bulwark/internal/agency"
	"bulwark/internal/auth"
)

// Account is one demo login.
type Account struct {
	Role       access.Role
	Email      string
	Password   string
	AgencyCode string
	Name       string
}

// Line is the account as printed by `bulwark demo`: ROLE EMAIL PASSWORD AGENCY-CODE.
func (a Account) Line() string {
	return fmt.Sprintf("%s %s %s %s", a.Role, a.Email, a.Password, a.AgencyCode)
}

// The demo province's agencies, in creation order (parents first).
var agencies = []agency.AgencyInput{
	{Code: "UBND", NameVI: "Ủy ban nhân dân tỉnh Bình An", NameEN: "Binh An Provincial People's Committee", Kind: agency.KindOther, Address: "1 Đường Trần Hưng Đạo, TP Bình An", ContactName: "Văn phòng UBND tỉnh", ContactPhone: "0203 3812 001", ContactEmail: "vanphong@binhan.gov.vn"},
	{Code: "CAT", NameVI: "Công an tỉnh Bình An", NameEN: "Binh An Provincial Police", Kind: agency.KindStanding, Address: "25 Đường Lê Lợi, TP Bình An", ContactName: "Phòng An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao", ContactPhone: "0203 3812 113", ContactEmail: "anm@congan.binhan.gov.vn"},
	{Code: "SKHCN", NameVI: "Sở Khoa học và Công nghệ", NameEN: "Department of Science and Technology", Kind: agency.KindDepartment, ParentCode: "UBND", Address: "12 Đường Nguyễn Du, TP Bình An", ContactName: "Trung tâm Chuyển đổi số", ContactPhone: "0203 3812 250", ContactEmail: "cds@skhcn.binhan.gov.vn"},
	{Code: "STTTT", NameVI: "Sở Thông tin và Truyền thông", NameEN: "Department of Information and Communications", Kind: agency.KindDepartment, ParentCode: "UBND", Address: "14 Đường Nguyễn Du, TP Bình An"},
	{Code: "BCHQS", NameVI: "Bộ Chỉ huy Quân sự tỉnh", NameEN: "Provincial Military Command", Kind: agency.KindMilitary, Address: "Đường 30/4, TP Bình An", ContactName: "Ban Tác chiến điện tử", ContactPhone: "0203 3812 300", ContactEmail: "tacchien@bchqs.binhan.gov.vn"},
	{Code: "BTGDV", NameVI: "Ban Tuyên giáo và Dân vận Tỉnh ủy", NameEN: "Provincial Party Propaganda and Mass Mobilisation Commission", Kind: agency.KindDepartment, Address: "3 Đường Hùng Vương, TP Bình An", ContactPhone: "0203 3812 410", ContactEmail: "tuyengiao@binhan.dcs.vn"},
	{Code: "SYT", NameVI: "Sở Y tế", NameEN: "Department of Health", Kind: agency.KindDepartment, ParentCode: "UBND", Address: "8 Đường Hai Bà Trưng, TP Bình An", ContactPhone: "0203 3812 500", ContactEmail: "syt@binhan.gov.vn"},
	{Code: "TPBA", NameVI: "UBND thành phố Bình An", NameEN: "Binh An City People's Committee", Kind: agency.KindDistrict, ParentCode: "UBND", Address: "2 Đường Quang Trung, TP Bình An", ContactName: "Phòng Văn hóa - Thông tin", ContactPhone: "0203 3822 100", ContactEmail: "cntt@tpbinhan.gov.vn"},
	{Code: "HTP", NameVI: "UBND huyện Tân Phú", NameEN: "Tan Phu District People's Committee", Kind: agency.KindDistrict, ParentCode: "UBND", Address: "Thị trấn Tân Phú", ContactPhone: "0203 3833 100", ContactEmail: "cntt@tanphu.binhan.gov.vn"},
	{Code: "HLD", NameVI: "UBND huyện Long Điền", NameEN: "Long Dien District People's Committee", Kind: agency.KindDistrict, ParentCode: "UBND", Address: "Thị trấn Long Điền", ContactPhone: "0203 3844 100", ContactEmail: "cntt@longdien.binhan.gov.vn"},
	{Code: "BVDK", NameVI: "Bệnh viện Đa khoa tỉnh Bình An", NameEN: "Binh An General Hospital", Kind: agency.KindOther, ParentCode: "SYT", Address: "90 Đường Lý Thường Kiệt, TP Bình An", ContactName: "Phòng Công nghệ thông tin", ContactPhone: "0203 3855 115", ContactEmail: "cntt@bvdk.binhan.gov.vn"},
	{Code: "VTL", NameVI: "Viettel Bình An", NameEN: "Viettel Binh An", Kind: agency.KindTelecom, Address: "40 Đường Lê Lợi, TP Bình An", ContactName: "Trực an ninh mạng", ContactPhone: "0203 6250 000", ContactEmail: "atm.binhan@viettel.com.vn"},
	{Code: "VNPT", NameVI: "VNPT Bình An (VinaPhone)", NameEN: "VNPT Binh An (VinaPhone)", Kind: agency.KindTelecom, Address: "6 Đường Trần Phú, TP Bình An", ContactName: "Trung tâm Điều hành thông tin", ContactPhone: "0203 3800 800", ContactEmail: "ir.binhan@vnpt.vn"},
	{Code: "MBF", NameVI: "MobiFone Bình An", NameEN: "MobiFone Binh An", Kind: agency.KindTelecom, Address: "18 Đường Trần Phú, TP Bình An", ContactPhone: "0203 3900 900", ContactEmail: "binhan@mobifone.vn"},
	{Code: "VCB", NameVI: "Vietcombank chi nhánh Bình An", NameEN: "Vietcombank Binh An Branch", Kind: agency.KindBank, Address: "5 Đường Hùng Vương, TP Bình An", ContactPhone: "0203 3866 866", ContactEmail: "binhan@vietcombank.com.vn"},
	{Code: "BIDV", NameVI: "BIDV chi nhánh Bình An", NameEN: "BIDV Binh An Branch", Kind: agency.KindBank, Address: "7 Đường Hùng Vương, TP Bình An", ContactPhone: "0203 3877 877", ContactEmail: "binhan@bidv.com.vn"},
}

type person struct {
	body, role, name, title, agency, decision string
	from                                      string
}

var members = []person{
	{"TB-ATANM", "head", "Nguyễn Văn Thành", "Chủ tịch UBND tỉnh", "UBND", "1234/QĐ-UBND", "2025-03-15"},
	{"TB-ATANM", "deputy_head", "Trần Quốc Hùng", "Giám đốc Công an tỉnh", "CAT", "1234/QĐ-UBND", "2025-03-15"},
	{"TB-ATANM", "deputy_head", "Lê Thị Minh Hạnh", "Giám đốc Sở Khoa học và Công nghệ", "SKHCN", "1234/QĐ-UBND", "2025-03-15"},
	{"TB-ATANM", "member", "Phạm Đức Long", "Chỉ huy trưởng Bộ Chỉ huy Quân sự tỉnh", "BCHQS", "1234/QĐ-UBND", "2025-03-15"},
	{"TB-ATANM", "member", "Hoàng Thị Lan", "Phó Trưởng Ban Tuyên giáo và Dân vận Tỉnh ủy", "BTGDV", "1234/QĐ-UBND", "2025-03-15"},
	{"TB-ATANM", "member", "Đỗ Văn Nam", "Giám đốc Sở Y tế", "SYT", "1234/QĐ-UBND", "2025-03-15"},
	{"TB-ATANM", "member", "Vũ Minh Tuấn", "Giám đốc Viettel Bình An", "VTL", "1234/QĐ-UBND", "2025-03-15"},
	{"TB-ATANM", "member", "Ngô Thanh Bình", "Giám đốc VNPT Bình An", "VNPT", "1234/QĐ-UBND", "2025-03-15"},
	{"TB-ATANM", "secretary", "Bùi Quang Huy", "Trưởng phòng An ninh mạng, Công an tỉnh", "CAT", "1234/QĐ-UBND", "2025-03-15"},
	{"TGV", "head", "Bùi Quang Huy", "Trưởng phòng An ninh mạng, Công an tỉnh", "CAT", "56/QĐ-TBATANM", "2025-04-01"},
	{"TGV", "member", "Đặng Thu Trang", "Phó Giám đốc Trung tâm Chuyển đổi số", "SKHCN", "56/QĐ-TBATANM", "2025-04-01"},
	{"TGV", "member", "Lý Văn Khoa", "Trợ lý Tác chiến điện tử", "BCHQS", "56/QĐ-TBATANM", "2025-04-01"},
	{"TGV", "member", "Trịnh Hải Yến", "Chuyên viên Phòng Văn hóa - Thông tin", "TPBA", "56/QĐ-TBATANM", "2025-04-01"},
}

// The demo accounts (passwords are generated at seeding).
var accounts = []Account{
	{Role: access.Admin, Email: "admin@demo.bulwark.vn", AgencyCode: "CAT", Name: "Quản trị hệ thống"},
	{Role: access.Coordinator, Email: "dieuphoi@demo.bulwark.vn", AgencyCode: "CAT", Name: "Bùi Quang Huy"},
	{Role: access.Analyst, Email: "phantich@demo.bulwark.vn", AgencyCode: "CAT", Name: "Trần Minh Đức"},
	{Role: access.Analyst, Email: "phantich.skhcn@demo.bulwark.vn", AgencyCode: "SKHCN", Name: "Đặng Thu Trang"},
	{Role: access.Reporter, Email: "baocao.tpba@demo.bulwark.vn", AgencyCode: "TPBA", Name: "Trịnh Hải Yến"},
	{Role: access.Reporter, Email: "baocao.htp@demo.bulwark.vn", AgencyCode: "HTP", Name: "Lê Văn Phúc"},
	{Role: access.Reporter, Email: "baocao.hld@demo.bulwark.vn", AgencyCode: "HLD", Name: "Nguyễn Thị Hoa"},
	{Role: access.Reporter, Email: "baocao.bvdk@demo.bulwark.vn", AgencyCode: "BVDK", Name: "Phan Anh Tú"},
	{Role: access.Liaison, Email: "lienlac.vtl@demo.bulwark.vn", AgencyCode: "VTL", Name: "Đầu mối Viettel"},
	{Role: access.Liaison, Email: "lienlac.vnpt@demo.bulwark.vn", AgencyCode: "VNPT", Name: "Đầu mối VNPT"},
	{Role: access.Liaison, Email: "lienlac.mbf@demo.bulwark.vn", AgencyCode: "MBF", Name: "Đầu mối MobiFone"},
	{Role: access.Liaison, Email: "lienlac.vcb@demo.bulwark.vn", AgencyCode: "VCB", Name: "Đầu mối Vietcombank"},
	{Role: access.Liaison, Email: "lienlac.bidv@demo.bulwark.vn", AgencyCode: "BIDV", Name: "Đầu mối BIDV"},
	{Role: access.Viewer, Email: "xem@demo.bulwark.vn", AgencyCode: "UBND", Name: "Lãnh đạo xem báo cáo"},
}

// Seed creates the demo province through the services, acting as the
// system, and returns the accounts with their new passwords. The caller
// checks that the database is empty first. Capabilities add their demo
// data as steps run after the accounts exist (e.g. Incidents).
func Seed(ctx context.Context, ag *agency.Service, au *auth.Service, steps ...func(context.Context) error) ([]Account, error) {
	ctx = access.With(ctx, access.SystemPrincipal())
	for _, in := range agencies {
		if _, err := ag.CreateAgency(ctx, in); err != nil {
			return nil, fmt.Errorf("demo: agency %s: %w", in.Code, err)
		}
	}
	// The 2025 merger: the information and communications department joined
	// the Department of Science and Technology.
	from, err := ag.AgencyByCode(ctx, "STTTT")
	if err != nil {
		return nil, err
	}
	into, err := ag.AgencyByCode(ctx, "SKHCN")
	if err != nil {
		return nil, err
	}
	if err := ag.MergeAgency(ctx, from.ID, into.ID, "Hợp nhất theo Nghị quyết của HĐND tỉnh, hiệu lực 01/3/2025"); err != nil {
		return nil, fmt.Errorf("demo: merge: %w", err)
	}
	ubnd, err := ag.AgencyByCode(ctx, "UBND")
	if err != nil {
		return nil, err
	}
	decisions := []agency.Decision{
		{Number: "1234/QĐ-UBND", Date: "2025-03-15", Title: "Kiện toàn Tiểu ban An toàn, an ninh mạng tỉnh Bình An", Kind: "membership", Signer: "Nguyễn Văn Thành, Chủ tịch UBND tỉnh", AgencyID: ubnd.ID},
		{Number: "56/QĐ-TBATANM", Date: "2025-04-01", Title: "Thành lập Tổ giúp việc Tiểu ban An toàn, an ninh mạng tỉnh", Kind: "membership", Signer: "Nguyễn Văn Thành, Trưởng Tiểu ban", AgencyID: ubnd.ID},
		{Number: "78/QĐ-TBATANM", Date: "2026-01-20", Title: "Phân công nhiệm vụ thành viên Tiểu ban năm 2026", Kind: "assignment", Signer: "Nguyễn Văn Thành, Trưởng Tiểu ban", AgencyID: ubnd.ID},
	}
	decIDs := map[string]int64{}
	for _, d := range decisions {
		got, err := ag.CreateDecision(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("demo: decision %s: %w", d.Number, err)
		}
		decIDs[d.Number] = got.ID
	}
	sub, err := ag.CreateBody(ctx, agency.Body{Code: "TB-ATANM", NameVI: "Tiểu ban An toàn, an ninh mạng tỉnh Bình An", NameEN: "Binh An Cyber Security and Safety Subcommittee", Kind: "subcommittee", DecisionID: decIDs["1234/QĐ-UBND"]})
	if err != nil {
		return nil, fmt.Errorf("demo: subcommittee: %w", err)
	}
	if _, err := ag.CreateBody(ctx, agency.Body{Code: "TGV", NameVI: "Tổ giúp việc Tiểu ban An toàn, an ninh mạng", NameEN: "Working group of the subcommittee", Kind: "working_group", ParentID: sub.ID, DecisionID: decIDs["56/QĐ-TBATANM"]}); err != nil {
		return nil, fmt.Errorf("demo: working group: %w", err)
	}
	for _, p := range members {
		b, err := ag.BodyByCode(ctx, p.body)
		if err != nil {
			return nil, err
		}
		a, err := ag.AgencyByCode(ctx, p.agency)
		if err != nil {
			return nil, err
		}
		if _, err := ag.Appoint(ctx, agency.Membership{BodyID: b.ID, PersonName: p.name, PersonTitle: p.title, AgencyID: a.ID,
			Role: p.role, DecisionID: decIDs[p.decision], From: p.from}); err != nil {
			return nil, fmt.Errorf("demo: appoint %s: %w", p.name, err)
		}
	}
	out := make([]Account, len(accounts))
	for i, acc := range accounts {
		acc.Password = passwordFor(acc)
		if _, err := au.CreateUser(ctx, auth.NewUser{Email: acc.Email, Name: acc.Name, AgencyCode: acc.AgencyCode,
			Roles: []access.Role{acc.Role}, Password: acc.Password}); err != nil {
			return nil, fmt.Errorf("demo: user %s: %w", acc.Email, err)
		}
		out[i] = acc
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// passwordFor draws passwords until one passes the default policy for the
// account: a random one can happen to contain the account's name or e-mail
// (e.g. "xem"), which the policy refuses.
func passwordFor(acc Account) string {
	pw := password()
	for try := 0; try < 100 && auth.CheckPassword(pw, 0, acc.Email, acc.Name) != nil; try++ {
		pw = password()
	}
	return pw
}

// password makes a random 16-character password.
func password() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 14)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[n.Int64()]
	}
	return "Bw" + string(b[:6]) + "-" + string(b[6:])
}
