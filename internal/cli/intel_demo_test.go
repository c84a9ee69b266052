package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"bulwark/internal/access"
	"bulwark/internal/demo"
	"bulwark/internal/intel"
)

// TestIntelDemo seeds the demo's intelligence on top of its incidents: the
// reports merge where two agencies report the same value, the dashboard
// draws the figure from what each viewer may see, and an indicator that an
// incident recorded lists that incident.
func TestIntelDemo(t *testing.T) {
	e := newTestEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "b.db"))
	sys := access.With(context.Background(), access.SystemPrincipal())
	if err := demo.SeedIncidents(sys, e.app.Incidents, e.app.Agencies, e.app.Auth); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedIntel(sys, e.app.Intel, e.app.Agencies, e.app.Auth); err != nil {
		t.Fatal(err)
	}
	all, err := e.app.Intel.DashboardCounts(sys)
	if err != nil {
		t.Fatal(err)
	}
	types, tlps := map[string]bool{}, map[access.TLP]bool{}
	for ty, m := range all.Counts {
		types[ty] = true
		for tlp := range m {
			tlps[tlp] = true
		}
	}
	if all.Indicators < 30 || len(types) != len(intel.Types) || len(tlps) != len(access.TLPs) {
		t.Errorf("demo intelligence: %d indicators, %d types (want %d), %d TLPs (want %d)", all.Indicators, len(types), len(intel.Types), len(tlps), len(access.TLPs))
	}
	// A telecom sees fewer than the system: AMBER of others, AMBER+STRICT and RED stay out.
	b := e.browser(t)
	b.login(liaison, e.accounts[liaison].Password)
	_, doc := b.get("/")
	if len(queryAll(doc, "#intel-dash canvas#intel-dash-chart")) != 1 {
		t.Fatal("the dashboard lacks the intelligence figure")
	}
	seen := text(queryAll(doc, "#intel-dash-total")[0])
	if seen == "" || seen == "0" || seen == itoa64(int64(all.Indicators)) {
		t.Errorf("the telecom's dashboard counts %s indicators; the system sees %d", seen, all.Indicators)
	}
	data := text(queryAll(doc, "#intel-dash-data")[0])
	if !strings.Contains(data, `"TLP:GREEN"`) || !strings.Contains(data, "Tên miền") {
		t.Errorf("chart data = %s", data)
	}
	// 198.51.100.77 was recorded by the city's defacement incident.
	c := e.browser(t)
	c.login(coord, e.accounts[coord].Password)
	ind, err := e.app.Intel.Lookup(sys, "ipv4", "198.51.100.77")
	if err != nil {
		t.Fatal(err)
	}
	_, doc = c.get("/intel/" + itoa64(ind.ID))
	if rows := queryAll(doc, "#intel-incidents tbody tr a"); len(rows) == 0 || !strings.HasPrefix(text(rows[0]), "SC-") {
		t.Errorf("the coordinator sees no related incident for 198.51.100.77")
	}
	if len(ind.Entries) < 2 {
		t.Errorf("198.51.100.77 has %d entries; want the incident's and the police's", len(ind.Entries))
	}
}
