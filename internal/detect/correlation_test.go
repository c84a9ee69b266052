package detect_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/detect"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// logonRules are two detection rules that only feed correlations
// (generate is false by default) and the three kinds of correlation over
// them.
const logonRules = `title: Failed Logon
name: failed_logon
id: 5a1b0c1e-0000-4000-8000-000000000020
level: low
logsource:
  product: windows
  service: security
detection:
  sel:
    EventID: 4625
  condition: sel
---
title: Successful Logon
name: successful_logon
id: 5a1b0c1e-0000-4000-8000-000000000021
level: informational
logsource:
  product: windows
  service: security
detection:
  sel:
    EventID: 4624
  condition: sel
---
title: Brute Force From One Address
id: 5a1b0c1e-0000-4000-8000-000000000022
level: high
author: Bulwark tests
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 5m
  condition:
    gte: 5
---
title: Password Spray From One Address
id: 5a1b0c1e-0000-4000-8000-000000000023
level: high
correlation:
  type: value_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 10m
  condition:
    field: TargetUserName
    gte: 3
---
title: Logon After Failures
id: 5a1b0c1e-0000-4000-8000-000000000024
level: critical
correlation:
  type: temporal
  rules: [failed_logon, successful_logon]
  group-by: [IpAddress]
  timespan: 5m
`

func logonLine(id int, ip, user string) string {
	return fmt.Sprintf(`{"Channel":"Security","EventID":%d,"Computer":"dc01.example.vn","IpAddress":%q,"TargetUserName":%q}`, id, ip, user)
}

// TestCorrelationPipeline runs Sigma correlation rules through the
// pipeline: rules uploaded through the service, events ingested as a
// source, correlation alerts stored. Each agency's events are correlated
// apart, a window that ran out does not count, and the rules that only feed
// correlations raise no alert of their own.
func TestCorrelationPipeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, detect.Config{})
		ctx := context.Background()
		if up := upload(t, w, logonRules); up.Added != 5 || len(up.Rejected) != 0 {
			t.Fatalf("UploadRules = %+v", up)
		}
		if rs := w.svc.Engine().Rules(); rs.Correlating != 3 {
			t.Fatalf("%d correlation rules loaded, want 3", rs.Correlating)
		}
		bac, err := w.svc.CreateSource(w.as("bac"), detect.SourceInput{Name: "DC huyện Bắc", Kind: "windows", Format: "windows"})
		if err != nil {
			t.Fatal(err)
		}
		nam, err := w.svc.CreateSource(w.as("nam"), detect.SourceInput{Name: "DC huyện Nam", Kind: "windows", Format: "windows"})
		if err != nil {
			t.Fatal(err)
		}
		send := func(src detect.CreatedSource, lines ...string) detect.IngestResult {
			t.Helper()
			res, err := w.svc.Ingest(ctx, src.Source, strings.NewReader(strings.Join(lines, "\n")), false)
			if err != nil || res.Rejected != 0 {
				t.Fatalf("Ingest = %+v, %v", res, err)
			}
			return res
		}
		repeat := func(n int, line string) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = line
			}
			return out
		}
		// event_count: four failures from one address, the same address
		// fails once at another agency (not counted here), then the fifth.
		if res := send(bac, repeat(4, logonLine(4625, "203.0.113.50", "admin"))...); res.Alerts != 0 || res.Accepted != 4 {
			t.Fatalf("four failures = %+v, want no alert (the base rule does not generate)", res)
		}
		w.clock.Add(time.Minute)
		if res := send(nam, logonLine(4625, "203.0.113.50", "admin")); res.Alerts != 0 {
			t.Fatalf("another agency's failure = %+v, want no alert", res)
		}
		w.clock.Add(time.Minute)
		if res := send(bac, logonLine(4625, "203.0.113.50", "admin")); res.Alerts != 1 {
			t.Fatalf("fifth failure = %+v, want the brute-force alert", res)
		}
		// event_count outside the window: four, six minutes, one more.
		send(bac, repeat(4, logonLine(4625, "203.0.113.80", "x"))...)
		w.clock.Add(6 * time.Minute)
		if res := send(bac, logonLine(4625, "203.0.113.80", "x")); res.Alerts != 0 {
			t.Fatalf("a failure after the window = %+v, want no alert", res)
		}
		// value_count: three user names from one address.
		send(bac, logonLine(4625, "203.0.113.60", "an"), logonLine(4625, "203.0.113.60", "binh"))
		w.clock.Add(2 * time.Minute)
		if res := send(bac, logonLine(4625, "203.0.113.60", "chi")); res.Alerts != 1 {
			t.Fatalf("third user name = %+v, want the spray alert", res)
		}
		// temporal: a failure, then a success within five minutes.
		send(bac, logonLine(4625, "203.0.113.70", "dung"))
		w.clock.Add(3 * time.Minute)
		if res := send(bac, logonLine(4624, "203.0.113.70", "dung")); res.Alerts != 1 {
			t.Fatalf("success after a failure = %+v, want the temporal alert", res)
		}

		alerts, _, err := w.svc.ListAlerts(w.as("bac"), detect.AlertFilter{})
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			Kind, Title, Entity, Severity, Author string
			Hits                                  int64
		}
		var got []row
		for _, a := range alerts {
			got = append(got, row{a.Kind, a.Title, a.Entity, a.Severity, a.Author, a.Hits})
		}
		sort.Slice(got, func(i, j int) bool { return got[i].Title < got[j].Title })
		want := []row{
			{"correlation", "Brute Force From One Address (203.0.113.50)", "203.0.113.50", "high", "Bulwark tests", 1},
			{"correlation", "Logon After Failures (203.0.113.70)", "203.0.113.70", "critical", "", 1},
			{"correlation", "Password Spray From One Address (203.0.113.60)", "203.0.113.60", "high", "", 1},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("alerts of the district (-want +got):\n%s", diff)
		}
		if _, n, _ := w.svc.ListAlerts(w.as("nam"), detect.AlertFilter{}); n != 0 {
			t.Errorf("the other district has %d alerts, want 0", n)
		}
		// Matched counts the events that raised or added to an alert: the
		// three that completed a correlation.
		src, err := w.svc.GetSource(w.as("bac"), bac.ID)
		if err != nil || src.Accepted != 15 || src.Matched != 3 {
			t.Errorf("source counters = %d accepted, %d matched, %v; want 15 and 3", src.Accepted, src.Matched, err)
		}
	})
}

