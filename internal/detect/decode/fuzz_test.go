package decode

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkEvent asserts what holds for every decoded event.
func checkEvent(t *testing.T, ev *Event) {
	t.Helper()
	for i, f := range ev.Fields() {
		if f.Name == "" {
			t.Fatalf("field %d has an empty name", i)
		}
		if got, ok := ev.Get(f.Name); !ok || got.Kind() != f.Value.Kind() || got.Text() != f.Value.Text() {
			t.Fatalf("Get(%q) = %v, %v; want the field's own value %v", f.Name, got, ok, f.Value)
		}
		for s := range f.Value.Scalars() {
			if s.Kind() == KindString && !utf8.ValidString(s.Text()) {
				t.Fatalf("field %q holds invalid UTF-8 %q", f.Name, s.Text())
			}
		}
	}
}

func jsonSeeds(f *testing.F) {
	for _, s := range []string{
		sampleEVEAlert, sampleEVEDNS, sampleEVEDNSv3, sampleWazuhSSH, sampleWazuhWin, sampleEVTX4688,
		sampleXMLToDict, sampleWinlogbeat, sampleOTRF, sampleZeekHTTP,
		`{}`, `{"a":[]}`, `{"a":[[],[{}]]}`, `{"":{"":""}}`, `{"a":"\ud800\udc00\u0000"}`, `{"a":1e5,"b":-0.0}`,
		`{"Event":{"System":{"Channel":"Security"},"EventData":{" ":"x"}}}`, // a data name of spaces only
		`{"Data":[{"@Name":"x"}]}`, `{"a":{"Data":[{"@Name":"","#text":1},{"k":1}]}}`, "{\"a\":\"\xff\"}",
	} {
		f.Add(s)
	}
}

// FuzzJSON runs every JSON decoder on the same input and compares
// acceptance with encoding/json.
func FuzzJSON(f *testing.F) {
	jsonSeeds(f)
	decoders := []Decoder{
		NewJSONDecoder(Options{}), NewAutoDecoder(Options{}), NewSuricataDecoder(Options{}),
		NewWazuhDecoder(Options{}), NewWindowsDecoder(Options{}), NewZeekDecoder(Options{}),
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, d := range decoders {
			ev, err := d.Decode([]byte(in))
			if err != nil {
				if ReasonOf(err) == ReasonIO || ReasonOf(err) == "" {
					t.Fatalf("Decode() error %v has no reason", err)
				}
				continue
			}
			checkEvent(t, &ev)
			if ev.Raw() != strings.TrimSpace(in) && ev.Raw() != string(bytes.TrimSpace([]byte(in))) {
				t.Fatalf("Raw() = %q, want the trimmed input", ev.Raw())
			}
		}
		// Everything encoding/json accepts as an object within the limits,
		// the decoder accepts.
		var m map[string]any
		if json.Unmarshal([]byte(in), &m) == nil && m != nil {
			if _, err := decoders[0].Decode([]byte(in)); err != nil {
				r := ReasonOf(err)
				if r != ReasonDepth && r != ReasonTooManyValues && r != ReasonEmpty {
					t.Fatalf("encoding/json accepts %q, Decode() error = %v", in, err)
				}
			}
		}
	})
}

func FuzzAccessLog(f *testing.F) {
	for _, s := range []string{sampleCombined, `1.2.3.4 - - [x] "-" 400 0`, `a b c [d] "e f g h" 200 5 "r" "u" extra`, `a b c [d] "\"" 1 1`} {
		f.Add(s)
	}
	d := NewAccessLogDecoder(Options{})
	f.Fuzz(func(t *testing.T, in string) {
		ev, err := d.Decode([]byte(in))
		if err == nil {
			checkEvent(t, &ev)
		}
	})
}

func FuzzSyslog(f *testing.F) {
	for _, s := range []string{
		sampleRFC5424, sampleRFC3164, `<4>May  2 08:15:32 gw kernel: SRC=1.2.3.4 a="b\"c" d='e'`,
		`<14>1 - - - - - [x@1 a="\]"] {"event_type":"dns","src_ip":"1.2.3.4"}`, `<999>x`, `<13>`, `1 2 3`, "<13>1 \xff",
	} {
		f.Add(s)
	}
	d := NewSyslogDecoder(Options{Now: fixedNow})
	f.Fuzz(func(t *testing.T, in string) {
		ev, err := d.Decode([]byte(in))
		if err == nil {
			checkEvent(t, &ev)
			if !ev.Has(FieldMessage) && !strings.Contains(in, "{") {
				t.Fatalf("no message field for %q", in)
			}
		} else if r := ReasonOf(err); r == ReasonInternal {
			t.Fatalf("syslog parser panicked on %q: %v", in, err)
		}
	})
}

func FuzzFramer(f *testing.F) {
	for _, s := range []string{"11 <13>1 - - x5 <1>ab", "<1>a\r\n\n<2>b", "9999999 x", "12a", "3 ab", "\x00\n5 <1>ab<2>"} {
		f.Add(s, 16)
	}
	f.Fuzz(func(t *testing.T, in string, max int) {
		if max <= 0 || max > 1<<16 {
			max = 16
		}
		fr := NewFramer(strings.NewReader(in), max)
		total := 0
		for range len(in) + 2 {
			b, err := fr.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if err.(*Error).Fatal {
					return
				}
				continue
			}
			if len(b) > max {
				t.Fatalf("frame of %d bytes over the limit %d", len(b), max)
			}
			total += len(b)
			if total > len(in) {
				t.Fatalf("frames hold more bytes than the input")
			}
		}
		t.Fatalf("Framer did not reach the end of %d bytes", len(in))
	})
}

func FuzzLineReader(f *testing.F) {
	f.Add("a\nb\r\n\nccccccccccccccccccc\nd")
	f.Fuzz(func(t *testing.T, in string) {
		lr := NewLineReader(strings.NewReader(in), 8)
		last := 0
		for range len(in) + 2 {
			line, n, err := lr.Next()
			if err == io.EOF {
				return
			}
			if n <= last && err == nil {
				t.Fatalf("line number %d after %d", n, last)
			}
			last = n
			if err == nil && (len(line) > 8 || bytes.ContainsAny(line, "\n")) {
				t.Fatalf("bad line %q", line)
			}
		}
		t.Fatalf("LineReader did not reach the end")
	})
}

func FuzzGzipReader(f *testing.F) {
	var b bytes.Buffer
	w := newTestGzipWriter(&b)
	w.Write([]byte(sampleEVEAlert))
	w.Close()
	f.Add(b.Bytes())
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		zr, err := NewGzipReader(bytes.NewReader(in), GzipLimits{MaxBytes: 1 << 16, RatioAfter: 1 << 10})
		if err != nil {
			return
		}
		defer zr.Close()
		n, _ := io.Copy(io.Discard, zr)
		if n > 1<<16 {
			t.Fatalf("read %d bytes past the limit", n)
		}
	})
}
