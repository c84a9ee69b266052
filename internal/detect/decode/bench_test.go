package decode

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// benchCase is a set of lines decoded round-robin.
type benchCase struct {
	name  string
	dec   Decoder
	lines [][]byte
	json  bool // also run the encoding/json baseline
}

func splitLines(data []byte, max int) [][]byte {
	var out [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if l = bytes.TrimSpace(l); len(l) > 0 {
			out = append(out, l)
		}
		if len(out) == max {
			break
		}
	}
	return out
}

func one(s string) [][]byte { return [][]byte{[]byte(s)} }

func benchCases(b *testing.B) []benchCase {
	cases := []benchCase{
		{"suricata_alert", NewSuricataDecoder(Options{}), one(sampleEVEAlert), true},
		{"suricata_dns", NewSuricataDecoder(Options{}), one(sampleEVEDNS), true},
		{"wazuh_windows", NewWazuhDecoder(Options{}), one(sampleWazuhWin), true},
		{"evtx_4688", NewWindowsDecoder(Options{}), one(sampleEVTX4688), true},
		{"winlogbeat_22", NewWindowsDecoder(Options{}), one(sampleWinlogbeat), true},
		{"generic_json_eve", NewJSONDecoder(Options{}), one(sampleEVEAlert), true},
		{"accesslog", NewAccessLogDecoder(Options{}), one(sampleCombined), false},
		{"syslog_5424_kv", NewSyslogDecoder(Options{Now: fixedNow}), one(sampleRFC5424), false},
		{"syslog_3164", NewSyslogDecoder(Options{Now: fixedNow}), one(sampleRFC3164), false},
	}
	// Real data when present: the first 2,000 lines of one OTRF recording
	// and of the Zeek dns log.
	if recs := otrfRecordingsOptional(b); len(recs) > 0 {
		for _, r := range recs {
			if strings.Contains(r.name, "comsvcs") {
				cases = append(cases, benchCase{"otrf_comsvcs", NewWindowsDecoder(Options{}), splitLines(r.data, 2000), true})
			}
		}
	}
	if data := zeekLogOptional(b, "dns.sample10k.ndjson.gz"); data != nil {
		cases = append(cases, benchCase{"zeek_dns", NewZeekDecoder(Options{}), splitLines(data, 2000), true})
	}
	return cases
}

// BenchmarkDecode measures each decoder and, for JSON input, a plain
// encoding/json Unmarshal into map[string]any of the same lines (which
// does less: no flattening, no common fields).
func BenchmarkDecode(b *testing.B) {
	for _, c := range benchCases(b) {
		var size int
		for _, l := range c.lines {
			size += len(l)
		}
		avg := int64(size / len(c.lines))
		b.Run(c.name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(avg)
			i := 0
			for b.Loop() {
				if _, err := c.dec.Decode(c.lines[i%len(c.lines)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
		if !c.json {
			continue
		}
		b.Run(c.name+"/encoding_json", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(avg)
			i := 0
			for b.Loop() {
				var m map[string]any
				if err := json.Unmarshal(c.lines[i%len(c.lines)], &m); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkGet measures field access on a large decoded event (hash
// index) and a small one (linear scan).
func BenchmarkGet(b *testing.B) {
	big, _ := NewWindowsDecoder(Options{}).Decode([]byte(sampleEVTX4688))
	small, _ := NewJSONDecoder(Options{}).Decode([]byte(`{"a":1,"b":2,"c":3,"CommandLine":"x"}`))
	for _, c := range []struct {
		name string
		ev   *Event
	}{{"indexed", &big}, {"linear", &small}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, ok := c.ev.Get("CommandLine"); !ok {
					b.Fatal("missing")
				}
				c.ev.Get("NoSuchField")
			}
		})
	}
}

func BenchmarkFramer(b *testing.B) {
	var in bytes.Buffer
	for range 1000 {
		// Half octet counted, half newline framed.
		in.WriteString(strconv.Itoa(len(sampleRFC3164)) + " " + sampleRFC3164)
		in.WriteString(sampleRFC3164 + "\n")
	}
	data := in.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		f := NewFramer(bytes.NewReader(data), 0)
		for {
			if _, err := f.Next(); err != nil {
				break
			}
		}
	}
}
