package taxii

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/intel"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// TestFeedPullFromTAXII has a second Bulwark pull this server's TAXII
// GREEN collection as a feed. A proxy in between cuts the pages to three
// objects, so the walk follows next; later pulls ask only for objects added
// after the last one seen.
func TestFeedPullFromTAXII(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		submit := func(prefix string, n int) {
			t.Helper()
			var ins []intel.Input
			for i := range n {
				ins = append(ins, intel.Input{Type: "domain", Value: fmt.Sprintf("%s%d.pull.example.vn", prefix, i), TLP: access.Green})
			}
			if _, err := e.svc.Submit(e.ctx["A"], ins); err != nil {
				t.Fatal(err)
			}
		}
		submit("a", 7)
		if _, err := e.svc.Submit(e.ctx["A"], []intel.Input{{Type: "ipv4", Value: "45.7.7.7", TLP: access.Amber}}); err != nil {
			t.Fatal(err)
		}

		target, _ := url.Parse(e.srv.URL)
		rp := httputil.NewSingleHostReverseProxy(target)
		var mu sync.Mutex
		var queries []url.Values
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			mu.Lock()
			queries = append(queries, q)
			mu.Unlock()
			if q.Has("limit") {
				q.Set("limit", "3")
				r.URL.RawQuery = q.Encode()
			}
			rp.ServeHTTP(w, r)
		}))
		defer proxy.Close()
		taken := func() []url.Values {
			mu.Lock()
			defer mu.Unlock()
			out := queries
			queries = nil
			return out
		}

		// The pulling Bulwark: its own database and an admin.
		var db2 *store.DB
		if db.Dialect() == store.Postgres {
			db2 = storetest.Postgres(t)
		} else {
			db2 = storetest.SQLite(t)
		}
		now := time.Now().UTC()
		var tid int64
		if err := db2.QueryRow(context.Background(), `INSERT INTO agencies (code, name_vi, kind, created_at, updated_at) VALUES ('T', 'T', 'standing', ?, ?) RETURNING id`, now, now).Scan(&tid); err != nil {
			t.Fatal(err)
		}
		svc2, err := intel.NewService(intel.Deps{DB: db2}, intel.Config{SpoolDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(svc2.Close)
		admin := access.With(context.Background(), &access.Principal{UserID: 1, Email: "t@x.vn", AgencyID: tid, AgencyCode: "T", Roles: []access.Role{access.Admin}})
		green := e.collectionID(t, "tok-B", "TLP:GREEN indicators")
		feed, err := svc2.CreateFeed(admin, intel.FeedInput{Name: "peer", Kind: intel.FeedTAXII, URL: proxy.URL + "/taxii2/api/", Collection: green,
			Token: "tok-B", TLP: access.Amber, Interval: 3600})
		if err != nil {
			t.Fatal(err)
		}
		run := func(name string, created, merged int64) {
			t.Helper()
			r, err := svc2.RunFeed(admin, feed.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != "ok" || r.Created != created || r.Merged != merged || r.Rejected != 0 {
				t.Errorf("%s: %+v; want ok, %d created, %d merged", name, r, created, merged)
			}
		}

		run("first pull", 7, 0)
		qs := taken()
		if len(qs) != 3 || qs[0].Has("added_after") || qs[0].Has("next") || !qs[1].Has("next") || !qs[2].Has("next") {
			t.Errorf("first pull asked %v; want three pages, the later two by next", qs)
		}
		got, _ := svc2.GetFeed(admin, feed.ID)
		if got.Cursor == "" {
			t.Fatalf("no added_after cursor kept: %+v", got)
		}
		run("nothing new", 0, 0)
		if qs := taken(); len(qs) != 1 || qs[0].Get("added_after") != got.Cursor {
			t.Errorf("second pull asked %v; want one request with added_after=%s", qs, got.Cursor)
		}
		submit("b", 2)
		run("two new", 2, 0)
		if qs := taken(); len(qs) != 1 || qs[0].Get("added_after") != got.Cursor {
			t.Errorf("third pull asked %v", qs)
		}

		sys := access.With(context.Background(), access.SystemPrincipal())
		var vals []string
		if err := svc2.Each(sys, intel.Filter{}, func(ind intel.Indicator) error {
			vals = append(vals, string(ind.Type)+" "+ind.Value+" "+string(ind.TLP))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(vals) != 9 {
			t.Errorf("pulled %d indicators, want the 9 GREEN ones: %v", len(vals), vals)
		}
		for _, v := range vals {
			if v == "ipv4 45.7.7.7 AMBER" || len(v) < 6 || v[len(v)-5:] != "GREEN" {
				t.Errorf("pulled %q", v)
			}
		}
		runs, err := svc2.FeedRuns(admin, feed.ID)
		if err != nil || len(runs) != 3 {
			t.Errorf("logged runs = %+v, %v", runs, err)
		}
	})
}
