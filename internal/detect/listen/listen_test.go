package listen_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/detect"
	"bulwark/internal/detect/listen"
	"bulwark/internal/intel"
	"bulwark/internal/ioc"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// oneIndicator serves a single TLP:CLEAR address indicator.
type oneIndicator struct{ value string }

func (o oneIndicator) EachMatchable(ctx context.Context, fn func(intel.Matchable) error) error {
	return fn(intel.Matchable{EntryID: 1, IndicatorID: 1, Type: ioc.TypeIPv4, Value: o.value, TLP: access.Clear, Confidence: 80})
}

func (o oneIndicator) RecordSightings(ctx context.Context, ins []intel.SightingInput) ([]int64, error) {
	return make([]int64, len(ins)), nil
}

// setup returns a detection service on SQLite with one district analyst
// and the indicator 203.0.113.66 loaded.
func setup(t *testing.T, cfg detect.Config) (*detect.Service, *store.DB, context.Context) {
	t.Helper()
	db := storetest.SQLite(t)
	ctx := context.Background()
	as := addAnalyst(t, db, "HBT", "bac")
	svc, err := detect.New(detect.Deps{DB: db, Audit: audit.New(db, time.Now), Intel: oneIndicator{"203.0.113.66"}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RebuildIndex(ctx); err != nil {
		t.Fatal(err)
	}
	return svc, db, as
}

// addAnalyst adds a district and its analyst, and returns the analyst.
func addAnalyst(t *testing.T, db *store.DB, code, name string) context.Context {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	var agency, user int64
	if err := db.QueryRow(ctx, `INSERT INTO agencies (code, name_vi, kind, created_at, updated_at) VALUES (?, ?, 'district', ?, ?) RETURNING id`,
		code, "UBND huyện "+name, now, now).Scan(&agency); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `INSERT INTO users (email, name, agency_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		name+"@example.vn", name, agency, now, now).Scan(&user); err != nil {
		t.Fatal(err)
	}
	return access.With(ctx, &access.Principal{UserID: user, AgencyID: agency, Roles: []access.Role{access.Analyst}})
}

// serveSyslog starts a syslog listener for svc, stopped when the test
// ends.
func serveSyslog(t *testing.T, svc *detect.Service, cfg listen.SyslogConfig) *listen.Syslog {
	t.Helper()
	ls, err := listen.NewSyslog(cfg, svc, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ls.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return ls
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSyslogWithLogger sends messages with util-linux logger, the syslog
// client of every Linux machine: RFC 5424 with the token in structured data
// over TCP (newline and octet-counting framing), and RFC 3164 over UDP from
// a mapped sender address.
func TestSyslogWithLogger(t *testing.T) {
	loggerBin, err := exec.LookPath("logger")
	if err != nil {
		t.Skip("logger (bsdutils/util-linux) is not installed")
	}
	svc, _, as := setup(t, detect.Config{})
	byToken, err := svc.CreateSource(as, detect.SourceInput{Name: "fw-token", Kind: "firewall", Format: "syslog"})
	if err != nil {
		t.Fatal(err)
	}
	bySender, err := svc.CreateSource(as, detect.SourceInput{Name: "fw-addr", Kind: "firewall", Format: "syslog", Senders: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	ls := serveSyslog(t, svc, listen.SyslogConfig{TCPAddr: "127.0.0.1:0", UDPAddr: "127.0.0.1:0", Flush: 50 * time.Millisecond})
	_, tcpPort, _ := net.SplitHostPort(ls.TCPAddr())
	_, udpPort, _ := net.SplitHostPort(ls.UDPAddr())
	send := func(args ...string) {
		t.Helper()
		out, err := exec.Command(loggerBin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("logger %v: %v: %s", args, err, out)
		}
	}
	sd := []string{"--sd-id", "bulwark@32473", "--sd-param", `token="` + byToken.Token + `"`}
	send(append([]string{"-n", "127.0.0.1", "-P", tcpPort, "-T", "--rfc5424", "-t", "fw"}, append(sd, "action=drop src=203.0.113.66 dst=10.0.0.1 dpt=22")...)...)
	send(append([]string{"-n", "127.0.0.1", "-P", tcpPort, "-T", "--octet-count", "--rfc5424", "-t", "fw"}, append(sd, "action=drop src=198.51.100.1 dst=10.0.0.1 dpt=23")...)...)
	send("-n", "127.0.0.1", "-P", udpPort, "-d", "--rfc3164", "-t", "fw", "action=allow src=203.0.113.66 dst=10.0.0.2 dpt=443")
	waitFor(t, "the TCP messages", 5*time.Second, func() bool {
		s, _ := svc.GetSource(as, byToken.ID)
		return s.Accepted == 2
	})
	waitFor(t, "the UDP message", 5*time.Second, func() bool {
		s, _ := svc.GetSource(as, bySender.ID)
		return s.Accepted == 1
	})
	alerts, _, err := svc.ListAlerts(as, detect.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, a := range alerts {
		got[a.SourceName+" "+a.Entity] = a.Hits
		for _, s := range a.Samples {
			if strings.Contains(s, byToken.Token) {
				t.Errorf("alert sample keeps the source token")
			}
		}
	}
	if got["fw-token 203.0.113.66"] != 1 || got["fw-addr 203.0.113.66"] != 1 || len(got) != 2 {
		t.Errorf("alerts = %v, want one per source on 203.0.113.66", got)
	}
	// A sender with a wrong token is refused and counted, not accepted.
	send("-n", "127.0.0.1", "-P", tcpPort, "-T", "--rfc5424", "--sd-id", "bulwark@32473", "--sd-param", `token="bws_wrong"`, "src=203.0.113.66")
	time.Sleep(200 * time.Millisecond)
	if s, _ := svc.GetSource(as, byToken.ID); s.Accepted != 2 {
		t.Errorf("a wrong token's message was accepted: %d", s.Accepted)
	}
}

// TestSyslogLyingFrame sends an octet count that lies: the connection is
// closed and the frame counted, the listener goes on.
func TestSyslogLyingFrame(t *testing.T) {
	svc, _, as := setup(t, detect.Config{})
	src, err := svc.CreateSource(as, detect.SourceInput{Name: "fw", Kind: "firewall", Format: "syslog", Senders: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	ls := serveSyslog(t, svc, listen.SyslogConfig{TCPAddr: "127.0.0.1:0", MaxMessage: 1024, Flush: 20 * time.Millisecond})
	c, err := net.Dial("tcp", ls.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	msg := "<13>1 2026-11-20T02:00:00Z host fw - - - src=203.0.113.66"
	fmt.Fprintf(c, "%d %s", len(msg), msg)       // a good frame
	fmt.Fprintf(c, "99999999 <13>1 - - - - - x") // over the limit: fatal
	buf := make([]byte, 1)
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Read(buf); err == nil {
		t.Errorf("connection still open after a lying frame length")
	}
	c.Close()
	waitFor(t, "the good frame", 3*time.Second, func() bool {
		s, _ := svc.GetSource(as, src.ID)
		return s.Accepted == 1 && s.Rejected == 1
	})
}

const natsURL = "nats://127.0.0.1:4222"

// natsOrSkip connects to the test NATS server or skips (fails with
// BULWARK_TEST_NATS=required).
func natsOrSkip(t *testing.T) {
	t.Helper()
	nc, err := nats.Connect(natsURL, nats.Timeout(2*time.Second))
	if err == nil {
		defer nc.Close()
		js, jerr := jetstream.New(nc)
		if jerr == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if _, err = js.AccountInfo(ctx); err == nil {
				return
			}
		} else {
			err = jerr
		}
	}
	if os.Getenv("BULWARK_TEST_NATS") == "required" {
		t.Fatalf("NATS with JetStream at %s is required: %v", natsURL, err)
	}
	t.Skipf("NATS with JetStream at %s unreachable (set BULWARK_TEST_NATS=required to fail instead): %v", natsURL, err)
}

// TestJetStreamWorkerKilled publishes 40 batches through the stream; the
// first worker dies after storing its third batch, before acking it, with
// more fetched and unacked. A second worker takes over: every batch is
// processed at least once, the stored one is recognised when redelivered,
// and the alert counts are exact.
func TestJetStreamWorkerKilled(t *testing.T) {
	natsOrSkip(t)
	svc, _, as := setup(t, detect.Config{BatchLines: 5})
	src, err := svc.CreateSource(as, detect.SourceInput{Name: "edr", Kind: "edr", Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	name := testStreamName()
	// A dead worker's partitions wait a lease (one second here) for
	// another worker.
	cfg := listen.StreamConfig{URL: natsURL, Stream: name, Subject: "test." + strings.ToLower(name), LeaseTTL: time.Second}
	pub := openTestStream(t, ctx, cfg)
	svc.SetPublisher(pub)
	s, _ := svc.SourceByToken(ctx, src.Token)
	var lines []string
	for i := range 200 {
		ip := "192.0.2." + fmt.Sprint(i%50)
		if i%4 == 0 {
			ip = "203.0.113.66"
		}
		lines = append(lines, fmt.Sprintf(`{"source":{"ip":%q},"n":%d}`, ip, i))
	}
	res, err := svc.Submit(ctx, s, strings.NewReader(strings.Join(lines, "\n")), false)
	if err != nil || res.Accepted != 200 || !res.Queued {
		t.Fatalf("Submit = %+v, %v; want 200 queued", res, err)
	}
	var processed, duplicates atomic.Int64
	proc := func(ctx context.Context, b detect.RawBatch, key string) (detect.IngestResult, error) {
		r, err := svc.ProcessRaw(ctx, b, key)
		if err == nil {
			processed.Add(1)
			if r.Duplicate {
				duplicates.Add(1)
			}
		}
		return r, err
	}
	log := slog.New(slog.DiscardHandler)
	wcfg := listen.WorkerConfig{Durable: "w", AckWait: time.Second, Fetch: 4}
	// Worker A dies after storing its third batch, before the ack.
	a, err := listen.OpenStream(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	var aDone atomic.Int64
	actx, acancel := context.WithCancel(ctx)
	go func() {
		_ = a.Work(actx, wcfg, func(ctx context.Context, b detect.RawBatch, key string) (detect.IngestResult, error) {
			r, err := proc(ctx, b, key)
			if aDone.Add(1) == 3 {
				once.Do(a.Close) // crash: no ack for this batch nor the rest of the fetch
				acancel()
			}
			return r, err
		}, log)
	}()
	waitFor(t, "worker A to die", 20*time.Second, func() bool { return actx.Err() != nil })
	acceptedByA := processed.Load()
	// Worker B takes over.
	bs, err := listen.OpenStream(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	bctx, bcancel := context.WithCancel(ctx)
	bDone := make(chan struct{})
	go func() { _ = bs.Work(bctx, wcfg, proc, log); close(bDone) }()
	waitFor(t, "every event", 30*time.Second, func() bool {
		s, _ := svc.GetSource(as, src.ID)
		n, _ := bs.Pending(ctx)
		return s.Accepted == 200 && n == 0
	})
	bcancel()
	<-bDone
	got, _ := svc.GetSource(as, src.ID)
	alerts, _, _ := svc.ListAlerts(as, detect.AlertFilter{})
	var hits int64
	for _, al := range alerts {
		hits += al.Hits
	}
	t.Logf("worker A processed %d batches before dying; %d batches processed in all, %d redeliveries recognised", acceptedByA, processed.Load(), duplicates.Load())
	if got.Accepted != 200 || got.Matched != 50 || hits != 50 || len(alerts) != 1 {
		t.Errorf("accepted %d, matched %d, %d alerts with %d hits; want 200, 50, 1 alert with 50 hits", got.Accepted, got.Matched, len(alerts), hits)
	}
	if duplicates.Load() < 1 {
		t.Errorf("the batch stored before the crash was not redelivered and recognised")
	}
}

// testStreamName returns a new stream name.
func testStreamName() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "TEST_" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// openTestStream opens a stream with cfg; the stream and its lease and
// state buckets are deleted when the test ends.
func openTestStream(t *testing.T, ctx context.Context, cfg listen.StreamConfig) *listen.Stream {
	t.Helper()
	st, err := listen.OpenStream(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		nc, _ := nats.Connect(natsURL)
		if js, err := jetstream.New(nc); err == nil {
			_ = js.DeleteStream(context.Background(), cfg.Stream)
			_ = js.DeleteKeyValue(context.Background(), cfg.Stream+"_LEASES")
			_ = js.DeleteObjectStore(context.Background(), listen.StateBucket(cfg.Stream))
		}
		nc.Close()
		st.Close()
	})
	return st
}

// TestSyslogReusesStorage sends, over one TCP connection in batches of
// three, messages that hit the indicator between others that do not, of
// other lengths and bytes. The listener decodes into storage it reuses
// for the messages that raised nothing; the alert must count every hit
// and keep the first messages exactly as sent.
func TestSyslogReusesStorage(t *testing.T) {
	svc, _, as := setup(t, detect.Config{MaxSamples: 4})
	src, err := svc.CreateSource(as, detect.SourceInput{Name: "fw", Kind: "firewall", Format: "syslog"})
	if err != nil {
		t.Fatal(err)
	}
	ls := serveSyslog(t, svc, listen.SyslogConfig{TCPAddr: "127.0.0.1:0", Batch: 3, Flush: 20 * time.Millisecond})
	c, err := net.Dial("tcp", ls.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := func(i int, addr string) string {
		return fmt.Sprintf(`<134>1 2026-11-29T08:00:%02dZ fw%d app - - [bulwark@32473 token="%s"] action=drop src=%s dst=10.0.0.%d note=%s`,
			i%60, i, src.Token, addr, i, strings.Repeat(string(rune('a'+i%26)), 10+(i*37)%200))
	}
	var hits []string
	for i := range 40 {
		addr := fmt.Sprintf("198.51.100.%d", i)
		if i%4 == 1 {
			addr = "203.0.113.66"
			hits = append(hits, msg(i, addr))
		}
		if _, err := fmt.Fprintf(c, "%s\n", msg(i, addr)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the messages", 10*time.Second, func() bool {
		s, _ := svc.GetSource(as, src.ID)
		return s.Accepted == 40
	})
	alerts, _, err := svc.ListAlerts(as, detect.AlertFilter{})
	if err != nil || len(alerts) != 1 {
		t.Fatalf("ListAlerts = %d alerts, %v; want 1", len(alerts), err)
	}
	a := alerts[0]
	if a.Hits != 10 || a.Entity != "203.0.113.66" {
		t.Errorf("alert = %d hits on %q, want 10 on 203.0.113.66", a.Hits, a.Entity)
	}
	redact := func(s string) string { return strings.ReplaceAll(s, src.Token, detect.RedactTokens(src.Token)) }
	for i, s := range a.Samples {
		if i >= len(hits) || s != redact(hits[i]) {
			t.Errorf("sample %d = %q, want %q", i, s, redact(hits[i]))
		}
	}
	if len(a.Samples) != 4 {
		t.Errorf("%d samples, want 4", len(a.Samples))
	}
}

// bruteForce raises a correlation alert on four failed logons from one
// address within five minutes.
const bruteForce = `title: Failed Logon
name: failed_logon
id: 5a1b0c1e-0000-4000-8000-000000000120
logsource:
  product: windows
  service: security
detection:
  sel:
    EventID: 4625
  condition: sel
---
title: Brute Force From One Address
id: 5a1b0c1e-0000-4000-8000-000000000121
level: high
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 5m
  condition:
    gte: 4
`

// TestJetStreamPartitions: two workers, each with its own detection
// service (its own correlation windows, as on two machines), share a
// stream of four partitions, two each. Two agencies send failed logons
// one per batch: each agency's batches are all taken by one worker, so
// each agency's four failures make one correlation alert. A worker that
// stops gives its partitions up at once to the other.
func TestJetStreamPartitions(t *testing.T) {
	natsOrSkip(t)
	svcA, db, as := setup(t, detect.Config{BatchLines: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	system := access.With(ctx, &access.Principal{System: true})
	if _, err := svcA.UploadRules(system, []detect.UploadFile{{Name: "brute.yml", Data: []byte(bruteForce)}}); err != nil {
		t.Fatal(err)
	}
	svcB, err := detect.New(detect.Deps{DB: db, Audit: audit.New(db, time.Now), Intel: oneIndicator{"203.0.113.66"}}, detect.Config{BatchLines: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svcB.LoadRules(ctx); err != nil {
		t.Fatal(err)
	}
	// A second agency, with its own analyst.
	as2 := addAnalyst(t, db, "HNA", "nam")
	now := time.Now()
	var sources []detect.Source
	agencyOf := map[int64]int64{}
	for _, who := range []context.Context{as, as2} {
		created, err := svcA.CreateSource(who, detect.SourceInput{Name: "dc", Kind: "windows", Format: "windows"})
		if err != nil {
			t.Fatal(err)
		}
		src, err := svcA.SourceByToken(ctx, created.Token)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, src)
		agencyOf[src.ID] = src.AgencyID
	}

	cfg := listen.StreamConfig{URL: natsURL, Stream: testStreamName(), Partitions: 4, LeaseTTL: time.Second}
	cfg.Subject = "test." + strings.ToLower(cfg.Stream)
	pub := openTestStream(t, ctx, cfg)
	svcA.SetPublisher(pub)
	if pub.Partitions() != 4 || pub.Partition(sources[0].AgencyID) == pub.Partition(sources[1].AgencyID) {
		t.Fatalf("partitions %d; agencies %d and %d in %d and %d", pub.Partitions(), sources[0].AgencyID, sources[1].AgencyID,
			pub.Partition(sources[0].AgencyID), pub.Partition(sources[1].AgencyID))
	}
	var mu sync.Mutex
	takenBy := map[int64]map[string]int{} // agency: worker: batches
	worker := func(name string, svc *detect.Service) (*listen.Stream, context.CancelFunc, chan struct{}) {
		st := openTestStream(t, ctx, cfg)
		wctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = st.Work(wctx, listen.WorkerConfig{Durable: "w", AckWait: time.Second, ID: name, Handover: svc}, func(ctx context.Context, b detect.RawBatch, key string) (detect.IngestResult, error) {
				r, err := svc.ProcessRaw(ctx, b, key)
				if err == nil {
					mu.Lock()
					ag := agencyOf[b.SourceID]
					if takenBy[ag] == nil {
						takenBy[ag] = map[string]int{}
					}
					takenBy[ag][name]++
					mu.Unlock()
				}
				return r, err
			}, slog.New(slog.DiscardHandler))
		}()
		return st, stop, done
	}
	// send submits two failed logons per agency and waits until every
	// batch is processed.
	sent := 0
	send := func() {
		t.Helper()
		for _, src := range sources {
			var lines []string
			for i := sent; i < sent+2; i++ {
				lines = append(lines, fmt.Sprintf(`{"Channel":"Security","EventID":4625,"Computer":"dc01","IpAddress":"198.51.100.7","TargetUserName":"u%d","TimeCreated":%q}`,
					i, now.Add(time.Duration(i)*time.Second).UTC().Format(time.RFC3339)))
			}
			res, err := svcA.Submit(ctx, src, strings.NewReader(strings.Join(lines, "\n")), false)
			if err != nil || res.Accepted != 2 || !res.Queued {
				t.Fatalf("Submit = %+v, %v", res, err)
			}
		}
		sent += 2
		waitFor(t, "every batch", 30*time.Second, func() bool {
			n, _ := pub.Pending(ctx)
			for _, src := range sources {
				if s, _ := svcA.GetSource(system, src.ID); s.Accepted != int64(sent) {
					return false
				}
			}
			return n == 0
		})
	}
	alertsPer := func() map[int64]int {
		t.Helper()
		alerts, _, err := svcA.ListAlerts(system, detect.AlertFilter{Kind: "correlation"})
		if err != nil {
			t.Fatal(err)
		}
		per := map[int64]int{}
		for _, al := range alerts {
			per[al.AgencyID] += int(al.Hits)
		}
		return per
	}
	// A starts alone and takes every partition, and sees two failed
	// logons per agency. When B starts, A gives up its highest two, which
	// B takes with their agencies' windows: the next two logons complete
	// the count of four wherever they land.
	stA, stopA, doneA := worker("a", svcA)
	waitFor(t, "worker A to hold every partition", 20*time.Second, func() bool { return len(stA.Owned()) == 4 })
	send()
	stB, stopB, doneB := worker("b", svcB)
	defer func() { stopA(); stopB(); <-doneA; <-doneB }()
	waitFor(t, "each worker to hold two partitions", 20*time.Second, func() bool {
		return len(stA.Owned()) == 2 && len(stB.Owned()) == 2
	})
	if a, b := stA.Owned(), stB.Owned(); !slices.Equal(a, []int{0, 1}) || !slices.Equal(b, []int{2, 3}) {
		t.Fatalf("partitions: a %v, b %v; want [0 1] and [2 3]", a, b)
	}
	send()
	mu.Lock()
	for _, src := range sources {
		want := map[string]int{"a": 2, "b": 2}
		if pub.Partition(src.AgencyID) < 2 {
			want = map[string]int{"a": 4}
		}
		if got := takenBy[src.AgencyID]; !maps.Equal(got, want) {
			t.Errorf("agency %d's batches were taken %v, want %v (partition %d)", src.AgencyID, got, want, pub.Partition(src.AgencyID))
		}
	}
	t.Logf("batches taken: %v; partitions a %v, b %v", takenBy, stA.Owned(), stB.Owned())
	mu.Unlock()
	per := alertsPer()
	for _, src := range sources {
		if per[src.AgencyID] != 1 {
			t.Errorf("agency %d has %d brute-force alerts, want 1 (partition %d)", src.AgencyID, per[src.AgencyID], pub.Partition(src.AgencyID))
		}
	}

	// Two more logons, then worker A stops: B takes its partitions
	// without waiting for the leases to expire, and their windows with
	// them; two more logons complete a second count of four.
	send()
	stopA()
	<-doneA
	if got := stA.Owned(); len(got) != 0 {
		t.Errorf("a stopped worker still holds %v", got)
	}
	start := time.Now()
	waitFor(t, "worker B to hold every partition", 10*time.Second, func() bool { return len(stB.Owned()) == 4 })
	t.Logf("worker B held every partition %v after A stopped", time.Since(start).Round(time.Millisecond))
	send()
	per = alertsPer()
	for _, src := range sources {
		if per[src.AgencyID] != 2 {
			t.Errorf("agency %d has %d brute-force alerts, want 2 (partition %d)", src.AgencyID, per[src.AgencyID], pub.Partition(src.AgencyID))
		}
	}
}

// TestJetStreamCheckpoint: a worker that dies (its connection closed, no
// handover) has saved its partitions' correlation windows between two
// batches; the worker that takes its partitions once the leases expire
// goes on from them, so failed logons counted before and after the crash
// raise the brute-force alert.
func TestJetStreamCheckpoint(t *testing.T) {
	natsOrSkip(t)
	svcA, db, as := setup(t, detect.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	system := access.With(ctx, &access.Principal{System: true})
	if _, err := svcA.UploadRules(system, []detect.UploadFile{{Name: "brute.yml", Data: []byte(bruteForce)}}); err != nil {
		t.Fatal(err)
	}
	svcB, err := detect.New(detect.Deps{DB: db, Audit: audit.New(db, time.Now), Intel: oneIndicator{"203.0.113.66"}}, detect.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svcB.LoadRules(ctx); err != nil {
		t.Fatal(err)
	}
	created, err := svcA.CreateSource(as, detect.SourceInput{Name: "dc", Kind: "windows", Format: "windows"})
	if err != nil {
		t.Fatal(err)
	}
	src, err := svcA.SourceByToken(ctx, created.Token)
	if err != nil {
		t.Fatal(err)
	}
	cfg := listen.StreamConfig{URL: natsURL, Stream: testStreamName(), Partitions: 2, LeaseTTL: time.Second}
	cfg.Subject = "test." + strings.ToLower(cfg.Stream)
	pub := openTestStream(t, ctx, cfg)
	svcA.SetPublisher(pub)
	now := time.Now()
	sent := 0
	send := func(worker *listen.Stream) {
		t.Helper()
		var lines []string
		for i := sent; i < sent+2; i++ {
			lines = append(lines, fmt.Sprintf(`{"Channel":"Security","EventID":4625,"Computer":"dc01","IpAddress":"198.51.100.7","TargetUserName":"u%d","TimeCreated":%q}`,
				i, now.Add(time.Duration(i)*time.Second).UTC().Format(time.RFC3339)))
		}
		if res, err := svcA.Submit(ctx, src, strings.NewReader(strings.Join(lines, "\n")), false); err != nil || res.Accepted != 2 {
			t.Fatalf("Submit = %+v, %v", res, err)
		}
		sent += 2
		waitFor(t, "the batch", 30*time.Second, func() bool {
			n, _ := pub.Pending(ctx)
			s, _ := svcA.GetSource(system, src.ID)
			return n == 0 && s.Accepted == int64(sent)
		})
	}
	log := slog.New(slog.DiscardHandler)
	wcfg := func(name string, svc *detect.Service) listen.WorkerConfig {
		return listen.WorkerConfig{Durable: "w", AckWait: time.Second, ID: name, Handover: svc, Checkpoint: 100 * time.Millisecond}
	}
	a := openTestStream(t, ctx, cfg)
	actx, stopA := context.WithCancel(ctx)
	aDone := make(chan struct{})
	go func() { defer close(aDone); _ = a.Work(actx, wcfg("a", svcA), svcA.ProcessRaw, log) }()
	waitFor(t, "worker A to hold both partitions", 20*time.Second, func() bool { return len(a.Owned()) == 2 })
	send(a)

	// The checkpoint of the agency's partition appears in the bucket.
	lister, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer lister.Close()
	js, _ := jetstream.New(lister)
	obs, err := js.ObjectStore(ctx, listen.StateBucket(cfg.Stream))
	if err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprintf("p.%d", pub.Partition(src.AgencyID))
	waitFor(t, "a checkpoint", 10*time.Second, func() bool { _, err := obs.GetInfo(ctx, key); return err == nil })

	// A dies: its connection closes, so it neither hands over nor frees
	// its leases.
	a.Close()
	stopA()
	<-aDone
	b := openTestStream(t, ctx, cfg)
	bctx, stopB := context.WithCancel(ctx)
	bDone := make(chan struct{})
	go func() { defer close(bDone); _ = b.Work(bctx, wcfg("b", svcB), svcB.ProcessRaw, log) }()
	defer func() { stopB(); <-bDone }()
	waitFor(t, "worker B to hold both partitions", 20*time.Second, func() bool { return len(b.Owned()) == 2 })
	send(b)
	alerts, _, err := svcA.ListAlerts(system, detect.AlertFilter{Kind: "correlation"})
	if err != nil || len(alerts) != 1 || alerts[0].Hits != 1 {
		t.Fatalf("brute-force alerts %d (%v), want one: the two failures before the crash must count", len(alerts), err)
	}
}

// TestStreamLayout: a stream keeps the partitions it was created with,
// whatever a later opener asks for, and a stream of the layout without
// partitions is refused with what to do.
func TestStreamLayout(t *testing.T) {
	natsOrSkip(t)
	ctx := context.Background()
	cfg := listen.StreamConfig{URL: natsURL, Stream: testStreamName(), Partitions: 3}
	cfg.Subject = "test." + strings.ToLower(cfg.Stream)
	first := openTestStream(t, ctx, cfg)
	cfg.Partitions = 8
	second := openTestStream(t, ctx, cfg)
	if first.Partitions() != 3 || second.Partitions() != 3 {
		t.Errorf("partitions %d and %d, want 3 for both", first.Partitions(), second.Partitions())
	}

	old := testStreamName()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: old, Subjects: []string{"test." + strings.ToLower(old)}, Retention: jetstream.WorkQueuePolicy}); err != nil {
		t.Fatal(err)
	}
	defer js.DeleteStream(ctx, old)
	_, err = listen.OpenStream(ctx, listen.StreamConfig{URL: natsURL, Stream: old, Subject: "test." + strings.ToLower(old)})
	if err == nil || !strings.Contains(err.Error(), "without partitions") {
		t.Errorf("OpenStream of a stream without partitions = %v", err)
	}
}
