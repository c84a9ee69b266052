package detect

import (
	"testing"
	"time"

	"bulwark/internal/detect/decode"
)

func TestParseEventTime(t *testing.T) {
	want := time.Date(2026, 11, 20, 2, 30, 15, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"2026-11-20T02:30:15Z", want},                                // ECS @timestamp
		{"2026-11-20T02:30:15.1234567Z", want.Add(123456700)},         // Windows SystemTime
		{"2026-11-20T09:30:15.000000+0700", want},                     // Suricata, Wazuh
		{"2026-11-20T09:30:15+07:00", want},                           // syslog as decoded
		{"2026-11-20 02:30:15.123", want.Add(123 * time.Millisecond)}, // Sysmon UtcTime
		{"2026-11-20 02:30:15", want},                                 // NXLog EventTime
		{"2026-11-20T02:30:15", want},                                 //
		{"20/Nov/2026:09:30:15 +0700", want},                          // access log
		{"1795141815.25", want.Add(250 * time.Millisecond)},           // Zeek ts
		{"1795141815", want},                                          //
		{"1795141815000", want},                                       // milliseconds
		{" 2026-11-20T02:30:15Z ", want},                              //
		{"2026-11-20 09:30:15+07:00", want},                           //
		{"2026-11-20 09:30:15+0700", want},
		{"2026-11-20T09:30:15+07", want},
		{"2026-11-19T21:30:15-05:00", want},
		{"2026-11-20T02:30:15,5Z", want.Add(500 * time.Millisecond)},        //
		{"2026-11-20T02:30:15.999999999Z", want.Add(999999999)},             //
		{"2026-11-20T02:30:15.5Z", want.Add(500 * time.Millisecond)},        //
		{"2026-11-20T02:30:15.000000000+00:00", want},                       //
		{"1795141815.250000", want.Add(250 * time.Millisecond)},             //
		{"1795141815.2500000001", want.Add(250 * time.Millisecond)},         // beyond nanoseconds: cut
		{"2026-11-20T02:30:15.123+00:00", want.Add(123 * time.Millisecond)}, //
	} {
		got, ok := parseEventTime(c.in)
		if !ok || !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("parseEventTime(%q) = %v, %t; want %v", c.in, got, ok, c.want)
		}
	}
	for _, bad := range []string{"", "now", "Nov 20 02:30:15", "12345", "1795141815.x", "17951418150", "1795141815000.5", "2026-11-20",
		"2026-13-20T02:30:15Z", "-1795141815",
		"2026-11-31T02:30:15Z", "2026-11-20T02:30:15.Z", "2026-11-20T02:30:15+7:00", "2026-11-20T24:00:00Z", "2026-11-20T02:30:15 UTC",
		"2026-11-20T02:30:15+0760", "2026-11-20T02:3a:15Z", "2026-11-20T02:30:15Z and more text that is long"} {
		if got, ok := parseEventTime(bad); ok {
			t.Errorf("parseEventTime(%q) = %v, want no time", bad, got)
		}
	}
}

func TestEventTime(t *testing.T) {
	arrival := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	ev := func(kv ...string) *decode.Event {
		var e decode.Event
		for i := 0; i < len(kv); i += 2 {
			e.Set(kv[i], decode.String(kv[i+1]))
		}
		return &e
	}
	for _, c := range []struct {
		name string
		ev   *decode.Event
		want time.Time
	}{
		{"@timestamp", ev(decode.FieldTimestamp, "2026-11-20T02:00:00Z"), arrival.Add(-time.Hour)},
		{"a year back: believed", ev(decode.FieldTimestamp, "2025-11-20T03:00:00Z"), arrival.AddDate(-1, 0, 0)},
		{"zeek ts", ev("ts", "1795140000"), time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)},
		{"first parseable field", ev(decode.FieldTimestamp, "garbage", "UtcTime", "2026-11-20 02:00:00"), arrival.Add(-time.Hour)},
		{"none", ev("message", "x"), arrival},
		{"a day ahead", ev(decode.FieldTimestamp, "2026-11-21T03:00:01Z"), arrival},
		{"local time east of UTC written as UTC", ev(decode.FieldTimestamp, "2026-11-20T10:00:00Z"), arrival},
		{"just over five minutes ahead", ev(decode.FieldTimestamp, "2026-11-20T03:05:01Z"), arrival},
		{"a clock four minutes fast", ev(decode.FieldTimestamp, "2026-11-20T03:04:00Z"), arrival.Add(4 * time.Minute)},
		{"before 2000", ev(decode.FieldTimestamp, "1999-12-31T23:59:59Z"), arrival},
		{"epoch zero", ev("ts", "0000000000"), arrival},
	} {
		if got := eventTime(c.ev, arrival); !got.Equal(c.want) {
			t.Errorf("%s: eventTime = %v, want %v", c.name, got, c.want)
		}
	}
}

// BenchmarkEventTime is what reading the event's time adds to each event
// of a batch when correlation rules are loaded.
func BenchmarkEventTime(b *testing.B) {
	arrival := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	for _, c := range []struct{ name, value string }{
		{"rfc3339", "2026-11-20T02:30:15.1234567Z"},
		{"suricata", "2026-11-20T09:30:15.000000+0700"},
		{"sysmon", "2026-11-20 02:30:15.123"},
		{"zeek", "1795141815.250000"},
	} {
		var ev decode.Event
		ev.Set(decode.FieldTimestamp, decode.String(c.value))
		ev.Set("message", decode.String("x"))
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				_ = eventTime(&ev, arrival)
			}
		})
	}
}
