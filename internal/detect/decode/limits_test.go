package decode

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeErrors(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	deepArr := `{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "}"
	many := `{"a":[` + strings.Repeat("1,", 200) + "1]}"
	tests := []struct {
		name string
		kind SourceKind
		o    Options
		line string
		want Reason
	}{
		{"syntax", KindJSON, Options{}, `{"a":}`, ReasonJSONSyntax},
		{"unterminated", KindJSON, Options{}, `{"a":"b`, ReasonJSONSyntax},
		{"trailing data", KindJSON, Options{}, `{"a":1} x`, ReasonJSONSyntax},
		{"bad number", KindJSON, Options{}, `{"a":01}`, ReasonJSONSyntax},
		{"bad escape", KindJSON, Options{}, `{"a":"\x"}`, ReasonJSONSyntax},
		{"bad unicode escape", KindJSON, Options{}, `{"a":"\u12"}`, ReasonJSONSyntax},
		{"array at top", KindJSON, Options{}, `[1,2]`, ReasonNotObject},
		{"blank", KindJSON, Options{}, "  \r", ReasonEmpty},
		{"deep objects", KindJSON, Options{}, deep, ReasonDepth},
		{"deep arrays", KindAuto, Options{}, deepArr, ReasonDepth},
		{"too many values", KindJSON, Options{MaxValues: 100}, many, ReasonTooManyValues},
		{"line too long", KindJSON, Options{MaxLineBytes: 10}, `{"a":"0123456789"}`, ReasonLineTooLong},
		{"invalid utf8 rejected", KindJSON, Options{UTF8: UTF8Reject}, "{\"a\":\"\xff\"}", ReasonInvalidUTF8},
		{"invalid utf8 in key rejected", KindJSON, Options{UTF8: UTF8Reject}, "{\"\xc3\":1}", ReasonInvalidUTF8},
		{"access log garbage", KindAccessLog, Options{}, "not an access log", ReasonSyntax},
		{"access log bad status", KindAccessLog, Options{}, `1.2.3.4 - - [x] "GET / HTTP/1.1" abc 1`, ReasonSyntax},
		{"syslog too long", KindSyslog, Options{MaxLineBytes: 8}, "<13>hello world", ReasonLineTooLong},
		{"syslog invalid utf8 rejected", KindSyslog, Options{UTF8: UTF8Reject}, "<13>May  2 08:15:31 h a: \xff", ReasonInvalidUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(tt.kind, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := d.Decode([]byte(tt.line))
			if got := ReasonOf(err); got != tt.want {
				t.Fatalf("Decode() reason = %q (err %v), want %q", got, err, tt.want)
			}
			var de *Error
			if !errors.As(err, &de) || de.Fatal {
				t.Errorf("Decode() error %#v, want a non-fatal *Error", err)
			}
			if ev.Len() != 0 || ev.Raw() != "" {
				t.Errorf("Decode() returned a non-zero event with an error")
			}
		})
	}
}

func TestInvalidUTF8Replaced(t *testing.T) {
	tests := []struct {
		name, line, field, want string
	}{
		{"plain", "{\"a\":\"x\xffy\"}", "a", "x\uFFFDy"},
		{"escaped", "{\"a\":\"\\n\xc3\"}", "a", "\n\uFFFD"},
		{"key", "{\"k\xff\":1}", "k\uFFFD", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := NewJSONDecoder(Options{}).Decode([]byte(tt.line))
			if err != nil {
				t.Fatalf("Decode() error = %v", err)
			}
			if got := ev.Text(tt.field); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.field, got, tt.want)
			}
			if ev.Raw() != tt.line {
				t.Errorf("Raw() = %q, want the original bytes", ev.Raw())
			}
		})
	}
}

func TestNewUnknownKind(t *testing.T) {
	if _, err := New("nope", Options{}); ReasonOf(err) != ReasonUnknownFormat {
		t.Errorf("New(nope) error = %v, want %s", err, ReasonUnknownFormat)
	}
	for _, k := range SourceKinds() {
		if _, err := New(k, Options{}); err != nil {
			t.Errorf("New(%s) error = %v", k, err)
		}
	}
}
