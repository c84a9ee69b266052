package decode

import (
	"fmt"
	"testing"
)

// eventString renders everything an event holds, for comparing two.
func eventString(ev *Event) string {
	s := fmt.Sprintf("%s|%q", ev.Format(), ev.Raw())
	for _, f := range ev.Fields() {
		s += fmt.Sprintf("|%q=%d:%q", f.Name, f.Value.Kind(), f.Value.String())
		for x := range f.Value.Scalars() {
			s += fmt.Sprintf(",%q", x.Text())
		}
	}
	return s
}

// memoryCases are lines of every decoder, long and short in turn, so that
// reused storage is both too small and larger than needed.
func memoryCases() []struct {
	name  string
	dec   Decoder
	lines []string
} {
	json := []string{sampleEVTX4688, `{"a":1}`, sampleOTRF, sampleEVEDNS, `{"x":"\u00e9\\\\y","l":[1,"a",{"b":2}]}`, sampleWinlogbeat, sampleXMLToDict, sampleWazuhWin, `{`, sampleEVEAlert, sampleZeekHTTP}
	return []struct {
		name  string
		dec   Decoder
		lines []string
	}{
		{"auto", NewAutoDecoder(Options{}), json},
		{"windows", NewWindowsDecoder(Options{}), json},
		{"suricata", NewSuricataDecoder(Options{}), json},
		{"wazuh", NewWazuhDecoder(Options{}), json},
		{"zeek", NewZeekDecoder(Options{}), json},
		{"accesslog", NewAccessLogDecoder(Options{}), []string{sampleCombined, `1.2.3.4 - - [x] "-" 400 0`, "bad line", sampleCombined}},
		{"syslog", NewSyslogDecoder(Options{Now: fixedNow}), []string{sampleRFC5424, sampleRFC3164, `<13>1 - - - - - - {"a":"b","Image":"C:\\x.exe"}`, "", sampleRFC5424}},
	}
}

// TestMemoryDecodesAlike decodes each sequence twice: each line afresh
// with Decode, and all lines with one Memory released after each event.
// Both must give the same events and errors.
func TestMemoryDecodesAlike(t *testing.T) {
	for _, tc := range memoryCases() {
		t.Run(tc.name, func(t *testing.T) {
			var m Memory
			for round := range 3 {
				for i, l := range tc.lines {
					want, werr := tc.dec.Decode([]byte(l))
					got, gerr := tc.dec.DecodeWith([]byte(l), &m)
					if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
						t.Fatalf("round %d line %d: DecodeWith error %v, Decode error %v", round, i, gerr, werr)
					}
					if w, g := eventString(&want), eventString(&got); w != g {
						t.Fatalf("round %d line %d: DecodeWith\n%s\nDecode\n%s", round, i, g, w)
					}
					m.Release()
				}
			}
		})
	}
}

// TestMemoryKeepsUnreleased checks that an event not released is never
// overwritten by the next ones decoded with the same Memory.
func TestMemoryKeepsUnreleased(t *testing.T) {
	d := NewWindowsDecoder(Options{})
	var m Memory
	// Grow the storage, release it, and keep the next event.
	if _, err := d.DecodeWith([]byte(sampleEVTX4688), &m); err != nil {
		t.Fatal(err)
	}
	m.Release()
	kept, err := d.DecodeWith([]byte(sampleOTRF), &m)
	if err != nil {
		t.Fatal(err)
	}
	want := eventString(&kept)
	for _, l := range []string{sampleEVTX4688, sampleXMLToDict, sampleOTRF, sampleWinlogbeat} {
		if _, err := d.DecodeWith([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		m.Release() // releases the later events, never kept
	}
	if got := eventString(&kept); got != want {
		t.Fatalf("kept event changed:\n%s\nwas\n%s", got, want)
	}
}

// TestMemoryAllocations checks that decoding with a released Memory
// allocates nothing once its storage has grown, where Decode allocates
// the event's storage every time.
func TestMemoryAllocations(t *testing.T) {
	cases := []struct {
		dec  Decoder
		line string
	}{
		{NewWindowsDecoder(Options{}), sampleOTRF},
		{NewWindowsDecoder(Options{}), sampleEVTX4688},
		{NewAccessLogDecoder(Options{}), sampleCombined},
	}
	for _, c := range cases {
		var m Memory
		line := []byte(c.line)
		fresh := testing.AllocsPerRun(50, func() { _, _ = c.dec.Decode(line) })
		reused := testing.AllocsPerRun(50, func() {
			if _, err := c.dec.DecodeWith(line, &m); err != nil {
				t.Fatal(err)
			}
			m.Release()
		})
		if reused != 0 || fresh < 2 {
			t.Errorf("%.40s: %.0f allocations per event with a Memory (want 0), %.0f without", c.line, reused, fresh)
		}
	}
}

// FuzzMemory decodes b with a Memory that last held a, released, and
// compares with decoding b afresh.
func FuzzMemory(f *testing.F) {
	f.Add(sampleEVTX4688, `{"a":1}`)
	f.Add(`{"a":1}`, sampleOTRF)
	f.Add(sampleOTRF, `{"a":"\u00e9\\","b":[1,{"c":"d"}]}`)
	f.Add(sampleWinlogbeat, "{")
	decs := []Decoder{NewAutoDecoder(Options{}), NewWindowsDecoder(Options{}), NewAccessLogDecoder(Options{}), NewSyslogDecoder(Options{Now: fixedNow})}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, d := range decs {
			var m Memory
			_, _ = d.DecodeWith([]byte(a), &m)
			m.Release()
			got, gerr := d.DecodeWith([]byte(b), &m)
			want, werr := d.Decode([]byte(b))
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("DecodeWith error %v, Decode error %v", gerr, werr)
			}
			if w, g := eventString(&want), eventString(&got); w != g {
				t.Fatalf("DecodeWith\n%s\nDecode\n%s", g, w)
			}
		}
	})
}

// TestMemoriesKeepAndForget checks a batch's memories: Release reuses
// every position but those kept, Forget none.
func TestMemoriesKeepAndForget(t *testing.T) {
	d := NewWindowsDecoder(Options{})
	var b Memories
	lines := []string{sampleOTRF, sampleEVTX4688, sampleWinlogbeat}
	decodeAll := func() []Event {
		t.Helper()
		var evs []Event
		for i, l := range lines {
			ev, err := d.DecodeWith([]byte(l), b.At(i))
			if err != nil {
				t.Fatal(err)
			}
			evs = append(evs, ev)
		}
		return evs
	}
	first := decodeAll()
	want, was0 := eventString(&first[1]), eventString(&first[0])
	b.Keep(1)
	b.Release()
	lines = []string{sampleWinlogbeat, sampleOTRF, sampleEVTX4688} // other bytes at each position
	second := decodeAll()
	if got := eventString(&first[1]); got != want {
		t.Fatalf("kept event changed:\n%s\nwas\n%s", got, want)
	}
	if eventString(&first[0]) == was0 {
		t.Fatal("position 0 was not reused after Release") // its old event's storage holds the new one
	}
	// Forget: nothing handed out before is reused.
	wantAll := []string{eventString(&second[0]), eventString(&second[1]), eventString(&second[2])}
	b.Forget()
	lines = []string{sampleEVTX4688, sampleWinlogbeat, sampleOTRF}
	decodeAll()
	for i := range second {
		if got := eventString(&second[i]); got != wantAll[i] {
			t.Fatalf("event %d changed after Forget:\n%s\nwas\n%s", i, got, wantAll[i])
		}
	}
}
