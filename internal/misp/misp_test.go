package misp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// row is what the fixture test checks per attribute.
type row struct {
	Type        string
	ToIDs       bool
	Object      string
	TLP         string
	Observables []Observable
	Unmapped    string
}

func readRows(t *testing.T, r io.Reader) (*Event, []row) {
	t.Helper()
	var attrs []Attribute
	ev, err := ReadEvent(r, ReadOptions{}, func(a Attribute) error {
		attrs = append(attrs, a)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadEvent: %v", err)
	}
	var rows []row
	for _, a := range attrs {
		rw := row{Type: a.Type, ToIDs: a.ToIDs, Object: a.ObjectName, TLP: ev.AttributeTLP(a)}
		obs, err := Map(a)
		var ue *UnmappedError
		switch {
		case errors.As(err, &ue):
			rw.Unmapped = ue.Reason
		case err != nil:
			t.Fatalf("Map(%+v): %v", a, err)
		}
		rw.Observables = obs
		rows = append(rows, rw)
	}
	return ev, rows
}

func TestReadEventFixture(t *testing.T) {
	f, err := os.Open("testdata/event.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ev, rows := readRows(t, f)

	wantEv := &Event{
		UUID: "5e6f7a8b-1c2d-4e3f-8a9b-0c1d2e3f4a5b", Info: "Phishing wave impersonating a provincial portal",
		Date: "2024-03-02", ThreatLevelID: 2, Analysis: 2, Distribution: 3, Published: true,
		Timestamp: 1709370000, PublishTimestamp: 1709371000,
		Orgc:       Org{Name: "Example CSIRT", UUID: "55f6ea5e-2c60-40e5-964f-47a8950d210f"},
		Tags:       []Tag{{"tlp:green"}, {`misp-galaxy:threat-actor="Example Panda"`}},
		Attributes: 12,
	}
	if diff := cmp.Diff(wantEv, ev, cmpopts.IgnoreFields(Event{}, "Problems")); diff != "" {
		t.Errorf("event mismatch (-want +got):\n%s", diff)
	}
	if len(ev.Problems) != 1 || ev.Problems[0].Index != 10 || ev.Problems[0].UUID != "a1a1a1a1-0000-4000-8000-000000000011" {
		t.Errorf("Problems = %v, want one for attribute 10", ev.Problems)
	}
	if ev.TLP() != TLPGreen {
		t.Errorf("event TLP = %q, want GREEN", ev.TLP())
	}
	want := []row{
		{"ip-dst", true, "", TLPGreen, []Observable{{TypeIPv4, "198.51.100.23"}}, ""},
		{"ip-src|port", true, "", TLPGreen, []Observable{{TypeIPv6, "2001:db8::5"}}, ""},
		// Tags win over distribution: the event's tlp:green beats distribution 0.
		{"domain|ip", true, "", TLPGreen, []Observable{{TypeDomain, "login-update.example"}, {TypeIPv4, "203.0.113.9"}}, ""},
		{"url", true, "", TLPGreen, []Observable{{TypeURL, "https://login-update.example/dang-nhap?next=/"}}, ""},
		{"filename|sha256", true, "", TLPRed, []Observable{{TypeFilename, "hoa-don.exe"}, {TypeSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}, ""},
		{"email-src", false, "", TLPGreen, []Observable{{TypeEmail, "support@login-update.example"}}, ""},
		{"phone-number", false, "", TLPGreen, []Observable{{TypePhone, "+84 90 123 4567"}}, ""},
		{"AS", false, "", TLPGreen, []Observable{{TypeASN, "AS64500"}}, ""},
		{"link", false, "", TLPGreen, nil, "a reference to external analysis, not an observable"},
		{"mutex", true, "", TLPGreen, nil, "type not supported"},
		{"md5", true, "file", TLPGreen, []Observable{{TypeMD5, "d41d8cd98f00b204e9800998ecf8427e"}}, ""},
		{"filename", false, "file", TLPGreen, []Observable{{TypeFilename, "hoa-don.exe"}}, ""},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("attributes mismatch (-want +got):\n%s", diff)
	}
}

func TestReadEventErrors(t *testing.T) {
	attr := `{"type":"ip-dst","value":"198.51.100.1","uuid":"a1a1a1a1-0000-4000-8000-000000000001"}`
	tests := []struct {
		name    string
		in      string
		max     int64
		attrs   int
		wantErr string
	}{
		{name: "bare event", in: `{"uuid":"5e6f7a8b-1c2d-4e3f-8a9b-0c1d2e3f4a5b","Attribute":[` + attr + `]}`, attrs: 1},
		{name: "null lists", in: `{"Event":{"info":"x","Attribute":null,"Object":null}}`},
		{name: "event tag form", in: `{"Event":{"info":"x","EventTag":[{"Tag":{"name":"tlp:red"}}]}}`},
		{name: "empty", in: ``, wantErr: "empty input"},
		{name: "array", in: `[]`, wantErr: "does not start with '{'"},
		{name: "no event", in: `{}`, wantErr: "no event found"},
		{name: "truncated in attributes", in: `{"Event":{"Attribute":[` + attr + `,{"type":"ip`, attrs: 1, wantErr: "attribute 1: input truncated"},
		{name: "truncated at end", in: `{"Event":{"Attribute":[` + attr + `]}`, attrs: 1, wantErr: "input truncated"},
		{name: "bad json", in: `{"Event":{"Attribute":[` + attr + `,{"type":]}}`, attrs: 1, wantErr: "attribute 1: invalid character"},
		{name: "attribute not array", in: `{"Event":{"Attribute":{}}}`, wantErr: "Attribute is not an array"},
		{name: "too large", in: `{"Event":{"Attribute":[{"type":"url","value":"` + strings.Repeat("a", 3000) + `"}]}}`, max: 1000, wantErr: "value too large"},
		{name: "trailing data", in: `{"Event":{"info":"x"}} x`, wantErr: "data after the end"},
		{name: "bad distribution", in: `{"Event":{"info":"x","distribution":"high"}}`, wantErr: "event member distribution"},
		{name: "callback error", in: `{"Event":{"Attribute":[` + attr + `]}}`, attrs: 1, wantErr: "attribute 0: stop"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			_, err := ReadEvent(strings.NewReader(tc.in), ReadOptions{MaxValueBytes: tc.max}, func(Attribute) error {
				n++
				if tc.name == "callback error" {
					return errors.New("stop")
				}
				return nil
			})
			if tc.wantErr == "" && err != nil {
				t.Fatalf("ReadEvent() error: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("ReadEvent() error = %v, want one containing %q", err, tc.wantErr)
			}
			if n != tc.attrs {
				t.Errorf("callback ran %d times, want %d", n, tc.attrs)
			}
		})
	}
}

func TestMap(t *testing.T) {
	tests := []struct {
		typ, value string
		want       []Observable
		unmapped   bool
	}{
		{"ip-src", "198.51.100.1", []Observable{{TypeIPv4, "198.51.100.1"}}, false},
		{"ip-dst", "198.51.100.0/24", []Observable{{TypeCIDR, "198.51.100.0/24"}}, false},
		{"ip-dst", "2001:db8::1", []Observable{{TypeIPv6, "2001:db8::1"}}, false},
		{"ip-dst|port", "198.51.100.1|8080", []Observable{{TypeIPv4, "198.51.100.1"}}, false},
		{"ip-dst|port", "198.51.100.1", nil, true},
		{"hostname", "www.evil.example", []Observable{{TypeDomain, "www.evil.example"}}, false},
		{"hostname|port", "www.evil.example|443", []Observable{{TypeDomain, "www.evil.example"}}, false},
		{"domain", " evil.example ", []Observable{{TypeDomain, "evil.example"}}, false},
		{"uri", "http://evil.example/a", []Observable{{TypeURL, "http://evil.example/a"}}, false},
		{"uri", "/gate.php", nil, true},
		{"sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", []Observable{{TypeSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"}}, false},
		{"filename|md5", "a|b.exe|d41d8cd98f00b204e9800998ecf8427e", []Observable{{TypeFilename, "a|b.exe"}, {TypeMD5, "d41d8cd98f00b204e9800998ecf8427e"}}, false},
		{"filename|sha1", "x.exe|", nil, true},
		{"email-dst", "a@b.example", []Observable{{TypeEmail, "a@b.example"}}, false},
		{"email", "a@b.example", []Observable{{TypeEmail, "a@b.example"}}, false},
		{"whois-registrant-email", "a@b.example", []Observable{{TypeEmail, "a@b.example"}}, false},
		{"whois-registrant-phone", "+84901234567", []Observable{{TypePhone, "+84901234567"}}, false},
		{"AS", "64500", []Observable{{TypeASN, "64500"}}, false},
		{"text", "hello", nil, true},
		{"vulnerability", "CVE-2024-0001", nil, true},
		{"sha512", "ab", nil, true},
		{"ip-dst", "   ", nil, true},
	}
	for _, tc := range tests {
		got, err := Map(Attribute{Type: tc.typ, Value: tc.value})
		if tc.unmapped {
			if !errors.Is(err, ErrUnmapped) {
				t.Errorf("Map(%s %q) = %v, %v; want ErrUnmapped", tc.typ, tc.value, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Map(%s %q) error: %v", tc.typ, tc.value, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Map(%s %q) mismatch (-want +got):\n%s", tc.typ, tc.value, diff)
		}
	}
}

func TestTLP(t *testing.T) {
	tests := []struct {
		name      string
		evTags    []Tag
		evDist    int
		attrTags  []Tag
		attrDist  int
		wantAttr  string
		wantEvent string
	}{
		{"nothing", nil, DistributionUnset, nil, DistributionUnset, DefaultTLP, DefaultTLP},
		{"white is clear", []Tag{{"TLP:WHITE"}}, 0, nil, 5, TLPClear, TLPClear},
		{"clear", []Tag{{"tlp:clear"}}, 0, nil, 5, TLPClear, TLPClear},
		{"amber strict", []Tag{{"tlp:amber+strict"}}, 3, nil, 5, TLPAmberStrict, TLPAmberStrict},
		{"strictest tag", []Tag{{"tlp:green"}, {"tlp:amber"}}, 3, nil, 5, TLPAmber, TLPAmber},
		{"attribute tag wins", []Tag{{"tlp:green"}}, 3, []Tag{{"tlp:red"}}, 5, TLPRed, TLPGreen},
		{"event tag beats attribute distribution", []Tag{{"tlp:green"}}, 3, nil, 0, TLPGreen, TLPGreen},
		{"attribute distribution", nil, 3, nil, 0, TLPAmberStrict, TLPGreen},
		{"inherit", nil, 3, nil, 5, TLPGreen, TLPGreen},
		{"community", nil, 1, nil, 5, TLPAmber, TLPAmber},
		{"sharing group", nil, 4, nil, 5, TLPAmber, TLPAmber},
		{"ex tags ignored", []Tag{{"tlp:ex:chr"}, {"tlp:unclear"}}, 2, nil, 5, TLPAmber, TLPAmber},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := &Event{Tags: tc.evTags, Distribution: tc.evDist}
			if got := ev.AttributeTLP(Attribute{Tags: tc.attrTags, Distribution: tc.attrDist}); got != tc.wantAttr {
				t.Errorf("AttributeTLP = %q, want %q", got, tc.wantAttr)
			}
			if got := ev.TLP(); got != tc.wantEvent {
				t.Errorf("TLP = %q, want %q", got, tc.wantEvent)
			}
		})
	}
}

const (
	uuidOld = "11111111-1111-4111-8111-111111111111"
	uuidNew = "22222222-2222-4222-8222-222222222222"
)

func feedFS(t *testing.T) fstest.MapFS {
	t.Helper()
	event, err := os.ReadFile("testdata/event.json")
	if err != nil {
		t.Fatal(err)
	}
	manifest := `{
	  "` + uuidNew + `": {"Orgc": {"name": "Example CSIRT", "uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f"}, "Tag": [{"name": "tlp:white", "colour": "#ffffff"}], "info": "new", "date": "2024-03-02", "analysis": 2, "threat_level_id": "2", "timestamp": "1709370000"},
	  "` + uuidOld + `": {"Orgc": {"name": "Example CSIRT"}, "info": "old", "date": "2020-01-01", "analysis": "1", "threat_level_id": 3, "timestamp": 1577836800},
	  "../../etc/passwd": {"info": "hostile", "timestamp": 1}
	}`
	return fstest.MapFS{
		"manifest.json":        {Data: []byte(manifest)},
		uuidNew + ".json":      {Data: event},
		uuidOld + ".json":      {Data: []byte(`{"Event":{"info":"old","Attribute":[]}}`)},
		"hashes.csv":           {Data: []byte("d41d8cd98f00b204e9800998ecf8427e," + uuidNew + "\n\n5d41402abc4b2a76b9719d911017c592," + uuidOld + "\n")},
		"bad/hashes.csv":       {Data: []byte("onlyonefield\n")},
		"bad/manifest.json":    {Data: []byte(`{"x":`)},
		"unused-file.txt":      {Data: []byte("x")},
		uuidOld + ".json.orig": {Data: []byte("x")},
	}
}

func testFeed(t *testing.T, f *Feed) {
	t.Helper()
	ctx := context.Background()
	all, err := f.Manifest(ctx)
	if err != nil {
		t.Fatalf("Manifest: %v", err)
	}
	want := []EventSummary{
		{UUID: uuidOld, Info: "old", Date: "2020-01-01", Timestamp: 1577836800, ThreatLevelID: 3, Analysis: 1, Orgc: Org{Name: "Example CSIRT"}},
		{UUID: uuidNew, Info: "new", Date: "2024-03-02", Timestamp: 1709370000, ThreatLevelID: 2, Analysis: 2,
			Orgc: Org{Name: "Example CSIRT", UUID: "55f6ea5e-2c60-40e5-964f-47a8950d210f"}, Tags: []Tag{{"tlp:white"}}},
	}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("Manifest mismatch (-want +got):\n%s", diff)
	}
	since, err := f.EventsSince(ctx, 1600000000)
	if err != nil || len(since) != 1 || since[0].UUID != uuidNew {
		t.Errorf("EventsSince = %v, %v; want only %s", since, err, uuidNew)
	}
	n := 0
	ev, err := f.ReadEvent(ctx, uuidNew, ReadOptions{}, func(Attribute) error { n++; return nil })
	if err != nil || n != 12 || ev.Info != "Phishing wave impersonating a provincial portal" {
		t.Errorf("ReadEvent = %v, %d attributes, %v", ev, n, err)
	}
	if _, err := f.OpenEvent(ctx, "../manifest"); err == nil {
		t.Error("OpenEvent(../manifest) = nil error")
	}
	if _, err := f.OpenEvent(ctx, "33333333-3333-4333-8333-333333333333"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenEvent(missing) error = %v, want fs.ErrNotExist", err)
	}
	var hashes []HashEntry
	if err := f.Hashes(ctx, func(h HashEntry) error { hashes = append(hashes, h); return nil }); err != nil {
		t.Fatalf("Hashes: %v", err)
	}
	wantHashes := []HashEntry{{"d41d8cd98f00b204e9800998ecf8427e", uuidNew}, {"5d41402abc4b2a76b9719d911017c592", uuidOld}}
	if diff := cmp.Diff(wantHashes, hashes); diff != "" {
		t.Errorf("Hashes mismatch (-want +got):\n%s", diff)
	}
}

func TestFSFeed(t *testing.T) {
	testFeed(t, NewFSFeed(feedFS(t)))
	bad, _ := fs.Sub(feedFS(t), "bad")
	if _, err := NewFSFeed(bad).Manifest(context.Background()); err == nil {
		t.Error("Manifest(bad) = nil error")
	}
	if err := NewFSFeed(bad).Hashes(context.Background(), func(HashEntry) error { return nil }); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("Hashes(bad) error = %v, want line 1", err)
	}
}

func TestHTTPFeed(t *testing.T) {
	srv := httptest.NewServer(http.StripPrefix("/feed", http.FileServerFS(feedFS(t))))
	defer srv.Close()
	f, err := NewHTTPFeed(srv.Client(), srv.URL+"/feed")
	if err != nil {
		t.Fatal(err)
	}
	testFeed(t, f)
	if _, err := NewHTTPFeed(nil, "file:///etc"); err == nil {
		t.Error("NewHTTPFeed(file URL) = nil error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Manifest(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Manifest(cancelled) error = %v, want context.Canceled", err)
	}
}

func TestEventWriterRoundTrip(t *testing.T) {
	now := func() time.Time { return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC) }
	var buf bytes.Buffer
	w, err := NewEventWriter(&buf, EventSpec{
		UUID: "5E6F7A8B-1C2D-4E3F-8A9B-0C1D2E3F4A5B", Info: "Bulwark export", Distribution: 1,
		Orgc: Org{Name: "Công an tỉnh (example)", UUID: "55f6ea5e-2c60-40e5-964f-47a8950d210f"}, Tags: []string{"tlp:amber"},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	specs := []AttributeSpec{
		{Type: TypeIPv4, Value: "198.51.100.1", ToIDs: true, Comment: "c2"},
		{Type: TypeCIDR, Value: "203.0.113.0/24", ToIDs: true},
		{Type: TypeIPv6, Value: "2001:db8::1", ToIDs: true},
		{Type: TypeDomain, Value: "evil.example", ToIDs: true, Tags: []string{"tlp:red"}},
		{Type: TypeURL, Value: `https://evil.example/a?b=<c>&d="e"`, ToIDs: true},
		{Type: TypeMD5, Value: "d41d8cd98f00b204e9800998ecf8427e", ToIDs: true},
		{Type: TypeSHA1, Value: "da39a3ee5e6b4b0d3255bfef95601890afd80709", ToIDs: true},
		{Type: TypeSHA256, Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ToIDs: true},
		{Type: TypeEmail, Value: "a@evil.example"},
		{Type: TypePhone, Value: "+84901234567"},
		{Type: TypeFilename, Value: "hóa đơn.exe"},
		{Type: TypeASN, Value: "64500"},
		{Type: TypeDomain, Value: "evil.example"}, // duplicate: written once
	}
	ids := map[string]bool{}
	for _, s := range specs {
		id, err := w.WriteAttribute(s)
		if err != nil {
			t.Fatalf("WriteAttribute(%+v): %v", s, err)
		}
		ids[id] = true
	}
	if _, err := w.WriteAttribute(AttributeSpec{Type: "nonsense", Value: "x"}); !errors.Is(err, ErrNoMISPType) {
		t.Errorf("WriteAttribute(nonsense) error = %v, want ErrNoMISPType", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(specs)-1 {
		t.Errorf("%d distinct uuids, want %d", len(ids), len(specs)-1)
	}

	var got []row
	ev, err := ReadEvent(bytes.NewReader(buf.Bytes()), ReadOptions{}, func(a Attribute) error {
		if !ids[a.UUID] || a.Category == "" || a.Distribution != 5 || a.Timestamp != now().Unix() {
			t.Errorf("attribute %+v: bad uuid, category, distribution or timestamp", a)
		}
		obs, err := Map(a)
		if err != nil {
			t.Errorf("Map(%+v): %v", a, err)
		}
		got = append(got, row{Type: a.Type, ToIDs: a.ToIDs, Observables: obs})
		return nil
	})
	if err != nil {
		t.Fatalf("ReadEvent(written): %v\n%s", err, buf.String())
	}
	if ev.UUID != "5e6f7a8b-1c2d-4e3f-8a9b-0c1d2e3f4a5b" || ev.Info != "Bulwark export" || ev.Date != "2024-05-06" ||
		ev.ThreatLevelID != 4 || ev.Distribution != 1 || ev.TLP() != TLPAmber || ev.Orgc.Name != "Công an tỉnh (example)" {
		t.Errorf("event read back = %+v", ev)
	}
	var want []row
	for _, s := range specs[:len(specs)-1] {
		mt, _, _ := MISPType(s.Type)
		v := s.Value
		if s.Type == TypeASN {
			v = "AS" + v
		}
		want = append(want, row{Type: mt, ToIDs: s.ToIDs, Observables: []Observable{{Type: s.Type, Value: v}}})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(buf.String(), `"value":"https://evil.example/a?b=<c>&d=\"e\""`) {
		t.Errorf("URL not written verbatim:\n%s", buf.String())
	}
}

func TestNewEventWriterErrors(t *testing.T) {
	for _, ev := range []EventSpec{
		{},
		{Info: "x", UUID: "nope"},
		{Info: "x", ThreatLevelID: 5},
		{Info: "x", Distribution: 5},
	} {
		if _, err := NewEventWriter(io.Discard, ev, nil); err == nil {
			t.Errorf("NewEventWriter(%+v) = nil error", ev)
		}
	}
}

func FuzzReadMISPEvent(f *testing.F) {
	fixture, err := os.ReadFile("testdata/event.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fixture)
	f.Add([]byte(`{"uuid":"x","Attribute":[{"type":"ip-dst|port","value":"a|b"}],"Object":[{"Attribute":[{"type":"domain|ip","value":"|"}]}]}`))
	f.Add([]byte(`{"Event":{"Attribute":[{"type":"ip`))
	f.Add([]byte(`{"Event":{"Tag":[{"name":"tlp:red"}],"distribution":"1"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := ReadEvent(bytes.NewReader(data), ReadOptions{MaxValueBytes: 4096}, func(a Attribute) error {
			_, _ = Map(a)
			return nil
		})
		if err == nil {
			ev.TLP()
		}
	})
}

// genEvent builds an event with n attributes for benchmarks.
func genEvent(tb testing.TB, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := NewEventWriter(&buf, EventSpec{Info: "bench", UUID: uuidNew}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := w.WriteAttribute(AttributeSpec{Type: TypeDomain, Value: fmt.Sprintf("h%d.evil.example", i), ToIDs: true}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkReadEvent(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		data := genEvent(b, n)
		b.Run(fmt.Sprintf("attributes=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			total := 0
			for b.Loop() {
				_, err := ReadEvent(bytes.NewReader(data), ReadOptions{}, func(a Attribute) error {
					if _, err := Map(a); err != nil {
						return err
					}
					total++
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "attributes/s")
		})
	}
}
