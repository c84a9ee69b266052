package intel

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/access"
	"bulwark/internal/errs"
)

func TestCreateMergesReports(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		a := f.as("A")
		ind, created, err := f.svc.Create(a, Input{Type: "domain", Value: "Evil.EXAMPLE.vn.", TLP: access.Green, Tags: []string{"Phishing"}, Confidence: intp(60)})
		if err != nil || !created {
			t.Fatalf("Create = %v, %v", created, err)
		}
		if ind.Value != "evil.example.vn" {
			t.Errorf("value = %q, want the normalised evil.example.vn", ind.Value)
		}
		f.advance(time.Hour)
		early := f.now.Add(-48 * time.Hour)
		ind2, created, err := f.svc.Create(a, Input{Type: "domain", Value: "evil.example.vn", TLP: access.Amber, Tags: []string{"bank"}, FirstSeen: &early, Confidence: intp(40)})
		if err != nil || created {
			t.Fatalf("second Create = created %v, %v; want a merge", created, err)
		}
		if ind2.ID != ind.ID || len(ind2.Entries) != 1 {
			t.Fatalf("merge gave indicator %d with %d entries, want %d with 1", ind2.ID, len(ind2.Entries), ind.ID)
		}
		e := ind2.Entries[0]
		want := struct {
			TLP        access.TLP
			Confidence int
			Tags       []string
			First      time.Time
		}{access.Amber, 60, []string{"bank", "phishing"}, early}
		got := struct {
			TLP        access.TLP
			Confidence int
			Tags       []string
			First      time.Time
		}{e.TLP, e.Confidence, e.Tags, e.FirstSeen}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("merged entry (-want +got):\n%s", diff)
		}
		// Another agency's report adds an entry on the same indicator.
		if _, created, err := f.svc.Create(f.as("B"), Input{Type: "domain", Value: "evil.example.vn", TLP: access.Green, Source: "partner"}); err != nil || created {
			t.Fatalf("B's Create = %v, %v", created, err)
		}
		// C sees only B's GREEN entry: A's is AMBER now.
		got3, err := f.svc.Get(f.as("C"), ind.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got3.Entries) != 1 || got3.Entries[0].AgencyID != f.agency["B"] || got3.TLP != access.Green {
			t.Errorf("C sees %+v, want only B's GREEN entry", got3.Entries)
		}
		// A sees both, and the summary takes the strictest TLP.
		got4, _ := f.svc.Get(a, ind.ID)
		if len(got4.Entries) != 2 || got4.TLP != access.Amber {
			t.Errorf("A sees %d entries, TLP %s; want 2, AMBER", len(got4.Entries), got4.TLP)
		}
	})
}

func TestCreateValidation(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		tests := []struct {
			name  string
			in    Input
			field string
		}{
			{"unknown type", Input{Type: "bitcoin", Value: "x"}, "type"},
			{"bad ip", Input{Type: "ipv4", Value: "300.1.1.1"}, "value"},
			{"bad tlp", Input{Type: "ipv4", Value: "45.1.1.1", TLP: "PINK"}, "tlp"},
			{"confidence", Input{Type: "ipv4", Value: "45.1.1.1", Confidence: intp(101)}, "confidence"},
			{"tag comma", Input{Type: "ipv4", Value: "45.1.1.1", Tags: []string{"a,b"}}, "tags"},
			{"seen order", Input{Type: "ipv4", Value: "45.1.1.1", FirstSeen: tp(f.now), LastSeen: tp(f.now.Add(-time.Hour))}, "last_seen"},
			{"share unknown", Input{Type: "ipv4", Value: "45.1.1.1", TLP: access.Amber, ShareWith: []int64{99999}}, "share_with"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := f.svc.Create(f.as("A"), tc.in)
				if errs.KindOf(err) != errs.Invalid || errs.FieldOf(err) != tc.field {
					t.Errorf("Create(%+v) = %v, want Invalid on %s", tc.in, err, tc.field)
				}
			})
		}
		if _, _, err := f.svc.Create(f.as("A", access.Viewer), Input{Type: "ipv4", Value: "45.1.1.1"}); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("viewer Create = %v, want Forbidden", err)
		}
		if _, _, err := f.svc.Create(f.as("B"), Input{Type: "ipv4", Value: "45.1.1.1", AgencyID: f.agency["C"]}); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("Create for another agency = %v, want Forbidden", err)
		}
	})
}