// logonSender registers a Security log source of the district "bac" and
// returns a function that ingests lines from it in one batch, failing the
// test on any error or rejected line.
func logonSender(t *testing.T, w *world) func(lines []string) detect.IngestResult {
	t.Helper()
	src, err := w.svc.CreateSource(w.as("bac"), detect.SourceInput{Name: "DC huyện Bắc", Kind: "windows", Format: "windows"})
	if err != nil {
		t.Fatal(err)
	}
	return func(lines []string) detect.IngestResult {
		t.Helper()
		res, err := w.svc.Ingest(context.Background(), src.Source, strings.NewReader(strings.Join(lines, "\n")), false)
		if err != nil || res.Rejected != 0 {
			t.Fatalf("Ingest = %+v, %v", res, err)
		}
		return res
	}
}

func logonAt(id int, ip, user string, at time.Time) string {
	return fmt.Sprintf(`{"Channel":"Security","EventID":%d,"Computer":"dc01.example.vn","IpAddress":%q,"TargetUserName":%q,"TimeCreated":%q}`,
		id, ip, user, at.Format("2006-01-02T15:04:05.0000000Z"))
}

// TestCorrelationEventTime: correlation windows count events by when they
// happened, not when they arrived. One quick batch of failures spread over
// more than the window raises nothing; the same failures within the
// window, in any order, raise the alert; a time that cannot be right
// falls back to arrival.
func TestCorrelationEventTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, detect.Config{})
		upload(t, w, logonRules)
		send := logonSender(t, w)
		t0 := w.clock.Now().Add(-time.Hour)
		failures := func(ip string, step time.Duration, order []int, base time.Time) []string {
			var out []string
			for _, i := range order {
				out = append(out, logonAt(4625, ip, "admin", base.Add(time.Duration(i)*step)))
			}
			return out
		}
		inOrder, shuffled := []int{0, 1, 2, 3, 4}, []int{3, 0, 4, 1, 2}

		// Five failures two minutes apart: eight minutes, more than the
		// five-minute window, in one batch.
		if res := send(failures("203.0.113.10", 2*time.Minute, inOrder, t0)); res.Alerts != 0 {
			t.Errorf("failures spread over 8 minutes = %+v, want no alert", res)
		}
		if res := send(failures("203.0.113.11", 2*time.Minute, shuffled, t0)); res.Alerts != 0 {
			t.Errorf("failures spread over 8 minutes, shuffled = %+v, want no alert", res)
		}
		// The same within the window: thirty seconds apart.
		if res := send(failures("203.0.113.20", 30*time.Second, inOrder, t0)); res.Alerts != 1 {
			t.Errorf("failures within 2 minutes = %+v, want the brute-force alert", res)
		}
		if res := send(failures("203.0.113.21", 30*time.Second, shuffled, t0)); res.Alerts != 1 {
			t.Errorf("failures within 2 minutes, shuffled = %+v, want the brute-force alert", res)
		}
		// Across batches: the event times decide, whatever the clock says.
		send(failures("203.0.113.30", 30*time.Second, []int{0, 1, 2, 3}, t0))
		w.clock.Add(20 * time.Minute)
		if res := send(failures("203.0.113.30", 30*time.Second, []int{4}, t0)); res.Alerts != 1 {
			t.Errorf("the fifth failure, stamped within the window but arriving 20 minutes later = %+v, want the alert", res)
		}
		// Times that cannot be right (a day ahead of arrival, before 2000)
		// are correlated at arrival: one quick batch, so within the window.
		if res := send(failures("203.0.113.40", time.Hour, inOrder, w.clock.Now().Add(25*time.Hour))); res.Alerts != 1 {
			t.Errorf("failures stamped a day ahead = %+v, want the alert at arrival time", res)
		}
		if res := send(failures("203.0.113.41", time.Hour, inOrder, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC))); res.Alerts != 1 {
			t.Errorf("failures stamped 1970 = %+v, want the alert at arrival time", res)
		}
		// One failure stamped hours ahead (a wrong clock, or a forged
		// time) is taken at arrival, so it cannot push the group's window
		// past the real failures that follow and hide them.
		now := w.clock.Now()
		send([]string{logonAt(4625, "203.0.113.60", "admin", now.Add(6*time.Hour))})
		if res := send(failures("203.0.113.60", 10*time.Second, []int{0, 1, 2, 3}, now.Add(time.Second))); res.Alerts != 1 {
			t.Errorf("failures after one stamped six hours ahead = %+v, want the alert", res)
		}
		// Without a time, arrival decides: a quick batch fires.
		var untimed []string
		for range 5 {
			untimed = append(untimed, logonLine(4625, "203.0.113.50", "admin"))
		}
		if res := send(untimed); res.Alerts != 1 {
			t.Errorf("untimed failures in one batch = %+v, want the alert", res)
		}
	})
}

