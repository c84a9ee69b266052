package cli

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"bulwark/internal/intel"
)

const intelBundle = `{"type":"bundle","id":"bundle--6a4a5d2c-1f0b-4c59-9c1c-6bb1a3c1a001","objects":[
{"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-02T00:00:00.000Z","pattern":"[ipv4-addr:value = '45.9.9.9'] OR [domain-name:value = 'bundle.example.vn']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
{"type":"indicator","spec_version":"2.1","id":"indicator--22222222-2222-4222-8222-222222222222","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = ","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}]}`

func TestIntelAPI(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		tests := []struct {
			name, method, path, as, body string
			wantStatus                   int
			want, notWant                []string
		}{
			{name: "report amber", method: "POST", path: "/api/v1/indicators", as: analyst, body: `{"type":"domain","value":"Amber.Example.VN","tlp":"AMBER","tags":["c2"]}`, wantStatus: 201, want: []string{`"value":"amber.example.vn"`, `"created":true`}},
			{name: "report again merges", method: "POST", path: "/api/v1/indicators", as: analyst, body: `{"type":"domain","value":"amber.example.vn","tlp":"GREEN","tags":["apt"]}`, wantStatus: 200, want: []string{`"created":false`, `"tlp":"AMBER"`, `"apt"`, `"c2"`}},
			{name: "other agency does not list it", method: "GET", path: "/api/v1/indicators?q=amber.example.vn", as: skhcn, wantStatus: 200, notWant: []string{"amber.example.vn"}},
			{name: "other agency cannot export it", method: "GET", path: "/api/v1/exports/rpz", as: skhcn, wantStatus: 200, want: []string{"SOA"}, notWant: []string{"amber.example.vn"}},
			{name: "owner exports it", method: "GET", path: "/api/v1/exports/rpz", as: analyst, wantStatus: 200, want: []string{"amber.example.vn CNAME .", "*.amber.example.vn CNAME ."}},
			{name: "warning list", method: "POST", path: "/api/v1/indicators", as: analyst, body: `{"type":"ipv4","value":"8.8.8.8"}`, wantStatus: 409, want: []string{`"field":"confirm"`, `Well-known public DNS resolvers`}},
			{name: "warning confirmed", method: "POST", path: "/api/v1/indicators", as: analyst, body: `{"type":"ipv4","value":"8.8.8.8","confirm":true,"tlp":"GREEN"}`, wantStatus: 201},
			{name: "bad value names the field", method: "POST", path: "/api/v1/indicators", as: analyst, body: `{"type":"ipv4","value":"999.1.1.1"}`, wantStatus: 400, want: []string{`"field":"value"`}},
			{name: "reporter cannot share", method: "POST", path: "/api/v1/indicators", as: reporter, body: `{"type":"ipv4","value":"45.1.2.3"}`, wantStatus: 403},
			{name: "anonymous", method: "GET", path: "/api/v1/indicators", wantStatus: 401},
			{name: "green visible to others", method: "GET", path: "/api/v1/indicators?type=ipv4", as: liaison, wantStatus: 200, want: []string{`"value":"8.8.8.8"`}},
			{name: "bulk", method: "POST", path: "/api/v1/indicators/bulk", as: skhcn, body: `[{"type":"url","value":"http://phish.example.vn/a","tlp":"CLEAR"},{"type":"md5","value":"xyz"}]`, wantStatus: 200, want: []string{`"created":true`, `"error":"value: `}},
			{name: "firewall list", method: "GET", path: "/api/v1/exports/firewall", as: skhcn, wantStatus: 200, want: []string{"\n8.8.8.8\n"}},
			{name: "bad export format", method: "GET", path: "/api/v1/exports/pdf", as: skhcn, wantStatus: 400, want: []string{`"field":"format"`}},
			{name: "feeds are for admins", method: "GET", path: "/api/v1/feeds", as: analyst, wantStatus: 403},
			{name: "warning lists", method: "GET", path: "/api/v1/warninglists", as: reporter, wantStatus: 200, want: []string{"Private and reserved address ranges"}},
			{name: "analyst cannot add a warning list", method: "POST", path: "/api/v1/warninglists", as: analyst, body: `{"name":"x","type":"string","list":["a"]}`, wantStatus: 403},
			{name: "admin adds a warning list", method: "POST", path: "/api/v1/warninglists", as: admin, body: `{"name":"Province portals","type":"hostname","list":["binhan.gov.vn"]}`, wantStatus: 201},
			{name: "new list in force", method: "GET", path: "/api/v1/warninglists/check?type=domain&value=www.binhan.gov.vn", as: analyst, wantStatus: 200, want: []string{"Province portals"}},
		}
		for _, tc := range tests {
			resp, b := e.apiCall(t, tc.method, tc.path, e.tokens[tc.as], tc.body)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("%s: %s %s = %d %s, want %d", tc.name, tc.method, tc.path, resp.StatusCode, trunc(b), tc.wantStatus)
				continue
			}
			for _, w := range tc.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("%s: body lacks %q: %s", tc.name, w, trunc(b))
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(string(b), w) {
					t.Errorf("%s: body has %q", tc.name, w)
				}
			}
		}

		// An upload runs as a background job with progress and a report.
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/imports?format=stix&name=bundle.json", strings.NewReader(intelBundle))
		req.Header.Set("Authorization", "Bearer "+e.tokens[analyst])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var job intel.ImportJob
		json.NewDecoder(resp.Body).Decode(&job)
		resp.Body.Close()
		if resp.StatusCode != 202 || job.ID == 0 {
			t.Fatalf("POST /imports = %d %+v", resp.StatusCode, job)
		}
		for deadline := time.Now().Add(30 * time.Second); job.Status == intel.StatusRunning && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
			decodeJSON(t, e.call(t, "GET", "/api/v1/imports/"+itoa64(job.ID), analyst, "", 200), &job)
		}
		if job.Status != intel.StatusDone || job.Created != 2 || job.Rejected != 1 || len(job.Problems) != 1 {
			t.Errorf("import job = %+v, want done, 2 created, 1 rejected", job)
		}
		if r, _ := e.apiCall(t, "GET", "/api/v1/imports/"+itoa64(job.ID), e.tokens[skhcn], ""); r.StatusCode != 404 {
			t.Errorf("another agency reads the import job: %d", r.StatusCode)
		}

		// TAXII through the real app with Basic authentication.
		treq, _ := http.NewRequest("GET", e.srv.URL+"/taxii2/api/collections/", nil)
		treq.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("x:"+e.tokens[skhcn])))
		treq.Header.Set("Accept", "application/taxii+json;version=2.1")
		tresp, err := http.DefaultClient.Do(treq)
		if err != nil {
			t.Fatal(err)
		}
		tresp.Body.Close()
		if tresp.StatusCode != 200 || tresp.Header.Get("Content-Type") != "application/taxii+json;version=2.1" {
			t.Errorf("TAXII collections = %d %q", tresp.StatusCode, tresp.Header.Get("Content-Type"))
		}
	})
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// TestIntelFeedPull pulls a plain list from a local server twice: the
// second pull sends the ETag back and is logged as not modified.
func TestIntelFeedPull(t *testing.T) {
	e := newTestEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "b.db"))
	hits := 0
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Write([]byte("# feed\nfeed1.example.vn\n46.2.2.2\nnot a value\n"))
	}))
	defer src.Close()
	var feed intel.Feed
	decodeJSON(t, e.call(t, "POST", "/api/v1/feeds", admin, `{"name":"local","kind":"plain","url":"`+src.URL+`","tlp":"GREEN","interval_seconds":3600}`, 201), &feed)
	var run intel.FeedRun
	decodeJSON(t, e.call(t, "POST", "/api/v1/feeds/"+itoa64(feed.ID)+"/run", admin, "", 200), &run)
	if run.Status != "ok" || run.Created != 2 || run.Rejected != 1 {
		t.Errorf("first pull = %+v, want ok with 2 created, 1 rejected", run)
	}
	decodeJSON(t, e.call(t, "POST", "/api/v1/feeds/"+itoa64(feed.ID)+"/run", admin, "", 200), &run)
	if run.Status != "not-modified" {
		t.Errorf("second pull = %+v, want not-modified", run)
	}
	var runs []intel.FeedRun
	decodeJSON(t, e.call(t, "GET", "/api/v1/feeds/"+itoa64(feed.ID)+"/runs", admin, "", 200), &runs)
	if len(runs) != 2 || hits != 2 {
		t.Errorf("runs = %d, hits = %d; want 2 and 2", len(runs), hits)
	}
}

