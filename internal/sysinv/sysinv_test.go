package sysinv_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
	"bulwark/internal/sysinv"
)

func TestSuggest(t *testing.T) {
	tests := []struct {
		name      string
		c         sysinv.Criteria
		want      int
		wantCodes []string
	}{
		{"provincial portal with 50,000 users", sysinv.Criteria{Type: "citizen_services", InfoClass: "personal", PersonalUsers: 50000, Reach: "province"}, 3, []string{"personal_10000", "citizen_services"}},
		{"internal public", sysinv.Criteria{Type: "internal", InfoClass: "public", Reach: "agency"}, 1, []string{"internal_public"}},
		{"few users", sysinv.Criteria{Type: "internal", InfoClass: "personal", PersonalUsers: 900, Reach: "agency"}, 2, []string{"personal_under_10000"}},
		{"province data centre", sysinv.Criteria{Type: "shared_infrastructure", InfoClass: "private", Reach: "province", AlwaysOn: true}, 3, []string{"province_infrastructure", "private_info"}},
		{"online service level 3", sysinv.Criteria{Type: "citizen_services", InfoClass: "public", OnlineServiceLevel: 3, Reach: "province"}, 3, []string{"online_service"}},
		{"state secret", sysinv.Criteria{Type: "internal", InfoClass: "state_secret", Reach: "agency"}, 4, []string{"state_secret"}},
		{"national 24/7", sysinv.Criteria{Type: "shared_infrastructure", InfoClass: "private", Reach: "national", AlwaysOn: true}, 4, []string{"national_24x7", "province_infrastructure", "private_info"}},
		{"national critical", sysinv.Criteria{Type: "industrial_control", InfoClass: "private", Reach: "national", NationalCritical: true}, 5, []string{"national_critical", "industrial_control", "private_info"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sysinv.Suggest(tt.c)
			var codes []string
			for _, r := range got.Reasons {
				codes = append(codes, r.Code)
			}
			if got.Level != tt.want || !cmp.Equal(codes, tt.wantCodes) {
				t.Errorf("Suggest(%+v) = %d %v, want %d %v", tt.c, got.Level, codes, tt.want, tt.wantCodes)
			}
		})
	}
}

func TestRules(t *testing.T) {
	r := sysinv.DefaultRules()
	tests := []struct {
		cvss  float64
		kev   bool
		level int
		want  int
	}{{7.5, true, 3, 7}, {7.5, true, 2, 14}, {9.8, false, 3, 15}, {9.8, false, 1, 30}, {7.7, false, 3, 30}, {5, false, 3, 90}, {0, false, 1, 180}}
	for _, tt := range tests {
		if got := r.FindingDays(tt.cvss, tt.kev, tt.level); got != tt.want {
			t.Errorf("FindingDays(%v, %v, %d) = %d, want %d", tt.cvss, tt.kev, tt.level, got, tt.want)
		}
	}
	if _, err := sysinv.ParseRules([]byte(`{"appraisal_days":{"1":15}}`)); err == nil {
		t.Error("ParseRules accepted incomplete rules")
	}
}

func TestSystemRecordAndAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		sys, err := w.svc.CreateSystem(w.as("skhcn"), portal(w))
		if err != nil {
			t.Fatalf("CreateSystem: %v", err)
		}
		if sys.Suggested.Level != 3 || sys.ProposedLevel != 3 || sys.Level != 3 || sys.AddressTLP != access.Amber || sys.DossierStatus != "draft" {
			t.Errorf("created = level %d suggested %d tlp %s dossier %s", sys.Level, sys.Suggested.Level, sys.AddressTLP, sys.DossierStatus)
		}
		// A proposal below the suggestion stays as proposed: the suggestion is advice.
		in := portal(w)
		in.ProposedLevel = 2
		sys, err = w.svc.UpdateSystem(w.as("skhcn"), sys.ID, in)
		if err != nil || sys.ProposedLevel != 2 || sys.Suggested.Level != 3 {
			t.Fatalf("UpdateSystem = %d/%d, %v; want proposed 2 kept beside suggested 3", sys.ProposedLevel, sys.Suggested.Level, err)
		}
		for _, tt := range []struct {
			who  string
			want errs.Kind
		}{{"skhcn", 0}, {"skhcn-viewer", 0}, {"coord", 0}, {"admin", 0}, {"bvt", errs.NotFound}, {"tpba-coord", errs.NotFound}} {
			_, err := w.svc.GetSystem(w.as(tt.who), sys.ID)
			if (tt.want == 0 && err != nil) || (tt.want != 0 && !errs.Is(err, tt.want)) {
				t.Errorf("GetSystem as %s: %v, want kind %v", tt.who, err, tt.want)
			}
		}
		for _, who := range []string{"skhcn-viewer", "coord", "bvt"} {
			if _, err := w.svc.UpdateSystem(w.as(who), sys.ID, in); !errs.Is(err, errs.Forbidden) {
				t.Errorf("UpdateSystem as %s: %v, want Forbidden", who, err)
			}
		}
		other := portal(w)
		other.OwnerAgencyID = w.agencies["BVT"]
		if _, err := w.svc.CreateSystem(w.as("skhcn"), other); !errs.Is(err, errs.Forbidden) {
			t.Errorf("CreateSystem for another agency: %v, want Forbidden", err)
		}
		for field, mut := range map[string]func(*sysinv.SystemInput){
			"name":            func(i *sysinv.SystemInput) { i.Name = " " },
			"system_type":     func(i *sysinv.SystemInput) { i.Type = "cloud" },
			"proposed_level":  func(i *sysinv.SystemInput) { i.ProposedLevel = 6 },
			"last_drill_date": func(i *sysinv.SystemInput) { i.LastDrillDate = "20/11/2026" },
			"address_tlp":     func(i *sysinv.SystemInput) { i.AddressTLP = "PURPLE" },
			"description":     func(i *sysinv.SystemInput) { i.Description = strings.Repeat("x", 10001) },
		} {
			bad := portal(w)
			mut(&bad)
			if _, err := w.svc.CreateSystem(w.as("skhcn"), bad); errs.FieldOf(err) != field {
				t.Errorf("CreateSystem with bad %s: %v (field %q)", field, err, errs.FieldOf(err))
			}
		}
		list, total, err := w.svc.ListSystems(w.as("bvt"), sysinv.SystemFilter{})
		if err != nil || total != 0 || len(list) != 0 {
			t.Errorf("ListSystems as another agency = %d, %v; want none", total, err)
		}
		_, total, err = w.svc.ListSystems(w.as("coord"), sysinv.SystemFilter{Query: "dịch vụ"})
		if err != nil || total != 1 {
			t.Errorf("ListSystems as coordinator = %d, %v; want 1", total, err)
		}
	})
}

