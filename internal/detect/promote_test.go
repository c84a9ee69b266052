package detect_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/detect"
	"bulwark/internal/incident"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
	"bulwark/internal/sysinv"
)

// inventory is the real information systems service seen through the
// interface incidents use.
type inventory struct{ s *sysinv.Service }

func (c inventory) VisibleSystem(ctx context.Context, id int64) (incident.SystemRef, error) {
	x, err := c.s.GetSystem(ctx, id)
	if err != nil {
		return incident.SystemRef{}, err
	}
	return incident.SystemRef{ID: x.ID, Name: x.Name, OwnerAgency: x.OwnerAgency, ApprovedLevel: x.ApprovedLevel}, nil
}

func (c inventory) VisibleSystems(ctx context.Context) ([]incident.SystemRef, error) {
	list, _, err := c.s.ListSystems(ctx, sysinv.SystemFilter{Limit: 100})
	var out []incident.SystemRef
	for _, x := range list {
		out = append(out, incident.SystemRef{ID: x.ID, Name: x.Name})
	}
	return out, err
}

// TestPromoteToExistingIncidentLinksSystems: alerts promoted to an
// existing incident add the systems they hit, as the promoter sees them,
// to its linked systems: once each, keeping the systems linked before
// (even one the promoter may not see), journalled as an edit.
func TestPromoteToExistingIncidentLinksSystems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, detect.Config{})
		ctx := context.Background()
		log := audit.New(db, w.clock.Now)
		inv := sysinv.NewService(sysinv.Deps{DB: db, Audit: log, Now: w.clock.Now}, sysinv.Config{})
		incs := incident.NewService(incident.Deps{DB: db, Audit: log, Now: w.clock.Now}, incident.Config{})
		incs.SetSystemCatalog(inventory{inv})
		svc, err := detect.New(detect.Deps{DB: db, Audit: log, Now: w.clock.Now, Intel: w.intel, Incidents: incs, Systems: w.dir}, detect.Config{})
		if err != nil {
			t.Fatal(err)
		}
		w.svc = svc

		system := access.With(ctx, access.SystemPrincipal())
		newSystem := func(agency, name string) int64 {
			t.Helper()
			x, err := inv.CreateSystem(system, sysinv.SystemInput{Name: name, OwnerAgencyID: w.agencies[agency], Type: "citizen_services",
				InfoClass: "personal", Reach: "province", ProposedLevel: 3})
			if err != nil {
				t.Fatal(err)
			}
			return x.ID
		}
		portal, dns, hna := newSystem("HBT", "Cổng thông tin huyện Bắc"), newSystem("HBT", "Máy chủ DNS huyện Bắc"), newSystem("HNA", "Trung tâm dữ liệu huyện Nam")
		w.dir.systems = []detect.DirectorySystem{
			{ID: portal, Name: "Cổng thông tin huyện Bắc", OwnerAgencyID: w.agencies["HBT"], AddressTLP: access.Amber, Addresses: []string{"198.18.0.10"}},
			{ID: dns, Name: "Máy chủ DNS huyện Bắc", OwnerAgencyID: w.agencies["HBT"], AddressTLP: access.Amber, Addresses: []string{"10.20.0.53"}},
			{ID: hna, Name: "Trung tâm dữ liệu huyện Nam", OwnerAgencyID: w.agencies["HNA"], AddressTLP: access.Amber, Addresses: []string{"10.30.0.0/24"}},
		}
		if err := svc.RefreshSystems(ctx); err != nil {
			t.Fatal(err)
		}
		upload(t, w, suricataAlertRule)
		src, err := svc.CreateSource(w.as("bac"), detect.SourceInput{Name: "IDS huyện Bắc", Kind: "ids", Format: "suricata"})
		if err != nil {
			t.Fatal(err)
		}
		body := strings.Join([]string{
			suricataLine("192.0.2.1", "198.18.0.10", ""), // the portal
			suricataLine("192.0.2.2", "10.20.0.53", ""),  // the DNS server
			suricataLine("192.0.2.3", "10.20.0.53", ""),  // the DNS server again
			suricataLine("192.0.2.4", "10.30.0.7", ""),   // HNA's data centre: hidden from the district
			suricataLine("192.0.2.5", "203.0.113.9", ""), // no system
			suricataLine("192.0.2.6", "198.18.0.10", ""), // the portal, promoted later
			suricataLine("192.0.2.7", "10.20.0.53", ""),  // the DNS server, promoted to HNA's incident
			suricataLine("192.0.2.8", "10.20.0.53", ""),  // the DNS server, promoted to a full incident
		}, "\n")
		if res, err := svc.Ingest(ctx, src.Source, strings.NewReader(body), false); err != nil || res.Alerts != 8 {
			t.Fatalf("Ingest = %+v, %v", res, err)
		}
		alerts, _, err := svc.ListAlerts(w.as("bac"), detect.AlertFilter{})
		if err != nil {
			t.Fatal(err)
		}
		byEntity := map[string]int64{}
		for _, a := range alerts {
			byEntity[a.Entity] = a.ID
		}

		// The district's incident; the province coordinator links HNA's
		// data centre, which the district may not see.
		inc, err := incs.Create(w.as("bac"), incident.Input{Title: "Dò quét máy chủ huyện Bắc", Category: "intrusions/system-compromise",
			Severity: incident.SeverityHigh, TLP: access.Amber, PAP: incident.PAPAmber, DetectedAt: w.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := incs.LinkSystems(w.as("coord"), inc.ID, []int64{hna}); err != nil {
			t.Fatal(err)
		}
		edits := func() int {
			t.Helper()
			entries, err := incs.Journal(w.as("coord"), inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range entries {
				if e.Kind == incident.JournalEvent && e.Event == "edited" && e.Body == "systems" {
					n++
				}
			}
			return n
		}
		linked := func() []int64 {
			t.Helper()
			x, err := incs.Get(w.as("coord"), inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			ids := x.SystemIDs()
			slices.Sort(ids)
			return ids
		}
		want := []int64{portal, dns, hna}
		slices.Sort(want)

		got, err := svc.Promote(w.as("bac"), detect.PromoteInput{IncidentID: inc.ID,
			AlertIDs: []int64{byEntity["192.0.2.1"], byEntity["192.0.2.2"], byEntity["192.0.2.3"], byEntity["192.0.2.4"], byEntity["192.0.2.5"]}})
		if err != nil {
			t.Fatal(err)
		}
		if ids := linked(); !slices.Equal(ids, want) {
			t.Errorf("linked systems after the promotion = %v, want the portal, the DNS server and HNA's (%v)", ids, want)
		}
		if got.ID != inc.ID || len(got.Systems) != 3 {
			t.Errorf("Promote answered %d with systems %+v", got.ID, got.Systems)
		}
		if n := edits(); n != 2 {
			t.Errorf("%d \"edited: systems\" journal entries, want 2 (the coordinator's, the promotion's)", n)
		}
		// A system linked already: nothing new, nothing journalled.
		if _, err := svc.Promote(w.as("bac"), detect.PromoteInput{IncidentID: inc.ID, AlertIDs: []int64{byEntity["192.0.2.6"]}}); err != nil {
			t.Fatal(err)
		}
		if ids := linked(); !slices.Equal(ids, want) {
			t.Errorf("linked systems after promoting a linked system's alert = %v, want %v", ids, want)
		}
		if n := edits(); n != 2 {
			t.Errorf("%d \"edited: systems\" journal entries after nothing new, want 2", n)
		}

		// A district with a task on another district's incident may add
		// alerts to it but not edit its record: the alerts go, their
		// systems are not linked.
		theirs, err := incs.Create(w.as("nam"), incident.Input{Title: "Sự cố huyện Nam", Category: "intrusions/system-compromise",
			Severity: incident.SeverityMedium, TLP: access.Amber, PAP: incident.PAPAmber, DetectedAt: w.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := incs.AddTask(w.as("coord"), theirs.ID, incident.TaskInput{Title: "Kiểm tra máy chủ DNS", AgencyID: w.agencies["HBT"]}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Promote(w.as("bac"), detect.PromoteInput{IncidentID: theirs.ID, AlertIDs: []int64{byEntity["192.0.2.7"]}}); err != nil {
			t.Fatalf("a task's agency promotes to the incident: %v", err)
		}
		x, err := incs.Get(w.as("coord"), theirs.ID)
		if err != nil || len(x.Systems) != 0 {
			t.Errorf("HNA's incident after the task agency's promotion: systems %+v, %v; want none", x.Systems, err)
		}
		if a, err := svc.GetAlert(w.as("bac"), byEntity["192.0.2.7"]); err != nil || a.Status != detect.StatusPromoted || a.IncidentID != theirs.ID {
			t.Errorf("alert after the promotion = %+v, %v", a, err)
		}

		// An incident that links the most systems it may: the alert is
		// attached all the same, its system not linked.
		full, err := incs.Create(w.as("bac"), incident.Input{Title: "Sự cố diện rộng", Category: "malicious-code/infected-system",
			Severity: incident.SeverityHigh, TLP: access.Amber, PAP: incident.PAPAmber, DetectedAt: w.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		var many []int64
		for i := range 50 {
			many = append(many, newSystem("HBT", "Máy trạm "+strconv.Itoa(i)))
		}
		if _, err := incs.LinkSystems(w.as("bac"), full.ID, many); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Promote(w.as("bac"), detect.PromoteInput{IncidentID: full.ID, AlertIDs: []int64{byEntity["192.0.2.8"]}}); err != nil {
			t.Fatalf("promotion to an incident with 50 systems: %v", err)
		}
		if a, err := svc.GetAlert(w.as("bac"), byEntity["192.0.2.8"]); err != nil || a.Status != detect.StatusPromoted || a.IncidentID != full.ID {
			t.Errorf("alert after the promotion to the full incident = %+v, %v", a, err)
		}
		if x, err := incs.Get(w.as("bac"), full.ID); err != nil || len(x.Systems) != 50 || slices.Contains(x.SystemIDs(), dns) {
			t.Errorf("full incident after the promotion: %d systems, %v; want the 50 linked before", len(x.Systems), err)
		}
	})
}
