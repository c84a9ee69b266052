package demo

import (
	"context"
	"fmt"

	"bulwark/internal/agency"
	"bulwark/internal/fraud"
)

// Fraud returns the Seed step that fills the fraud capability:
// demo.Seed(ctx, ag, au, demo.Fraud(svc, ag)).
func Fraud(svc *fraud.Service, ag *agency.Service) func(context.Context) error {
	return func(ctx context.Context) error { return SeedFraud(ctx, svc, ag) }
}

// SeedFraud links the demo telecoms and banks to their liaison agencies
// and files a few realistic reports: a Viettel number reported twice with
// the mule account it asked victims to pay into (both confirmed, so
// Viettel's and Vietcombank's liaisons each have a referral waiting), a
// fake bank site and a scam Zalo profile still in the queue. ctx must
// carry the system principal.
func SeedFraud(ctx context.Context, svc *fraud.Service, ag *agency.Service) error {
	for partner, code := range map[string]string{"viettel": "VTL", "vinaphone": "VNPT", "mobifone": "MBF", "VCB": "VCB", "BIDV": "BIDV"} {
		a, err := ag.AgencyByCode(ctx, code)
		if err != nil {
			return fmt.Errorf("demo: fraud partner %s: %w", code, err)
		}
		kind := "telecom"
		if a.Kind == agency.KindBank {
			kind = "bank"
		}
		name := map[string]string{"viettel": "Viettel", "vinaphone": "VinaPhone (VNPT)", "mobifone": "MobiFone", "VCB": "Vietcombank", "BIDV": "BIDV"}[partner]
		if err := svc.SavePartner(ctx, fraud.Partner{Code: partner, Kind: kind, Name: name, AgencyID: a.ID}); err != nil {
			return fmt.Errorf("demo: fraud partner %s: %w", code, err)
		}
	}
	reports := []fraud.ReportInput{
		{Channel: fraud.ChannelCall, ScamType: "impersonation_police", OccurredOn: "2026-11-10", Amount: 45_000_000,
			Narrative:   "Người gọi xưng là cán bộ Công an quận, nói tôi liên quan đường dây rửa tiền, yêu cầu chuyển tiền vào tài khoản \"tạm giữ\" để xác minh.",
			Identifiers: []fraud.Identifier{{Kind: fraud.KindPhone, Value: "0968 123 456"}, {Kind: fraud.KindAccount, Bank: "VCB", Value: "0071 0001 23456", AccountName: "Nguyen Van Hung"}},
			Reporter:    contact("Phạm Thị Lan", "0977 111 222"), Consent: true},
		{Channel: fraud.ChannelZalo, ScamType: "impersonation_police", OccurredOn: "2026-11-12",
			Narrative:   "Số này gọi Zalo video, mặc sắc phục công an, đọc đúng số CCCD của tôi. Tôi không chuyển tiền.",
			Identifiers: []fraud.Identifier{{Kind: fraud.KindPhone, Value: "+84 968 123 456"}}, Consent: true},
		{Channel: fraud.ChannelSMS, ScamType: "phishing_link", OccurredOn: "2026-11-15",
			Narrative:   "Tin nhắn báo tài khoản Vietcombank bị khóa, kèm đường link để \"xác thực sinh trắc học\".",
			Identifiers: []fraud.Identifier{{Kind: fraud.KindURL, Value: "https://vietcombank-xacthuc.online/khach-hang/dang-nhap"}, {Kind: fraud.KindSender, Value: "VCB-HoTro"}},
			Reporter:    contact("", "0905 333 444"), Consent: true},
		{Channel: fraud.ChannelFacebook, ScamType: "online_job", Amount: 12_500_000,
			Narrative:   "Tuyển cộng tác viên \"làm nhiệm vụ\" like sản phẩm, lúc đầu được trả 50.000đ, sau phải nạp tiền để nhận nhiệm vụ lớn.",
			Identifiers: []fraud.Identifier{{Kind: fraud.KindSocial, Value: "https://www.facebook.com/tuyendung.ctv.online"}, {Kind: fraud.KindAccount, Bank: "BIDV", Value: "3141 0000 98765"}},
			Consent:     true},
	}
	for i, in := range reports {
		if _, err := svc.Submit(ctx, in, fmt.Sprintf("demo-%d", i)); err != nil {
			return fmt.Errorf("demo: fraud report %d: %w", i, err)
		}
	}
	for _, c := range []struct {
		kind          fraud.IdentifierKind
		value, action string
		reason        string
	}{
		{fraud.KindPhone, "+84968123456", "suspend_outgoing", "Hai phản ánh độc lập, cùng kịch bản giả danh công an; một người bị hại mất 45 triệu đồng."},
		{fraud.KindAccount, "VCB:0071000123456", "hold", "Tài khoản nhận tiền của số điện thoại đã xác nhận lừa đảo."},
	} {
		s, err := svc.SubjectByValue(ctx, c.kind, c.value)
		if err != nil {
			return fmt.Errorf("demo: fraud subject %s: %w", c.value, err)
		}
		if _, err := svc.Decide(ctx, s.ID, fraud.Decision{Status: fraud.StatusConfirmed, Reason: c.reason, Action: c.action}); err != nil {
			return fmt.Errorf("demo: confirm %s: %w", c.value, err)
		}
	}
	return nil
}

// contact is a demo reporter's contact.
func contact(name, phone string) fraud.Contact { return fraud.Contact{Name: name, Phone: phone} }
