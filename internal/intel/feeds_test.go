package intel

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"bulwark/internal/access"
)

// requestLog keeps what a test server was asked.
type requestLog struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (l *requestLog) add(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, r.Clone(r.Context()))
}

func (l *requestLog) take() []*http.Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.reqs
	l.reqs = nil
	return out
}

func runFeed(t *testing.T, f *fixture, _ any, id int64) FeedRun {
	t.Helper()
	run, err := f.svc.RunFeed(f.as("A", access.Admin), id)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func checkRun(t *testing.T, name string, run FeedRun, status string, created, merged, rejected int64) {
	t.Helper()
	if run.Status != status || run.Created != created || run.Merged != merged || run.Rejected != rejected {
		t.Errorf("%s: run = %s created %d merged %d rejected %d (%s); want %s %d %d %d",
			name, run.Status, run.Created, run.Merged, run.Rejected, run.Message, status, created, merged, rejected)
	}
}

// TestFeedPullSTIXURL pulls a STIX bundle URL three times: the second pull
// sends the ETag and Last-Modified it was given and is told nothing
// changed; the third gets a new bundle.
func TestFeedPullSTIXURL(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		first, err := os.ReadFile(filepath.Join("testdata", "public", "stix", "test_attributes_collection_stix21.json"))
		if err != nil {
			t.Fatal(err)
		}
		second, err := os.ReadFile(filepath.Join("testdata", "public", "stix", "test_event1_stix21.json"))
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		body, etag, modified := first, `"v1"`, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
		var log requestLog
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			log.add(r)
			mu.Lock()
			defer mu.Unlock()
			if r.Header.Get("Authorization") != "Bearer feed-secret" {
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", etag)
			w.Header().Set("Last-Modified", modified.Format(http.TimeFormat))
			w.Header().Set("Content-Type", "application/stix+json;version=2.1")
			_, _ = w.Write(body)
		}))
		defer srv.Close()
		admin := f.as("A", access.Admin)
		feed, err := f.svc.CreateFeed(admin, FeedInput{Name: "misp-stix", Kind: FeedSTIX, URL: srv.URL + "/bundle.json", Token: "feed-secret", TLP: access.Green, Interval: 3600})
		if err != nil {
			t.Fatal(err)
		}
		checkRun(t, "first pull", runFeed(t, f, admin, feed.ID), "ok", 2, 0, 1)
		if reqs := log.take(); len(reqs) != 1 || reqs[0].Header.Get("If-None-Match") != "" {
			t.Errorf("first pull sent %d requests, If-None-Match %q", len(reqs), reqs[0].Header.Get("If-None-Match"))
		}
		checkRun(t, "unchanged", runFeed(t, f, admin, feed.ID), "not-modified", 0, 0, 0)
		reqs := log.take()
		if len(reqs) != 1 || reqs[0].Header.Get("If-None-Match") != `"v1"` || reqs[0].Header.Get("If-Modified-Since") != modified.Format(http.TimeFormat) {
			t.Errorf("second pull: %d requests, validators %q %q", len(reqs), reqs[0].Header.Get("If-None-Match"), reqs[0].Header.Get("If-Modified-Since"))
		}
		mu.Lock()
		body, etag, modified = second, `"v2"`, modified.Add(24*time.Hour)
		mu.Unlock()
		checkRun(t, "changed", runFeed(t, f, admin, feed.ID), "ok", 1, 2, 0)
		got, err := f.svc.GetFeed(admin, feed.ID)
		if err != nil || got.ETag != `"v2"` || got.LastStatus != "ok" || !got.HasToken {
			t.Errorf("feed after pulls = %+v, %v", got, err)
		}
		// The credential is sealed in the database, bound to its row.
		var stored string
		if err := f.db.QueryRow(admin, `SELECT token FROM intel_feeds WHERE id = ?`, feed.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stored, "v1:") || strings.Contains(stored, "feed-secret") {
			t.Errorf("stored credential = %q, want it sealed", stored)
		}
		if _, err := f.db.Exec(admin, `UPDATE intel_feeds SET token = (SELECT token FROM intel_feeds WHERE id = ?) WHERE id = ?`, feed.ID, feed.ID); err != nil {
			t.Fatal(err)
		}
		runs, err := f.svc.FeedRuns(admin, feed.ID)
		if err != nil || len(runs) != 3 || runs[0].Status != "ok" || runs[1].Status != "not-modified" || runs[2].Created != 2 {
			t.Errorf("logged runs = %+v, %v", runs, err)
		}
		if _, err := f.svc.RunFeed(f.as("B"), feed.ID); err == nil {
			t.Error("an analyst ran a feed")
		}
	})
}