func TestComponentsLookupAndAddressTLP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		sys, err := w.svc.CreateSystem(w.as("skhcn"), portal(w))
		if err != nil {
			t.Fatal(err)
		}
		web, err := w.svc.AddComponent(w.as("skhcn"), sys.ID, sysinv.ComponentInput{Name: "web-01", Kind: "host", Level: 3,
			IPs: []string{"203.0.113.10", " 203.0.113.10", "10.10.0.0/24"}, Domains: []string{"DichVuCong.BinhAn.gov.vn."}, Ports: []string{"443", "80/TCP"},
			OS: "Ubuntu", OSVersion: "22.04", Software: "Apache HTTP Server", SoftwareVersion: "2.4.49", CPE: "cpe:/a:apache:http_server:2.4.49"})
		if err != nil {
			t.Fatalf("AddComponent: %v", err)
		}
		want := sysinv.ComponentInput{IPs: []string{"10.10.0.0/24", "203.0.113.10"}, Domains: []string{"dichvucong.binhan.gov.vn"}, Ports: []string{"443/tcp", "80/tcp"},
			CPE: "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*"}
		got := sysinv.ComponentInput{IPs: web.IPs, Domains: web.Domains, Ports: web.Ports, CPE: web.CPE}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("normalised component (-want +got):\n%s", d)
		}
		if _, err := w.svc.AddComponent(w.as("skhcn"), sys.ID, sysinv.ComponentInput{Name: "db-01", Level: 4, IPs: []string{"10.10.0.5"}}); err != nil {
			t.Fatal(err)
		}
		sys, _ = w.svc.GetSystem(w.as("skhcn"), sys.ID)
		if sys.ComponentLevel != 4 || !sys.LevelMismatch {
			t.Errorf("component level %d mismatch %v, want 4 true", sys.ComponentLevel, sys.LevelMismatch)
		}
		for field, in := range map[string]sysinv.ComponentInput{
			"ips":     {Name: "x", IPs: []string{"999.1.1.1"}},
			"domains": {Name: "x", Domains: []string{"not a domain"}},
			"ports":   {Name: "x", Ports: []string{"70000"}},
			"cpe":     {Name: "x", CPE: "apache 2.4"},
			"os_cpe":  {Name: "x", OSCPE: "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*"},
			"level":   {Name: "x", Level: 9},
		} {
			if _, err := w.svc.AddComponent(w.as("skhcn"), sys.ID, in); errs.FieldOf(err) != field {
				t.Errorf("AddComponent with bad %s: %v", field, err)
			}
		}
		sysCtx := access.With(context.Background(), access.SystemPrincipal())
		for _, tt := range []struct{ value, want string }{
			{"203.0.113.10", "web-01"}, {"10.10.0.77", "web-01"}, {"10.10.0.5", "db-01,web-01"},
			{"dichvucong.binhan.gov.vn", "web-01"}, {"www.dichvucong.binhan.gov.vn", "web-01"}, {"binhan.gov.vn", ""}, {"198.51.100.1", ""},
		} {
			hits, err := w.svc.Lookup(sysCtx, tt.value)
			if err != nil {
				t.Fatalf("Lookup(%q): %v", tt.value, err)
			}
			var names []string
			for _, h := range hits {
				names = append(names, h.Component)
				if h.SystemID != sys.ID || h.Level != 3 {
					t.Errorf("Lookup(%q) hit %+v", tt.value, h)
				}
			}
			if g := strings.Join(names, ","); g != tt.want {
				t.Errorf("Lookup(%q) = %q, want %q", tt.value, g, tt.want)
			}
		}
		if _, err := w.svc.Lookup(sysCtx, "not valid!"); !errs.Is(err, errs.Invalid) {
			t.Errorf("Lookup(junk) = %v, want Invalid", err)
		}
		// Another agency learns nothing; the province coordinator sees AMBER addresses.
		if hits, _ := w.svc.Lookup(w.as("bvt"), "203.0.113.10"); len(hits) != 0 {
			t.Errorf("Lookup as another agency = %v, want nothing", hits)
		}
		if hits, _ := w.svc.Lookup(w.as("coord"), "203.0.113.10"); len(hits) != 1 {
			t.Errorf("Lookup as coordinator = %v, want the hit", hits)
		}
		comps, err := w.svc.Components(w.as("admin"), sys.ID)
		if err != nil || len(comps) != 2 || !comps[1].AddressesHidden || comps[1].IPs != nil {
			t.Errorf("Components as admin of another agency = %+v, %v; want addresses hidden (AMBER)", comps, err)
		}
		in := portal(w)
		in.AddressTLP = access.AmberStrict
		if _, err := w.svc.UpdateSystem(w.as("skhcn"), sys.ID, in); err != nil {
			t.Fatal(err)
		}
		comps, _ = w.svc.Components(w.as("coord"), sys.ID)
		if !comps[0].AddressesHidden {
			t.Error("coordinator sees AMBER+STRICT addresses")
		}
		comps, _ = w.svc.Components(w.as("skhcn-viewer"), sys.ID)
		if comps[0].AddressesHidden {
			t.Error("the owner agency's viewer does not see its own addresses")
		}
		addrs, err := w.svc.Addresses(sysCtx)
		if err != nil || len(addrs) != 4 {
			t.Errorf("Addresses = %d, %v; want 4", len(addrs), err)
		}
		if _, err := w.svc.Addresses(w.as("skhcn")); !errs.Is(err, errs.Forbidden) {
			t.Errorf("Addresses as an agency analyst = %v, want Forbidden", err)
		}
		if err := w.svc.DeleteComponent(w.as("skhcn"), sys.ID, web.ID); err != nil {
			t.Fatal(err)
		}
		if hits, _ := w.svc.Lookup(sysCtx, "dichvucong.binhan.gov.vn"); len(hits) != 0 {
			t.Errorf("deleted component still found: %v", hits)
		}
	})
}

