package sysinv_test

import (
	"testing"

	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
	"bulwark/internal/sysinv"
)

// TestPublicCatalogues imports the real NVD records and the real KEV
// excerpt of testdata/public and checks the counts they must give and the
// findings and due dates of systems running the affected software.
func TestPublicCatalogues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		portalID, hospitalID := demo(t, w) // today is 2026-11-20 in the province
		dc, err := w.svc.CreateSystem(w.as("skhcn"), sysinv.SystemInput{Name: "Trung tâm dữ liệu tỉnh", Type: "shared_infrastructure",
			InfoClass: "private", Reach: "province", ProposedLevel: 3, Status: "operating"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddComponent(w.as("skhcn"), dc.ID, sysinv.ComponentInput{Name: "lgsp-mq", Kind: "service", Level: 3,
			Software: "Apache ActiveMQ", SoftwareVersion: "5.17.5", CPE: "cpe:2.3:a:apache:activemq:5.17.5:*:*:*:*:*:*:*"}); err != nil {
			t.Fatal(err)
		}

		run, err := w.svc.ImportFeed(w.as("coord"), "", "nvdcve-2.0-public.json", sysinv.PublicNVDFeed())
		if err != nil {
			t.Fatalf("ImportFeed(nvd): %v", err)
		}
		if run.Kind != "nvd" || run.Status != "done" || run.Records != 5 || run.Added != 5 || run.Skipped != 0 || run.ProblemCount != 0 {
			t.Errorf("nvd run = %+v", run)
		}
		// Level 3 and known exploited (the NVD records carry CISA's dates): 7 days.
		for _, c := range []struct {
			system int64
			want   string
		}{
			{portalID, "web-01:CVE-2021-42013:cpe:2026-11-27:KEV web-01:CVE-2021-41773:cpe:2026-11-27:KEV"},
			{dc.ID, "lgsp-mq:CVE-2023-46604:cpe:2026-11-27:KEV"},
			// Level 2, nginx named without a CPE: a weak match, CVSS 7.7 → 60 days.
			{hospitalID, "proxy:CVE-2021-23017:name:2027-01-19"},
		} {
			fs, _, err := w.svc.ListFindings(w.as("coord"), sysinv.FindingFilter{SystemID: c.system})
			if err != nil {
				t.Fatal(err)
			}
			if got := cves(fs); got != c.want {
				t.Errorf("findings of system %d =\n%s\nwant\n%s", c.system, got, c.want)
			}
		}
		v, err := w.svc.GetVulnerability(w.as("skhcn"), "CVE-2021-41773")
		if err != nil || !v.KEV || v.KEVAdded != "2021-11-03" || v.KEVDue != "2021-11-17" || v.CVSS != 7.5 || v.Severity != "HIGH" {
			t.Errorf("CVE-2021-41773 = %+v, %v", v, err)
		}
		// A 2025 record the NVD has not analysed yet: CVSS 4.0 from the CNA, no configurations, no finding.
		v, err = w.svc.GetVulnerability(w.as("skhcn"), "CVE-2025-0108")
		if err != nil || v.CVSS != 8.8 || v.KEV {
			t.Errorf("CVE-2025-0108 = %+v, %v", v, err)
		}
		if _, total, _ := w.svc.ListFindings(w.as("coord"), sysinv.FindingFilter{}); total != 4 {
			t.Errorf("%d findings in all, want the 4 above (CVE-2025-0108 hits nothing)", total)
		}

		run, err = w.svc.ImportFeed(w.as("coord"), "", "known_exploited_vulnerabilities.json", sysinv.PublicKEV())
		if err != nil {
			t.Fatalf("ImportFeed(kev): %v", err)
		}
		// Nine entries: seven not in the NVD excerpt (added); ActiveMQ's and PAN-OS's updated with CISA's data.
		if run.Kind != "kev" || run.CatalogVersion != "2025.02.25" || run.Records != 9 || run.Added != 7 || run.Updated != 2 || run.Skipped != 0 || run.ProblemCount != 0 {
			t.Errorf("kev run = %+v", run)
		}
		v, err = w.svc.GetVulnerability(w.as("skhcn"), "CVE-2023-46604")
		if err != nil || v.KEVDue != "2023-11-23" || v.Ransomware != "Known" || v.KEVName != "Apache ActiveMQ Deserialization of Untrusted Data Vulnerability" {
			t.Errorf("CVE-2023-46604 = %+v, %v", v, err)
		}
		st, err := w.svc.CatalogueStats(w.as("coord"))
		if err != nil || st.Total != 12 || st.NVD != 5 || st.KEV != 11 {
			t.Errorf("catalogue = %+v, %v (want 12 CVEs, 5 from the NVD, 11 known exploited)", st, err)
		}
		if v, _ := w.svc.GetVulnerability(w.as("skhcn"), "CVE-2025-0108"); !v.KEV || v.KEVAdded != "2025-02-18" || v.KEVDue != "2025-03-11" {
			t.Errorf("CVE-2025-0108 after KEV = %+v", v)
		}
		// The province question over real data: level-3 systems with a known-exploited vulnerability.
		if _, total, err := w.svc.ListFindings(w.as("coord"), sysinv.FindingFilter{KEV: true, Level: 3, Open: true}); err != nil || total != 3 {
			t.Errorf("level-3 KEV findings = %d, %v; want 3", total, err)
		}
		// Importing both again changes nothing.
		if run, err := w.svc.ImportFeed(w.as("coord"), "nvd", "again", sysinv.PublicNVDFeed()); err != nil || run.Unchanged != 5 || run.FindingsNew != 0 {
			t.Errorf("NVD again = %+v, %v", run, err)
		}
		if run, err := w.svc.ImportFeed(w.as("coord"), "kev", "again", sysinv.PublicKEV()); err != nil || run.Unchanged != 9 {
			t.Errorf("KEV again = %+v, %v", run, err)
		}
		// A host named only by its operating system: Fedora 34 is listed in the
		// NVD's configurations of the Apache and nginx records (the distribution's
		// packages), a weak match by OS name and version; Fedora 36 is not.
		for _, c := range []struct{ os, version, want string }{
			{"Fedora", "34", "build:CVE-2021-42013:name:2026-11-27:KEV build:CVE-2021-41773:name:2026-11-27:KEV build:CVE-2021-23017:name:2026-12-20"},
			{"Fedora", "36", ""},
		} {
			comp, err := w.svc.AddComponent(w.as("skhcn"), dc.ID, sysinv.ComponentInput{Name: "build", Kind: "host", Level: 3, OS: c.os, OSVersion: c.version})
			if err != nil {
				t.Fatal(err)
			}
			fs, _, _ := w.svc.ListFindings(w.as("coord"), sysinv.FindingFilter{SystemID: dc.ID, Open: true})
			var got []sysinv.Finding
			for _, f := range fs {
				if f.Component == "build" {
					got = append(got, f)
				}
			}
			if s := cves(got); s != c.want {
				t.Errorf("%s %s: findings =\n%s\nwant\n%s", c.os, c.version, s, c.want)
			}
			if err := w.svc.DeleteComponent(w.as("skhcn"), dc.ID, comp.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
}