func TestWarningListNeedsConfirmation(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		_, _, err := f.svc.Create(f.as("A"), Input{Type: "ipv4", Value: "8.8.8.8"})
		if errs.KindOf(err) != errs.Conflict || len(WarningHits(err)) != 1 {
			t.Fatalf("Create(8.8.8.8) = %v, want Conflict with one warning-list hit", err)
		}
		if _, _, err := f.svc.Create(f.as("A"), Input{Type: "ipv4", Value: "8.8.8.8", Confirm: true}); err != nil {
			t.Fatalf("confirmed Create = %v", err)
		}
	})
}

// TestVisibleSQLAgreesWithCanSee checks the SQL predicate against
// access.CanSee for every TLP and relation.
func TestVisibleSQLAgreesWithCanSee(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		a := f.as("A")
		ids := map[access.TLP]int64{}
		for i, tlp := range access.TLPs {
			in := Input{Type: "ipv4", Value: "45.0.0." + string(rune('1'+i)), TLP: tlp, Confirm: true}
			if tlp == access.Amber {
				in.ShareWith = []int64{f.agency["B"]}
			}
			ind, _, err := f.svc.Create(a, in)
			if err != nil {
				t.Fatal(err)
			}
			ids[tlp] = ind.ID
		}
		principals := map[string]context.Context{
			"anonymous":         context.Background(),
			"system":            f.sysCtx,
			"owner":             a,
			"shared agency":     f.as("B"),
			"other agency":      f.as("C"),
			"other coordinator": f.as("C", access.Coordinator),
		}
		for name, ctx := range principals {
			p := access.From(ctx)
			pg, err := f.svc.List(ctx, Filter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, ind := range pg.Items {
				got = append(got, ind.ID)
			}
			for tlp, id := range ids {
				ind, _ := f.svc.Get(f.sysCtx, id)
				want := access.CanSee(p, ind.Entries[0].shared())
				if slices.Contains(got, id) != want {
					t.Errorf("%s, TLP %s: listed %v, access.CanSee says %v", name, tlp, !want, want)
				}
				_, gerr := f.svc.Get(ctx, id)
				if (gerr == nil) != want {
					t.Errorf("%s, TLP %s: Get = %v, access.CanSee says %v", name, tlp, gerr, want)
				}
			}
		}
	})
}

func TestKeysetPagination(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		var ins []Input
		for i := range 25 {
			ins = append(ins, Input{Type: "domain", Value: "host" + string(rune('a'+i)) + ".example.vn", TLP: access.Green})
		}
		outs, err := f.svc.Submit(f.as("A"), ins)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range outs {
			if o.Err != nil || !o.Created {
				t.Fatalf("Submit outcome %+v", o)
			}
		}
		seen := map[int64]bool{}
		fl := Filter{Limit: 10}
		pages := 0
		for {
			pg, err := f.svc.List(f.as("C"), fl)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, ind := range pg.Items {
				if seen[ind.ID] {
					t.Fatalf("indicator %d listed twice", ind.ID)
				}
				seen[ind.ID] = true
			}
			if pg.NextCursor == 0 {
				break
			}
			fl.Before = pg.NextCursor
		}
		if len(seen) != 25 || pages != 3 {
			t.Errorf("walked %d indicators in %d pages, want 25 in 3", len(seen), pages)
		}
		n := 0
		if err := f.svc.Each(f.as("C"), Filter{}, func(Indicator) error { n++; return nil }); err != nil || n != 25 {
			t.Errorf("Each = %d, %v; want 25", n, err)
		}
		pg, err := f.svc.List(f.as("C"), Filter{Query: "hostc.example.vn"})
		if err != nil || len(pg.Items) != 1 {
			t.Errorf("search exact = %d items, %v; want 1", len(pg.Items), err)
		}
		pg, err = f.svc.List(f.as("C"), Filter{Query: "HOST"})
		if err != nil || len(pg.Items) != 25 {
			t.Errorf("search prefix = %d items, %v; want 25", len(pg.Items), err)
		}
	})
}

