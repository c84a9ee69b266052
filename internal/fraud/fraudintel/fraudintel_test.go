package fraudintel_test

import (
	"context"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/fraud"
	"bulwark/internal/fraud/fraudintel"
	"bulwark/internal/intel"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// TestConfirmedPhishingBecomesClearIndicator: a phishing URL confirmed in
// fraud is a TLP:CLEAR indicator in threat intelligence, domain and URL,
// visible to a member agency that had nothing to do with it.
func TestConfirmedPhishingBecomesClearIndicator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		ids := map[string]int64{}
		for _, a := range []struct{ code, kind string }{{"CAT", "standing"}, {"SKHCN", "department"}} {
			var id int64
			if err := db.QueryRow(ctx, `INSERT INTO agencies (code, name_vi, kind, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
				a.code, a.code, a.kind, now, now).Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids[a.code] = id
		}
		in, err := intel.NewService(intel.Deps{DB: db, Now: clock}, intel.Config{SpoolDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(in.Close)
		svc := fraud.New(fraud.Deps{DB: db, Audit: audit.New(db, clock), Sink: fraudintel.Sink{Intel: in, Now: clock}, Now: clock}, fraud.Config{})
		if _, err := svc.Submit(ctx, fraud.ReportInput{Channel: fraud.ChannelSMS, ScamType: "phishing_link", Consent: true,
			Identifiers: []fraud.Identifier{{Kind: fraud.KindURL, Value: "https://vcb-digibank-xacminh.com/dang-nhap"}}}, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		analyst := access.With(ctx, &access.Principal{UserID: 0, Email: "a@cat", AgencyID: ids["CAT"], AgencyCode: "CAT", Roles: []access.Role{access.Analyst}, Standing: true})
		sb, err := svc.SubjectByValue(analyst, fraud.KindDomain, "vcb-digibank-xacminh.com")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Decide(analyst, sb.ID, fraud.Decision{Status: fraud.StatusConfirmed, Reason: "giả mạo VCB"}); err != nil {
			t.Fatal(err)
		}
		other := access.With(ctx, &access.Principal{Email: "x@skhcn", AgencyID: ids["SKHCN"], AgencyCode: "SKHCN", Roles: []access.Role{access.Viewer}})
		for _, c := range []struct{ typ, value string }{{"domain", "vcb-digibank-xacminh.com"}, {"url", "https://vcb-digibank-xacminh.com/dang-nhap"}} {
			ind, err := in.Lookup(other, c.typ, c.value)
			if err != nil {
				t.Fatalf("intel Lookup(%s %s) = %v", c.typ, c.value, err)
			}
			if ind.TLP != access.Clear || len(ind.Entries) != 1 || ind.Entries[0].AgencyID != ids["CAT"] || ind.Entries[0].Source != "fraud" {
				t.Errorf("indicator %s = TLP %s, entries %+v", c.value, ind.TLP, ind.Entries)
			}
		}
		hs, err := svc.ListHandoffs(analyst, 10)
		if err != nil || len(hs) != 2 || !hs[0].Delivered || !hs[1].Delivered {
			t.Errorf("hand-offs = %+v, %v; want 2 delivered", hs, err)
		}
		// Cleared later: the fraud entries stop being active.
		if _, err := svc.Decide(analyst, sb.ID, fraud.Decision{Status: fraud.StatusCleared, Reason: "trang đã bị gỡ, nhầm lẫn"}); err != nil {
			t.Fatal(err)
		}
		if ind, err := in.Lookup(other, "domain", "vcb-digibank-xacminh.com"); err != nil || ind.Active {
			t.Errorf("after clearing, indicator active = %v, %v; want inactive", ind.Active, err)
		}
		hs, err = svc.ListHandoffs(analyst, 10)
		if err != nil || len(hs) != 2 || hs[0].Delivered {
			t.Errorf("hand-offs after clearing = %+v, %v; want 2 not delivered", hs, err)
		}
	})
}
