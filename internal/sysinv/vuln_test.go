package sysinv_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"bulwark/internal/errs"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
	"bulwark/internal/sysinv"
)

// demo builds the portal (Apache 2.4.49 by CPE, level 3) and a hospital
// system (nginx named without a CPE, Log4j, Windows Server 2008 R2; level 2).
func demo(t *testing.T, w *world) (portalID, hospitalID int64) {
	t.Helper()
	sys, err := w.svc.CreateSystem(w.as("skhcn"), portal(w))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.AddComponent(w.as("skhcn"), sys.ID, sysinv.ComponentInput{Name: "web-01", Level: 3, IPs: []string{"203.0.113.10"},
		Software: "Apache HTTP Server", SoftwareVersion: "2.4.49", CPE: "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*"}); err != nil {
		t.Fatal(err)
	}
	h, err := w.svc.CreateSystem(w.as("bvt"), sysinv.SystemInput{Name: "Hệ thống thông tin bệnh viện (HIS)", Type: "internal", InfoClass: "personal",
		PersonalUsers: 8000, Reach: "agency", ProposedLevel: 2, Status: "operating"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []sysinv.ComponentInput{
		{Name: "proxy", Software: "nginx", SoftwareVersion: "1.18.0"},
		{Name: "his-app", Software: "HIS", SoftwareVersion: "5.2", CPE: "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*",
			OSCPE: "cpe:2.3:o:microsoft:windows_server_2008:r2:sp1:*:*:*:*:*:*"},
		{Name: "report", CPE: "cpe:2.3:a:apache:log4j:2.17.1:*:*:*:*:*:*:*"},
	} {
		if _, err := w.svc.AddComponent(w.as("bvt"), h.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	return sys.ID, h.ID
}

func cves(fs []sysinv.Finding) string {
	var out []string
	for _, f := range fs {
		s := fmt.Sprintf("%s:%s:%s:%s", f.Component, f.CVE, f.Strength, f.DueOn)
		if f.KEV {
			s += ":KEV"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestFeedImportAndFindings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		portalID, hospitalID := demo(t, w)
		if _, err := w.svc.ImportFeed(w.as("skhcn-coord"), "nvd", "x.json", fixture(t, "nvdcve-2.0-sample.json")); !errs.Is(err, errs.Forbidden) {
			t.Errorf("import by an agency coordinator: %v, want Forbidden", err)
		}
		run, err := w.svc.ImportFeed(w.as("coord"), "", "nvdcve-2.0-sample.json", fixture(t, "nvdcve-2.0-sample.json"))
		if err != nil {
			t.Fatalf("ImportFeed(nvd): %v", err)
		}
		if run.Kind != "nvd" || run.Status != "done" || run.Added != 7 || run.Skipped != 2 || run.ProblemCount != 4 || len(run.Problems) != 4 {
			t.Errorf("nvd run = %+v", run)
		}
		// Before KEV: the NVD record's own cisaExploitAdd already flags 41773.
		fs, _, err := w.svc.ListFindings(w.as("skhcn"), sysinv.FindingFilter{SystemID: portalID})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := cves(fs), "web-01:CVE-2021-42013:cpe:2026-11-27:KEV web-01:CVE-2021-41773:cpe:2026-11-27:KEV"; got != want {
			t.Errorf("portal findings after NVD =\n%s\nwant\n%s", got, want)
		}
		w.clock.Set(w.clock.Now().Add(24 * time.Hour))
		run, err = w.svc.ImportFeed(w.as("coord"), "kev", "known_exploited_vulnerabilities.json", fixture(t, "kev-sample.json"))
		if err != nil {
			t.Fatalf("ImportFeed(kev): %v", err)
		}
		if run.Kind != "kev" || run.CatalogVersion != "2026.11.18" || run.Records != 5 || run.Updated != 5 || run.Skipped != 1 {
			t.Errorf("kev run = %+v", run)
		}
		fs, _, _ = w.svc.ListFindings(w.as("bvt"), sysinv.FindingFilter{SystemID: hospitalID})
		// Level 2: KEV 14 days; nginx by name (CVSS 7.7) 60 days; log4j 2.17.1 is not affected.
		want := "his-app:CVE-2021-44228:cpe:2026-12-04:KEV his-app:CVE-2019-0708:cpe:2026-12-04:KEV proxy:CVE-2021-23017:name:2027-01-19"
		if got := cves(fs); got != want {
			t.Errorf("hospital findings =\n%s\nwant\n%s", got, want)
		}
		if fs[0].CVSS != 10 || fs[2].Matched == "" {
			t.Errorf("finding details = %+v", fs[0])
		}
		// Incremental: the same file again changes nothing.
		run, err = w.svc.ImportFeed(w.as("coord"), "nvd", "again", fixture(t, "nvdcve-2.0-sample.json"))
		if err != nil || run.Unchanged != 7 || run.Added != 0 || run.Updated != 0 || run.FindingsNew != 0 {
			t.Errorf("re-import = %+v, %v", run, err)
		}
		// The owners were told once per system about the new findings.
		msgs := w.out.messages()
		if len(msgs) != 2 || msgs[0].Event != "system.finding.new" || !cmp.Equal(msgs[0].Emails, []string{"skhcn-coord@example.vn", "skhcn@example.vn"}) {
			t.Errorf("notifications = %+v", msgs)
		}
		// The province question: level-3 systems with a known-exploited vulnerability.
		fs, total, err := w.svc.ListFindings(w.as("coord"), sysinv.FindingFilter{KEV: true, Level: 3, Open: true})
		if err != nil || total != 2 || fs[0].SystemID != portalID {
			t.Errorf("level-3 KEV findings = %d, %v", total, err)
		}
		if _, total, _ := w.svc.ListFindings(w.as("bvt"), sysinv.FindingFilter{}); total != 3 {
			t.Errorf("hospital sees %d findings, want only its 3", total)
		}
		// Statuses: accepting a risk needs the owner's coordinator and a reason.
		id := fs[0].ID
		if _, err := w.svc.SetFindingStatus(w.as("skhcn"), id, sysinv.FindingUpdate{Status: "accepted", Reason: "x"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("accept by an analyst: %v", err)
		}
		if _, err := w.svc.SetFindingStatus(w.as("skhcn-coord"), id, sysinv.FindingUpdate{Status: "accepted"}); errs.FieldOf(err) != "reason" {
			t.Errorf("accept without reason: %v", err)
		}
		f, err := w.svc.SetFindingStatus(w.as("skhcn-coord"), id, sysinv.FindingUpdate{Status: "accepted", Reason: "WAF chặn đường dẫn, nâng cấp tuần sau"})
		if err != nil || f.Approver != "skhcn-coord@example.vn" || f.ResolvedAt == nil {
			t.Errorf("accepted = %+v, %v", f, err)
		}
		if _, err := w.svc.SetFindingStatus(w.as("bvt"), id, sysinv.FindingUpdate{Status: "fixed"}); !errs.Is(err, errs.NotFound) {
			t.Errorf("another agency sets status: %v", err)
		}
		// Upgrading the software closes the finding that no longer matches.
		comps, _ := w.svc.Components(w.as("bvt"), hospitalID)
		for _, c := range comps {
			if c.Name == "proxy" {
				if _, err := w.svc.UpdateComponent(w.as("bvt"), hospitalID, c.ID, sysinv.ComponentInput{Name: "proxy", Software: "nginx", SoftwareVersion: "1.24.0"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		fs, _, _ = w.svc.ListFindings(w.as("bvt"), sysinv.FindingFilter{SystemID: hospitalID, Status: "fixed"})
		if len(fs) != 1 || fs[0].CVE != "CVE-2021-23017" {
			t.Errorf("fixed after upgrade = %s", cves(fs))
		}
		v, err := w.svc.GetVulnerability(w.as("bvt"), "cve-2021-41773")
		if err != nil || !v.KEV || v.KEVDue != "2021-11-17" || v.CVSS != 7.5 {
			t.Errorf("GetVulnerability = %+v, %v", v, err)
		}
		runs, err := w.svc.FeedRuns(w.as("coord"), 10)
		if err != nil || len(runs) != 3 || runs[2].ProblemCount != 4 || len(runs[2].Problems) != 4 {
			t.Errorf("FeedRuns = %d, %v", len(runs), err)
		}
	})
}

func TestFeedImportBrokenFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		in := `{"vulnerabilities":[{"cveID":"CVE-2021-1111","dateAdded":"2021-01-01"},{"cveID":"CVE-2021-2222","dateAdded":"2021-0`
		run, err := w.svc.ImportFeed(w.as("coord"), "kev", "broken.json", strings.NewReader(in))
		if err != nil || run.Status != "failed" || run.Records != 1 || run.Error == "" {
			t.Fatalf("broken import = %+v, %v; want failed after 1 record", run, err)
		}
		if _, err := w.svc.ImportFeed(w.as("coord"), "cvrf", "", strings.NewReader("{}")); errs.FieldOf(err) != "kind" {
			t.Errorf("bad kind: %v", err)
		}
		if _, err := w.svc.ImportFeedURL(w.as("coord"), "kev", "file:///etc/passwd"); errs.FieldOf(err) != "url" {
			t.Errorf("file URL: %v", err)
		}
	})
}

func TestDutiesAndReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.clock.Set(time.Date(2025, 6, 1, 3, 0, 0, 0, time.UTC))
		sys, err := w.svc.CreateSystem(w.as("skhcn"), portal(w))
		if err != nil {
			t.Fatal(err)
		}
		w.clock.Set(time.Date(2025, 10, 2, 3, 0, 0, 0, time.UTC))
		if _, err := w.svc.RecordDuty(w.as("skhcn"), sys.ID, sysinv.DutyRecord{Duty: "risk_assessment", DoneOn: "2025-10-01"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.RecordDuty(w.as("skhcn"), sys.ID, sysinv.DutyRecord{Duty: "risk_assessment", DoneOn: "2030-01-01"}); errs.FieldOf(err) != "done_on" {
			t.Errorf("future date: %v", err)
		}
		if _, err := w.svc.RecordDuty(w.as("skhcn-viewer"), sys.ID, sysinv.DutyRecord{Duty: "risk_assessment"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("viewer records a duty: %v", err)
		}
		w.clock.Set(time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC))
		if _, err := w.svc.RecordDuty(w.as("skhcn"), sys.ID, sysinv.DutyRecord{Duty: "monitoring_report", DoneOn: "2026-11-18"}); err != nil {
			t.Fatal(err)
		}
		ds, err := w.svc.SystemDuties(w.as("skhcn"), sys.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range ds {
			got = append(got, d.Duty+" "+d.Due+" "+d.State)
		}
		want := []string{"risk_assessment 2026-10-01 overdue", "monitoring_report 2026-11-25 ok", "annual_report_unit 2025-12-20 overdue", "annual_report_owner 2025-12-25 overdue"}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("duties (-want +got):\n%s", d)
		}
		for _, who := range []string{"skhcn", "coord"} {
			list, err := w.svc.DueDuties(w.as(who), sysinv.DutyFilter{})
			if err != nil || len(list) != 3 || list[0].Duty != "annual_report_unit" || list[2].Duty != "risk_assessment" || list[2].Level != 3 {
				t.Errorf("DueDuties as %s = %+v, %v", who, list, err)
			}
		}
		if list, _ := w.svc.DueDuties(w.as("bvt"), sysinv.DutyFilter{}); len(list) != 0 {
			t.Errorf("another agency's duty list = %+v", list)
		}
		n, err := w.svc.SendDutyReminders(context.Background())
		if err != nil || n != 3 {
			t.Errorf("SendDutyReminders = %d, %v; want 3", n, err)
		}
		if n, _ := w.svc.SendDutyReminders(context.Background()); n != 0 {
			t.Errorf("second run sent %d reminders, want 0", n)
		}
		for _, duty := range []string{"risk_assessment", "annual_report_unit", "annual_report_owner"} {
			if _, err := w.svc.RecordDuty(w.as("skhcn"), sys.ID, sysinv.DutyRecord{Duty: duty}); err != nil {
				t.Fatal(err)
			}
		}
		ds, _ = w.svc.SystemDuties(w.as("skhcn"), sys.ID)
		if ds[0].Due != "2027-11-20" || ds[2].Due != "2027-12-20" || ds[2].State != "ok" {
			t.Errorf("after recording: %+v", ds)
		}
		f, err := w.svc.Annual(w.as("coord"), 2026)
		if err != nil || f.Systems != 1 || f.ByLevel[3] != 1 || f.AssessmentsDue != 1 || f.AssessmentsOnTime != 0 || f.AssessmentsDone != 1 || f.Approved != 0 {
			t.Errorf("Annual(2026) = %+v, %v", f, err)
		}
		f, _ = w.svc.Annual(w.as("coord"), 2025)
		if f.AssessmentsDone != 1 || f.AssessmentsDue != 1 || f.AssessmentsOnTime != 1 {
			t.Errorf("Annual(2025) = %+v", f)
		}
	})
}

func TestChecklistRiskAndExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		portalID, hospitalID := demo(t, w)
		if _, err := w.svc.ImportFeed(w.as("coord"), "", "nvd", fixture(t, "nvdcve-2.0-sample.json")); err != nil {
			t.Fatal(err)
		}
		answers, c, err := w.svc.SystemChecklist(w.as("skhcn"), portalID)
		if err != nil || c.Applicable != len(answers) || c.Applicable < 20 || c.Met != 0 {
			t.Fatalf("SystemChecklist = %d items %+v, %v", len(answers), c, err)
		}
		_, hc, _ := w.svc.SystemChecklist(w.as("bvt"), hospitalID)
		if hc.Applicable >= c.Applicable {
			t.Errorf("level 2 has %d items, level 3 %d: want fewer at level 2", hc.Applicable, c.Applicable)
		}
		var in []sysinv.AnswerInput
		for _, a := range answers[:len(answers)/2] {
			in = append(in, sysinv.AnswerInput{ItemID: a.Item.ID, Met: true, Evidence: "QĐ 12/QĐ-SKHCN"})
		}
		c2, err := w.svc.SaveAnswers(w.as("skhcn"), portalID, in)
		if err != nil || c2.Met != len(in) || c2.Percent <= 0 {
			t.Errorf("SaveAnswers = %+v, %v", c2, err)
		}
		if _, err := w.svc.SaveAnswers(w.as("bvt"), portalID, in); !errs.Is(err, errs.NotFound) {
			t.Errorf("SaveAnswers by another agency: %v", err)
		}
		if _, err := w.svc.SaveChecklistItem(w.as("skhcn-coord"), sysinv.ChecklistItem{Code: "X", Group: "technical", MinLevel: 1, TextVI: "x"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("agency edits the checklist: %v", err)
		}
		item, err := w.svc.SaveChecklistItem(w.as("coord"), sysinv.ChecklistItem{Code: "T5.1", Group: "technical", Area: "endpoint", MinLevel: 1, TextVI: "Phòng chống mã độc cho máy trạm", TextEN: "Endpoint malware protection"})
		if err != nil || item.ID == 0 {
			t.Fatalf("SaveChecklistItem = %+v, %v", item, err)
		}
		pv, err := w.svc.Overview(w.as("coord"), 0, "risk")
		if err != nil || len(pv.Rows) != 2 || len(pv.Agencies) != 2 {
			t.Fatalf("Overview = %+v, %v", pv, err)
		}
		// The portal: level 3, two KEV findings (7.5 and 9.8, doubled) → 30 + 34.6.
		top := pv.Rows[0]
		if top.System.ID != portalID || top.Risk.KEVFindings != 2 || top.Risk.Score < 60 || top.Compliance.Percent == 0 {
			t.Errorf("top of the risk list = %+v", top)
		}
		if pv.ByLevel[3] != 1 || pv.ByLevel[2] != 1 {
			t.Errorf("by level = %v", pv.ByLevel)
		}
		pv, _ = w.svc.Overview(w.as("bvt"), 0, "name")
		if len(pv.Rows) != 1 || pv.Rows[0].System.ID != hospitalID {
			t.Errorf("hospital's overview = %+v", pv.Rows)
		}
		var buf bytes.Buffer
		if err := w.svc.ExportCSV(w.as("coord"), &buf); err != nil {
			t.Fatal(err)
		}
		csv := buf.String()
		if !strings.HasPrefix(csv, "\ufeffid,name,owner_agency") || !strings.Contains(csv, "Cổng dịch vụ công tỉnh") || !strings.Contains(csv, "203.0.113.10") {
			t.Errorf("CSV =\n%s", csv)
		}
		buf.Reset()
		if err := w.svc.ExportCSV(w.as("admin"), &buf); err != nil || strings.Contains(buf.String(), "203.0.113.10") || !strings.Contains(buf.String(), "TLP:AMBER") {
			t.Errorf("CSV for a user who may not see addresses:\n%s", buf.String())
		}
		buf.Reset()
		if err := w.svc.ExportXLSX(w.as("bvt"), &buf); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.GetRows("Systems")
		if err != nil || len(rows) != 2 || rows[1][1] != "Hệ thống thông tin bệnh viện (HIS)" {
			t.Errorf("XLSX rows = %v, %v", rows, err)
		}
	})
}