// TestCorrelationSurvivesReload: uploading an unrelated rule reloads the
// rules; the brute-force windows already open go on, so the fifth failure
// after the reload completes the count of the four before it.
func TestCorrelationSurvivesReload(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, detect.Config{})
		upload(t, w, logonRules)
		send := logonSender(t, w)
		t0 := w.clock.Now().Add(-time.Minute)
		for i := range 4 {
			send([]string{logonAt(4625, "203.0.113.70", "admin", t0.Add(time.Duration(i)*time.Second))})
		}
		lockout := strings.NewReplacer("5a1b0c1e-0000-4000-8000-000000000020", "5a1b0c1e-0000-4000-8000-000000000099",
			"Failed Logon", "Account Locked Out", "name: failed_logon", "name: lockout", "4625", "4740").Replace(logonRules[:strings.Index(logonRules, "---")])
		upload(t, w, lockout)
		if res := send([]string{logonAt(4625, "203.0.113.70", "admin", t0.Add(5*time.Second))}); res.Alerts != 1 {
			t.Errorf("fifth failure after a rules reload = %+v, want the brute-force alert", res)
		}
	})
}

// logonSource creates a Windows source for the agency of user who, in a
// world with the logon rules loaded.
func logonSource(t *testing.T, w *world, who string) detect.CreatedSource {
	t.Helper()
	src, err := w.svc.CreateSource(w.as(who), detect.SourceInput{Name: "DC " + who, Kind: "windows", Format: "windows"})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestCorrelationHandover snapshots and exports one agency's correlation
// windows and imports them back, as a stream worker gives a partition up and its next
// holder takes it: the export forgets the agency's windows here and
// leaves the other agencies' alone; the import restores them, and only
// for the agencies it is asked to take.
func TestCorrelationHandover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, detect.Config{})
		ctx := context.Background()
		upload(t, w, logonRules)
		bac, nam := logonSource(t, w, "bac"), logonSource(t, w, "nam")
		fail := func(src detect.CreatedSource, n int) int {
			t.Helper()
			lines := make([]string, n)
			for i := range lines {
				lines[i] = logonLine(4625, "203.0.113.50", "admin")
			}
			res, err := w.svc.Ingest(ctx, src.Source, strings.NewReader(strings.Join(lines, "\n")), false)
			if err != nil || res.Accepted != n {
				t.Fatalf("Ingest = %+v, %v", res, err)
			}
			return res.Alerts
		}
		isBac := func(agency int64) bool { return agency == bac.Source.AgencyID }
		fail(bac, 4)
		fail(nam, 4)
		// A snapshot keeps the windows; an export takes them away.
		snap, err := w.svc.SnapshotCorrelations(isBac)
		if err != nil || len(snap) == 0 {
			t.Fatalf("SnapshotCorrelations = %d bytes, %v", len(snap), err)
		}
		data, err := w.svc.ExportCorrelations(isBac)
		if string(data) != string(snap) {
			t.Errorf("the export after a snapshot differs from it:\n%s\n%s", data, snap)
		}
		if err != nil || len(data) == 0 {
			t.Fatalf("ExportCorrelations = %d bytes, %v", len(data), err)
		}
		if none, err := w.svc.ExportCorrelations(isBac); none != nil || err != nil {
			t.Errorf("a second export = %q, %v; want nothing (the windows left with the first)", none, err)
		}
		// A partition that does not hold bac refuses its state.
		if err := w.svc.ImportCorrelations(func(int64) bool { return false }, data); err == nil {
			t.Error("state of an agency outside the partition was imported")
		}
		if err := w.svc.ImportCorrelations(isBac, data); err != nil {
			t.Fatal(err)
		}
		if n := fail(bac, 1); n != 1 {
			t.Errorf("bac's fifth failure after the handover raised %d alerts, want 1", n)
		}
		if n := fail(nam, 1); n != 1 {
			t.Errorf("nam's fifth failure raised %d alerts, want 1 (its windows stayed)", n)
		}
		// Taking a partition without state starts its windows afresh.
		fail(bac, 4)
		if err := w.svc.ImportCorrelations(isBac, nil); err != nil {
			t.Fatal(err)
		}
		if n := fail(bac, 1); n != 0 {
			t.Errorf("a failure after an empty takeover raised %d alerts, want 0", n)
		}
	})
}

