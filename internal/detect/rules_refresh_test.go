package detect_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"bulwark/internal/audit"
	"bulwark/internal/detect"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// TestWorkerFollowsRuleChanges: a second service on the same database, as
// an ingest worker runs beside the server, takes up the rules the server
// stores, and their disabling and re-enabling, without a restart.
func TestWorkerFollowsRuleChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, detect.Config{})
		worker, err := detect.New(detect.Deps{DB: db, Audit: audit.New(db, w.clock.Now), Now: w.clock.Now, Intel: w.intel, Incidents: w.inc, Systems: w.dir},
			detect.Config{RulesRefresh: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { worker.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		src, err := w.svc.CreateSource(w.as("bac"), detect.SourceInput{Name: "DC huyện Bắc", Kind: "windows", Format: "windows"})
		if err != nil {
			t.Fatal(err)
		}
		logon := logonAt(4625, "203.0.113.70", "admin", w.clock.Now())
		send := func() detect.IngestResult {
			t.Helper()
			res, err := worker.Ingest(context.Background(), src.Source, strings.NewReader(logon), false)
			if err != nil || res.Accepted != 1 {
				t.Fatalf("Ingest = %+v, %v", res, err)
			}
			return res
		}
		rules := func() int {
			if r := worker.Engine().Rules(); r != nil {
				return r.Set.Len()
			}
			return 0
		}
		if res := send(); res.Matched != 0 {
			t.Fatalf("before any rule: %+v", res)
		}
		upload(t, w, logonRules[:strings.Index(logonRules, "---")])
		waitUntil(t, "the worker to load the uploaded rule", func() bool { return rules() == 1 })
		if res := send(); res.Matched != 1 {
			t.Errorf("after the upload: %+v, want the failed logon matched", res)
		}
		stored, _, err := w.svc.ListRules(w.as("analyst"), "", 10, 0)
		if err != nil || len(stored) != 1 {
			t.Fatalf("ListRules = %v, %v", stored, err)
		}
		if err := w.svc.SetRuleEnabled(w.as("analyst"), stored[0].ID, false); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the worker to drop the disabled rule", func() bool { return rules() == 0 })
		if res := send(); res.Matched != 0 {
			t.Errorf("after disabling: %+v, want nothing matched", res)
		}
		if err := w.svc.SetRuleEnabled(w.as("analyst"), stored[0].ID, true); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the worker to take the rule up again", func() bool { return rules() == 1 })
	})
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