// TestFeedPullMISPFeedURL pulls a MISP feed (manifest.json and event
// files) over HTTP; the next pull reads the manifest only, and fetches an
// event again once its manifest timestamp moves past the last pull.
func TestFeedPullMISPFeedURL(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		dir := t.TempDir()
		src := filepath.Join("testdata", "public", "misp-feed")
		const event = "57c4445b-c548-4654-af0b-4be3950d210f.json"
		for _, name := range []string{"manifest.json", event} {
			b, err := os.ReadFile(filepath.Join(src, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		var log requestLog
		files := http.FileServer(http.Dir(dir))
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			log.add(r)
			files.ServeHTTP(w, r)
		}))
		defer srv.Close()
		paths := func() []string {
			var out []string
			for _, r := range log.take() {
				out = append(out, r.URL.Path)
			}
			return out
		}
		admin := f.as("A", access.Admin)
		feed, err := f.svc.CreateFeed(admin, FeedInput{Name: "circl", Kind: FeedMISPFeed, URL: srv.URL + "/", TLP: access.Amber, Interval: 3600})
		if err != nil {
			t.Fatal(err)
		}
		checkRun(t, "first pull", runFeed(t, f, admin, feed.ID), "ok", 4, 0, 1)
		if got := strings.Join(paths(), " "); got != "/manifest.json /"+event {
			t.Errorf("first pull fetched %s", got)
		}
		f.advance(time.Hour)
		checkRun(t, "unchanged", runFeed(t, f, admin, feed.ID), "ok", 0, 0, 0)
		if got := strings.Join(paths(), " "); got != "/manifest.json" {
			t.Errorf("second pull fetched %s; want the manifest only", got)
		}
		// The publisher changes the event: its manifest timestamp moves on.
		m, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
		m = []byte(strings.Replace(string(m), `"timestamp": "1472541011"`, `"timestamp": "`+strconv.FormatInt(f.clockAt.Add(time.Minute).Unix(), 10)+`"`, 1))
		if err := os.WriteFile(filepath.Join(dir, "manifest.json"), m, 0o600); err != nil {
			t.Fatal(err)
		}
		f.advance(time.Hour)
		checkRun(t, "changed", runFeed(t, f, admin, feed.ID), "ok", 0, 4, 1)
		if got := strings.Join(paths(), " "); got != "/manifest.json /"+event {
			t.Errorf("third pull fetched %s", got)
		}
		// The events are CLEAR by their tlp:white tag, whatever the feed's default.
		if got := values(t, f, f.as("C")); len(got) != 4 || !strings.HasSuffix(got[0], " CLEAR") {
			t.Errorf("C sees %v", got)
		}
	})
}

// TestFeedCredentialSealed: a credential copied to another feed's row, or
// sealed under another key, does not open: the pull fails with a reason
// and sends nothing. A credential stored in clear before sealing was
// configured is still used, and sealed at its next pull.
func TestFeedCredentialSealed(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		var log requestLog
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			log.add(r)
			_, _ = w.Write([]byte("47.1.1.1\n"))
		}))
		defer srv.Close()
		admin := f.as("A", access.Admin)
		mk := func(name, token string) Feed {
			t.Helper()
			fd, err := f.svc.CreateFeed(admin, FeedInput{Name: name, Kind: FeedPlain, URL: srv.URL + "/" + name, Token: token, TLP: access.Green, Interval: 3600})
			if err != nil {
				t.Fatal(err)
			}
			return fd
		}
		a, b := mk("a", "secret-a"), mk("b", "secret-b")
		// Copy a's sealed credential into b's row.
		if _, err := f.db.Exec(admin, `UPDATE intel_feeds SET token = (SELECT token FROM intel_feeds WHERE id = ?) WHERE id = ?`, a.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		run := runFeed(t, f, admin, b.ID)
		if run.Status != "failed" || !strings.Contains(run.Message, "credential") {
			t.Errorf("pull with a moved credential = %+v", run)
		}
		if reqs := log.take(); len(reqs) != 0 {
			t.Errorf("the failed pull sent %d requests", len(reqs))
		}
		if run := runFeed(t, f, admin, a.ID); run.Status != "ok" {
			t.Errorf("pull = %+v", run)
		}
		if reqs := log.take(); len(reqs) != 1 || reqs[0].Header.Get("Authorization") != "Bearer secret-a" {
			t.Errorf("pull sent %d requests", len(reqs))
		}
		// A clear credential from before: used, then sealed.
		if _, err := f.db.Exec(admin, `UPDATE intel_feeds SET token = 'legacy-clear' WHERE id = ?`, b.ID); err != nil {
			t.Fatal(err)
		}
		if run := runFeed(t, f, admin, b.ID); run.Status != "ok" {
			t.Errorf("pull with a clear credential = %+v", run)
		}
		if reqs := log.take(); len(reqs) != 1 || reqs[0].Header.Get("Authorization") != "Bearer legacy-clear" {
			t.Errorf("clear credential not sent")
		}
		var stored string
		if err := f.db.QueryRow(admin, `SELECT token FROM intel_feeds WHERE id = ?`, b.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stored, "v1:") {
			t.Errorf("clear credential not sealed after the pull: %q", stored)
		}
		// Changing the credential seals the new one; an empty one keeps it.
		if _, err := f.svc.UpdateFeed(admin, b.ID, FeedInput{Name: "b", Kind: FeedPlain, URL: srv.URL + "/b", Token: "secret-b2", TLP: access.Green, Interval: 3600}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.UpdateFeed(admin, b.ID, FeedInput{Name: "b", Kind: FeedPlain, URL: srv.URL + "/b", TLP: access.Green, Interval: 3600}); err != nil {
			t.Fatal(err)
		}
		runFeed(t, f, admin, b.ID)
		if reqs := log.take(); len(reqs) != 1 || reqs[0].Header.Get("Authorization") != "Bearer secret-b2" {
			t.Errorf("updated credential not sent")
		}
	})
}
