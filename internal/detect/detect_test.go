package detect_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/access"
	"bulwark/internal/detect"
	"bulwark/internal/detect/decode"
	"bulwark/internal/errs"
	"bulwark/internal/incident"
	"bulwark/internal/ioc"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

const traversalRule = `title: Path Traversal In Query
id: 5a1b0c1e-0000-4000-8000-000000000001
status: test
author: Test Author
level: high
tags:
  - attack.initial-access
logsource:
  category: webserver
detection:
  sel:
    cs-uri-query|contains: '../'
  condition: sel
`

func accessLine(ip, target string) string {
	return ip + ` - - [20/Nov/2026:02:00:00 +0000] "GET ` + target + ` HTTP/1.1" 200 123 "-" "curl/8.0"`
}

func upload(t *testing.T, w *world, rules ...string) detect.UploadResult {
	t.Helper()
	var files []detect.UploadFile
	for i, r := range rules {
		files = append(files, detect.UploadFile{Name: "rule" + string(rune('a'+i)) + ".yml", Data: []byte(r)})
	}
	res, err := w.svc.UploadRules(w.as("analyst"), files)
	if err != nil {
		t.Fatalf("UploadRules = %v", err)
	}
	return res
}

// TestPipeline is the main path: a district registers a web
// server, sends access log lines; a Sigma rule and a shared indicator
// raise deduplicated alerts its analyst sees and another district does
// not; the indicator gets a sighting; the alert is promoted.
func TestPipeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, detect.Config{})
		ctx := context.Background()
		w.indicator(1, ioc.TypeIPv4, "198.51.100.7", access.Clear, "CAT", 95)
		w.indicator(2, ioc.TypeIPv4, "203.0.113.9", access.AmberStrict, "HNA", 50) // Nam's own: not Bắc's
		if _, err := w.svc.RebuildIndex(ctx); err != nil {
			t.Fatal(err)
		}
		up := upload(t, w, traversalRule, "title: broken\ndetection: [\n")
		if up.Added != 1 || len(up.Rejected) != 1 {
			t.Fatalf("UploadRules = %+v, want 1 added and 1 rejected", up)
		}
		src, err := w.svc.CreateSource(w.as("bac"), detect.SourceInput{Name: "Cổng thông tin", Kind: "web", Format: "accesslog"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(src.Token, "bws_") || src.AgencyID != w.agencies["HBT"] {
			t.Fatalf("CreateSource = %+v", src)
		}
		got, err := w.svc.SourceByToken(ctx, src.Token)
		if err != nil || got.ID != src.ID {
			t.Fatalf("SourceByToken = %+v, %v", got, err)
		}
		if _, err := w.svc.SourceByToken(ctx, src.Token+"x"); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("SourceByToken(wrong) = %v, want Unauthorized", err)
		}
		body := strings.Join([]string{
			accessLine("203.0.113.9", "/download?f=../../etc/passwd"),
			"this is not an access log line",
			accessLine("203.0.113.9", "/download?f=../secret"),
			accessLine("198.51.100.7", "/index.html"),
			accessLine("192.0.2.1", "/index.html"),
		}, "\n")
		res, err := w.svc.Ingest(ctx, got, strings.NewReader(body), false)
		if err != nil {
			t.Fatal(err)
		}
		want := detect.IngestResult{Accepted: 4, Rejected: 1, Matched: 3, Alerts: 2, RejectedBy: map[string]int{"syntax": 1},
			Errors: []detect.LineError{{Line: 2, Reason: "syntax"}}}
		if diff := cmp.Diff(want, res, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Message" }, cmp.Ignore())); diff != "" {
			t.Errorf("Ingest (-want +got):\n%s", diff)
		}
		// Within the window the same hits add to the open alerts.
		w.clock.Add(10 * time.Minute)
		if _, err := w.svc.Ingest(ctx, got, strings.NewReader(accessLine("203.0.113.9", "/x?a=../b")), false); err != nil {
			t.Fatal(err)
		}
		alerts, total, err := w.svc.ListAlerts(w.as("bac"), detect.AlertFilter{})
		if err != nil || total != 2 {
			t.Fatalf("ListAlerts(bac) = %d, %v; want 2", total, err)
		}
		type row struct {
			Kind, Title, Author, Entity, Severity, Status string
			Hits                                          int64
		}
		var rows []row
		for _, a := range alerts {
			rows = append(rows, row{a.Kind, a.Title, a.Author, a.Entity, a.Severity, a.Status, a.Hits})
		}
		wantRows := []row{
			{"rule", "Path Traversal In Query", "Test Author", "203.0.113.9", "high", "new", 3},
			{"indicator", "Indicator ipv4 198.51.100.7", "", "198.51.100.7", "critical", "new", 1},
		}
		if diff := cmp.Diff(wantRows, rows); diff != "" {
			t.Errorf("alerts (-want +got):\n%s", diff)
		}
		if n := len(alerts[0].Samples); n != 3 {
			t.Errorf("rule alert keeps %d samples, want 3", n)
		}
		// Another district sees nothing and cannot open the alert.
		if _, total, _ := w.svc.ListAlerts(w.as("nam"), detect.AlertFilter{}); total != 0 {
			t.Errorf("ListAlerts(nam) = %d alerts, want 0", total)
		}
		if _, err := w.svc.GetAlert(w.as("nam"), alerts[0].ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("GetAlert(nam) = %v, want NotFound", err)
		}
		if _, total, _ := w.svc.ListAlerts(w.as("coord"), detect.AlertFilter{Severity: "critical"}); total != 1 {
			t.Errorf("ListAlerts(coord, critical) = %d, want 1", total)
		}
		// After the window a new alert opens.
		w.clock.Add(2 * time.Hour)
		if _, err := w.svc.Ingest(ctx, got, strings.NewReader(accessLine("203.0.113.9", "/x?a=../b")), false); err != nil {
			t.Fatal(err)
		}
		if _, total, _ := w.svc.ListAlerts(w.as("bac"), detect.AlertFilter{Kind: "rule"}); total != 2 {
			t.Errorf("rule alerts after the window = %d, want 2", total)
		}
		// The source's counters and flags.
		s, err := w.svc.GetSource(w.as("bac"), src.ID)
		if err != nil || s.Accepted != 6 || s.Rejected != 1 || s.Matched != 5 || s.Silent {
			t.Errorf("GetSource = %+v, %v; want 6 accepted, 1 rejected, 5 matched, not silent", s, err)
		}
		w.clock.Add(3 * time.Hour)
		if s, _ := w.svc.GetSource(w.as("bac"), src.ID); !s.Silent {
			t.Errorf("source not flagged silent after 3h")
		}
		// Sightings went to threat intelligence for indicator 1 only.
		w.intel.mu.Lock()
		var sighted []int64
		for _, si := range w.intel.sightings {
			sighted = append(sighted, si.IndicatorID)
		}
		w.intel.mu.Unlock()
		if diff := cmp.Diff([]int64{1}, sighted); diff != "" {
			t.Errorf("sightings (-want +got):\n%s", diff)
		}
		// Triage.
		if _, err := w.svc.SetAlertStatus(w.as("bac"), alerts[1].ID, detect.StatusDismissed, ""); errs.FieldOf(err) != "reason" {
			t.Errorf("dismiss without reason = %v, want a reason error", err)
		}
		if _, err := w.svc.SetAlertStatus(w.as("bac-viewer"), alerts[1].ID, detect.StatusAcknowledged, ""); !errs.Is(err, errs.Forbidden) {
			t.Errorf("viewer acknowledges = %v, want Forbidden", err)
		}
		if a, err := w.svc.SetAlertStatus(w.as("bac"), alerts[1].ID, detect.StatusDismissed, "máy quét của nhà mạng"); err != nil || a.Status != "dismissed" {
			t.Errorf("dismiss = %+v, %v", a, err)
		}
		inc, err := w.svc.Promote(w.as("bac"), detect.PromoteInput{AlertIDs: []int64{alerts[0].ID}, Incident: &incident.Input{Category: "web_attack"}})
		if err != nil {
			t.Fatal(err)
		}
		if inc.Title != "Path Traversal In Query" || len(w.inc.observables) == 0 || w.inc.observables[0].Value != "203.0.113.9" {
			t.Errorf("Promote = %+v, observables %+v", inc, w.inc.observables)
		}
		if a, _ := w.svc.GetAlert(w.as("bac"), alerts[0].ID); a.Status != "promoted" || a.IncidentID != inc.ID {
			t.Errorf("promoted alert = %+v", a)
		}
		if _, err := w.svc.Promote(w.as("bac"), detect.PromoteInput{AlertIDs: []int64{alerts[0].ID}, IncidentID: 77}); !errs.Is(err, errs.Conflict) {
			t.Errorf("promote twice = %v, want Conflict", err)
		}
	})
}

