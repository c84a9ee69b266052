package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func fixedNow() time.Time { return time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC) }

func TestPatternFor(t *testing.T) {
	tests := []struct {
		typ, value, want string
	}{
		{TypeIPv4, "198.51.100.1", "[ipv4-addr:value = '198.51.100.1']"},
		{TypeIPv6, "2001:db8::1", "[ipv6-addr:value = '2001:db8::1']"},
		{TypeCIDR, "198.51.100.0/24", "[ipv4-addr:value = '198.51.100.0/24']"},
		{TypeCIDR, "2001:db8::/32", "[ipv6-addr:value = '2001:db8::/32']"},
		{TypeDomain, "evil.example", "[domain-name:value = 'evil.example']"},
		{TypeURL, `http://e.example/it's\here`, `[url:value = 'http://e.example/it\'s\\here']`},
		{TypeEmail, "a@evil.example", "[email-addr:value = 'a@evil.example']"},
		{TypeFilename, "x.exe", "[file:name = 'x.exe']"},
		{TypeMD5, "aa", "[file:hashes.MD5 = 'aa']"},
		{TypeSHA1, "bb", "[file:hashes.'SHA-1' = 'bb']"},
		{TypeSHA256, "cc", "[file:hashes.'SHA-256' = 'cc']"},
		{TypeASN, "AS64500", "[autonomous-system:number = 64500]"},
		{TypeASN, "64501", "[autonomous-system:number = 64501]"},
	}
	for _, tc := range tests {
		got, err := PatternFor(tc.typ, tc.value)
		if err != nil || got != tc.want {
			t.Errorf("PatternFor(%q, %q) = %q, %v; want %q", tc.typ, tc.value, got, err, tc.want)
		}
	}
	for _, bad := range [][2]string{{TypePhone, "+84901234567"}, {TypeOther, "x"}, {TypeASN, "ASX"}, {TypeDomain, ""}, {"nonsense", "x"}} {
		if got, err := PatternFor(bad[0], bad[1]); !errors.Is(err, ErrNotExpressible) {
			t.Errorf("PatternFor(%q, %q) = %q, %v; want ErrNotExpressible", bad[0], bad[1], got, err)
		}
	}
}