// TestStoreRetryKeepsCorrelationAlert: the transaction storing a batch
// fails once, as it would while PostgreSQL restarts. The fifth failed
// logon has already fired the brute-force correlation (its group started
// afresh), so the batch must be stored by trying again in place: sent
// again, it would count one failure and the alert would be lost.
func TestStoreRetryKeepsCorrelationAlert(t *testing.T) {
	db := storetest.Postgres(t)
	w := newWorld(t, db, detect.Config{})
	ctx := context.Background()
	upload(t, w, logonRules)
	bac := logonSource(t, w, "bac")
	send := func(n int) detect.IngestResult {
		t.Helper()
		lines := make([]string, n)
		for i := range lines {
			lines[i] = logonLine(4625, "203.0.113.50", "admin")
		}
		res, err := w.svc.Ingest(ctx, bac.Source, strings.NewReader(strings.Join(lines, "\n")), false)
		if err != nil {
			t.Fatalf("Ingest = %+v, %v", res, err)
		}
		return res
	}
	if res := send(4); res.Alerts != 0 {
		t.Fatalf("four failures = %+v, want no alert", res)
	}
	// The next update of a source's counters fails once: a sequence, which
	// a rollback does not undo, tells the first attempt from the next.
	for _, q := range []string{
		`CREATE SEQUENCE test_fail_once`,
		`CREATE FUNCTION test_fail_once() RETURNS trigger AS $$
		BEGIN
			IF nextval('test_fail_once') = 1 THEN
				RAISE EXCEPTION 'a transient failure';
			END IF;
			RETURN NEW;
		END $$ LANGUAGE plpgsql`,
		`CREATE TRIGGER test_fail_once BEFORE UPDATE ON detect_sources FOR EACH ROW EXECUTE FUNCTION test_fail_once()`,
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if res := send(1); res.Alerts != 1 || res.Accepted != 1 {
		t.Errorf("the fifth failure = %+v, want the brute-force alert stored", res)
	}
	var attempts int64
	if err := db.QueryRow(ctx, `SELECT last_value FROM test_fail_once`).Scan(&attempts); err != nil || attempts != 2 {
		t.Errorf("the transaction was attempted %d times (%v), want 2", attempts, err)
	}
	alerts, _, err := w.svc.ListAlerts(w.as("coord"), detect.AlertFilter{Kind: "correlation"})
	if err != nil || len(alerts) != 1 {
		t.Fatalf("correlation alerts = %d (%v), want 1", len(alerts), err)
	}
	if s, err := w.svc.GetSource(w.as("bac"), bac.Source.ID); err != nil || s.Accepted != 5 {
		t.Errorf("source counted %d events (%v), want 5", s.Accepted, err)
	}
}

// TestCorrelationReplayedBatch: a stream batch that comes again (stored,
// but its ack was lost) is matched again and recognised as stored; its
// events must not count twice in the correlation windows, also after
// the agency's windows moved to another worker. Counted twice, the four
// failures of the first batch would complete the count of five on the
// replay, whose alert is not stored, and the fifth failure would then
// start a new count.
func TestCorrelationReplayedBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, detect.Config{})
		ctx := context.Background()
		upload(t, w, logonRules)
		bac := logonSource(t, w, "bac")
		batch := func(n int) detect.RawBatch {
			b := detect.RawBatch{SourceID: bac.Source.ID, AgencyID: bac.Source.AgencyID}
			for range n {
				b.Lines = append(b.Lines, []byte(logonLine(4625, "203.0.113.50", "admin")))
			}
			return b
		}
		process := func(b detect.RawBatch, key string) detect.IngestResult {
			t.Helper()
			res, err := w.svc.ProcessRaw(ctx, b, key)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		first := batch(4)
		if res := process(first, "nats:S:1"); res.Duplicate || res.Alerts != 0 {
			t.Fatalf("first batch = %+v", res)
		}
		if res := process(first, "nats:S:1"); !res.Duplicate {
			t.Fatalf("the batch again = %+v, want it recognised", res)
		}
		// The windows and the keys move to another holder, and the batch
		// comes once more.
		isBac := func(a int64) bool { return a == bac.Source.AgencyID }
		data, err := w.svc.ExportCorrelations(isBac)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.svc.ImportCorrelations(isBac, data); err != nil {
			t.Fatal(err)
		}
		if res := process(first, "nats:S:1"); !res.Duplicate {
			t.Fatalf("the batch after the handover = %+v, want it recognised", res)
		}
		if res := process(batch(1), "nats:S:2"); res.Alerts != 1 {
			t.Errorf("the fifth failure = %+v, want the brute-force alert", res)
		}
	})
}
