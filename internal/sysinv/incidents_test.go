package sysinv_test

import (
	"context"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/incident"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
	"bulwark/internal/sysinv"
)

// The two capabilities joined as internal/cli joins them: incidents link
// the systems their reporter sees, the inventory reads the incidents back.
type linkedSystems struct{ s *sysinv.Service }

func (c linkedSystems) VisibleSystem(ctx context.Context, id int64) (incident.SystemRef, error) {
	x, err := c.s.GetSystem(ctx, id)
	return incident.SystemRef{ID: x.ID, Name: x.Name, ApprovedLevel: x.ApprovedLevel}, err
}

func (c linkedSystems) VisibleSystems(ctx context.Context) ([]incident.SystemRef, error) {
	return nil, nil
}

type incidentsOf struct{ s *incident.Service }

func (c incidentsOf) IncidentCounts(ctx context.Context, since time.Time) (map[int64]map[string]int, error) {
	counts, err := c.s.SystemIncidentCounts(ctx, since)
	out := map[int64]map[string]int{}
	for id, m := range counts {
		out[id] = map[string]int{}
		for sev, n := range m {
			out[id][string(sev)] = n
		}
	}
	return out, err
}

func (c incidentsOf) SystemIncidents(ctx context.Context, id int64, limit int) ([]sysinv.IncidentBrief, int, error) {
	list, total, err := c.s.SystemIncidents(ctx, id, limit)
	var out []sysinv.IncidentBrief
	for _, x := range list {
		out = append(out, sysinv.IncidentBrief{ID: x.ID, Ref: x.Ref, Severity: string(x.Severity)})
	}
	return out, total, err
}

func TestRiskCountsRecentIncidents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		incs := incident.NewService(incident.Deps{DB: db, Now: w.clock.Now}, incident.Config{})
		svc := sysinv.NewService(sysinv.Deps{DB: db, Now: w.clock.Now, Incidents: incidentsOf{incs}}, sysinv.Config{})
		incs.SetSystemCatalog(linkedSystems{svc})
		sys, err := svc.CreateSystem(w.as("skhcn"), portal(w))
		if err != nil {
			t.Fatal(err)
		}
		base, err := svc.SystemRisk(w.as("skhcn"), sys.ID)
		if err != nil || base.Risk.RecentIncidents != 0 || base.Risk.IncidentsPart != 0 {
			t.Fatalf("before any incident: %+v, %v", base.Risk, err)
		}
		report := func(sev incident.Severity, tlp access.TLP, detected time.Time) {
			t.Helper()
			_, err := incs.Create(w.as("skhcn"), incident.Input{Title: "Tấn công cổng dịch vụ công", Category: "availability/ddos", Severity: sev,
				TLP: tlp, DetectedAt: detected, SystemIDs: []int64{sys.ID}})
			if err != nil {
				t.Fatal(err)
			}
		}
		now := w.clock.Now()
		report(incident.SeverityHigh, access.Amber, now.Add(-48*time.Hour))
		report(incident.SeverityCritical, access.Red, now.Add(-30*24*time.Hour)) // only its named people see it
		report(incident.SeverityLow, access.Amber, now.AddDate(-1, 0, -10))      // outside the 365 days
		rules := sysinv.DefaultRules().Risk
		if rules.IncidentDays != 365 || rules.IncidentSeverity["critical"] <= rules.IncidentSeverity["high"] {
			t.Fatalf("rules: %+v", rules)
		}
		want := rules.PerRecentIncident * (rules.IncidentSeverity["high"] + rules.IncidentSeverity["critical"])
		for _, who := range []string{"skhcn", "coord"} { // the score is the system's, whoever reads it
			got, err := svc.SystemRisk(w.as(who), sys.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Risk.RecentIncidents != 2 || got.Risk.IncidentsPart != want || got.Risk.Score != base.Risk.Score+want {
				t.Errorf("%s: risk %+v, want 2 incidents worth %.1f over %.1f", who, got.Risk, want, base.Risk.Score)
			}
		}
		view, err := svc.Overview(w.as("coord"), 0, "risk")
		if err != nil || len(view.Rows) != 1 || view.Rows[0].Risk.IncidentsPart != want {
			t.Errorf("overview: %+v, %v", view.Rows, err)
		}

		// The system page's list shows only the incidents the reader may see.
		for who, n := range map[string]int{"skhcn": 3, "coord": 2} {
			list, total, err := svc.RecentIncidents(w.as(who), sys.ID, 10)
			if err != nil || len(list) != n || total != n {
				t.Errorf("%s: %d incidents (total %d), want %d: %v", who, len(list), total, n, err)
			}
		}
		if _, _, err := svc.RecentIncidents(w.as("bvt"), sys.ID, 10); errs.KindOf(err) != errs.NotFound {
			t.Errorf("another agency reads the system's incidents: %v", err)
		}
		// Without the incident capability the list is empty, not an error.
		alone := sysinv.NewService(sysinv.Deps{DB: db, Now: w.clock.Now}, sysinv.Config{})
		if list, total, err := alone.RecentIncidents(w.as("skhcn"), sys.ID, 10); err != nil || len(list) != 0 || total != 0 {
			t.Errorf("no incident capability: %v %d %v", list, total, err)
		}
	})
}
