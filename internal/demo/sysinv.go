package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"bulwark/internal/agency"
	"bulwark/internal/sysinv"
	"bulwark/internal/sysinv/feed"
)

// demoComponent is a component to add to a demo system.
type demoComponent struct {
	system int64
	in     sysinv.ComponentInput
}

// Systems returns the Seed step that fills the information systems
// inventory: demo.Seed(ctx, ag, au, demo.Systems(svc, ag)).
func Systems(svc *sysinv.Service, ag *agency.Service) func(context.Context) error {
	return func(ctx context.Context) error { return SeedSystems(ctx, svc, ag) }
}

// SeedSystems records three systems with their components — the
// provincial public-service portal (level 3, approved, running Apache HTTP
// Server 2.4.49, which is on the KEV list, and with its yearly risk
// assessment overdue), the provincial data centre (level 3, dossier under
// appraisal, Apache ActiveMQ 5.17.5) and the general hospital's
// information system (proposed level 2 while its 120,000 patients' data
// suggests 3; Windows Server 2008 R2, Log4j 2.14.1 and an nginx named
// without a CPE) — then imports the real NVD records and KEV excerpt
// (sysinv/testdata/public) and, for Log4j and Windows, two hand-written
// sample records, so that findings appear. Dates are relative to now. ctx must carry the system principal.
func SeedSystems(ctx context.Context, svc *sysinv.Service, ag *agency.Service) error {
	skhcn, err := ag.AgencyByCode(ctx, "SKHCN")
	if err != nil {
		return fmt.Errorf("demo: systems: %w", err)
	}
	bvdk, err := ag.AgencyByCode(ctx, "BVDK")
	if err != nil {
		return fmt.Errorf("demo: systems: %w", err)
	}
	day := func(days int) string { return time.Now().AddDate(0, 0, days).Format(time.DateOnly) }

	portal, err := svc.CreateSystem(ctx, sysinv.SystemInput{
		Name: "Cổng dịch vụ công tỉnh Bình An", OwnerAgencyID: skhcn.ID, OperatorAgencyID: skhcn.ID,
		Description:  "Cổng dịch vụ công trực tuyến và hệ thống một cửa điện tử của tỉnh: hồ sơ thủ tục hành chính của người dân và doanh nghiệp.",
		SecurityUnit: "Phòng An toàn thông tin, Trung tâm Chuyển đổi số", Type: "citizen_services", InfoClass: "personal",
		PersonalUsers: 50000, OnlineServiceLevel: 4, AlwaysOn: true, Reach: "province", ProposedLevel: 3, Status: "operating",
		SecurityPlan: "Phương án bảo đảm ATTT theo cấp độ, phê duyệt kèm hồ sơ", IRPlan: "Phương án ứng cứu sự cố 2025", LastDrillDate: day(-200),
		Contacts: "Trực 24/7: 0203 3812 250 · cds@skhcn.binhan.gov.vn",
	})
	if err != nil {
		return fmt.Errorf("demo: portal: %w", err)
	}
	for _, st := range []sysinv.Step{{Action: "submit"}, {Action: "start_appraisal"}, {Action: "appraised", Note: "Hồ sơ đáp ứng yêu cầu cấp độ 3"},
		{Action: "approve", DecisionNumber: "1502/QĐ-UBND", DecisionDate: day(-430), DecisionSigner: "Chủ tịch UBND tỉnh"}} {
		if _, err := svc.Advance(ctx, portal.ID, st); err != nil {
			return fmt.Errorf("demo: portal dossier %s: %w", st.Action, err)
		}
	}
	components := []demoComponent{
		{portal.ID, sysinv.ComponentInput{Name: "web-01", Kind: "host", Level: 3, IPs: []string{"203.0.113.10"}, Domains: []string{"dichvucong.binhan.gov.vn"},
			Ports: []string{"443", "80"}, OS: "Ubuntu", OSVersion: "20.04", Software: "Apache HTTP Server", SoftwareVersion: "2.4.49",
			CPE: "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*"}},
		{portal.ID, sysinv.ComponentInput{Name: "db-01", Kind: "database", Level: 3, IPs: []string{"10.20.1.15"}, Ports: []string{"5432"},
			OS: "Ubuntu", OSVersion: "20.04", Software: "PostgreSQL", SoftwareVersion: "13.4"}},
	}
	dc, err := svc.CreateSystem(ctx, sysinv.SystemInput{
		Name: "Trung tâm dữ liệu tỉnh", OwnerAgencyID: skhcn.ID, OperatorProvider: "Viettel IDC (thuê dịch vụ)", OperatorContractEnd: day(400),
		Description:  "Hạ tầng máy chủ, lưu trữ và nền tảng tích hợp, chia sẻ dữ liệu (LGSP) dùng chung của các sở, ngành.",
		SecurityUnit: "Phòng An toàn thông tin, Trung tâm Chuyển đổi số", Type: "shared_infrastructure", InfoClass: "private",
		AlwaysOn: true, Reach: "province", ProposedLevel: 3, Status: "operating", AddressTLP: "AMBER+STRICT",
	})
	if err != nil {
		return fmt.Errorf("demo: data centre: %w", err)
	}
	for _, st := range []sysinv.Step{{Action: "submit"}, {Action: "start_appraisal"}} {
		if _, err := svc.Advance(ctx, dc.ID, st); err != nil {
			return fmt.Errorf("demo: data centre dossier %s: %w", st.Action, err)
		}
	}
	components = append(components,
		demoComponent{dc.ID, sysinv.ComponentInput{Name: "lgsp-mq", Kind: "service", Level: 3, IPs: []string{"10.20.0.0/24"}, Ports: []string{"61616"},
			OS: "Red Hat Enterprise Linux", OSVersion: "8.6", Software: "Apache ActiveMQ", SoftwareVersion: "5.17.5",
			CPE: "cpe:2.3:a:apache:activemq:5.17.5:*:*:*:*:*:*:*"}},
		demoComponent{dc.ID, sysinv.ComponentInput{Name: "fw-core", Kind: "network", Level: 3, IPs: []string{"10.20.0.1"}, Software: "FortiGate", SoftwareVersion: "7.4.4"}},
	)
	his, err := svc.CreateSystem(ctx, sysinv.SystemInput{
		Name: "Hệ thống thông tin bệnh viện (HIS)", OwnerAgencyID: bvdk.ID, OperatorAgencyID: bvdk.ID,
		Description:  "Quản lý khám chữa bệnh, hồ sơ bệnh án điện tử và liên thông bảo hiểm y tế.",
		SecurityUnit: "Phòng Công nghệ thông tin", Type: "internal", InfoClass: "personal", PersonalUsers: 120000,
		AlwaysOn: true, Reach: "agency", ProposedLevel: 2, Status: "operating",
	})
	if err != nil {
		return fmt.Errorf("demo: HIS: %w", err)
	}
	components = append(components,
		demoComponent{his.ID, sysinv.ComponentInput{Name: "his-app", Kind: "application", Level: 3, IPs: []string{"10.30.5.20"}, Domains: []string{"his.bvdk.binhan.gov.vn"},
			OS: "Windows Server", OSVersion: "2008 R2 SP1", OSCPE: "cpe:2.3:o:microsoft:windows_server_2008:r2:sp1:*:*:*:*:x64:*",
			Software: "HIS (Log4j 2.14.1)", SoftwareVersion: "5.2", CPE: "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*"}},
		demoComponent{his.ID, sysinv.ComponentInput{Name: "proxy", Kind: "host", Level: 2, IPs: []string{"203.0.113.40"}, Domains: []string{"tracuu.bvdk.binhan.gov.vn"},
			Ports: []string{"443"}, OS: "Debian", OSVersion: "11", Software: "nginx", SoftwareVersion: "1.18.0"}},
	)
	for _, c := range components {
		if _, err := svc.AddComponent(ctx, c.system, c.in); err != nil {
			return fmt.Errorf("demo: component %s: %w", c.in.Name, err)
		}
	}
	// Duties: the portal's yearly risk assessment is overdue; the data
	// centre's was done recently; weekly monitoring reports are current;
	// last year's annual reports were sent on time.
	lastYear := time.Now().Year() - 1
	unitReport, ownerReport := fmt.Sprintf("%d-12-18", lastYear), fmt.Sprintf("%d-12-23", lastYear)
	for _, d := range []struct {
		system int64
		rec    sysinv.DutyRecord
	}{
		{portal.ID, sysinv.DutyRecord{Duty: sysinv.DutyRiskAssessment, DoneOn: day(-400), Note: "Đánh giá rủi ro năm 2025 (đơn vị độc lập)"}},
		{portal.ID, sysinv.DutyRecord{Duty: sysinv.DutyMonitoringReport, DoneOn: day(-3)}},
		{dc.ID, sysinv.DutyRecord{Duty: sysinv.DutyRiskAssessment, DoneOn: day(-60)}},
		{dc.ID, sysinv.DutyRecord{Duty: sysinv.DutyMonitoringReport, DoneOn: day(-2)}},
		{portal.ID, sysinv.DutyRecord{Duty: sysinv.DutyAnnualReportUnit, DoneOn: unitReport}},
		{portal.ID, sysinv.DutyRecord{Duty: sysinv.DutyAnnualReportOwner, DoneOn: ownerReport}},
		{dc.ID, sysinv.DutyRecord{Duty: sysinv.DutyAnnualReportUnit, DoneOn: unitReport}},
		{dc.ID, sysinv.DutyRecord{Duty: sysinv.DutyAnnualReportOwner, DoneOn: ownerReport}},
	} {
		if _, err := svc.RecordDuty(ctx, d.system, d.rec); err != nil {
			return fmt.Errorf("demo: duty: %w", err)
		}
	}
	// Checklist: the portal meets most management items.
	answers, _, err := svc.SystemChecklist(ctx, portal.ID)
	if err != nil {
		return fmt.Errorf("demo: checklist: %w", err)
	}
	var in []sysinv.AnswerInput
	for i, a := range answers {
		if i%3 != 2 {
			in = append(in, sysinv.AnswerInput{ItemID: a.Item.ID, Met: true, Evidence: "Quyết định 88/QĐ-SKHCN; biên bản kiểm tra 2025"})
		}
	}
	if _, err := svc.SaveAnswers(ctx, portal.ID, in); err != nil {
		return fmt.Errorf("demo: checklist: %w", err)
	}
	// The real NVD records and KEV excerpt first; then, from the
	// hand-written samples, only the CVEs the real excerpt lacks (Log4Shell
	// and BlueKeep, whose real records are too large to keep here).
	if _, err := svc.ImportFeed(ctx, "nvd", "nvdcve-2.0-public.json", sysinv.PublicNVDFeed()); err != nil {
		return fmt.Errorf("demo: import NVD records: %w", err)
	}
	if _, err := svc.ImportFeed(ctx, "kev", "known_exploited_vulnerabilities.json", sysinv.PublicKEV()); err != nil {
		return fmt.Errorf("demo: import KEV excerpt: %w", err)
	}
	for _, name := range []string{"testdata/nvdcve-2.0-sample.json", "testdata/kev-sample.json"} {
		b, err := samplesWithout(name, "CVE-2021-41773", "CVE-2021-42013", "CVE-2023-46604", "CVE-2021-23017")
		if err != nil {
			return err
		}
		if _, err := svc.ImportFeed(ctx, "", name[len("testdata/"):], bytes.NewReader(b)); err != nil {
			return fmt.Errorf("demo: import %s: %w", name, err)
		}
	}
	return nil
}

// samplesWithout returns a feed sample without the records of the given
// CVEs. Its deliberately broken records stay: the feed page then shows how
// an import reports them.
func samplesWithout(name string, drop ...string) ([]byte, error) {
	b, err := feed.Samples.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("demo: feed sample: %w", err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("demo: feed sample %s: %w", name, err)
	}
	var recs []json.RawMessage
	if err := json.Unmarshal(doc["vulnerabilities"], &recs); err != nil {
		return nil, fmt.Errorf("demo: feed sample %s: %w", name, err)
	}
	var keep []json.RawMessage
	for _, r := range recs {
		var probe struct {
			CVE struct {
				ID string `json:"id"`
			} `json:"cve"`
			CVEID string `json:"cveID"`
		}
		_ = json.Unmarshal(r, &probe) // a broken record is kept as it is
		id := probe.CVE.ID + probe.CVEID
		if !slices.Contains(drop, id) {
			keep = append(keep, r)
		}
	}
	if doc["vulnerabilities"], err = json.Marshal(keep); err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}
