package decode

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestUnescape checks string unescaping against encoding/json, escape by
// escape and in the runs between escapes.
func TestUnescape(t *testing.T) {
	long := strings.Repeat("x", 300)
	for _, in := range []string{
		`a\nb`, `\r\n\t`, `C:\\Windows\\System32\\cmd.exe`, `\"quoted\" and \"again\"`,
		`\"`, `\\`, `x\\`, `\/\b\f`, `\u0000`, `a\u0000b`, `\u00e9\u00E9`, `\u2028\u2029`,
		`\ud83d\ude00`, `\uD83D\uDE00x`, `\ud83d`, `\ud83dx`, `\ude00\ud83d`, `\ud83d\u0041`,
		`\ud83d\ud83d\ude00`, `\ud800\udc00\u0000`, `\ud83d\\`, "é\\nü",
		long + `\n` + long + `\"` + long, `\"` + long, long + `\\`,
	} {
		line := `{"k":"` + in + `","after":"` + in + `x"}`
		ev, err := NewJSONDecoder(Options{}).Decode([]byte(line))
		if err != nil {
			t.Fatalf("Decode(%q) error = %v", line, err)
		}
		var want map[string]string
		if err := json.Unmarshal([]byte(line), &want); err != nil {
			t.Fatalf("encoding/json rejects %q: %v", line, err)
		}
		if got := ev.Text("k"); got != want["k"] {
			t.Errorf("Text(k) of %q = %q, want %q", in, got, want["k"])
		}
		if got := ev.Text("after"); got != want["after"] {
			t.Errorf("Text(after) of %q = %q, want %q", in, got, want["after"])
		}
	}
}

// TestUnescapeRawControl checks the leniency for raw control characters
// (which encoding/json rejects) around escapes.
func TestUnescapeRawControl(t *testing.T) {
	ev, err := NewJSONDecoder(Options{}).Decode([]byte("{\"a\":\"tab\there\\n\x01raw\x00\"}"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ev.Text("a"), "tab\there\n\x01raw\x00"; got != want {
		t.Errorf("Text(a) = %q, want %q", got, want)
	}
}

// TestUnescapeErrors checks where unescaping stops, also past an escaped
// quote (the scan for the closing quote starts again after it).
func TestUnescapeErrors(t *testing.T) {
	for _, tt := range []struct {
		line string
		off  int64
		msg  string
	}{
		{`{"a":"\x"}`, 7, "invalid escape"},
		{`{"a":"ab\u12"}`, 10, "invalid \\u escape"},
		{`{"a":"ab\u12`, 12, "unterminated string"},
		{`{"a":"x\"y`, 10, "unterminated string"},
		{`{"a":"x\"y\n\u12`, 14, "invalid \\u escape"},
		{`{"a":"x\"y\q`, 11, "invalid escape"},
		{`{"a":"x\`, 8, "unterminated string"},
		{`{"a":"x\n`, 9, "unterminated string"},
		{`{"a":"\"`, 8, "unterminated string"},
	} {
		_, err := NewJSONDecoder(Options{}).Decode([]byte(tt.line))
		var de *Error
		if !errors.As(err, &de) || de.Reason != ReasonJSONSyntax || de.Offset != tt.off || de.Msg != tt.msg {
			t.Errorf("Decode(%q) error = %#v, want %q at %d", tt.line, err, tt.msg, tt.off)
		}
	}
}

// TestNextBackslash compares the eight-bytes-at-a-time scan with a plain
// loop, with bytes next to the backslash's value and with the high bit set.
func TestNextBackslash(t *testing.T) {
	alphabet := []byte{'\\', '[', ']', 0xdc, 0x5d, 0x5b, 0x00, 0xff, 0x80, 'a', '"'}
	b := make([]byte, 40)
	seed := uint32(1)
	for n := 0; n < 20000; n++ {
		for i := range b {
			seed = seed*1664525 + 1013904223
			if seed>>28 < 3 {
				b[i] = '\\'
			} else {
				b[i] = alphabet[int(seed>>8)%len(alphabet)]
			}
		}
		s := string(b)
		i, end := n%7, len(s)-n%11
		want := end
		for k := i; k < end; k++ {
			if s[k] == '\\' {
				want = k
				break
			}
		}
		if got := nextBackslash(s, i, end); got != want {
			t.Fatalf("nextBackslash(%q, %d, %d) = %d, want %d", s, i, end, got, want)
		}
	}
}

// TestNextQuoteOrBackslash compares the eight-bytes-at-a-time scan with a
// plain loop.
func TestNextQuoteOrBackslash(t *testing.T) {
	alphabet := []byte{'\\', '"', '#', '!', 0xdc, 0xa2, 0x22 ^ 0x80, 0x00, 0xff, 'a', '['}
	b := make([]byte, 40)
	seed := uint32(7)
	for n := 0; n < 20000; n++ {
		for i := range b {
			seed = seed*1664525 + 1013904223
			if seed>>28 < 2 {
				b[i] = alphabet[int(seed>>20)%2]
			} else {
				b[i] = alphabet[2+int(seed>>8)%(len(alphabet)-2)]
			}
		}
		s := string(b)
		i, end := n%7, len(s)-n%11
		want := end
		for k := i; k < end; k++ {
			if s[k] == '\\' || s[k] == '"' {
				want = k
				break
			}
		}
		if got := nextQuoteOrBackslash(s, i, end); got != want {
			t.Fatalf("nextQuoteOrBackslash(%q, %d, %d) = %d, want %d", s, i, end, got, want)
		}
	}
}
