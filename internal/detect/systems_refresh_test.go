package detect_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/detect"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// TestSystemsRefreshOnRequest: with the background loop running on its
// long refresh, a component address added to the inventory names its
// system on alerts soon after the inventory asks for a refresh, without
// waiting for the next indicator rebuild.
func TestSystemsRefreshOnRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, detect.Config{IndexRefresh: time.Hour})
		hbt := w.agencies["HBT"]
		w.dir.systems = []detect.DirectorySystem{
			{ID: 1, Name: "Cổng thông tin huyện Bắc", OwnerAgencyID: hbt, AddressTLP: access.Amber, Addresses: []string{"198.18.0.10"}},
		}
		upload(t, w, suricataAlertRule)
		src, err := w.svc.CreateSource(w.as("bac"), detect.SourceInput{Name: "IDS huyện Bắc", Kind: "ids", Format: "suricata"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go w.svc.Run(ctx)

		// Each event differs in both addresses, so each raises its own
		// alert whatever the alert's key entity is.
		system := func(i int) string {
			t.Helper()
			line := suricataLine(fmt.Sprintf("192.0.2.%d", i), fmt.Sprintf("198.18.0.%d", 128+i), "")
			if _, err := w.svc.Ingest(context.Background(), src.Source, strings.NewReader(line), false); err != nil {
				t.Fatal(err)
			}
			alerts, _, err := w.svc.ListAlerts(w.as("bac"), detect.AlertFilter{})
			if err != nil || len(alerts) == 0 {
				t.Fatalf("alerts: %d, %v", len(alerts), err)
			}
			for _, a := range alerts {
				if a.System != nil {
					return a.System.Name
				}
			}
			return ""
		}
		if got := system(1); got != "" {
			t.Fatalf("alert names %q before the address is in the inventory", got)
		}
		w.dir.mu.Lock()
		w.dir.systems[0].Addresses = append(w.dir.systems[0].Addresses, "198.18.0.128/25")
		w.dir.mu.Unlock()
		w.svc.RequestSystemsRefresh()
		start := time.Now()
		for i := 2; system(i) != "Cổng thông tin huyện Bắc"; i++ {
			if time.Since(start) > 15*time.Second {
				t.Fatal("the new address does not name its system 15 s after the refresh request")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