func TestBulkChangeAndMatchable(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		a := f.as("A")
		i1, _, _ := f.svc.Create(a, Input{Type: "ipv4", Value: "45.1.1.1", TLP: access.Green})
		i2, _, _ := f.svc.Create(a, Input{Type: "ipv4", Value: "45.1.1.2", TLP: access.Amber, ShareWith: []int64{f.agency["B"]}})
		i3, _, _ := f.svc.Create(a, Input{Type: "ipv4", Value: "45.1.1.3", TLP: access.Green, ValidUntil: tp(f.now.Add(time.Hour))})
		if n, err := f.svc.ChangeIndicators(f.as("B"), []int64{i1.ID}, Change{Action: ActionRevoke, Reason: "mine"}); err != nil || n != 0 {
			t.Errorf("B revoking A's entry changed %d, %v; want 0", n, err)
		}
		if n, err := f.svc.ChangeIndicators(a, []int64{i1.ID}, Change{Action: ActionRevoke, Reason: "false positive"}); err != nil || n != 1 {
			t.Fatalf("revoke = %d, %v", n, err)
		}
		if _, err := f.svc.ChangeIndicators(a, []int64{i1.ID}, Change{Action: ActionRevoke}); errs.FieldOf(err) != "reason" {
			t.Errorf("revoke without reason = %v, want a reason error", err)
		}
		f.advance(2 * time.Hour) // i3 expires
		var got []string
		var audience access.Shared
		err := f.svc.EachMatchable(f.sysCtx, func(m Matchable) error {
			got = append(got, m.Value)
			if m.IndicatorID == i2.ID {
				audience = m.Audience()
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"45.1.1.2"}, got); diff != "" {
			t.Errorf("matchable (-want +got):\n%s", diff)
		}
		if !slices.Contains(audience.Agencies, f.agency["B"]) || audience.OwnerAgency != f.agency["A"] {
			t.Errorf("audience = %+v, want owner A shared with B", audience)
		}
		if err := f.svc.EachMatchable(a, func(Matchable) error { return nil }); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("EachMatchable as analyst = %v, want Forbidden", err)
		}
		// Still listed, flagged inactive; the Active filter drops them.
		pg, _ := f.svc.List(a, Filter{Active: true})
		if len(pg.Items) != 1 || pg.Items[0].ID != i2.ID {
			t.Errorf("active list = %v, want only %d", pg.Items, i2.ID)
		}
		_ = i3
		// Edit: extend the expiry of i3 back.
		if _, err := f.svc.ChangeIndicators(a, []int64{i3.ID}, Change{Action: ActionExtend, ValidUntil: tp(f.now.Add(48 * time.Hour))}); err != nil {
			t.Fatal(err)
		}
		if g, _ := f.svc.Get(a, i3.ID); !g.Active {
			t.Errorf("extended indicator is not active")
		}
	})
}

func TestSightings(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		ind, _, _ := f.svc.Create(f.as("A"), Input{Type: "domain", Value: "c2.example.vn", TLP: access.Green})
		if _, err := f.svc.AddSighting(f.as("B"), SightingInput{IndicatorID: ind.ID, Location: "fw-1", Count: 3}); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.RecordSightings(f.sysCtx, []SightingInput{
			{Type: "domain", Value: "C2.example.vn", AgencyID: f.agency["B"], Location: "fw-1", Count: 2},
			{Type: "domain", Value: "c2.example.vn", AgencyID: f.agency["C"], Source: "sensor", TLP: access.Green},
		})
		if err != nil {
			t.Fatal(err)
		}
		sb, _ := f.svc.Sightings(f.as("B"), ind.ID)
		sc, _ := f.svc.Sightings(f.as("C"), ind.ID)
		if len(sb) != 2 || len(sc) != 1 {
			t.Fatalf("B sees %d sightings, C %d; want 2 (own AMBER + C's GREEN) and 1", len(sb), len(sc))
		}
		var count int64
		for _, s := range sb {
			if s.AgencyID == f.agency["B"] {
				count = s.Count
			}
		}
		if count != 5 {
			t.Errorf("B's merged sighting count = %d, want 5", count)
		}
		if _, err := f.svc.AddSighting(f.as("B"), SightingInput{Type: "domain", Value: "unknown.example.vn"}); errs.KindOf(err) != errs.NotFound {
			t.Errorf("sighting of an unknown indicator = %v, want NotFound", err)
		}
	})
}
