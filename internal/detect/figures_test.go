package detect_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/detect"
	"bulwark/internal/errs"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// TestDailyAlerts counts alerts per day of first sighting and severity in
// the dashboard's time zone, each agency its own and coordinators all.
func TestDailyAlerts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, detect.Config{})
		ctx := context.Background()
		upload(t, w, traversalRule, suricataAlertRule)
		bac, err := w.svc.CreateSource(w.as("bac"), detect.SourceInput{Name: "web", Kind: "web", Format: "accesslog"})
		if err != nil {
			t.Fatal(err)
		}
		nam, err := w.svc.CreateSource(w.as("nam"), detect.SourceInput{Name: "ids", Kind: "ids", Format: "suricata"})
		if err != nil {
			t.Fatal(err)
		}
		send := func(src detect.CreatedSource, lines ...string) {
			t.Helper()
			if _, err := w.svc.Ingest(ctx, src.Source, strings.NewReader(strings.Join(lines, "\n")), false); err != nil {
				t.Fatal(err)
			}
		}
		ict := time.FixedZone("ICT", 7*3600)
		// The world's clock starts at 2026-11-20 02:00 UTC (09:00 ICT).
		send(bac, accessLine("192.0.2.1", "/?f=../a"), accessLine("192.0.2.2", "/?f=../a")) // two high, on the 20th
		w.clock.Add(20 * time.Hour)                                                         // 2026-11-20 22:00 UTC: the 21st in ICT, the 20th in UTC
		send(nam, suricataLine("192.0.2.3", "198.51.100.1", ""))                            // one medium
		w.clock.Add(24 * time.Hour)                                                         // the 22nd in ICT
		send(bac, accessLine("192.0.2.4", "/?f=../a"))

		got, err := w.svc.DailyAlerts(w.as("coord"), 3, ict)
		if err != nil {
			t.Fatal(err)
		}
		zero := []int{0, 0, 0}
		want := detect.DailyAlerts{Days: []string{"2026-11-20", "2026-11-21", "2026-11-22"}, Total: 4, BySeverity: map[string][]int{
			"informational": zero, "low": zero, "medium": {0, 1, 0}, "high": {2, 0, 1}, "critical": zero}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("coordinator, ICT (-want +got):\n%s", diff)
		}
		// The district, in UTC, today only (2026-11-21): its last alert.
		got, err = w.svc.DailyAlerts(w.as("bac"), 1, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		want = detect.DailyAlerts{Days: []string{"2026-11-21"}, Total: 1, BySeverity: map[string][]int{
			"informational": {0}, "low": {0}, "medium": {0}, "high": {1}, "critical": {0}}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("district, UTC, one day (-want +got):\n%s", diff)
		}
		if _, err := w.svc.DailyAlerts(w.as("bac"), 0, nil); errs.FieldOf(err) != "days" {
			t.Errorf("DailyAlerts(0 days) = %v", err)
		}
	})
}