func TestDossierWorkflow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.clock.Set(time.Date(2026, 11, 19, 3, 0, 0, 0, time.UTC)) // a Thursday
		sys, err := w.svc.CreateSystem(w.as("skhcn"), portal(w))
		if err != nil {
			t.Fatal(err)
		}
		d, err := w.svc.GetDossier(w.as("skhcn"), sys.ID)
		if err != nil || d.Appraiser != "security_unit" || d.Approver != "owner" || !cmp.Equal(d.Next, []string{"submit"}) {
			t.Fatalf("GetDossier = %+v, %v", d, err)
		}
		step := func(who, action string, st sysinv.Step) (sysinv.Dossier, error) {
			st.Action = action
			return w.svc.Advance(w.as(who), sys.ID, st)
		}
		if _, err := step("skhcn", "approve", sysinv.Step{}); !errs.Is(err, errs.Conflict) {
			t.Errorf("approve a draft: %v, want Conflict", err)
		}
		if _, err := step("bvt", "submit", sysinv.Step{}); !errs.Is(err, errs.NotFound) {
			t.Errorf("submit by another agency: %v, want NotFound", err)
		}
		if _, err := step("skhcn", "submit", sysinv.Step{}); err != nil {
			t.Fatal(err)
		}
		// The analyst may not appraise; the owner's coordinator may.
		if _, err := step("skhcn", "start_appraisal", sysinv.Step{}); !errs.Is(err, errs.Conflict) && !errs.Is(err, errs.Forbidden) {
			t.Errorf("appraisal by an analyst: %v", err)
		}
		d, err = step("skhcn-coord", "start_appraisal", sysinv.Step{})
		if err != nil || d.Status != "under_appraisal" || d.Due != "2026-12-04" {
			t.Fatalf("start_appraisal = %s due %s, %v; want due 15 days later", d.Status, d.Due, err)
		}
		if _, err := step("skhcn-coord", "return", sysinv.Step{}); errs.FieldOf(err) != "note" {
			t.Errorf("return without reasons: %v", err)
		}
		d, err = step("skhcn-coord", "return", sysinv.Step{Note: "Thiếu phương án ứng cứu sự cố"})
		if err != nil || d.Status != "returned" {
			t.Fatalf("return = %s, %v", d.Status, err)
		}
		for _, a := range []string{"submit", "start_appraisal"} {
			if _, err := step("skhcn-coord", a, sysinv.Step{}); err != nil {
				t.Fatalf("%s: %v", a, err)
			}
		}
		d, err = step("skhcn-coord", "appraised", sysinv.Step{Note: "Đạt yêu cầu"})
		if err != nil || d.Due != "2026-11-30" { // 7 working days from Thursday 19th
			t.Fatalf("appraised = due %s, %v; want 2026-11-30", d.Due, err)
		}
		if _, err := step("skhcn-coord", "approve", sysinv.Step{DecisionSigner: "Chủ tịch UBND tỉnh"}); errs.FieldOf(err) != "decision_number" {
			t.Errorf("approve without a number: %v", err)
		}
		d, err = step("skhcn-coord", "approve", sysinv.Step{DecisionNumber: "1234/QĐ-UBND", DecisionDate: "2026-11-19", DecisionSigner: "Chủ tịch UBND tỉnh"})
		if err != nil || d.Status != "approved" || len(d.Events) != 7 {
			t.Fatalf("approve = %s with %d events, %v", d.Status, len(d.Events), err)
		}
		sys, _ = w.svc.GetSystem(w.as("skhcn"), sys.ID)
		if sys.ApprovedLevel != 3 || sys.ApprovalNumber != "1234/QĐ-UBND" || sys.ApprovalDate != "2026-11-19" {
			t.Errorf("approved system = level %d %q %q", sys.ApprovedLevel, sys.ApprovalNumber, sys.ApprovalDate)
		}
		// Proposing another level reopens the dossier.
		in := portal(w)
		in.ProposedLevel = 4
		sys, _ = w.svc.UpdateSystem(w.as("skhcn"), sys.ID, in)
		if sys.DossierStatus != "draft" || sys.ApprovedLevel != 3 {
			t.Errorf("after a new proposal: dossier %s approved %d", sys.DossierStatus, sys.ApprovedLevel)
		}
		// Level 4 is appraised by a ministry, recorded by the province's coordinators.
		if _, err := step("skhcn-coord", "submit", sysinv.Step{}); err != nil {
			t.Fatal(err)
		}
		if _, err := step("skhcn-coord", "start_appraisal", sysinv.Step{}); !errs.Is(err, errs.Forbidden) && !errs.Is(err, errs.Conflict) {
			t.Errorf("owner appraising level 4: %v", err)
		}
		d, err = step("coord", "start_appraisal", sysinv.Step{})
		if err != nil || d.Appraiser != "ministry" || d.Due != "2026-12-19" {
			t.Errorf("level 4 appraisal = %+v, %v; want ministry, 30 days", d, err)
		}
		doc, err := w.svc.AttachDocument(w.as("skhcn"), sys.ID, "dossier", `C:\hồ sơ\HSDX-cap-do.pdf`, "application/pdf", strings.NewReader("%PDF-1.4 test"))
		if err != nil || doc.Name != "HSDX-cap-do.pdf" || doc.Size != 13 {
			t.Fatalf("AttachDocument = %+v, %v", doc, err)
		}
		if _, err := w.svc.AttachDocument(w.as("skhcn"), sys.ID, "dossier", "big.pdf", "", bytes.NewReader(make([]byte, 1<<17))); errs.FieldOf(err) != "file" {
			t.Errorf("oversized document: %v", err)
		}
		if _, err := w.svc.AttachDocument(w.as("bvt"), sys.ID, "dossier", "x.pdf", "", strings.NewReader("x")); !errs.Is(err, errs.NotFound) {
			t.Errorf("document from another agency: %v", err)
		}
		_, rc, err := w.svc.OpenDocument(w.as("coord"), sys.ID, doc.ID)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
	})
}
