package stix

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// result is one Next call, flattened for comparison.
type result struct {
	Index int
	Type  string
	ID    string
	Err   string // "" for none; the error text otherwise
	Fatal bool
}

// readAll drains a Reader, stopping at EOF or the first fatal error.
func readAll(t *testing.T, r *Reader) []result {
	t.Helper()
	var out []result
	for i := 0; i < 1000; i++ {
		obj, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		res := result{Index: obj.Index, Type: obj.Type, ID: obj.ID}
		if err != nil {
			res.Err = err.Error()
			var oe *ObjectError
			if !errors.As(err, &oe) {
				res.Fatal = true
				out = append(out, result{Err: res.Err, Fatal: true})
				// A fatal error is sticky.
				if _, again := r.Next(); again == nil || again.Error() != err.Error() {
					t.Errorf("Next after fatal %v = %v, want the same error", err, again)
				}
				return out
			}
		}
		out = append(out, res)
	}
	t.Fatal("reader did not stop")
	return nil
}

const (
	idA = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	idB = "indicator--c1a6ad1f-8f4e-4a8a-9a64-6d0f0d3b1e52"
)

func TestReader(t *testing.T) {
	ind := func(id string) string {
		return `{"type":"indicator","id":"` + id + `","pattern":"[x:y = 1]"}`
	}
	tests := []struct {
		name string
		in   string
		max  int64
		want []result
	}{
		{
			name: "two objects",
			in:   `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + ind(idA) + "," + ind(idB) + `]}`,
			want: []result{{0, "indicator", idA, "", false}, {1, "indicator", idB, "", false}},
		},
		{
			name: "objects before type and extra members",
			in:   `{"objects":[` + ind(idA) + `],"x_note":{"deep":[1,2,{"a":"b"}]},"type":"bundle"}`,
			want: []result{{0, "indicator", idA, "", false}},
		},
		{
			name: "empty bundle",
			in:   `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}`,
		},
		{
			name: "empty objects",
			in:   `{"type":"bundle","objects":[]}`,
		},
		{
			name: "unknown type is reported, not fatal",
			in:   `{"type":"bundle","objects":[{"type":"x-custom","id":"x-custom--6b3a1c2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"},` + ind(idA) + `]}`,
			want: []result{
				{0, "x-custom", "x-custom--6b3a1c2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", `stix bundle: object 0 (x-custom--6b3a1c2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d): unknown object type "x-custom"`, false},
				{1, "indicator", idA, "", false},
			},
		},
		{
			name: "invalid objects are reported with their index",
			in:   `{"type":"bundle","objects":[42,{"id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"},{"type":"indicator","id":"indicator--nope"},{"type":"indicator","id":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"},{"type":5},` + ind(idB) + `]}`,
			want: []result{
				{0, "", "", "stix bundle: object 0: invalid object: not a JSON object", false},
				{1, "", idA, "stix bundle: object 1 (" + idA + "): invalid object: no type", false},
				{2, "indicator", "indicator--nope", `stix bundle: object 2 (indicator--nope): invalid object: id "indicator--nope" has no valid UUID`, false},
				{3, "indicator", "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", `stix bundle: object 3 (malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f): invalid object: id "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f" does not start with "indicator--"`, false},
				{4, "", "", "stix bundle: object 4: invalid object: json: cannot unmarshal number into Go struct field objectHead.type of type string", false},
				{5, "indicator", idB, "", false},
			},
		},
		{
			name: "bad JSON inside an object is fatal with its index",
			in:   `{"type":"bundle","objects":[` + ind(idA) + `,{"type":"indicator",]}`,
			want: []result{
				{0, "indicator", idA, "", false},
				{Err: "stix bundle: object 1: invalid character ']' looking for beginning of object key string", Fatal: true},
			},
		},
		{
			name: "truncated inside an object",
			in:   `{"type":"bundle","objects":[` + ind(idA) + `,{"type":"indic`,
			want: []result{
				{0, "indicator", idA, "", false},
				{Err: "stix bundle: object 1: input truncated: unexpected EOF", Fatal: true},
			},
		},
		{
			name: "truncated after the array",
			in:   `{"type":"bundle","objects":[` + ind(idA) + `]`,
			want: []result{
				{0, "indicator", idA, "", false},
				{Err: "stix bundle: bundle: input truncated: unexpected EOF", Fatal: true},
			},
		},
		{
			name: "truncated between objects",
			in:   `{"type":"bundle","objects":[` + ind(idA) + `,`,
			want: []result{
				{0, "indicator", idA, "", false},
				{Err: "stix bundle: object 1: input truncated: unexpected EOF", Fatal: true},
			},
		},
		{
			name: "not a bundle",
			in:   `{"type":"report","objects":[]}`,
			want: []result{{Err: `stix bundle: not a bundle: type is "report"`, Fatal: true}},
		},
		{
			name: "array document",
			in:   `[` + ind(idA) + `]`,
			want: []result{{Err: "stix bundle: not a bundle: document does not start with '{'", Fatal: true}},
		},
		{
			name: "empty input",
			in:   ``,
			want: []result{{Err: "stix bundle: empty input", Fatal: true}},
		},
		{
			name: "objects not an array",
			in:   `{"objects":{}}`,
			want: []result{{Err: "stix bundle: objects is not an array", Fatal: true}},
		},
		{
			name: "trailing data",
			in:   `{"objects":[` + ind(idA) + `]} {}`,
			want: []result{
				{0, "indicator", idA, "", false},
				{Err: "stix bundle: data after the end of the bundle", Fatal: true},
			},
		},
		{
			name: "object over the size limit",
			in:   `{"objects":[` + ind(idA) + `,{"type":"indicator","pattern":"` + strings.Repeat("a", 5000) + `"},` + ind(idB) + `]}`,
			max:  1000,
			want: []result{
				{0, "indicator", idA, "", false},
				{Err: "stix bundle: object 1: object too large (limit 1000 bytes)", Fatal: true},
			},
		},
		{
			name: "many small objects under a small limit",
			in:   `{"objects":[` + strings.Repeat(ind(idA)+",", 50) + ind(idB) + `]}`,
			max:  200,
			want: func() []result {
				var rs []result
				for i := 0; i < 50; i++ {
					rs = append(rs, result{i, "indicator", idA, "", false})
				}
				return append(rs, result{50, "indicator", idB, "", false})
			}(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A one-byte reader exercises every buffer boundary.
			for _, src := range []io.Reader{strings.NewReader(tc.in), &oneByteReader{s: tc.in}} {
				got := readAll(t, NewReader(src, ReaderOptions{MaxObjectBytes: tc.max}))
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("read %T mismatch (-want +got):\n%s", src, diff)
				}
			}
		})
	}
}