// TestSourceAccess checks who may register and see sources.
func TestSourceAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, detect.Config{})
		if _, err := w.svc.CreateSource(w.as("bac-viewer"), detect.SourceInput{Name: "x", Kind: "web", Format: "accesslog"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("viewer creates = %v, want Forbidden", err)
		}
		if _, err := w.svc.CreateSource(w.as("bac"), detect.SourceInput{AgencyID: w.agencies["HNA"], Name: "x", Kind: "web", Format: "accesslog"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("create for another agency = %v, want Forbidden", err)
		}
		for _, tt := range []struct {
			in    detect.SourceInput
			field string
		}{
			{detect.SourceInput{Kind: "web", Format: "accesslog"}, "name"},
			{detect.SourceInput{Name: "a", Kind: "toaster", Format: "accesslog"}, "kind"},
			{detect.SourceInput{Name: "a", Kind: "web", Format: "xml"}, "format"},
			{detect.SourceInput{Name: "a", Kind: "web", Format: "syslog", Senders: []string{"not-an-ip"}}, "senders"},
			{detect.SourceInput{Name: "a", Kind: "web", Format: "syslog", SilentAfter: "1s"}, "silent_after"},
		} {
			if _, err := w.svc.CreateSource(w.as("bac"), tt.in); errs.FieldOf(err) != tt.field {
				t.Errorf("CreateSource(%+v) = %v, want an error on %s", tt.in, err, tt.field)
			}
		}
		a, err := w.svc.CreateSource(w.as("bac"), detect.SourceInput{Name: "fw", Kind: "firewall", Format: "syslog", Senders: []string{"192.0.2.10"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.CreateSource(w.as("bac"), detect.SourceInput{Name: "fw", Kind: "firewall", Format: "syslog"}); errs.FieldOf(err) != "name" {
			t.Errorf("duplicate name = %v, want a name error", err)
		}
		if _, err := w.svc.CreateSource(w.as("nam"), detect.SourceInput{Name: "fw", Kind: "firewall", Format: "syslog"}); err != nil {
			t.Errorf("same name in another agency = %v", err)
		}
		if l, _ := w.svc.ListSources(w.as("bac"), 0); len(l) != 1 {
			t.Errorf("ListSources(bac) = %d, want 1", len(l))
		}
		if l, _ := w.svc.ListSources(w.as("coord"), 0); len(l) != 2 {
			t.Errorf("ListSources(coord) = %d, want 2", len(l))
		}
		if _, err := w.svc.GetSource(w.as("nam"), a.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("GetSource(other agency) = %v, want NotFound", err)
		}
		ctx := context.Background()
		if s, err := w.svc.SourceBySender(ctx, mustAddr("192.0.2.10")); err != nil || s.ID != a.ID {
			t.Errorf("SourceBySender = %+v, %v", s, err)
		}
		rot, err := w.svc.RotateToken(w.as("bac"), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.SourceByToken(ctx, a.Token); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("old token after rotation = %v, want Unauthorized", err)
		}
		if err := w.svc.SetSourceDisabled(w.as("bac"), a.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.SourceByToken(ctx, rot.Token); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("token of a disabled source = %v, want Unauthorized", err)
		}
	})
}

// TestBadInput sends what a hostile or broken sensor sends: each bad line
// is rejected with a counted reason and the rest of the batch goes on;
// stream errors stop the batch and say why.
func TestBadInput(t *testing.T) {
	db := storetest.SQLite(t)
	w := newWorld(t, db, detect.Config{Decode: decode.Options{MaxLineBytes: 1 << 16}, MaxBatchBytes: 1 << 20})
	ctx := context.Background()
	src, err := w.svc.CreateSource(w.as("bac"), detect.SourceInput{Name: "edr", Kind: "edr", Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := w.svc.SourceByToken(ctx, src.Token)
	body := strings.Join([]string{`{"a":1}`, `{"a":`, "{\"a\":\"\xff\xfe\"}", `[1,2]`, strings.Repeat("x", 1<<17), `{"b":2}`}, "\n")
	res, err := w.svc.Ingest(ctx, s, strings.NewReader(body), false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"json_syntax": 1, "json_not_object": 1, "line_too_long": 1}, res.RejectedBy); diff != "" || res.Accepted != 3 {
		t.Errorf("Ingest accepted %d, rejected (-want +got):\n%s", res.Accepted, diff)
	}
	// A gzip bomb: 64 MiB of zeros in a few KiB.
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zeros := make([]byte, 1<<20)
	for range 64 {
		_, _ = zw.Write(zeros)
	}
	_ = zw.Close()
	res, err = w.svc.Ingest(ctx, s, &bomb, true)
	if err != nil || res.Stopped == "" {
		t.Errorf("Ingest(gzip bomb) = %+v, %v; want stopped with a reason", res, err)
	}
	// Not gzip at all.
	res, err = w.svc.Ingest(ctx, s, strings.NewReader(strings.Repeat("{}\n", 100)), true)
	if err != nil || res.Stopped != "gzip" || res.Rejected != 1 {
		t.Errorf("Ingest(not gzip) = %+v, %v; want stopped: gzip", res, err)
	}
	// Proper gzip.
	var gz bytes.Buffer
	zw = gzip.NewWriter(&gz)
	_, _ = io.WriteString(zw, "{\"a\":1}\n{\"a\":2}\n")
	_ = zw.Close()
	if res, err := w.svc.Ingest(ctx, s, &gz, true); err != nil || res.Accepted != 2 {
		t.Errorf("Ingest(gzip) = %+v, %v; want 2 accepted", res, err)
	}
	// Rule uploads: unknown modifiers and regexps Go cannot compile are
	// rejected with the file named.
	up := upload(t, w, "title: a\nlogsource: {product: windows}\ndetection:\n  s:\n    Image|frobnicate: x\n  condition: s\n",
		"title: b\nlogsource: {product: windows}\ndetection:\n  s:\n    Image|re: '(a+)+\\1'\n  condition: s\n")
	if len(up.Rejected) != 2 || up.Rejected[0].File != "rulea.yml" {
		t.Errorf("UploadRules(bad) = %+v, want 2 rejects naming the file", up)
	}
}

// TestOverload fills the only worker and its queue: the next batch is
// refused with ErrOverloaded instead of waiting forever or dropping.
func TestOverload(t *testing.T) {
	db := storetest.SQLite(t)
	w := newWorld(t, db, detect.Config{Workers: 1, QueueWait: 20 * time.Millisecond})
	ctx := context.Background()
	src, _ := w.svc.CreateSource(w.as("bac"), detect.SourceInput{Name: "edr", Kind: "edr", Format: "json"})
	s, _ := w.svc.SourceByToken(ctx, src.Token)
	pr, pw := io.Pipe()
	done := make(chan error)
	go func() {
		_, err := w.svc.Ingest(ctx, s, pr, false)
		done <- err
	}()
	_, _ = pw.Write([]byte("{\"a\":1}\n")) // the first batch now holds the worker
	_, err := w.svc.Ingest(ctx, s, strings.NewReader(`{"a":2}`), false)
	if !errs.Is(err, errs.RateLimited) {
		t.Errorf("Ingest while busy = %v, want RateLimited", err)
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Ingest(ctx, s, strings.NewReader(`{"a":2}`), false); err != nil {
		t.Errorf("Ingest after the worker is free = %v", err)
	}
}

// TestBatchKeyIdempotent applies a batch twice under one key: the second
// time nothing is counted.
func TestBatchKeyIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, detect.Config{})
		ctx := context.Background()
		w.indicator(1, ioc.TypeDomain, "evil.example", access.Green, "CAT", 60)
		if _, err := w.svc.RebuildIndex(ctx); err != nil {
			t.Fatal(err)
		}
		src, _ := w.svc.CreateSource(w.as("bac"), detect.SourceInput{Name: "dns", Kind: "dns", Format: "zeek"})
		s, _ := w.svc.SourceByToken(ctx, src.Token)
		dec, _ := w.svc.Decoder(decode.KindZeek)
		ev, err := dec.Decode([]byte(`{"_path":"dns","ts":1700000000.1,"id.orig_h":"10.0.0.5","id.orig_p":5353,"id.resp_h":"10.0.0.1","id.resp_p":53,"query":"a.b.EVIL.example","qtype_name":"A"}`))
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []bool{false, true} {
			res, err := w.svc.Process(ctx, s, []decode.Event{ev}, "nats:1")
			if err != nil || res.Duplicate != want {
				t.Fatalf("Process #%d = %+v, %v; want duplicate %v", i, res, err, want)
			}
		}
		alerts, _, _ := w.svc.ListAlerts(w.as("bac"), detect.AlertFilter{})
		if len(alerts) != 1 || alerts[0].Hits != 1 || alerts[0].Entity != "a.b.EVIL.example" {
			t.Errorf("alerts = %+v, want one with 1 hit on the parent-domain indicator", alerts)
		}
	})
}