// TestIntelCLI imports and exports with the commands against a seeded
// database.
func TestIntelCLI(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "b.db")
	newTestEnv(t, db) // seeds the demo agencies
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte("cli1.example.vn\ncli2.example.vn\n46.3.3.3\n"), 0o600)
	out, err := runCLI(t, "", "import", "--data", dir, "--database", db, "--format", "plain", "--tlp", "GREEN", "--agency", "CAT", list)
	if err != nil || !strings.Contains(out, "3 created") {
		t.Fatalf("import = %q, %v", out, err)
	}
	zone := filepath.Join(dir, "rpz.zone")
	if _, err := runCLI(t, "", "export", "--data", dir, "--database", db, "--format", "rpz", "--out", zone); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(zone)
	if !strings.Contains(string(b), "cli2.example.vn CNAME .") {
		t.Errorf("zone lacks the imported domain:\n%s", b)
	}
	if _, err := runCLI(t, "", "import", "--data", dir, "--database", db, list); err == nil {
		t.Errorf("import without --format succeeded")
	}
}

// TestIntelPages walks the pages by CSS selector: the warning-list
// confirmation, the list, the detail with a sighting, an upload with its
// progress page, the export page and file, the feeds page (admins only).
func TestIntelPages(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		b := e.browser(t)
		b.login(analyst, e.accounts[analyst].Password)
		_, doc := b.get("/intel/new")
		csrf := csrfOf(doc)
		if n := len(queryAll(doc, "form#intel-form select[name=type] option")); n != 12 {
			t.Errorf("type options = %d, want 12", n)
		}
		form := url.Values{"csrf": {csrf}, "type": {"ipv4"}, "value": {"8.8.8.8"}, "tlp": {"GREEN"}, "confidence": {"70"}, "tags": {"dns"}}
		resp, err := b.c.PostForm(b.base+"/intel", form)
		if err != nil {
			t.Fatal(err)
		}
		wdoc, _ := parseHTML(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnprocessableEntity || len(queryAll(wdoc, "#intel-warning input[name=confirm]")) != 1 {
			t.Fatalf("warning-list value = %d, want 422 with a confirmation box", resp.StatusCode)
		}
		form.Set("confirm", "1")
		if resp := b.post("/intel", form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("confirmed = %d", resp.StatusCode)
		}
		code, doc := b.get("/intel")
		rows := queryAll(doc, "#intel-table tr.indicator-row")
		if code != 200 || len(rows) != 1 || len(queryAll(doc, "#intel-bulk-actions select[name=action]")) != 1 {
			t.Fatalf("list = %d with %d rows", code, len(rows))
		}
		link := attr(queryAll(doc, "#intel-table tr.indicator-row a")[0], "href")
		b.post(link+"/sightings", url.Values{"csrf": {csrf}, "location": {"fw-core-1"}, "count": {"4"}, "tlp": {"AMBER"}})
		_, doc = b.get(link)
		if len(queryAll(doc, "#intel-entries tbody tr")) != 1 || len(queryAll(doc, "#intel-sightings tbody tr")) != 1 || len(queryAll(doc, "#intel-hits")) != 1 {
			t.Errorf("detail page lacks entries, sighting or warning")
		}
		// Upload: csrf first, the fields, the file last.
		var body strings.Builder
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf", csrf)
		mw.WriteField("format", "plain")
		mw.WriteField("tlp", "GREEN")
		fw, _ := mw.CreateFormFile("file", "list.txt")
		fw.Write([]byte("page1.example.vn\npage2.example.vn\n!!bad\n"))
		mw.Close()
		req, _ := http.NewRequest("POST", b.base+"/intel/imports", strings.NewReader(body.String()))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err = b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/intel/imports/") {
			t.Fatalf("upload = %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		jobURL := resp.Header.Get("Location")
		var status string
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if c, d := b.get(jobURL); c != 200 || len(queryAll(d, "#import-status")) == 0 {
				t.Fatalf("job page = %d", c)
			} else {
				doc = d
			}
			if status = text(queryAll(doc, "#import-status")[0]); !strings.Contains(status, "Đang chạy") {
				break
			}
		}
		if len(queryAll(doc, "progress#import-progress")) != 1 || text(queryAll(doc, "#import-created")[0]) != "2" || len(queryAll(doc, "#import-problems tbody tr")) != 1 || len(queryAll(doc, "canvas#import-chart")) != 1 {
			t.Errorf("job page: status %q, created %q", status, text(queryAll(doc, "#import-created")[0]))
		}
		if _, doc = b.get("/intel/export"); len(queryAll(doc, "#export-form button[formaction='/intel/export/rpz']")) != 1 {
			t.Errorf("export page lacks the RPZ button")
		}
		resp, err = b.c.Get(b.base + "/intel/export/plain?type=domain")
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(out), "page2.example.vn") || strings.Contains(string(out), "8.8.8.8") {
			t.Errorf("plain export of domains:\n%s", out)
		}
		if code, _ := b.get("/intel/feeds"); code != http.StatusForbidden {
			t.Errorf("analyst feeds page = %d, want 403", code)
		}
		a := e.browser(t)
		a.login(admin, e.accounts[admin].Password)
		if code, doc := a.get("/intel/feeds"); code != 200 || len(queryAll(doc, "form#feed-form input[name=url]")) != 1 {
			t.Errorf("admin feeds page = %d", code)
		}
		o := e.browser(t)
		o.login(skhcn, e.accounts[skhcn].Password)
		if code, _ := o.get(jobURL); code != http.StatusNotFound {
			t.Errorf("another agency's analyst reads the job page: %d", code)
		}
	})
}
