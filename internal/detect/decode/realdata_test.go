package decode

import (
	"bytes"
	"strings"
	"testing"
)

// TestOTRFRecordings decodes every line of every OTRF recording with the
// Windows decoder and checks the fields detection relies on.
func TestOTRFRecordings(t *testing.T) {
	recs := otrfRecordings(t)
	d := NewWindowsDecoder(Options{})
	total := 0
	for _, rec := range recs {
		t.Run(rec.name, func(t *testing.T) {
			var comsvcs, sysmon int
			err := DecodeLines(bytes.NewReader(rec.data), d, Options{}, func(n int, ev Event, err error) error {
				if err != nil {
					t.Errorf("line %d: %v", n, err)
					return nil
				}
				total++
				if ev.Format() != FormatWindowsFlat {
					t.Errorf("line %d: Format() = %q, want %q", n, ev.Format(), FormatWindowsFlat)
				}
				for _, f := range []string{"Channel", "EventID", "Computer", "event.code", "host.name"} {
					if !ev.Has(f) {
						t.Errorf("line %d: no %s", n, f)
					}
				}
				if v, _ := ev.Get("EventID"); v.Kind() != KindNumber {
					t.Errorf("line %d: EventID kind = %v, want number", n, v.Kind())
				}
				ls := LogsourceOf(&ev)
				if ls.Product != "windows" {
					t.Errorf("line %d: product = %q", n, ls.Product)
				}
				if ev.Text("Channel") == ChannelSysmon {
					sysmon++
					if len(ls.Categories) == 0 && ev.Text("EventID") != "4" && ev.Text("EventID") != "16" && ev.Text("EventID") != "255" {
						t.Errorf("line %d: Sysmon event %s has no category", n, ev.Text("EventID"))
					}
				}
				if ev.Text("EventID") == "1" && ev.Text("Channel") == ChannelSysmon {
					if ev.Text("process.executable") != ev.Text("Image") || ev.Text("process.command_line") != ev.Text("CommandLine") {
						t.Errorf("line %d: process fields not mapped", n)
					}
					if !ls.Matches("windows", "process_creation", "") {
						t.Errorf("line %d: logsource %+v is not process_creation", n, ls)
					}
					if strings.HasSuffix(strings.ToLower(ev.Text("Image")), `\rundll32.exe`) && strings.Contains(strings.ToLower(ev.Text("CommandLine")), "comsvcs") {
						comsvcs++
					}
				}
				return nil
			})
			if err != nil {
				t.Fatalf("DecodeLines: %v", err)
			}
			if strings.Contains(rec.name, "comsvcs") && comsvcs == 0 {
				t.Errorf("no Sysmon 1 event with Image rundll32.exe and CommandLine containing comsvcs")
			}
		})
	}
	if total < 16000 {
		t.Errorf("decoded %d OTRF events, want over 16000", total)
	}
}

// TestZeekLogs decodes every line of the WRCCDC Zeek logs.
func TestZeekLogs(t *testing.T) {
	tests := []struct {
		file    string
		lines   int
		service string
		want    []string          // fields every event has
		same    map[string]string // common field -> Zeek field, when the Zeek field is set
	}{
		{"dns.sample10k.ndjson.gz", 10000, "dns", []string{"source.ip", "destination.port", "network.transport"},
			map[string]string{"dns.question.name": "query", "dns.question.type": "qtype_name"}},
		{"ssl.sample5k.ndjson.gz", 5000, "ssl", []string{"source.ip", "destination.ip"},
			map[string]string{"tls.version": "version", "tls.client.server_name": "server_name"}},
		{"weird.sample2k.ndjson.gz", 2000, "weird", []string{"rule.name"}, nil},
		{"notice.ndjson.gz", 207, "notice", []string{"rule.name", "message"}, nil},
		{"smtp.ndjson.gz", 1188, "smtp", []string{"source.ip", "destination.port"},
			map[string]string{"email.subject": "subject"}},
		{"x509.ndjson.gz", 348, "x509", []string{"x509.serial_number"}, nil},
		{"ntlm.ndjson.gz", 422, "ntlm", []string{"source.ip"}, map[string]string{"user.name": "username"}},
	}
	d := NewZeekDecoder(Options{})
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := zeekLog(t, tt.file)
			got := 0
			err := DecodeLines(bytes.NewReader(data), d, Options{}, func(n int, ev Event, err error) error {
				if err != nil {
					t.Errorf("line %d: %v", n, err)
					return nil
				}
				got++
				for _, f := range tt.want {
					if !ev.Has(f) {
						t.Errorf("line %d: no %s", n, f)
					}
				}
				for to, from := range tt.same {
					if z := ev.Text(from); z != "" && ev.Text(to) != z {
						t.Errorf("line %d: %s = %q, want %q (from %s)", n, to, ev.Text(to), z, from)
					}
				}
				ls := LogsourceOf(&ev)
				if !ls.Matches("zeek", "", tt.service) {
					t.Errorf("line %d: logsource %+v, want zeek/%s", n, ls, tt.service)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("DecodeLines: %v", err)
			}
			if got != tt.lines {
				t.Errorf("decoded %d lines, want %d", got, tt.lines)
			}
		})
	}
}
