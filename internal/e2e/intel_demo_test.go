package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"bulwark/internal/access"
	"bulwark/internal/demo"
)

// TestIntelDemoPages: with the demo's incidents and intelligence seeded,
// the coordinator's dashboard draws the indicators by type and TLP, and an
// indicator that an incident recorded lists it.
func TestIntelDemoPages(t *testing.T) {
	e := Start(t)
	sys := access.With(context.Background(), access.SystemPrincipal())
	if err := demo.SeedIncidents(sys, e.App.Incidents, e.App.Agencies, e.App.Auth); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedIntel(sys, e.App.Intel, e.App.Agencies, e.App.Auth); err != nil {
		t.Fatal(err)
	}
	ctx := Browser(t, false)
	e.Login(t, ctx, "dieuphoi@demo.bulwark.vn")
	Step(t, ctx, "dashboard", chromedp.Navigate(e.URL+"/"), chromedp.WaitVisible(chromedp.ID("intel-dash")))
	waitJS(t, ctx, `document.querySelector("canvas#intel-dash-chart[data-drawn]") !== null`)
	Shot(t, ctx, "dashboard")
	ind, err := e.App.Intel.Lookup(sys, "ipv4", "198.51.100.77")
	if err != nil {
		t.Fatal(err)
	}
	Step(t, ctx, "detail", chromedp.Navigate(e.URL+"/intel/"+strconv.FormatInt(ind.ID, 10)), chromedp.WaitVisible(chromedp.ID("intel-incidents")))
	if got := Text(t, ctx, "#intel-incidents tbody"); !strings.Contains(got, "SC-") {
		t.Errorf("related incidents: %q", got)
	}
	Shot(t, ctx, "detail-related")
	Step(t, ctx, "list", chromedp.Navigate(e.URL+"/intel"), chromedp.WaitVisible(chromedp.ID("intel-table")))
	Shot(t, ctx, "list")
}