type oneByteReader struct {
	s string
	i int
}

func (r *oneByteReader) Read(p []byte) (int, error) {
	if r.i >= len(r.s) {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.s[r.i]
	r.i++
	return 1, nil
}

// TestReadFixture reads testdata/bundle.json end to end: objects, typed
// indicators, observables and TLP resolution.
func TestReadFixture(t *testing.T) {
	f, err := os.Open("testdata/bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := NewReader(f, ReaderOptions{})
	marks := NewMarkings()
	type got struct {
		TLP         string
		Observables []Observable
		Reasons     []Reason
	}
	indicators := map[string]got{}
	var observables []Observable
	var unknown []string
	for {
		obj, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, ErrUnknownType) {
			unknown = append(unknown, obj.Type)
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		switch obj.Type {
		case "marking-definition":
			marks.Learn(obj)
		case "indicator":
			in, err := DecodeIndicator(obj.Raw)
			if err != nil {
				t.Fatalf("DecodeIndicator(%s): %v", obj.ID, err)
			}
			g := got{}
			g.TLP, _ = marks.TLP(in.ObjectMarkingRefs, in.Labels)
			if in.PatternType == "stix" {
				x, err := Extract(in.Pattern)
				if err != nil {
					t.Fatalf("Extract(%q): %v", in.Pattern, err)
				}
				g.Observables, g.Reasons = x.Observables, x.Reasons
			}
			indicators[in.ID] = g
		default:
			if obs, err := DecodeObservable(obj); err == nil {
				observables = append(observables, obs...)
			} else if !errors.Is(err, ErrNoIndicator) {
				t.Errorf("DecodeObservable(%s): %v", obj.ID, err)
			}
		}
	}
	want := map[string]got{
		idA: {TLP: TLPGreen, Observables: []Observable{{TypeIPv4, "198.51.100.23"}, {TypeDomain, "login-update.example"}}},
		idB: {TLP: TLPRed, Reasons: []Reason{{
			Expr: "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'] AND [network-traffic:dst_port = 4444]",
			Why:  "observations joined by AND need correlation, not a single indicator"}}},
		"indicator--2f6a9c44-3d0b-4d1b-8f0e-7a4a1f5b2c61": {},
	}
	if diff := cmp.Diff(want, indicators); diff != "" {
		t.Errorf("indicators mismatch (-want +got):\n%s", diff)
	}
	wantObs := []Observable{
		{TypeCIDR, "203.0.113.0/24"},
		{TypeMD5, "d41d8cd98f00b204e9800998ecf8427e"},
		{TypeSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{TypeFilename, "update.exe"},
		{TypeASN, "64500"},
	}
	if diff := cmp.Diff(wantObs, observables); diff != "" {
		t.Errorf("observables mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"x-example-sighting-note"}, unknown); diff != "" {
		t.Errorf("unknown types mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeIndicator(t *testing.T) {
	conf := 85
	tests := []struct {
		name    string
		in      string
		want    *Indicator
		wantErr string
	}{
		{
			name: "full",
			in: `{"type":"indicator","spec_version":"2.1","id":"` + idA + `","created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
				"created":"2024-03-02T09:15:00.000Z","modified":"2024-03-03T10:00:00.000Z","name":"n","description":"d",
				"indicator_types":["malicious-activity"],"pattern":"[x:y = 1]","pattern_type":"stix","pattern_version":"2.1",
				"valid_from":"2024-03-02T09:15:00Z","valid_until":"2024-09-02T09:15:00.5Z","labels":["phishing"],"confidence":85,
				"revoked":true,"object_marking_refs":["` + MarkingTLP2Green + `"]}`,
			want: &Indicator{
				ID: idA, SpecVersion: "2.1", Name: "n", Description: "d", Pattern: "[x:y = 1]", PatternType: "stix", PatternVersion: "2.1",
				IndicatorTypes: []string{"malicious-activity"}, Labels: []string{"phishing"}, Confidence: &conf,
				ValidFrom:  time.Date(2024, 3, 2, 9, 15, 0, 0, time.UTC),
				ValidUntil: time.Date(2024, 9, 2, 9, 15, 0, 5e8, time.UTC),
				Created:    time.Date(2024, 3, 2, 9, 15, 0, 0, time.UTC),
				Modified:   time.Date(2024, 3, 3, 10, 0, 0, 0, time.UTC),
				Revoked:    true, CreatedByRef: "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
				ObjectMarkingRefs: []string{MarkingTLP2Green},
			},
		},
		{
			name: "stix 2.0 defaults pattern_type",
			in:   `{"type":"indicator","id":"` + idA + `","pattern":"[x:y = 1]","valid_from":"2017-01-01T00:00:00Z"}`,
			want: &Indicator{ID: idA, Pattern: "[x:y = 1]", PatternType: "stix", ValidFrom: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)},
		},
		{name: "wrong type", in: `{"type":"malware","id":"` + idA + `"}`, wantErr: `type is "malware"`},
		{name: "no pattern", in: `{"type":"indicator","id":"` + idA + `"}`, wantErr: "no pattern"},
		{name: "bad id", in: `{"type":"indicator","id":"indicator--1","pattern":"x"}`, wantErr: "no valid UUID"},
		{name: "bad time", in: `{"type":"indicator","id":"` + idA + `","pattern":"x","created":"yesterday"}`, wantErr: "created: timestamp"},
		{name: "local time", in: `{"type":"indicator","id":"` + idA + `","pattern":"x","created":"2024-01-01T00:00:00+07:00"}`, wantErr: "not in UTC"},
		{name: "confidence", in: `{"type":"indicator","id":"` + idA + `","pattern":"x","confidence":101}`, wantErr: "confidence 101"},
		{name: "until before from", in: `{"type":"indicator","id":"` + idA + `","pattern":"x","valid_from":"2024-01-02T00:00:00Z","valid_until":"2024-01-01T00:00:00Z"}`, wantErr: "valid_until"},
		{name: "bad json", in: `{"type":"indicator","labels":"x"}`, wantErr: "cannot unmarshal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeIndicator([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("DecodeIndicator() error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeIndicator() error: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("DecodeIndicator() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeObservable(t *testing.T) {
	tests := []struct {
		name    string
		typ     string
		raw     string
		want    []Observable
		noIndic bool
	}{
		{"ipv4", "ipv4-addr", `{"value":"198.51.100.1"}`, []Observable{{TypeIPv4, "198.51.100.1"}}, false},
		{"ipv6 cidr", "ipv6-addr", `{"value":"2001:db8::/32"}`, []Observable{{TypeCIDR, "2001:db8::/32"}}, false},
		{"domain", "domain-name", `{"value":"evil.example"}`, []Observable{{TypeDomain, "evil.example"}}, false},
		{"url", "url", `{"value":"https://evil.example/x"}`, []Observable{{TypeURL, "https://evil.example/x"}}, false},
		{"email", "email-addr", `{"value":"a@evil.example"}`, []Observable{{TypeEmail, "a@evil.example"}}, false},
		{"asn", "autonomous-system", `{"number":15169}`, []Observable{{TypeASN, "15169"}}, false},
		{"asn bad", "autonomous-system", `{"number":-1}`, nil, true},
		{"file sha1 only", "file", `{"hashes":{"SHA1":"2aae6c35c94fcfb415dbe95f408b9ce91ee846ed","SHA-512":"ff"}}`, []Observable{{TypeSHA1, "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"}}, false},
		{"file only sha512", "file", `{"hashes":{"SHA-512":"ff"}}`, nil, true},
		{"empty value", "url", `{"value":""}`, nil, true},
		{"other type", "mutex", `{"name":"x"}`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeObservable(Object{Type: tc.typ, ID: tc.typ + "--x", Raw: []byte(tc.raw)})
			if tc.noIndic {
				if !errors.Is(err, ErrNoIndicator) {
					t.Fatalf("DecodeObservable() = %v, %v; want ErrNoIndicator", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("DecodeObservable() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMarkingsTLP(t *testing.T) {
	m := NewMarkings()
	learn := func(raw string) bool {
		return m.Learn(Object{Type: "marking-definition", Raw: []byte(raw)})
	}
	if !learn(`{"id":"marking-definition--11111111-1111-4111-8111-111111111111","definition_type":"tlp","definition":{"tlp":"amber"}}`) {
		t.Error("Learn(TLP 1.0 style) = false")
	}
	if !learn(`{"id":"marking-definition--22222222-2222-4222-8222-222222222222","extensions":{"` + TLP2ExtensionID + `":{"tlp_2_0":"amber+strict"}}}`) {
		t.Error("Learn(TLP 2.0 style) = false")
	}
	if !learn(`{"id":"marking-definition--33333333-3333-4333-8333-333333333333","name":"TLP:CLEAR"}`) {
		t.Error("Learn(name) = false")
	}
	if learn(`{"id":"marking-definition--44444444-4444-4444-8444-444444444444","definition_type":"statement","definition":{"statement":"Copyright"}}`) {
		t.Error("Learn(statement) = true")
	}
	tests := []struct {
		name   string
		refs   []string
		labels []string
		want   string
	}{
		{"none", nil, []string{"phishing"}, ""},
		{"tlp1 white is clear", []string{MarkingTLP1White}, nil, TLPClear},
		{"tlp2 amber strict", []string{MarkingTLP2AmberStrict}, nil, TLPAmberStrict},
		{"learned", []string{"marking-definition--11111111-1111-4111-8111-111111111111"}, nil, TLPAmber},
		{"learned 2.0", []string{"marking-definition--22222222-2222-4222-8222-222222222222"}, nil, TLPAmberStrict},
		{"label", nil, []string{"TLP:GREEN"}, TLPGreen},
		{"strictest wins", []string{MarkingTLP2Green, "marking-definition--33333333-3333-4333-8333-333333333333"}, []string{"tlp:red"}, TLPRed},
		{"unknown ref", []string{"marking-definition--55555555-5555-4555-8555-555555555555"}, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := m.TLP(tc.refs, tc.labels)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("TLP(%v, %v) = %q, %v; want %q", tc.refs, tc.labels, got, ok, tc.want)
			}
		})
	}
}

func FuzzReadBundle(f *testing.F) {
	fixture, err := os.ReadFile("testdata/bundle.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fixture)
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"indicator","id":"` + idA + `","pattern":"[x:y = 1]"}]}`))
	f.Add([]byte(`{"objects":[1,"a",null,{"type":"x"}`))
	f.Add([]byte(`{"objects":[]} x`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), ReaderOptions{MaxObjectBytes: 4096})
		m := NewMarkings()
		for i := 0; ; i++ {
			obj, err := r.Next()
			if err != nil {
				var oe *ObjectError
				if !errors.As(err, &oe) {
					return
				}
			}
			if i > len(data) {
				t.Fatalf("more objects (%d) than input bytes", i)
			}
			if obj.Type == "indicator" {
				if in, err := DecodeIndicator(obj.Raw); err == nil {
					_, _ = Extract(in.Pattern)
					m.TLP(in.ObjectMarkingRefs, in.Labels)
				}
			}
			m.Learn(obj)
			_, _ = DecodeObservable(obj)
		}
	})
}