// roundTripValues are awkward on purpose: quotes, backslashes, unicode.
var roundTripValues = []Observable{
	{TypeIPv4, "198.51.100.7"},
	{TypeIPv6, "2001:db8::7"},
	{TypeCIDR, "203.0.113.0/24"},
	{TypeDomain, "xn--bcher-kva.example"},
	{TypeURL, `http://evil.example/a?q='x'&b=\y`},
	{TypeURL, "http://evil.example/đường/dẫn"},
	{TypeMD5, "d41d8cd98f00b204e9800998ecf8427e"},
	{TypeSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
	{TypeSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{TypeEmail, "o'brien@evil.example"},
	{TypeFilename, `C:\Users\x\hóa đơn.exe`},
	{TypeASN, "64500"},
}

func TestWriterRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, WriterOptions{
		Producer: Producer{Name: "Công an tỉnh (example)"},
		BundleID: "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
		Now:      fixedNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	conf := 70
	tlps := []string{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}
	wantTLP := map[Observable]string{}
	for i, o := range roundTripValues {
		tlp := tlps[i%len(tlps)]
		wantTLP[o] = tlp
		if _, err := w.WriteIndicator(IndicatorSpec{Type: o.Type, Value: o.Value, TLP: tlp, Confidence: &conf,
			Labels: []string{"bulwark"}, IndicatorTypes: []string{"malicious-activity"},
			ValidUntil: fixedNow().Add(24 * time.Hour)}); err != nil {
			t.Fatalf("WriteIndicator(%v): %v", o, err)
		}
	}
	if _, err := w.WriteIndicator(IndicatorSpec{Type: TypePhone, Value: "+84901234567"}); !errors.Is(err, ErrNotExpressible) {
		t.Errorf("WriteIndicator(phone) error = %v, want ErrNotExpressible", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("output is not valid JSON:\n%s", buf.String())
	}

	r := NewReader(bytes.NewReader(buf.Bytes()), ReaderOptions{})
	marks := NewMarkings()
	gotTLP := map[Observable]string{}
	types := map[string]int{}
	for {
		obj, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		types[obj.Type]++
		marks.Learn(obj)
		if obj.Type != "indicator" {
			continue
		}
		in, err := DecodeIndicator(obj.Raw)
		if err != nil {
			t.Fatalf("DecodeIndicator: %v", err)
		}
		if in.CreatedByRef != w.ProducerID() || in.Created.IsZero() || in.ValidUntil.IsZero() || *in.Confidence != 70 {
			t.Errorf("indicator %s lost properties: %+v", in.ID, in)
		}
		x, err := Extract(in.Pattern)
		if err != nil || len(x.Reasons) != 0 || len(x.Observables) != 1 {
			t.Fatalf("Extract(%q) = %+v, %v; want one observable", in.Pattern, x, err)
		}
		o := x.Observables[0]
		if want := IndicatorID(w.ProducerID(), o.Type, o.Value); in.ID != want {
			t.Errorf("indicator id %s, want deterministic %s", in.ID, want)
		}
		gotTLP[o], _ = marks.TLP(in.ObjectMarkingRefs, in.Labels)
	}
	if diff := cmp.Diff(wantTLP, gotTLP); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"identity": 1, "marking-definition": 5, "indicator": len(roundTripValues)}, types); diff != "" {
		t.Errorf("object types mismatch (-want +got):\n%s", diff)
	}
}

func TestWriterDeterministic(t *testing.T) {
	write := func() string {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, WriterOptions{Producer: Producer{Name: "A"}, BundleID: "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", Now: fixedNow})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range roundTripValues {
			if _, err := w.WriteIndicator(IndicatorSpec{Type: o.Type, Value: o.Value, TLP: TLPGreen}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	if a, b := write(), write(); a != b {
		t.Errorf("two exports differ:\n%s\n---\n%s", a, b)
	}
	if IndicatorID("identity--a", TypeIPv4, "1.2.3.4") == IndicatorID("identity--b", TypeIPv4, "1.2.3.4") {
		t.Error("IndicatorID does not depend on the producer")
	}
	// The namespace is part of the contract; pin one id.
	if got, want := IndicatorID("", TypeIPv4, "198.51.100.1"), "indicator--"; !strings.HasPrefix(got, want) || len(got) != len(want)+36 {
		t.Errorf("IndicatorID = %q", got)
	}
}

func TestWriterEmpty(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, WriterOptions{BundleID: "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\",\"objects\":[\n]}\n"
	if buf.String() != want {
		t.Errorf("empty bundle = %q, want %q", buf.String(), want)
	}
	if _, err := NewWriter(&buf, WriterOptions{BundleID: "nope"}); err == nil {
		t.Error("NewWriter(bad bundle id) = nil error")
	}
}

// writeBundle generates a bundle of n indicators for benchmarks.
func writeBundle(tb testing.TB, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, WriterOptions{Producer: Producer{Name: "bench"}, Now: fixedNow})
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < n; i++ {
		var o Observable
		switch i % 4 {
		case 0:
			o = Observable{TypeIPv4, fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}
		case 1:
			o = Observable{TypeDomain, fmt.Sprintf("host%d.evil.example", i)}
		case 2:
			o = Observable{TypeURL, fmt.Sprintf("http://host%d.evil.example/path?id=%d", i, i)}
		case 3:
			o = Observable{TypeSHA256, fmt.Sprintf("%064x", i)}
		}
		if _, err := w.WriteIndicator(IndicatorSpec{Type: o.Type, Value: o.Value, TLP: TLPGreen, Labels: []string{"bench"}}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkReadBundle(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		data := writeBundle(b, n)
		b.Run(fmt.Sprintf("objects=%d/next", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			objs := 0
			for b.Loop() {
				r := NewReader(bytes.NewReader(data), ReaderOptions{})
				for {
					_, err := r.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					objs++
				}
			}
			b.ReportMetric(float64(objs)/b.Elapsed().Seconds(), "objects/s")
		})
		b.Run(fmt.Sprintf("objects=%d/decode+extract", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			objs := 0
			for b.Loop() {
				r := NewReader(bytes.NewReader(data), ReaderOptions{})
				for {
					obj, err := r.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					objs++
					if obj.Type == "indicator" {
						in, err := DecodeIndicator(obj.Raw)
						if err != nil {
							b.Fatal(err)
						}
						if _, err := Extract(in.Pattern); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			b.ReportMetric(float64(objs)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

func BenchmarkWriteBundle(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		var w0 countWriter
		w, _ := NewWriter(&w0, WriterOptions{Producer: Producer{Name: "bench"}, Now: fixedNow})
		for i := 0; i < 10000; i++ {
			if _, err := w.WriteIndicator(IndicatorSpec{Type: TypeDomain, Value: fmt.Sprintf("h%d.evil.example", i), TLP: TLPAmber}); err != nil {
				b.Fatal(err)
			}
		}
		w.Close()
		n += 10000
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "indicators/s")
}

func BenchmarkParsePattern(b *testing.B) {
	patterns := []string{
		"[ipv4-addr:value = '198.51.100.1']",
		"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']",
		"([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS",
	}
	for i, p := range patterns {
		b.Run(fmt.Sprint(i), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParsePattern(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }
