package decode

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
)

// frameResult is one Next call's outcome, for comparison.
type frameResult struct {
	Frame  string
	Reason Reason
	Fatal  bool
}

func allFrames(f *Framer) []frameResult {
	var out []frameResult
	for range 100 {
		b, err := f.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			var de *Error
			errors.As(err, &de)
			out = append(out, frameResult{Reason: ReasonOf(err), Fatal: de != nil && de.Fatal})
			if de != nil && de.Fatal {
				// Sticky: the same error again.
				if _, err2 := f.Next(); err2 != err {
					out = append(out, frameResult{Frame: "not sticky"})
				}
				return out
			}
			continue
		}
		out = append(out, frameResult{Frame: string(b)})
	}
	return out
}

func TestFramer(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want []frameResult
	}{
		{"octet counting", "11 <13>1 - - x5 <1>ab", 0, []frameResult{{Frame: "<13>1 - - x"}, {Frame: "<1>ab"}}},
		{"newline framing with CRLF and blank lines", "<13>a b\r\n\n<14>c\n", 0, []frameResult{{Frame: "<13>a b"}, {Frame: "<14>c"}}},
		{"mixed, per frame", "5 <1>ab<2>cd\n3 <3>\n<4>no final newline", 0,
			[]frameResult{{Frame: "<1>ab"}, {Frame: "<2>cd"}, {Frame: "<3>"}, {Frame: "<4>no final newline"}}},
		{"frame may contain LF when counted", "8 <1>a\nb\nc", 0, []frameResult{{Frame: "<1>a\nb\nc"}}},
		{"count over the limit is fatal", "5 <1>ab99 <1>", 10, []frameResult{{Frame: "<1>ab"}, {Reason: ReasonFrameTooLong, Fatal: true}}},
		{"too many digits is fatal", "123456789012345678901234567890 x", 0, []frameResult{{Reason: ReasonFrameTooLong, Fatal: true}}},
		{"digits not followed by space is fatal", "12a <1>", 0, []frameResult{{Reason: ReasonFrameSyntax, Fatal: true}}},
		{"stream ends inside a counted frame", "20 <1>short", 0, []frameResult{{Reason: ReasonTruncated, Fatal: true}}},
		{"stream ends inside the count", "20", 0, []frameResult{{Reason: ReasonTruncated, Fatal: true}}},
		{"long newline frame is skipped", "<1>ok\n<2>" + strings.Repeat("x", 100) + "\n<3>next\n", 20,
			[]frameResult{{Frame: "<1>ok"}, {Reason: ReasonFrameTooLong}, {Frame: "<3>next"}}},
		{"empty", "", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := allFrames(NewFramer(strings.NewReader(tt.in), tt.max))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("frames (-want +got):\n%s", diff)
			}
		})
	}
}

// repeatReader yields n bytes of c without holding them in memory.
type repeatReader struct {
	c byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.n)
	for i := range p[:k] {
		p[i] = r.c
	}
	r.n -= k
	return int(k), nil
}

func TestLineReader(t *testing.T) {
	// Line 3 is 10 MB: skipped with an error, without being buffered.
	in := io.MultiReader(
		strings.NewReader("{\"a\":1}\r\n\n"),
		&repeatReader{c: 'x', n: 10 << 20},
		strings.NewReader("\n{\"b\":2}\nnot json\n{\"c\":3}"),
	)
	type res struct {
		Line   int
		Text   string
		Reason Reason
	}
	var got []res
	err := DecodeLines(in, NewJSONDecoder(Options{}), Options{}, func(n int, ev Event, err error) error {
		var de *Error
		if errors.As(err, &de) && de.Line != n {
			t.Errorf("line %d: error carries line %d", n, de.Line)
		}
		got = append(got, res{Line: n, Text: ev.Raw(), Reason: ReasonOf(err)})
		return nil
	})
	if err != nil {
		t.Fatalf("DecodeLines() error = %v", err)
	}
	want := []res{
		{Line: 1, Text: `{"a":1}`},
		{Line: 3, Reason: ReasonLineTooLong},
		{Line: 4, Text: `{"b":2}`},
		{Line: 5, Reason: ReasonNotObject},
		{Line: 6, Text: `{"c":3}`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestReadersFailingSource(t *testing.T) {
	_, _, err := NewLineReader(failingReader{}, 0).Next()
	var de *Error
	if !errors.As(err, &de) || de.Reason != ReasonIO || !de.Fatal {
		t.Errorf("LineReader.Next() error = %#v, want fatal io", err)
	}
	if _, err := NewFramer(failingReader{}, 0).Next(); ReasonOf(err) != ReasonIO {
		t.Errorf("Framer.Next() error = %v, want io", err)
	}
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGzipReader(t *testing.T) {
	ndjson := bytes.Repeat([]byte(sampleEVEAlert+"\n"), 200)
	bomb := gz(t, make([]byte, 8<<20)) // 8 MiB of zeros, about 8 KiB compressed
	small := gz(t, ndjson)
	tests := []struct {
		name    string
		in      []byte
		l       GzipLimits
		want    Reason
		wantLen int
	}{
		{"ordinary", small, GzipLimits{}, "", len(ndjson)},
		{"concatenated members", append(append([]byte{}, small...), small...), GzipLimits{}, "", 2 * len(ndjson)},
		{"bomb stopped by ratio", bomb, GzipLimits{}, ReasonGzipRatio, -1},
		{"bomb stopped by size", bomb, GzipLimits{MaxBytes: 1 << 20, MaxRatio: -1}, ReasonGzipTooLarge, 1 << 20},
		{"size limit", small, GzipLimits{MaxBytes: 1000}, ReasonGzipTooLarge, 1000},
		{"truncated", small[:len(small)/2], GzipLimits{}, ReasonTruncated, -1},
		{"not gzip", []byte("plain text, not gzip"), GzipLimits{}, ReasonGzip, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			zr, err := NewGzipReader(bytes.NewReader(tt.in), tt.l)
			var n int64
			if err == nil {
				n, err = io.Copy(io.Discard, zr)
				zr.Close()
			}
			if got := ReasonOf(err); got != tt.want {
				t.Fatalf("reason = %q (err %v), want %q", got, err, tt.want)
			}
			if tt.wantLen >= 0 && n != int64(tt.wantLen) {
				t.Errorf("read %d bytes, want %d", n, tt.wantLen)
			}
			var de *Error
			if err != nil && (!errors.As(err, &de) || !de.Fatal) {
				t.Errorf("error %#v is not a fatal *Error", err)
			}
		})
	}
}

func newTestGzipWriter(w io.Writer) *gzip.Writer { return gzip.NewWriter(w) }
